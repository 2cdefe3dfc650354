# dicomcodecs: every set-up and check the README names.
#   make demo      install what is missing, build, decode/transcode pydicom's samples, try the CLI (< 1 min)
#   make test      install what is missing, build, run the full test suite
#   make sanitize  build with ASan+UBSan into .venv-sanitize and run the tests under it
#   make test-large  outputs past 2**31 bytes: 2.6 GB files decoded three ways (minutes, 6 GB RAM)
#   make bench     the side-by-side benchmark; writes benchmarks/RESULTS.md
#   make fuzz      build the libFuzzer harnesses (clang) into build/fuzz
#   make wheel     a binary wheel per CPython (3.10-3.13), codec libraries and licences bundled -> wheelhouse/
#   make wheel-test  install each wheel on a bare Debian 12 root (debootstrap) with its Python and check it there
#   make sdist-test  build the sdist, a wheel from it alone (CPython 3.12), and run the tests against that wheel
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
SAN_VENV ?= .venv-sanitize
PY := $(VENV)/bin/python
SAN_PY := $(SAN_VENV)/bin/python
PYTEST_ARGS ?=
TESTS ?= tests
# e.g. SKBUILD_ARGS=-Ccmake.define.DC_ONLY_FAMILIES=rle to build only some codec families
SKBUILD_ARGS ?=
# Our builds treat compiler warnings as errors; a user's build from the sdist does not.
DEV_CMAKE := -Ccmake.define.DC_WERROR=ON

# Debian/Ubuntu packages: compiler and Python headers, the codec libraries,
# and the independent implementations the interop tests run.
APT_PACKAGES := build-essential pkg-config python3-dev python3-venv \
	libopenjp2-7-dev libturbojpeg0-dev libopenjph-dev \
	libjxl-dev libdeflate-dev \
	dcmtk libgdcm-tools libopenjp2-tools openjph-tools libjxl-tools
# libjpeg-turbo's libjpeg API: Debian names it one way, Ubuntu another.
APT_JPEG := libjpeg62-turbo-dev libjpeg-turbo8-dev
FUZZ_PACKAGES := clang -- libclang-rt-14-dev libclang-rt-dev

BUILD_DEPS := "scikit-build-core>=0.10" "cython>=3.0" "numpy>=1.25" cmake ninja

.PHONY: deps venv build demo test test-large sanitize bench fuzz clean wheel wheel-test sdist-test

deps:
	@bash tools/apt-deps.sh $(APT_PACKAGES) -- $(APT_JPEG)

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	touch $@

venv: deps $(VENV)/.created
	$(VENV)/bin/pip install -q $(BUILD_DEPS)
	$(VENV)/bin/pip install -q --no-build-isolation -e ".[test,bench]" $(DEV_CMAKE) $(SKBUILD_ARGS)

build: venv

demo: venv
	@$(PY) tools/demo.py --out build/demo

test: venv
	$(PY) -m pytest $(TESTS) -q $(PYTEST_ARGS)

test-large: venv
	DICOMCODECS_LARGE=1 $(PY) -m pytest tests/test_large.py -q -s $(PYTEST_ARGS)

$(SAN_VENV)/.created:
	$(PYTHON) -m venv $(SAN_VENV)
	$(SAN_VENV)/bin/pip install -q --upgrade pip
	touch $@

# Python itself is not instrumented: preload the sanitizer runtimes, and
# leave leak checking to the ASan-built fuzz replayer (tests/test_fuzz_replay.py).
SAN_PRELOAD = $$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so)
sanitize: deps $(SAN_VENV)/.created
	$(SAN_VENV)/bin/pip install -q $(BUILD_DEPS)
	$(SAN_VENV)/bin/pip install -q --no-build-isolation ".[test]" \
		-Ccmake.define.DC_SANITIZE=ON -Ccmake.build-type=RelWithDebInfo -Cbuild-dir=build/sanitize \
		$(DEV_CMAKE) $(SKBUILD_ARGS)
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:verify_asan_link_order=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LD_PRELOAD="$(SAN_PRELOAD)" DICOMCODECS_SANITIZE=1 \
		$(SAN_PY) -m pytest $(TESTS) -q -p no:cacheprovider -m "not nosanitize" $(PYTEST_ARGS)

bench: venv
	$(PY) benchmarks/run.py --data benchmarks/data --markdown benchmarks/RESULTS.md \
		--chart benchmarks/ratios.png

# FUZZ_RUNS=1000000 also runs the campaign (lib/fuzz/campaign.sh, one family at
# a time, nice 19); lib/fuzz/FUZZING.md has the last one's counts.
FUZZ_RUNS ?=
fuzz:
	@bash tools/apt-deps.sh $(FUZZ_PACKAGES)
	bash lib/fuzz/build.sh build/fuzz
	@if [ -n "$(FUZZ_RUNS)" ]; then FUZZ_RUNS=$(FUZZ_RUNS) bash lib/fuzz/campaign.sh build/fuzz rle jpeg turbo j2k jpegls; fi

clean:
	rm -rf build dist *.egg-info

wheel: deps
	bash tools/wheel.sh

# Builds the wheel first when wheelhouse/ has none. Needs root (debootstrap, chroot).
wheel-test:
	@bash tools/apt-deps.sh debootstrap
	@ls wheelhouse/dicomcodecs-*.whl >/dev/null 2>&1 || $(MAKE) wheel
	bash tools/wheel_test.sh

sdist-test: deps
	bash tools/wheel.sh sdist-test
