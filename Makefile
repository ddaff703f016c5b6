# etltrace - see README.md.
#
#   make            build build/etltrace, libetlprobe, the man page and the demo
#   make demo       install missing packages, build, trace the demo, print the report
#   make test       install missing packages, build, run unit, browser and integration tests
#   make browser    the HTML page in headless Chromium (tests/html/run.py)
#   make flamegraph the demo's flame graph (FOLDED=file: any folded stacks)
#   make pictures   the README's pictures, docs/images/*.png
#   make bench      install missing packages, build, measure the cost of tracing (C, then
#                   libetlprobe: make bench-lib, Python: make bench-python,
#                   PostgreSQL: make bench-postgres)
#   make bench-attach  what attaching costs per probe site (BENCH_KERNEL=6.1: in qemu)
#   make soak       etltrace -b -i 10 --metrics for SOAK_SECONDS (default 600) under SOAK_RATE
#                   operations/s (default 100000), a new thread every 10 ms and
#                   a new process every second: its RSS and fds over time, and
#                   records lost (root; not part of make test)
#   make install    install under $(DESTDIR)$(PREFIX) (default /usr/local); make uninstall
#   make test-kernels  the integration suites on every kernel of KERNELS (others under qemu)
#   make vmlinux    regenerate vmlinux/vmlinux.h from the running kernel's BTF
#   V=1             show full commands

OUT       := build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
ARCH      := x86

# Packages the build, demo and tests need (Debian 12). python3: the Python
# package's tests and demo, the man page generator; python3-venv: the
# `pip install` test; man-db and groff-base: the man page checks.
DEB_PKGS  := clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config \
             systemtap-sdt-dev libcmocka-dev libjson-c-dev libmicrohttpd-dev \
             python3 python3-venv man-db groff-base
BENCH_PKGS := bpftrace python3-psutil postgresql-15
# The HTML report's test loads pages in a real headless browser; the
# terminal test runs etltrace in tmux; the PostgreSQL test runs its own cluster;
# the Prometheus test its own server (prometheus ships promtool, which checks
# contrib/'s rules).
TEST_PKGS := chromium tmux postgresql-15 prometheus
# Flame graphs and pictures: speedscope (npm, with Debian's npm when there is
# none) drawn in Chromium, emoji for its toolbar, pngquant for small files.
PICTURE_PKGS := chromium fonts-noto-color-emoji pngquant $(if $(shell command -v npm),,npm)
# make test-kernels: qemu, the guest's initramfs tools, mke2fs for its scratch disk.
KERNEL_PKGS := qemu-system-x86 busybox-static cpio kmod e2fsprogs

CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -MMD -MP \
              -I$(OUT) -Ibpf -Iuser -Iinclude
LDLIBS    := -lbpf -lelf -lz -ljson-c -pthread
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) $(WARN) \
              -Wno-unused-function -Wno-unused-parameter -Ivmlinux -Ibpf -I/usr/include/x86_64-linux-gnu

ifeq ($(V),1)
  Q   :=
  msg :=
else
  Q   := @
  msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps demo test unit browser integration bench bench-attach soak bench-lib bench-python bench-postgres vmlinux clean \
        install uninstall python-test install-test man-test contrib-test test-kernels flamegraph pictures FORCE

# Install directories (make install); DESTDIR is prepended to each.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# The interpreter the Python package is installed for (Debian's by default)
# and its directory for PREFIX (tools/python_sitedir.py says which).
PYTHON     ?= /usr/bin/python3
PYTHON_SITEDIR ?= $(shell $(PYTHON) tools/python_sitedir.py $(PREFIX))
# Interpreters the Python tests run under: Debian's and the python3 first on
# PATH (once if they are the same).
TEST_PYTHONS ?= /usr/bin/python3 $(shell command -v python3)

