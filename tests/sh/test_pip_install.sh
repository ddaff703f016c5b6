#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_pip_install.sh - `pip install ./python` in a fresh venv of $PYTHON
# works with no package index (the build backend is in the tree and needs
# nothing), installs the package, and `pip uninstall` removes it.
set -u
. "$(dirname "$0")/lib.sh"
py=${PYTHON:-python3}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/etltrace-pip-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

check "python -m venv" "$py" -m venv "$tmp/venv"
pip=("$tmp/venv/bin/python" -m pip --disable-pip-version-check --no-cache-dir)
# As a user types it: pip's isolated build installs `requires` (nothing)
# and would fail here had it to download setuptools.
check "pip install ./python" "${pip[@]}" install -q "$root/python"
out=$(cd "$tmp" && ETLTRACE_LIBETLPROBE=$root/build/lib/libetlprobe.so.1 \
	"$tmp/venv/bin/python" -c 'import etltrace; print(etltrace.__file__); print(etltrace.library_path())')
case $out in "$tmp"/venv/lib/python3*/site-packages/etltrace/__init__.py*) r=in-venv ;; *) r="$out" ;; esac
same "the venv imports the installed copy" in-venv "$r"
same "it loads the library" "$(readlink -f "$root/build/lib/libetlprobe.so.1")" "$(sed -n 2p <<<"$out")"
check "pip show lists it" "${pip[@]}" show -q etltrace
check "pip uninstall" "${pip[@]}" uninstall -q -y etltrace
check "nothing importable after uninstall" \
	sh -c "cd '$tmp' && ! '$tmp/venv/bin/python' -c 'import etltrace' 2>/dev/null"
# The sdist builds a wheel again (what pip does from a source archive);
# --no-index: nothing may come from an index.
check "sdist -> pip install --no-index" sh -c "cd '$root/python' && '$tmp/venv/bin/python' -c \"
import sys; sys.path.insert(0, '_backend'); import etltrace_build as b
print(b.build_sdist('$tmp/dist'))\" >/dev/null && ${pip[*]} install -q --no-index $tmp/dist/etltrace-*.tar.gz"

summary "pip install ($("$py" -V 2>&1))"
