# etltrace - see README.md.
#
#   make            build build/etltrace and the demo
#   make demo       install missing packages, build, trace the demo, print the report
#   make test       install missing packages, build, run unit and integration tests
#   make bench      install missing packages, build, measure the cost of tracing
#   make test-kernels  run KERNEL_TEST on every kernel of KERNELS (others under qemu)
#   make vmlinux    regenerate vmlinux/vmlinux.h from the running kernel's BTF
#   V=1             show full commands

OUT       := build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
ARCH      := x86

# Packages the build, demo and tests need (Debian 12).
DEB_PKGS  := clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config \
             systemtap-sdt-dev libcmocka-dev libjson-c-dev libmicrohttpd-dev
BENCH_PKGS := bpftrace
KERNEL_PKGS := qemu-system-x86 busybox-static cpio kmod

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
.PHONY: all deps demo test unit integration bench test-kernels vmlinux clean

USER_SRCS  := $(wildcard user/*.c)
USER_OBJS  := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
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

all: $(OUT)/etltrace $(EXAMPLE_BINS)

# --- packages ---------------------------------------------------------------
# Installs what is missing (needs root); says what to do otherwise.
$(OUT)/.deps-%: Makefile
	$(Q)mkdir -p $(OUT)
	$(Q)missing=""; for p in $(DEB_PKGS) $(if $(filter bench,$*),$(BENCH_PKGS)) \
			$(if $(filter kernels,$*),$(KERNEL_PKGS)); do \
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

# Marked shared libraries the test programs dlopen.
$(OUT)/tests/progs/lib%.so: tests/progs/lib/%.c $(OUT)/.deps-build
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 $(WARN) -O2 -g -fPIC -shared -MMD -MP -Iinclude $< -o $@

# --- tests ------------------------------------------------------------------
$(OUT)/tests/unit/%: tests/unit/%.c $(LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -lmicrohttpd -lcmocka -lm -o $@

$(OUT)/tests/integration/%: tests/integration/%.c tests/integration/harness.c tests/integration/harness.h $(OUT)/.deps-build
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/integration $< tests/integration/harness.c -lbpf -ljson-c -lcmocka -lm -o $@

unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integration: $(OUT)/etltrace $(PROG_BINS) $(PROG_LIBS) $(EXAMPLE_BINS) $(INTEG_BINS)
	$(Q)set -e; for t in $(INTEG_BINS); do echo "== $$t"; ETLTRACE_BUILD=$(OUT) $$t; done

test: $(OUT)/.deps-build
	$(Q)$(MAKE) --no-print-directory unit
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
FLOOR_SRCS := bench/floor.c user/elf_notes.c user/usdt_args.c user/uprobe_multi.c
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

-include $(wildcard $(BENCH_OUT)/*.d)

# --- other kernels ----------------------------------------------------------
# KERNEL_TEST runs on each kernel of KERNELS: "host" is the running kernel (the
# command runs directly), others (6.1: Debian 12's newest 6.1 package, or a release
# such as 6.1.0-50-amd64) boot under qemu with tests/kernels/run-in-kernel.
KERNELS     ?= host 6.1
KERNEL_TEST ?= sh -c '$(OUT)/etltrace --version && $(OUT)/tests/kernels/bpf_smoke'
KERNEL_BINS := $(OUT)/etltrace $(OUT)/tests/kernels/bpf_smoke

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
		else tests/kernels/run-in-kernel --kernel "$$k" -- $(KERNEL_TEST); fi || failed="$$failed $$k"; \
	done; \
	[ -z "$$failed" ] || { echo "etltrace: test-kernels failed on:$$failed" >&2; exit 1; }

# --- vmlinux.h --------------------------------------------------------------
vmlinux: $(OUT)/.deps-build
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h.tmp
	mv vmlinux/vmlinux.h.tmp vmlinux/vmlinux.h

clean:
	rm -rf $(OUT)

-include $(wildcard $(OUT)/bpf/*.d $(OUT)/user/*.d $(OUT)/tests/*/*.d $(OUT)/examples/*.d)