USER_SRCS  := $(wildcard user/*.c user/*/*.c)
# The HTML report's template, embedded by html_page.S (.incbin of the files
# under user/report/html/, in the order that file gives).
HTML_PARTS := $(wildcard user/report/html/*.html user/report/html/*.css user/report/html/*.js)
USER_OBJS  := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS)) $(OUT)/user/report/html_page.o
LIB_OBJS   := $(filter-out $(OUT)/user/main.o,$(USER_OBJS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUT)/tests/unit/%,$(UNIT_SRCS))
PROG_SRCS  := $(wildcard tests/progs/*.c)
PROG_BINS  := $(patsubst tests/progs/%.c,$(OUT)/tests/progs/%,$(PROG_SRCS))
PROG_LIBS  := $(patsubst tests/progs/lib/%.c,$(OUT)/tests/progs/lib%.so,$(wildcard tests/progs/lib/*.c))
INTEG_SRCS := $(wildcard tests/integration/test_*.c)
INTEG_BINS := $(patsubst tests/integration/%.c,$(OUT)/tests/integration/%,$(INTEG_SRCS))
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLE_BINS := $(patsubst examples/%.c,$(OUT)/examples/%,$(EXAMPLE_SRCS))

# libetlprobe: the probes behind a C ABI, for FFIs (lib/, include/etlprobe.h).
LIBETLPROBE_VERSION := 1.0.0
LIBETLPROBE_SONAME  := libetlprobe.so.1
LIBETLPROBE     := $(OUT)/lib/libetlprobe.so.$(LIBETLPROBE_VERSION)
LIBETLPROBE_ALL := $(LIBETLPROBE) $(OUT)/lib/$(LIBETLPROBE_SONAME) $(OUT)/lib/libetlprobe.so \
                   $(OUT)/lib/libetlprobe.pc

all: $(OUT)/etltrace $(EXAMPLE_BINS) $(LIBETLPROBE_ALL) $(OUT)/etltrace.8

# --- packages ---------------------------------------------------------------
# Installs what is missing (needs root); says what to do otherwise.
$(OUT)/.deps-%: Makefile
	$(Q)mkdir -p $(OUT)
	$(Q)missing=""; for p in $(DEB_PKGS) $(if $(filter bench,$*),$(BENCH_PKGS)) \
			$(if $(filter test,$*),$(TEST_PKGS)) $(if $(filter kernels,$*),$(KERNEL_PKGS)) \
			$(if $(filter pictures,$*),$(PICTURE_PKGS)) $(if $(filter sanitize,$*),$(SANITIZE_PKGS)) \
			$(if $(filter fuzz,$*),$(FUZZ_PKGS)); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" -ne 0 ]; then \
			echo "etltrace: missing Debian packages:$$missing; run this command as root (sudo make $(MAKECMDGOALS))" >&2; exit 1; \
		fi; \
		echo "  APT      $$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || \
			{ echo "etltrace: apt-get install$$missing failed" >&2; exit 1; }; \
	fi
	$(Q)touch $@

deps: $(OUT)/.deps-build

# --- BPF object and skeleton -------------------------------------------------
$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(OUT)/.deps-build
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MT $@ -MF $(@:.o=.d) -c $< -o $(@:.o=.tmp.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

# --- user space -------------------------------------------------------------
$(OUT)/user/%.o: user/%.c $(OUT)/etltrace.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUT)/user/report/html_page.o: user/report/html_page.S $(HTML_PARTS)
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -c -Wa,-Iuser/report/html $< -o $@

$(OUT)/etltrace: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -lmicrohttpd -lm -o $@

# Marked programs: examples and integration-test targets.
$(OUT)/examples/% $(OUT)/tests/progs/%: CFLAGS_PROG = -O2 -g -pthread
$(OUT)/examples/%: examples/%.c $(OUT)/.deps-build
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 $(WARN) $(CFLAGS_PROG) -MMD -MP -Iinclude $< -lm -o $@

$(OUT)/tests/progs/%: tests/progs/%.c $(OUT)/.deps-build
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 $(WARN) $(CFLAGS_PROG) -MMD -MP -Iinclude $< -lm -ldl -o $@

# Twins of one marked program whose literal names share their addresses
# but not their text (no PIE: the same address in every run), and a static
# build of the first, to run alone in a bare root directory.
TWIN_BINS := $(OUT)/tests/progs/twin_a $(OUT)/tests/progs/twin_b $(OUT)/tests/progs/twin_static
$(OUT)/tests/progs/twin_a: TWIN_FLAGS = -DTWIN='"alpha"' -no-pie -fno-pie
$(OUT)/tests/progs/twin_b: TWIN_FLAGS = -DTWIN='"bravo"' -no-pie -fno-pie
$(OUT)/tests/progs/twin_static: TWIN_FLAGS = -DTWIN='"alpha"' -static
$(TWIN_BINS): tests/progs/twin.c $(OUT)/.deps-build
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 $(WARN) -O2 -g $(TWIN_FLAGS) -MMD -MP -Iinclude $< -o $@

# Marked shared libraries the test programs dlopen.
$(OUT)/tests/progs/lib%.so: tests/progs/lib/%.c $(OUT)/.deps-build
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 $(WARN) -O2 -g -fPIC -shared -MMD -MP -Iinclude $< -o $@

# --- libetlprobe -----------------------------------------------------------
# Only the version script's symbols are exported (ETLPROBE_1); -z defs: no
# undefined symbol left for the loader to find.
$(OUT)/lib/etlprobe.o: lib/etlprobe.c $(OUT)/.deps-build
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -Iinclude -c $< -o $@

$(LIBETLPROBE): $(OUT)/lib/etlprobe.o lib/etlprobe.map
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -shared -Wl,-soname,$(LIBETLPROBE_SONAME) \
		-Wl,--version-script=lib/etlprobe.map -Wl,-z,defs -Wl,-z,relro -Wl,-z,now $< -o $@

$(OUT)/lib/$(LIBETLPROBE_SONAME): $(LIBETLPROBE)
	$(Q)ln -sfn $(notdir $<) $@

$(OUT)/lib/libetlprobe.so: $(OUT)/lib/$(LIBETLPROBE_SONAME)
	$(Q)ln -sfn $(LIBETLPROBE_SONAME) $@

# The pkg-config file names the install directories: rewritten only when
# they change, so that a new PREFIX is never installed with an old file.
$(OUT)/lib/libetlprobe.pc: lib/libetlprobe.pc.in FORCE
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(LIBETLPROBE_VERSION)|' $< > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; echo "  GEN      $@"; fi

FORCE:

# --- man page ---------------------------------------------------------------
# Generated from `etltrace --help`, so that it lists every option there is.
MAN_DATE = $(shell git log -1 --format=%cs 2>/dev/null || date +%F)

$(OUT)/etltrace.8: $(OUT)/etltrace tools/mkman.py man/etltrace.8.tail
	$(call msg,MAN,$@)
	$(Q)$(PYTHON) tools/mkman.py --program $(OUT)/etltrace --date "$(MAN_DATE)" \
		--summary "trace the marked operations of ETL programs with BPF" \
		--tail man/etltrace.8.tail > $@

# --- install ----------------------------------------------------------------
# etltrace goes to bin, not sbin: `etltrace compare` needs no privileges and
# Debian's PATH for users has no sbin (tracing itself needs root: sudo finds
# bin too). The library in $(LIBDIR) (in ld.so's path for /usr/local and
# /usr), its .pc in $(LIBDIR)/pkgconfig (in pkg-config's default path for
# those prefixes), the Python package in $(PYTHON_SITEDIR).
INSTALLED_PY := $(notdir $(wildcard python/etltrace/*.py))

# Refuses an empty PYTHON_SITEDIR (no usable $(PYTHON)): files would land in
# $(DESTDIR)/etltrace, and uninstall would remove that.
check-sitedir = $(Q)if [ -z "$(PYTHON_SITEDIR)" ]; then \
	echo "etltrace: $(PYTHON) cannot say where Python packages go for $(PREFIX); set PYTHON or PYTHON_SITEDIR" >&2; \
	exit 1; fi

install: all
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(check-sitedir)
	$(Q)install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(PYTHON_SITEDIR)/etltrace
	$(Q)install -m 0755 $(OUT)/etltrace $(DESTDIR)$(BINDIR)/etltrace
	$(Q)install -m 0644 include/etl_probe.h include/etlprobe.h $(DESTDIR)$(INCLUDEDIR)/
	$(Q)install -m 0644 $(LIBETLPROBE) $(DESTDIR)$(LIBDIR)/
	$(Q)ln -sfn $(notdir $(LIBETLPROBE)) $(DESTDIR)$(LIBDIR)/$(LIBETLPROBE_SONAME)
	$(Q)ln -sfn $(LIBETLPROBE_SONAME) $(DESTDIR)$(LIBDIR)/libetlprobe.so
	$(Q)install -m 0644 $(OUT)/lib/libetlprobe.pc $(DESTDIR)$(PKGCONFIGDIR)/
	$(Q)install -m 0644 $(OUT)/etltrace.8 $(DESTDIR)$(MANDIR)/man8/
	$(Q)install -m 0644 $(addprefix python/etltrace/,$(INSTALLED_PY)) \
		$(DESTDIR)$(PYTHON_SITEDIR)/etltrace/
	$(Q)if [ -z "$(DESTDIR)" ]; then ldconfig; fi

uninstall:
	$(call msg,UNINST,$(DESTDIR)$(PREFIX))
	$(check-sitedir)
	$(Q)rm -f $(DESTDIR)$(BINDIR)/etltrace $(DESTDIR)$(INCLUDEDIR)/etl_probe.h \
		$(DESTDIR)$(INCLUDEDIR)/etlprobe.h $(DESTDIR)$(LIBDIR)/libetlprobe.so \
		$(DESTDIR)$(LIBDIR)/$(LIBETLPROBE_SONAME) $(DESTDIR)$(LIBDIR)/$(notdir $(LIBETLPROBE)) \
		$(DESTDIR)$(PKGCONFIGDIR)/libetlprobe.pc $(DESTDIR)$(MANDIR)/man8/etltrace.8
	$(Q)rm -rf $(DESTDIR)$(PYTHON_SITEDIR)/etltrace
	$(Q)if [ -z "$(DESTDIR)" ]; then ldconfig; fi

# --- tests ------------------------------------------------------------------
$(OUT)/tests/unit/%: tests/unit/%.c tests/unit/helpers.c tests/unit/helpers.h $(LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(filter %.c %.o,$^) $(LDLIBS) -lmicrohttpd -lcmocka -lm -o $@

$(OUT)/tests/integration/%: tests/integration/%.c tests/integration/harness.c tests/integration/harness.h $(OUT)/.deps-build
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/integration $< tests/integration/harness.c -lbpf -ljson-c -lcmocka -lm -o $@

# The HTML report in headless Chromium: pages written from tests/html/fixtures
# by mkpage (html_write), loaded and checked over the DevTools protocol.
$(OUT)/tests/html/mkpage: tests/html/mkpage.c $(OUT)/user/report/html.o $(OUT)/user/report/html_page.o
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@

# It also traces the demo (root) and checks the page etltrace writes.
browser: $(OUT)/.deps-test $(OUT)/tests/html/mkpage $(OUT)/etltrace $(OUT)/examples/etl_demo
	$(Q)python3 tests/html/run.py --build $(OUT) --etltrace $(OUT)/etltrace --demo $(OUT)/examples/etl_demo

# The library test loads libetlprobe at run time, as an FFI does.
$(OUT)/tests/unit/test_etlprobe: | $(OUT)/lib/$(LIBETLPROBE_SONAME)

unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# Every suite runs, also after one failed; the target fails if any did.
INTEG_DEPS := $(OUT)/etltrace $(PROG_BINS) $(TWIN_BINS) $(PROG_LIBS) $(EXAMPLE_BINS) $(INTEG_BINS) \
              $(OUT)/lib/$(LIBETLPROBE_SONAME)
integration: $(INTEG_DEPS)
	$(Q)failed=""; for t in $(INTEG_BINS); do echo "== $$t"; \
		ETLTRACE_BUILD=$(OUT) $$t || failed="$$failed $${t##*/}"; done; \
	echo "== tests/sh/test_terminal.sh"; tests/sh/test_terminal.sh $(OUT) || failed="$$failed test_terminal"; \
	if [ -n "$$failed" ]; then echo "integration: failed:$$failed" >&2; exit 1; fi

