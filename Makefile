# mnthread — build, test and benchmark.
#   make         build target/release/libmnthread.so and include/mnthread.h
#   make test    the layering and export checks, Rust unit tests, loom models, clippy, every C test three ways (glibc, LD_PRELOAD, linked)
#   make bench   the C benchmarks under glibc and mnthread in one run, with ratios
#   make demo    a bundled unmodified C program under glibc and under mnthread

LIB := target/release/libmnthread.so
BUILD := build

.PHONY: all lib test ctest rtest loom layers exports bench demo clippy clean

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

# The .so's dynamic symbol table is the API and nothing else.
exports: lib
	python3 tools/check_exports.py $(LIB)

test: layers rtest loom clippy exports ctest

bench: lib
	python3 bench/run.py --lib $(LIB) --build $(BUILD)/bench

demo: lib
	python3 examples/demo.py --lib $(LIB) --build $(BUILD)/examples

clean:
	cargo clean
	rm -rf $(BUILD)
