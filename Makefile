# Makefile - short names for the common jobs; the build itself is CMake.
#
#   make demo    install dependencies, build, start the mail lab, run
#                `mailvet smtp` against it, stop the lab
#   make check   install dependencies, then build and run every test twice:
#                a normal build, and a clang build with AddressSanitizer,
#                UBSan and the fuzz targets
JOBS ?= 2
BUILD ?= build
SAN_BUILD ?= build-sanitize

.PHONY: all deps build test check sanitize demo clean

all: build

deps:
	./scripts/install-deps.sh

build:
	cmake -S . -B $(BUILD) -DMAILVET_WERROR=ON
	cmake --build $(BUILD) -j$(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure

sanitize:
	CC=clang cmake -S . -B $(SAN_BUILD) -DMAILVET_SANITIZE=ON \
		-DMAILVET_FUZZ=ON -DMAILVET_WERROR=ON
	cmake --build $(SAN_BUILD) -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir $(SAN_BUILD) --output-on-failure

check: deps
	$(MAKE) test
	$(MAKE) sanitize

demo: deps build
	./scripts/demo.sh $(BUILD)/mailvet

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