# The Python package's unit tests under each interpreter, and `pip install`
# of it into a fresh venv of each (offline: the backend is in the tree).
python-test: $(OUT)/lib/$(LIBETLPROBE_SONAME)
	$(Q)set -e; for py in $$(for p in $(TEST_PYTHONS); do $$p -c 'import sys; print(sys.executable)'; \
		done | awk '!seen[$$0]++'); do \
		echo "== python unit tests: $$py ($$($$py -V))"; \
		ETLTRACE_LIBETLPROBE=$(CURDIR)/$(OUT)/lib/$(LIBETLPROBE_SONAME) PYTHONDONTWRITEBYTECODE=1 \
			$$py -m unittest discover -s python/tests -t python; \
		PYTHON=$$py tests/sh/test_pip_install.sh; \
	done

# make install into a temporary DESTDIR, use what it installed, uninstall.
install-test: all
	$(Q)PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) INCLUDEDIR=$(INCLUDEDIR) PKGCONFIGDIR=$(PKGCONFIGDIR) \
		BINDIR=$(BINDIR) MANDIR=$(MANDIR) PYTHON=$(PYTHON) PYTHON_SITEDIR=$(PYTHON_SITEDIR) \
		MAKE="$(MAKE)" tests/sh/test_install.sh

# contrib/ as the tools that load it see it: promtool (configuration, rules and
# their unit tests), the dashboard's JSON, systemd-analyze verify on the unit.
contrib-test: $(OUT)/etltrace
	$(Q)tests/sh/test_contrib.sh $(OUT)/etltrace

