# mnthread — build, test and benchmark.
#   make         build target/release/libmnthread.so and include/mnthread.h
#   make test    the layering check, Rust unit tests, loom models, clippy, every C test three ways (glibc, LD_PRELOAD, linked)
#   make bench   the C benchmarks under glibc and mnthread in one run, with ratios
#   make demo    a bundled unmodified C program under glibc and under mnthread

LIB := target/release/libmnthread.so
BUILD := build

.PHONY: all lib test ctest rtest loom layers bench demo clippy clean

all: lib

lib:
	cargo build --release

$(LIB): lib

rtest:
	cargo test --release --lib -- --test-threads=1

# Loom model checks of the lock-free protocols (park state, run queue); a
# separate target dir keeps the --cfg loom build from evicting the normal one.
loom:
	RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --lib loom

clippy:
	cargo clippy --release -- -D warnings

ctest: lib
	python3 c-tests/run.py --lib $(LIB) --build $(BUILD)/c-tests

layers:
	python3 tools/check_layers.py src

test: layers rtest loom clippy ctest

bench: lib
	python3 bench/run.py --lib $(LIB) --build $(BUILD)/bench

demo: lib
	python3 examples/demo.py --lib $(LIB) --build $(BUILD)/examples

clean:
	cargo clean
	rm -rf $(BUILD)
