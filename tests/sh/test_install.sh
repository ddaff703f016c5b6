#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_install.sh - `make install` into a temporary DESTDIR: exactly the
# expected files; a marked C program built against them with pkg-config
# (sysroot = DESTDIR) runs on the installed library; the installed Python
# package loads it; the man page renders; `make uninstall` leaves nothing.
# Run by `make install-test`, which passes PREFIX, the directories and
# PYTHON / PYTHON_SITEDIR.
set -u
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${PREFIX:?}" "${LIBDIR:?}" "${INCLUDEDIR:?}" "${PKGCONFIGDIR:?}" "${BINDIR:?}" "${MANDIR:?}"
: "${PYTHON:?}" "${PYTHON_SITEDIR:?}" "${MAKE:=make}"
dest=$(mktemp -d /tmp/etltrace-install-XXXXXX)
work=$(mktemp -d /tmp/etltrace-install-work-XXXXXX)
trap 'rm -rf "$dest" "$work"' EXIT

check "make install DESTDIR=..." $MAKE -s -C "$root" --no-print-directory install DESTDIR="$dest"

expected=$(sort <<EOF2
$BINDIR/etltrace
$INCLUDEDIR/etl_probe.h
$INCLUDEDIR/etlprobe.h
$LIBDIR/libetlprobe.so
$LIBDIR/libetlprobe.so.1
$LIBDIR/libetlprobe.so.1.0.0
$PKGCONFIGDIR/libetlprobe.pc
$MANDIR/man8/etltrace.8
$PYTHON_SITEDIR/etltrace/__init__.py
$PYTHON_SITEDIR/etltrace/_lib.py
$PYTHON_SITEDIR/etltrace/_markers.py
$PYTHON_SITEDIR/etltrace/profiler.py
EOF2
)
same "installed files" "$expected" "$(cd "$dest" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort)"
same "soname link" libetlprobe.so.1.0.0 "$(readlink "$dest$LIBDIR/libetlprobe.so.1")"
same "development link" libetlprobe.so.1 "$(readlink "$dest$LIBDIR/libetlprobe.so")"
same "modes" "755 644 644" "$(stat -c %a "$dest$BINDIR/etltrace" "$dest$LIBDIR/libetlprobe.so.1.0.0" \
	"$dest$INCLUDEDIR/etlprobe.h" | tr '\n' ' ' | sed 's/ $//')"

# pkg-config sees only the DESTDIR's .pc (PKG_CONFIG_LIBDIR replaces the
# default path) and prefixes its paths with the sysroot.
export PKG_CONFIG_LIBDIR=$dest$PKGCONFIGDIR PKG_CONFIG_SYSROOT_DIR=$dest
same "pkg-config --modversion" 1.0.0 "$(pkg-config --modversion libetlprobe)"
same "pkg-config --cflags --libs" "-I$dest$INCLUDEDIR -L$dest$LIBDIR -letlprobe" \
	"$(pkg-config --cflags --libs libetlprobe | sed "s/ *$//")"

cat > "$work/marked.c" <<'EOF2'
#include <etl_probe.h>
#include <etlprobe.h>
#include <stdio.h>

int main(void)
{
	ETL_OP_START("c_marker");
	etlprobe_start_literal("lib_marker");
	etlprobe_end_records("lib_marker", 3);
	etlprobe_start("lib_dynamic");
	etlprobe_end("lib_dynamic");
	ETL_OP_END("c_marker");
	printf("abi %u enabled %d semaphores %u %u\n", etlprobe_abi_version(),
	       etlprobe_enabled(), etlprobe_start_semaphore, etlprobe_end_semaphore);
	return 0;
}
EOF2
check "a marked C program builds against the installed files" \
	sh -c "cc -std=gnu11 -Wall -Wextra -Werror '$work/marked.c' \$(pkg-config --cflags --libs libetlprobe) -o '$work/marked'"
same "it needs libetlprobe.so.1" "libetlprobe.so.1" \
	"$(readelf -d "$work/marked" | sed -n 's/.*Shared library: \[\(libetlprobe[^]]*\)\].*/\1/p')"
same "it runs on the installed library" "abi 1 enabled 0 semaphores 0 0" \
	"$(LD_LIBRARY_PATH=$dest$LIBDIR "$work/marked")"
same "... which is the DESTDIR's" "$dest$LIBDIR/libetlprobe.so.1" \
	"$(LD_LIBRARY_PATH=$dest$LIBDIR ldd "$work/marked" | sed -n 's/.*libetlprobe.so.1 => \([^ ]*\).*/\1/p')"

out=$(cd "$work" && env -u ETLTRACE_LIBETLPROBE PYTHONPATH="$dest$PYTHON_SITEDIR" \
	LD_LIBRARY_PATH="$dest$LIBDIR" PYTHONDONTWRITEBYTECODE=1 "$PYTHON" -c \
	'import etltrace; print(etltrace.__file__); print(etltrace.library_path()); print(etltrace.enabled())')
same "the installed Python package imports" "$dest$PYTHON_SITEDIR/etltrace/__init__.py" "$(sed -n 1p <<<"$out")"
same "... and loads the installed library by its soname" "$dest$LIBDIR/libetlprobe.so.1.0.0" \
	"$(sed -n 2p <<<"$out")"
same "... untraced" False "$(sed -n 3p <<<"$out")"

same "the installed etltrace runs" "$("$root/build/etltrace" --version)" "$("$dest$BINDIR/etltrace" --version)"
same "the installed man page renders without a warning" "" \
	"$(MANWIDTH=80 man -l "$dest$MANDIR/man8/etltrace.8" 2>&1 >/dev/null)"

check "make uninstall DESTDIR=..." $MAKE -s -C "$root" --no-print-directory uninstall DESTDIR="$dest"
same "nothing left after uninstall" "" "$(cd "$dest" && find . \( -type f -o -type l \))"

summary "make install"