man-test: $(OUT)/etltrace.8
	$(Q)tests/sh/test_man.sh $(OUT)/etltrace $(OUT)/etltrace.8

test: $(OUT)/.deps-build $(OUT)/.deps-test
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory browser
	$(Q)$(MAKE) --no-print-directory python-test
	$(Q)$(MAKE) --no-print-directory man-test
	$(Q)$(MAKE) --no-print-directory install-test
	$(Q)$(MAKE) --no-print-directory contrib-test
	$(Q)$(MAKE) --no-print-directory integration

# --- demo -------------------------------------------------------------------
demo: $(OUT)/.deps-build
	$(Q)$(MAKE) --no-print-directory all
	$(OUT)/etltrace -- $(OUT)/examples/etl_demo
	@echo "etltrace: more views of the same run: --tree (the operation tree), --html report.html (a page)," \
	      "--timeline trace.json (Perfetto), --format folded (flame-graph stacks; make flamegraph draws one)" >&2

# --- flame graphs and pictures ----------------------------------------------
# speedscope, pinned by tools/flamegraph/package-lock.json, installed under
# build/ (npm ci: exactly the locked versions, no install scripts).
FLAMEGRAPH_NPM := $(OUT)/flamegraph
SPEEDSCOPE     := $(FLAMEGRAPH_NPM)/node_modules/speedscope
PICTURES       := docs/images
# The demo as the pictures show it: the default run, rows written nowhere.
PICTURE_DEMO   := $(OUT)/examples/etl_demo --output /dev/null

$(SPEEDSCOPE)/package.json: tools/flamegraph/package.json tools/flamegraph/package-lock.json | $(OUT)/.deps-pictures
	$(call msg,NPM,$(FLAMEGRAPH_NPM))
	$(Q)mkdir -p $(FLAMEGRAPH_NPM)
	$(Q)cp tools/flamegraph/package.json tools/flamegraph/package-lock.json $(FLAMEGRAPH_NPM)/
	$(Q)cd $(FLAMEGRAPH_NPM) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null || \
		{ echo "etltrace: npm ci in $(FLAMEGRAPH_NPM) failed (is the npm registry reachable?)" >&2; exit 1; }
	$(Q)touch $@

