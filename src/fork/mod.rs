//! Layer 8: fork — the fork-handler registry (`pthread_atfork`) and the
//! fork protocol that runs it and repairs the child.

pub mod atfork;
pub mod protocol;
