# SPDX-License-Identifier: MIT
# lib.sh - sourced by the shell tests: named checks, a summary line
# ("N passed, N failed"), and an exit status that is 1 if any failed.

passed=0
failed=0

# check NAME COMMAND...: runs COMMAND; a non-zero status fails NAME.
check() {
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "[ OK ] $name"
	else
		failed=$((failed + 1))
		echo "[FAIL] $name" >&2
	fi
}

# same NAME EXPECTED ACTUAL: fails NAME, showing both, unless equal.
same() {
	if [ "$2" = "$3" ]; then
		passed=$((passed + 1))
		echo "[ OK ] $1"
	else
		failed=$((failed + 1))
		printf '[FAIL] %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3" >&2
	fi
}

summary() {
	echo "$1: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