# make flamegraph: traces the demo (root) into build/demo.folded and draws
# build/flamegraph.png; FOLDED=FILE draws FILE instead, WEIGHT=cpu|memory|count
# if it was written with that --folded-weight.
WEIGHT ?= time
flamegraph: $(OUT)/.deps-pictures $(SPEEDSCOPE)/package.json
	$(Q)$(MAKE) --no-print-directory all
	$(Q)if [ -z "$(FOLDED)" ]; then $(OUT)/etltrace --format folded -o $(OUT)/demo.folded -- $(PICTURE_DEMO); fi
	$(Q)python3 tools/flamegraph.py --speedscope $(SPEEDSCOPE) --weight $(WEIGHT) \
		--title "$(if $(FOLDED),$(notdir $(FOLDED)),etl_demo): $(WEIGHT)" \
		$(or $(FOLDED),$(OUT)/demo.folded) $(OUT)/flamegraph.png
	@echo "etltrace: flame graph in $(OUT)/flamegraph.png" >&2

# make pictures: the README's pictures, from one traced run of the demo:
# the HTML page's top and the flame graph, made small by pngquant.
pictures: $(OUT)/.deps-pictures $(SPEEDSCOPE)/package.json
	$(Q)$(MAKE) --no-print-directory all
	$(Q)mkdir -p $(OUT)/pictures $(PICTURES)
	$(OUT)/etltrace --format folded -o $(OUT)/pictures/demo.folded --html $(OUT)/pictures/demo.html -- $(PICTURE_DEMO)
	$(Q)python3 tools/screenshot.py $(OUT)/pictures/demo.html $(OUT)/pictures/html-report.png
	$(Q)python3 tools/flamegraph.py --speedscope $(SPEEDSCOPE) --title "etl_demo: self time" \
		$(OUT)/pictures/demo.folded $(OUT)/pictures/flamegraph.png
	$(Q)for p in html-report flamegraph; do \
		pngquant --force --strip --quality=70-95 --output $(PICTURES)/$$p.png $(OUT)/pictures/$$p.png || exit 1; \
		echo "  PNG      $(PICTURES)/$$p.png ($$(stat -c %s $(PICTURES)/$$p.png) bytes)"; done

# --- bench ------------------------------------------------------------------
# bench/: the marked bench program (built twice: with markers and with
# -DBENCH_NO_MARKERS), the floor (empty BPF programs + loader), the driver.
BENCH_OUT   := $(OUT)/bench
BENCH_BINS  := $(BENCH_OUT)/bench $(BENCH_OUT)/bench-nomarkers $(BENCH_OUT)/floor \
               $(BENCH_OUT)/run $(BENCH_OUT)/peer.bt
BENCH_FLAGS := -std=gnu11 $(WARN) -O2 -g -D_GNU_SOURCE -MMD -MP

$(BENCH_OUT)/%.bpf.o: bench/%.bpf.c $(OUT)/.deps-bench
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MT $@ -MF $(@:.o=.d) -c $< -o $(@:.o=.tmp.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)

$(BENCH_OUT)/%.skel.h: $(BENCH_OUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(BENCH_OUT)/bench: bench/bench.c $(OUT)/.deps-bench
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_FLAGS) -pthread -Iinclude $< -o $@

$(BENCH_OUT)/bench-nomarkers: bench/bench.c $(OUT)/.deps-bench
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_FLAGS) -pthread -DBENCH_NO_MARKERS $< -o $@

# The same loop through libetlprobe's calls (bench/lib_cost.py, not the driver).
$(BENCH_OUT)/bench-lib: bench/bench.c $(OUT)/lib/$(LIBETLPROBE_SONAME) $(OUT)/.deps-bench
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_FLAGS) -pthread -Iinclude -DBENCH_LIBETLPROBE $< -o $@ \
		-L$(OUT)/lib -letlprobe -Wl,-rpath,'$$ORIGIN/../lib'

# The floor reads sites and links uprobe_multi with etltrace's own code.
FLOOR_SRCS := bench/floor.c user/usdt/notes.c user/usdt/args.c user/kernel/links.c user/kernel/uprobe_events.c
$(BENCH_OUT)/floor: $(FLOOR_SRCS) $(BENCH_OUT)/floor.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_FLAGS) -I$(BENCH_OUT) -Ibpf -Iuser $(FLOOR_SRCS) -lbpf -lelf -lz -o $@

$(BENCH_OUT)/run: bench/run.c bench/proc.c bench/progstats.c bench/proc.h bench/progstats.h \
                  $(OUT)/.deps-bench
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_FLAGS) -pthread -Ibench $(filter %.c,$^) -lbpf -lelf -lz -ljson-c -o $@

$(BENCH_OUT)/peer.bt: bench/peer.bt
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@

# What attaching costs per probe site (bench/attach.c): the attach mechanisms
# alone and etltrace -p whole, on the demo (26 sites) and on bench/sites (200);
# BENCH_KERNEL=6.1 measures in the qemu guest of make test-kernels instead.
ATTACH_SRCS := bench/attach.c user/usdt/notes.c user/usdt/args.c user/kernel/links.c user/kernel/uprobe_events.c
BENCH_KERNEL ?= host
# The demo runs one small round, then sleeps (an hour) while it is measured.
ATTACH_RUNS := $(BENCH_OUT)/attach $(OUT)/etltrace -- $(OUT)/examples/etl_demo --records 1000 \
               --rounds 2 --pause-ms 3600000 && echo && $(BENCH_OUT)/attach $(OUT)/etltrace -- \
               $(BENCH_OUT)/sites

