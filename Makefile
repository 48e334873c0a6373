# The commands users type. CMake does the building; this file only names the
# build trees and the order of things.
#   make          build (build/)
#   make unit     unit tests only, quick
#   make check    install deps, build plain + ASan/UBSan + fuzz + TSan, run every test
#   make demo     two sites in namespaces, an IKEv2 tunnel, traffic through it
#   make bench    benchmarks (then bench-ike)
#   make bench-ike   IKE setups per second and memory per IKE_SA beside charon
#   make bench-reliability   do tunnels stay up? uipsec beside strongSwan
#   make install  PREFIX (default /usr/local) and DESTDIR as usual; /etc/uipsec
#   make deb      the Debian package, into build-deb/
#   make fuzz     every libFuzzer target for FUZZ_SECONDS (default 300 here)

JOBS   ?= $(shell nproc)
BUILD  ?= build
ASAN   ?= build-asan
FUZZ   ?= build-fuzz
TSAN   ?= build-tsan
CTEST  ?= ctest --output-on-failure
FUZZ_SECONDS ?= 10
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps build unit check check-plain check-asan check-fuzz check-root check-tsan demo bench bench-ike bench-ra \
        bench-reliability install uninstall deb check-package clean \
        fuzz fuzz-coverage

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

unit: build
	cd $(BUILD) && $(CTEST) -L unit -j $(JOBS)

check: deps
	$(MAKE) check-plain check-asan check-fuzz check-root check-tsan

check-plain: build
	cd $(BUILD) && $(CTEST) -L 'unit|scapy' -j $(JOBS)

check-asan:
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DUIPSEC_SANITIZE=ON
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(CTEST) -L 'unit|scapy' -j $(JOBS)

check-fuzz:
	CC=clang cmake -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=Debug -DUIPSEC_SANITIZE=ON \
	  -DUIPSEC_FUZZ=ON -DUIPSEC_FUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build $(FUZZ) -j $(JOBS)
	cd $(FUZZ) && $(CTEST) -L fuzz -j $(JOBS)

# A longer fuzzing run than make check's: every target for FUZZ_SECONDS
# (300 unless given), two at a time; new inputs go to build-fuzz/fuzz-work/.
# fuzz-coverage: line and function coverage of each target's files over a
# fixed run (scripts/fuzz_coverage.sh; docs/fuzzing.md has the numbers).
FUZZ_LONG = $(if $(filter command line environment,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),300)
fuzz:
	CC=clang cmake -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=Debug -DUIPSEC_SANITIZE=ON \
	  -DUIPSEC_FUZZ=ON -DUIPSEC_FUZZ_SECONDS=$(FUZZ_LONG)
	cmake --build $(FUZZ) -j $(JOBS)
	cd $(FUZZ) && $(CTEST) -L fuzz -j $(JOBS)

fuzz-coverage:
	scripts/fuzz_coverage.sh

# Tests that send real packets through namespaces and talk to strongSwan,
# and the Debian package's (built, installed in an overlay of /, started,
# removed: about half a minute). They need root; the plain build runs them
# (the sanitizer builds run the same code paths in the unit and scapy tests).
check-root: build
	cd $(BUILD) && $(CTEST) -L 'netns|interop|package'

check-package: build
	cd $(BUILD) && $(CTEST) -L package

# Programs in PREFIX/sbin, the unit in PREFIX/lib/systemd/system (the
# package: /lib/systemd/system), man pages, completion, docs; the
# configuration in /etc/uipsec, never over an existing file. uninstall
# removes what the last install wrote (not /etc/uipsec's files); give it
# the same DESTDIR (the manifest holds paths without it).
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

uninstall:
	@[ -f $(BUILD)/install_manifest.txt ] || { echo "nothing installed from $(BUILD)"; exit 1; }
	sed 's|^|$(DESTDIR)|' $(BUILD)/install_manifest.txt | xargs -d '\n' rm -f --
	rm -f $(BUILD)/install_manifest.txt

# dpkg-buildpackage -us -uc -b on a copy of the tree (scripts/build_deb.sh);
# DEB_BUILD_OPTIONS=nocheck skips the package's own unit-test run.
deb:
	scripts/build_deb.sh $(abspath build-deb)

# The data-path workers (uipsecd --workers N) under ThreadSanitizer: the
# netns tests that run them, with the daemons built with -fsanitize=thread.
# Any report fails the target (reports are kept in $(TSAN)/tsan/).
check-tsan:
	cmake -S . -B $(TSAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
	  -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread
	cmake --build $(TSAN) -j $(JOBS) --target uipsecd uipsec
	rm -rf $(TSAN)/tsan && mkdir -p $(TSAN)/tsan
	export TSAN_OPTIONS=log_path=$(abspath $(TSAN))/tsan/report \
	  UIPSEC_BUILD=$(abspath $(TSAN)) IPERF_SECONDS=2; \
	  tests/netns/test_workers.sh && \
	  GW_ARGS="--workers 2" tests/netns/test_visibility.sh && \
	  tests/netns/test_ike_uipsec_workers.sh
	@if ls $(TSAN)/tsan/report* >/dev/null 2>&1; then \
	  cat $(TSAN)/tsan/report*; echo "ThreadSanitizer reported races"; exit 1; fi

# scripts/demo.sh installs what is missing, then builds: no build prerequisite.
# KEEP=1 leaves the namespaces up; DEMO_PAUSE=0 does not wait for Enter.
demo:
	@UIPSEC_BUILD=$(abspath $(BUILD)) scripts/demo.sh

# make bench: scripts/bench.sh, which ends with bench-ike's run and table
# (IKE setups/s and memory per IKE_SA beside charon, docs/performance.md
# "IKE as a load"); BENCH_IKE=0 skips it.
bench: build
	@BUILD=$(abspath $(BUILD)) scripts/bench.sh

# IKE as a load alone: ROUNDS, BENCH_IKE_N, WINDOW, PEERS, BENCH_IKE_QUICK=1.
bench-ike: build
	@BUILD=$(abspath $(BUILD)) scripts/bench_ike.sh

# Rekeys, restarts, loss, a flood, memory, reordering (docs/reliability.md);
# REL_QUICK=1 for a quick pass, REL_SCENARIOS="rekey restart ..." to choose.
bench-reliability: build
	@BUILD=$(abspath $(BUILD)) scripts/bench_reliability.sh

# 50 road warriors at once on one gateway, memory per client
# (docs/remote-access.md); RA_CLIENTS=N for another number. Root.
bench-ra: build
	@RA_CLIENTS=$${RA_CLIENTS:-50} UIPSEC_BUILD=$(abspath $(BUILD)) tests/netns/test_ike_ra_many.sh

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ) $(TSAN) build-deb build-cov
