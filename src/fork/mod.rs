//! Layer 10: fork — the fork-handler registry (`pthread_atfork`).

pub mod atfork;