$(BENCH_OUT)/attach: $(ATTACH_SRCS) $(BENCH_OUT)/floor.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_FLAGS) -I$(BENCH_OUT) -Ibpf -Iuser $(ATTACH_SRCS) -lbpf -lelf -lz -pthread -o $@

$(BENCH_OUT)/sites: bench/sites.c $(OUT)/.deps-bench
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_FLAGS) -Iinclude $< -o $@

bench-attach: $(OUT)/.deps-bench $(if $(filter-out host,$(BENCH_KERNEL)),$(OUT)/.deps-kernels)
	$(Q)$(MAKE) --no-print-directory $(OUT)/etltrace $(OUT)/examples/etl_demo \
		$(BENCH_OUT)/attach $(BENCH_OUT)/sites
	$(Q)$(if $(filter-out host,$(BENCH_KERNEL)),tests/kernels/run-in-kernel --kernel $(BENCH_KERNEL) --) \
		sh -c '$(ATTACH_RUNS)'

# The soak (bench/soak.c): etltrace -b -i 10 --metrics on tests/progs/workers,
# scraped every second, a new process of it every second, each running
# `workers churn 1 SOAK_RATE`.
SOAK_SECONDS ?= 600
SOAK_RATE    ?= 100000

$(BENCH_OUT)/soak: bench/soak.c bench/proc.c bench/proc.h $(OUT)/.deps-bench
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_FLAGS) -Ibench $(filter %.c,$^) -ljson-c -o $@

soak: $(OUT)/.deps-bench
	$(Q)$(MAKE) --no-print-directory $(OUT)/etltrace $(OUT)/tests/progs/workers $(BENCH_OUT)/soak
	$(Q)$(BENCH_OUT)/soak --seconds $(SOAK_SECONDS) --rate $(SOAK_RATE) \
		$(OUT)/etltrace $(OUT)/tests/progs/workers

# One run, printing the machine, the tables and PASS/MISS per target
# (BENCH_ARGS=--quick for a short smoke run).
bench: $(OUT)/.deps-bench
	$(Q)$(MAKE) --no-print-directory $(OUT)/etltrace $(OUT)/examples/etl_demo $(BENCH_BINS)
	$(Q)$(BENCH_OUT)/run --build $(OUT) \
		--revision "$$(git describe --always --dirty 2>/dev/null || echo unknown)" $(BENCH_ARGS)
	$(Q)$(MAKE) --no-print-directory bench-lib bench-python bench-postgres

# A start/end pair through libetlprobe's calls vs the header's macros,
# untraced and under etltrace -p (root).
bench-lib: $(OUT)/.deps-bench
	$(Q)$(MAKE) --no-print-directory $(OUT)/etltrace $(BENCH_OUT)/bench $(BENCH_OUT)/bench-lib
	$(Q)$(PYTHON) bench/lib_cost.py

# The Python markers' cost per interpreter, with no tracer and (as root)
# under etltrace -p. Exit 1 is a MISS of the untraced target: reported, not
# a failure of the bench; 2 (a measurement could not be made) is.
bench-python: $(OUT)/.deps-bench
	$(Q)$(MAKE) --no-print-directory $(OUT)/lib/$(LIBETLPROBE_SONAME) $(OUT)/etltrace
	$(Q)$(PYTHON) bench/python_cost.py || [ $$? -eq 1 ]

# What tracing PostgreSQL's query probes costs pgbench -S (root: its own
# cluster, run as postgres, stopped at the end).
bench-postgres: $(OUT)/.deps-bench
	$(Q)$(MAKE) --no-print-directory $(OUT)/etltrace
	$(Q)$(PYTHON) bench/postgres_cost.py

