# etltrace - see README.md.
#
#   make            build build/etltrace, libetlprobe, the man page and the demo
#   make demo       install missing packages, build, trace the demo, print the report
#   make test       install missing packages, build, run unit, browser and integration tests
#   make browser    the HTML page in headless Chromium (tests/html/run.py)
#   make bench      install missing packages, build, measure the cost of tracing
#   make install    install under $(DESTDIR)$(PREFIX) (default /usr/local); make uninstall
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
BENCH_PKGS := bpftrace python3-psutil
# The HTML report's test loads pages in a real headless browser.
TEST_PKGS := chromium

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
.PHONY: all deps demo test unit browser integration bench bench-python vmlinux clean install \
        uninstall python-test install-test man-test FORCE

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
	$(Q)missing=""; for p in $(DEB_PKGS) $(if $(filter bench,$*),$(BENCH_PKGS)) $(if $(filter test,$*),$(TEST_PKGS)); do \
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

browser: $(OUT)/.deps-test $(OUT)/tests/html/mkpage
	$(Q)python3 tests/html/run.py --build $(OUT)

# The library test loads libetlprobe at run time, as an FFI does.
$(OUT)/tests/unit/test_etlprobe: | $(OUT)/lib/$(LIBETLPROBE_SONAME)

unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# Every suite runs, also after one failed; the target fails if any did.
integration: $(OUT)/etltrace $(PROG_BINS) $(TWIN_BINS) $(PROG_LIBS) $(EXAMPLE_BINS) $(INTEG_BINS) \
             $(OUT)/lib/$(LIBETLPROBE_SONAME)
	$(Q)failed=""; for t in $(INTEG_BINS); do echo "== $$t"; \
		ETLTRACE_BUILD=$(OUT) $$t || failed="$$failed $${t##*/}"; done; \
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

man-test: $(OUT)/etltrace.8
	$(Q)tests/sh/test_man.sh $(OUT)/etltrace $(OUT)/etltrace.8

test: $(OUT)/.deps-build $(OUT)/.deps-test
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory browser
	$(Q)$(MAKE) --no-print-directory python-test
	$(Q)$(MAKE) --no-print-directory man-test
	$(Q)$(MAKE) --no-print-directory install-test
	$(Q)$(MAKE) --no-print-directory integration

# --- demo -------------------------------------------------------------------
demo: $(OUT)/.deps-build
	$(Q)$(MAKE) --no-print-directory all
	$(OUT)/etltrace -- $(OUT)/examples/etl_demo

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

# The floor reads sites and links uprobe_multi with etltrace's own code.
FLOOR_SRCS := bench/floor.c user/usdt/notes.c user/usdt/args.c user/kernel/links.c
$(BENCH_OUT)/floor: $(FLOOR_SRCS) $(BENCH_OUT)/floor.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_FLAGS) -I$(BENCH_OUT) -Ibpf -Iuser $(FLOOR_SRCS) -lbpf -lelf -lz -o $@

$(BENCH_OUT)/run: bench/run.c bench/proc.c bench/progstats.c bench/proc.h bench/progstats.h \
                  $(OUT)/.deps-bench
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_FLAGS) -Ibench $(filter %.c,$^) -lbpf -lelf -lz -ljson-c -o $@

$(BENCH_OUT)/peer.bt: bench/peer.bt
	$(Q)mkdir -p $(@D)
	$(Q)cp $< $@

# One run, printing the machine, the tables and PASS/MISS per target
# (BENCH_ARGS=--quick for a short smoke run).
bench: $(OUT)/.deps-bench
	$(Q)$(MAKE) --no-print-directory $(OUT)/etltrace $(BENCH_BINS)
	$(Q)$(BENCH_OUT)/run --build $(OUT) \
		--revision "$$(git describe --always --dirty 2>/dev/null || echo unknown)" $(BENCH_ARGS)

# The Python markers' cost with no tracer, per interpreter (no BPF involved).
bench-python: $(OUT)/.deps-bench
	$(Q)$(MAKE) --no-print-directory $(OUT)/lib/$(LIBETLPROBE_SONAME)
	$(Q)$(PYTHON) bench/python_cost.py

-include $(wildcard $(BENCH_OUT)/*.d)

# --- vmlinux.h --------------------------------------------------------------
vmlinux: $(OUT)/.deps-build
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h.tmp
	mv vmlinux/vmlinux.h.tmp vmlinux/vmlinux.h

clean:
	rm -rf $(OUT)

-include $(wildcard $(OUT)/bpf/*.d $(OUT)/user/*.d $(OUT)/user/*/*.d $(OUT)/tests/*/*.d $(OUT)/examples/*.d \
                    $(OUT)/lib/*.d)
