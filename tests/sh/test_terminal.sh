#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_terminal.sh BUILD_DIR - the text report in a real terminal (tmux):
# at 80 and 120 columns no line of the operations table or of the tree
# (--tree) wraps, long names are shortened and stay recognisable, and the
# important columns stay (NAME, COUNT, TOTAL, AVG, SELF, P99 at 80; memory,
# CPU and P50 too at 120); --wide, or output that is not a terminal, has
# every column. It traces for real: root, and tmux, are needed (a failure,
# not a skip, without them).
set -u
. "$(dirname "$0")/lib.sh"
build=${1:-build}
export LC_ALL=C.UTF-8

if [ "$(id -u)" -ne 0 ]; then
	echo "test_terminal: tracing needs root (sudo make integration)" >&2
	exit 1
fi
if ! command -v tmux >/dev/null; then
	echo "test_terminal: needs tmux (apt-get install tmux; make test installs it)" >&2
	exit 1
fi

tmp=$(mktemp -d)
screens=$build/tests/terminal
mkdir -p "$screens"
runs=0
trap 'for s in "$tmp"/sock.*; do [ -e "$s" ] && tmux -L "${s##*/}" kill-server 2>/dev/null; done; rm -rf "$tmp"' EXIT
ALL="OPERATION COUNT TOTAL(s) SELF(s) AVG(s) MIN(s) P50(s) P90(s) P99(s) MAX(s) AVG_MEM(MB) MAX_MEM(MB) PEAK(MB) CPU% UNFIN"
demo=("$build/examples/etl_demo" --records 20000 --rounds 1 --pause-ms 0 --output /dev/null)
long=("$build/tests/progs/marked" long 20)

# run COLS ETLTRACE_ARGS...: etltrace in a terminal COLS columns wide (its
# output through $pipe if set), in a tmux server of its own; its screen,
# wrapped lines joined into one, goes to $tmp/screen (and a copy to
# $screens/N-COLS.txt).
run() {
	local cols=$1 waited=0 sock
	shift
	runs=$((runs + 1))
	sock=etltrace-test-$$-$runs
	: > "$tmp/screen"
	touch "$tmp/sock.$sock"
	if ! tmux -L "$sock" -f /dev/null new-session -d -x "$cols" -y 50 -s t bash --noprofile --norc; then
		echo "test_terminal: tmux cannot start a session" >&2
		return
	fi
	tmux -L "$sock" set-option -t t history-limit 10000 >/dev/null
	tmux -L "$sock" send-keys -t t "$(printf '%q ' "$build/etltrace" "$@") 2>/dev/null${pipe:-}; echo __done\$?__" Enter
	until tmux -L "$sock" capture-pane -p -J -S - -t t | grep -q '^__done[0-9]*__'; do
		sleep 0.2
		waited=$((waited + 1))
		if [ $waited -gt 300 ]; then
			echo "test_terminal: etltrace $* did not end within 60 s" >&2
			break
		fi
	done
	tmux -L "$sock" capture-pane -p -J -S - -t t | sed 's/ *$//' > "$tmp/screen"
	tmux -L "$sock" kill-server
	cp "$tmp/screen" "$screens/$runs-$cols.txt"
}

# The table: from its header to the first empty line; the tree: its lines
# after "Operation tree".
table() { sed -n '/^OPERATION /,/^$/p' "$tmp/screen" | sed '/^$/d'; }
tree() { sed -n '/^Operation tree/,/^$/p' "$tmp/screen" | sed '1d;/^$/d'; }
# Header names, "AVG MEM(MB)" as one word.
header() { table | head -1 | sed 's/ MEM(MB)/_MEM(MB)/g'; }

# widest LINES: the widest line's width in characters.
widest() { local w=0 l; while IFS= read -r l; do [ ${#l} -gt $w ] && w=${#l}; done; echo $w; }

has_columns() {
	local h=" $(header) " c
	for c in "$@"; do
		[[ $h == *" $c "* ]] || { echo "  no column $c in: $h" >&2; return 1; }
	done
}

lacks_column() { [[ " $(header) " != *" $1 "* ]]; }

# fits PART COLS: PART (table or tree) has lines, none wider than COLS.
fits() {
	local w n
	w=$("$1" | widest)
	n=$("$1" | wc -l)
	[ "$n" -ge 2 ] || { echo "  no $1 on the screen" >&2; return 1; }
	[ "$w" -le "$2" ] || { echo "  $1: a line of $w columns in $2" >&2; return 1; }
}

for cols in 80 120; do
	run "$cols" --tree -- "${demo[@]}"
	same "$cols columns: the demo ran" "__done0__" "$(grep -o '^__done[0-9]*__' "$tmp/screen")"
	check "$cols columns: the demo's table has its 13 operations" test "$(table | wc -l)" -eq 14
	check "$cols columns: no line of the demo's table wraps" fits table "$cols"
	check "$cols columns: no line of the demo's tree wraps" fits tree "$cols"
	check "$cols columns: the tree has the demo's 13 paths" test "$(tree | grep -c '[0-9]  *[a-z_]*$')" -eq 13
	check "$cols columns: name, count, total, average, self and P99 stay" \
		has_columns OPERATION COUNT "TOTAL(s)" "AVG(s)" "SELF(s)" "P99(s)"
	check "$cols columns: names are whole" grep -q '^transform_batch ' "$tmp/screen"

	run "$cols" --tree -- "${long[@]}"
	check "$cols columns: no line of a table of long names wraps" fits table "$cols"
	check "$cols columns: no line of a tree of long names wraps" fits tree "$cols"
	check "$cols columns: long names keep their start and end" \
		grep -q '^extract_custo.*partitions ' "$tmp/screen"
	check "$cols columns: with long names, count, total and average stay" \
		has_columns OPERATION COUNT "TOTAL(s)" "AVG(s)"
done
run 80 -- "${demo[@]}"
check "80 columns: the least useful columns go (P90, MIN)" eval 'lacks_column "P90(s)" && lacks_column "MIN(s)"'
run 120 -- "${demo[@]}"
check "120 columns: memory, CPU and P50 too" has_columns "MAX_MEM(MB)" "PEAK(MB)" "CPU%" "P50(s)"

run 80 --wide -- "${demo[@]}"
# shellcheck disable=SC2086
check "--wide: every column, whatever the width" has_columns $ALL
pipe=" | cat" run 80 -- "${demo[@]}"
# shellcheck disable=SC2086
check "not a terminal: every column" has_columns $ALL

summary test_terminal