-include $(wildcard $(BENCH_OUT)/*.d)

# --- other kernels ----------------------------------------------------------
# KERNEL_TEST runs on each kernel of KERNELS: "host" is the running kernel (the
# command runs directly), others (6.1: Debian 12's newest 6.1 package, or a release
# such as 6.1.0-50-amd64) boot under qemu with tests/kernels/run-in-kernel, where the
# command gets ETLTRACE_TIMING=loose: code runs 10-30x slower there (qemu's TCG), so
# the suites widen how much longer than its ground truth a duration may come out,
# and check everything else exactly. By default KERNEL_TEST is bpf_smoke and every
# integration suite (KERNEL_SUITES): about 11 minutes in the 6.1 guest (one vCPU),
# under 1 on the host. A guest whose kernel reports a stall (run-in-kernel exit 123)
# runs once more.
KERNELS       ?= host 6.1
KERNEL_SUITES ?= $(notdir $(INTEG_BINS))
KERNEL_TEST   ?= tests/kernels/suites $(OUT) $(KERNEL_SUITES)
KERNEL_BINS   := $(OUT)/tests/kernels/bpf_smoke $(INTEG_DEPS)

$(OUT)/tests/kernels/%.bpf.o: tests/kernels/%.bpf.c $(OUT)/.deps-build
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MT $@ -MF $(@:.o=.d) -c $< -o $(@:.o=.tmp.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)

$(OUT)/tests/kernels/%.skel.h: $(OUT)/tests/kernels/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUT)/tests/kernels/bpf_smoke: tests/kernels/bpf_smoke.c $(OUT)/tests/kernels/bpf_smoke.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) -std=gnu11 $(WARN) $(CFLAGS) -MMD -MP -I$(OUT)/tests/kernels $< -lbpf -lelf -lz -o $@

test-kernels: $(OUT)/.deps-build $(OUT)/.deps-kernels
	$(Q)$(MAKE) --no-print-directory $(KERNEL_BINS)
	$(Q)failed=""; for k in $(KERNELS); do \
		echo "== kernel $$k"; \
		if [ "$$k" = host ]; then $(KERNEL_TEST); \
		else tests/kernels/run-in-kernel --kernel "$$k" -- env ETLTRACE_TIMING=loose $(KERNEL_TEST); \
			rc=$$?; if [ $$rc -eq 123 ]; then \
				echo "== kernel $$k: its guest kernel stalled (not a test failure): once more"; \
				tests/kernels/run-in-kernel --kernel "$$k" -- env ETLTRACE_TIMING=loose $(KERNEL_TEST); \
				rc=$$?; fi; [ $$rc -eq 0 ]; \
		fi || failed="$$failed $$k"; \
	done; \
	[ -z "$$failed" ] || { echo "etltrace: test-kernels failed on:$$failed" >&2; exit 1; }

# --- vmlinux.h --------------------------------------------------------------
vmlinux: $(OUT)/.deps-build
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h.tmp
	mv vmlinux/vmlinux.h.tmp vmlinux/vmlinux.h

# === Robustness: sanitizers and fuzzing ====================================
# Neither target is part of `make test`; both build into directories of their
# own under $(OUT), so nothing they build is ever linked into the normal build.
#
#   make test-sanitize  etltrace, the unit tests and the integration tests built
#                       with ASan + UBSan (LeakSanitizer on) into $(OUT)/san, and
#                       both suites run with them (BPF: run it alone, as `make test`)
#   make fuzz           the libFuzzer targets of tests/fuzz/ built with clang into
#                       $(OUT)/fuzz, each run FUZZ_SECONDS (default 20); fails on
#                       any crash, leak, sanitizer report or broken invariant
.PHONY: test-sanitize sanitize-build sanitize-unit fuzz fuzz-build

# gcc's runtimes (the compiler of `make test`, so that the test programs and
# the examples, which are not sanitized, are the very same); clang's for
# libFuzzer.
SANITIZE_PKGS := libasan8 libubsan1
FUZZ_PKGS     := clang libclang-rt-14-dev

# float-cast-overflow: a double out of range cast to an integer (counts and
# thresholds read from files) is undefined, and gcc's -fsanitize=undefined
# leaves it out.
SAN_FLAGS  := -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
SAN_OUT    := $(OUT)/san
SAN_SUPP   := $(CURDIR)/tests/sanitize/lsan.supp
# Reports go to files under $(SAN_OUT)/logs, checked at the end, so that one
# from a process whose exit status no test looks at (a forked child, a tracer
# stopped by a signal) still fails the run; exit status 86 is none of
# etltrace's own (a leak would otherwise exit 1, "runtime failure").
SAN_LOGS   := $(abspath $(SAN_OUT))/logs
SAN_ENV    := ASAN_OPTIONS=detect_leaks=1:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1:log_path=$(SAN_LOGS)/asan \
              UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86:log_path=$(SAN_LOGS)/ubsan \
              LSAN_OPTIONS=suppressions=$(SAN_SUPP):print_suppressions=0 \
              ETLTRACE_BUILD=$(SAN_OUT) ETLTRACE_SANITIZED=1
SAN_MAKE   := $(MAKE) --no-print-directory OUT=$(SAN_OUT) SANITIZE=1 CFLAGS="-O1 -g $(SAN_FLAGS)"

# test_memory_bound replaces malloc to count every byte and checks RSS: ASan's
# allocator and shadow memory are what it would measure. It runs in `make test`.
SAN_UNIT_BINS := $(filter-out %/test_memory_bound,$(UNIT_BINS))

ifeq ($(SANITIZE),1)
# libetlprobe is loaded by programs that are not sanitized (Python, the test
# programs): it keeps the normal flags.
$(OUT)/lib/etlprobe.o $(LIBETLPROBE): override CFLAGS := -O2 -g
endif

test-sanitize: $(OUT)/.deps-build $(OUT)/.deps-sanitize
	$(Q)$(SAN_MAKE) sanitize-build
	$(Q)rm -rf $(SAN_LOGS) && mkdir -p $(SAN_LOGS)
	$(Q)status=0; \
	$(SAN_ENV) $(SAN_MAKE) sanitize-unit || status=1; \
	$(SAN_ENV) $(SAN_MAKE) integration || status=1; \
	if [ -n "$$(ls -A $(SAN_LOGS))" ]; then \
		for f in $(SAN_LOGS)/*; do echo "== $$f"; cat "$$f"; done; \
		echo "test-sanitize: sanitizer reports above" >&2; status=1; \
	fi; \
	exit $$status

# (Run by test-sanitize with OUT=$(SAN_OUT): these use that OUT.)
sanitize-build: $(OUT)/etltrace $(SAN_UNIT_BINS) $(PROG_BINS) $(PROG_LIBS) $(EXAMPLE_BINS) \
                $(INTEG_BINS) $(OUT)/lib/$(LIBETLPROBE_SONAME)

# Every suite runs, also after one failed.
sanitize-unit: $(SAN_UNIT_BINS)
	$(Q)failed=""; for t in $(SAN_UNIT_BINS); do echo "== $$t"; $$t || failed="$$failed $${t##*/}"; done; \
	if [ -n "$$failed" ]; then echo "sanitize-unit: failed:$$failed" >&2; exit 1; fi

