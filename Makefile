# whirl: quick entry points. See README.md.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test demo demo-wast bench-http test-asan fuzz fuzz-diff fuzz-text fuzz-component install clean

all: build

deps:
	./scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: deps
	$(MAKE) build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# Serves examples/hello-wagi (built by `make build`) on 127.0.0.1:3000 and
# examples/hello-js (built from npm at this point; hello-wagi alone when npm
# is unreachable) on 127.0.0.1:3001; Ctrl-C stops both.
demo: deps
	$(MAKE) build
	scripts/demo.sh $(BUILD)

demo-wast: deps
	$(MAKE) build
	./$(BUILD)/whirl wast examples/demo.wast

# wrk against the hello-wagi example for 10 s (bench/http/run.sh).
bench-http: deps
	$(MAKE) build
	WHIRL=./$(BUILD)/whirl bench/http/run.sh

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWHIRL_SANITIZE=ON

test-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

$(FUZZ_BUILD)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWHIRL_FUZZ=ON

# Run the decode+validate+instantiate fuzzer: make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 60
# Seeds: real modules compiled from the benchmark programs.
fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_load
	mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds
	for c in bench/programs/*.c; do \
	  clang --target=wasm32-wasi -O2 $$c -o $(FUZZ_BUILD)/seeds/$$(basename $$c .c).wasm -lm; done
	./$(FUZZ_BUILD)/fuzz/fuzz_load -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 \
	  $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds

# The same seeds, each module run with and without superinstructions:
# make fuzz-diff FUZZ_SECONDS=600
fuzz-diff: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_diff
	mkdir -p $(FUZZ_BUILD)/corpus-diff $(FUZZ_BUILD)/seeds
	for c in bench/programs/*.c; do \
	  clang --target=wasm32-wasi -O2 $$c -o $(FUZZ_BUILD)/seeds/$$(basename $$c .c).wasm -lm; done
	./$(FUZZ_BUILD)/fuzz/fuzz_diff -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 \
	  $(FUZZ_BUILD)/corpus-diff $(FUZZ_BUILD)/seeds

PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

# Fuzz the text front end (.wast/.wat parsing), seeded with the spec scripts.
fuzz-text: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_text
	mkdir -p $(FUZZ_BUILD)/text-corpus $(FUZZ_BUILD)/text-seeds
	cp examples/demo.wast $(wildcard ../shared/wasm-testsuite/[a-r]*.wast) $(FUZZ_BUILD)/text-seeds/ 2>/dev/null || true
	./$(FUZZ_BUILD)/fuzz/fuzz_text -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
	  $(FUZZ_BUILD)/text-corpus $(FUZZ_BUILD)/text-seeds

# Fuzz component decode + validate + instantiate + call, seeded with the
# binaries of the component-model reference tests (their text components
# made binary by jco): make fuzz-component FUZZ_SECONDS=600
COMPONENT_SPEC ?= ../shared/component-model
fuzz-component: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_component npm_tools
	mkdir -p $(FUZZ_BUILD)/component-corpus $(FUZZ_BUILD)/component-jco
	for f in $$(cd $(COMPONENT_SPEC)/test && find * -name '*.wast' -not -path 'async/*'); do \
	  node tests/component/jco_crosscheck.mjs $(COMPONENT_SPEC)/test/$$f $(FUZZ_BUILD)/component-jco/$$(echo $$f | tr / _) \
	    $(FUZZ_BUILD)/npm-tools > /dev/null; done
	python3 fuzz/seeds_from_wast.py $(FUZZ_BUILD)/component-seeds $(FUZZ_BUILD)/component-jco/*.wast
	./$(FUZZ_BUILD)/fuzz/fuzz_component -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -timeout=10 \
	  $(FUZZ_BUILD)/component-corpus $(FUZZ_BUILD)/component-seeds