# --- fuzzing ----------------------------------------------------------------
# Each target of tests/fuzz/fuzz_NAME.c feeds its input to one parser or
# decoder of untrusted data and checks what it can of the result; seeds in
# tests/fuzz/corpus/NAME/ (read only; what a run finds goes to
# $(OUT)/fuzz/corpus/NAME/), a dictionary in tests/fuzz/NAME.dict if any.
# FUZZ_TARGETS picks some, FUZZ_ARGS adds libFuzzer flags (-jobs=2 ...).
FUZZ_TARGETS ?= config baseline names usdt_args elf_notes intake report html
FUZZ_SECONDS ?= 20
FUZZ_ARGS    ?=
FUZZ_OUT     := $(OUT)/fuzz
FUZZ_CC      := $(CLANG)
FUZZ_SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=gnu11 $(WARN) -O1 -g -D_GNU_SOURCE -MMD -MP -Ibpf -Iuser -Iinclude $(FUZZ_SAN)
# The code under test (everything a target reaches), with coverage.
FUZZ_SRCS    := util/names util/jsonfile cli/config report/comparison report/comparison_print \
                report/jsonfmt report/json report/text report/report report/rules report/oplog \
                report/html usdt/args usdt/notes collect/intake collect/stats collect/histogram \
                target/procs target/process target/object usdt/pairs collect/paths \
                util/netaddr util/jsonkeys output/outfile output/safepath
FUZZ_OBJS    := $(patsubst %,$(FUZZ_OUT)/user/%.o,$(FUZZ_SRCS)) $(FUZZ_OUT)/user/report/html_page.o \
                $(FUZZ_OUT)/tests/fuzz.o
FUZZ_BINS    := $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZ_TARGETS))

$(FUZZ_OUT)/user/%.o: user/%.c $(OUT)/.deps-fuzz
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/user/report/html_page.o: user/report/html_page.S $(HTML_PARTS)
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) -c -Wa,-Iuser/report/html $< -o $@

$(FUZZ_OUT)/tests/fuzz.o: tests/fuzz/fuzz.c $(OUT)/.deps-fuzz
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -c $< -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -fsanitize=fuzzer $< $(FUZZ_OBJS) $(LDLIBS) -lm -o $@

fuzz-build: $(FUZZ_BINS)

# Targets run one after the other (the machine's cores are shared); the run
# fails if any found a crash, which is left in $(FUZZ_OUT)/crashes/.
fuzz: $(OUT)/.deps-fuzz
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)mkdir -p $(FUZZ_OUT)/crashes; failed=""; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_OUT)/corpus/$$t; \
		dict=""; if [ -f tests/fuzz/$$t.dict ]; then dict=-dict=tests/fuzz/$$t.dict; fi; \
		log=$(FUZZ_OUT)/fuzz_$$t.log; \
		if $(FUZZ_OUT)/fuzz_$$t $$dict -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_OUT)/crashes/$$t- $(FUZZ_ARGS) \
			$(FUZZ_OUT)/corpus/$$t tests/fuzz/corpus/$$t > $$log 2>&1; then \
			printf '  %-10s %s\n' "$$t" "$$(grep -h -o 'stat::number_of_executed_units: [0-9]*' $$log | \
				awk '{ n += $$2 } END { print n " inputs" }'), $$(grep -o 'cov: [0-9]*' $$log | tail -1)"; \
		else \
			tail -n 60 $$log; echo "fuzz: fuzz_$$t failed (log: $$log)" >&2; failed="$$failed $$t"; \
		fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed" >&2; exit 1; fi

-include $(wildcard $(FUZZ_OUT)/*.d $(FUZZ_OUT)/user/*/*.d $(FUZZ_OUT)/tests/*.d)

# === end of sanitizers and fuzzing ==========================================

clean:
	rm -rf $(OUT)

-include $(wildcard $(OUT)/bpf/*.d $(OUT)/user/*.d $(OUT)/user/*/*.d $(OUT)/tests/*/*.d $(OUT)/examples/*.d \
                    $(OUT)/lib/*.d)
