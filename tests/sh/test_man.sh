#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_man.sh ETLTRACE MANPAGE - the man page renders without a warning and
# lists every option `etltrace --help` has (it is generated from it; this
# catches a generator that drops what it does not understand).
set -u
. "$(dirname "$0")/lib.sh"
prog=$1 page=$2

warnings=$(MANWIDTH=80 man -l "$page" 2>&1 >/dev/null)
same "man -l renders it without a warning" "" "$warnings"
warnings=$(groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)
same "groff -ww -man renders it without a warning" "" "$warnings"

rendered=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
missing=""
for opt in $("$prog" --help | grep -oE '^ +(-[^ ,]+, +)*-[^ ,]+' | grep -oE -- '--?[A-Za-z?][A-Za-z0-9-]*'); do
	grep -qF -- "$opt" <<<"$rendered" || missing="$missing $opt"
done
same "every option of --help is in the page" "" "$missing"
n=$("$prog" --help | grep -cE '^ +-')
check "the help has options to compare ($n)" test "$n" -gt 20
same "the version line is the program's" "1" \
	"$(grep -c "\"$("$prog" --version)\"" "$page")"
# Typed options stay ASCII when copied: no Unicode hyphen or minus sign.
same "dashes render as ASCII" "0" "$(grep -cP '[\x{2010}\x{2212}]' <<<"$rendered")"
for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES FILES "SEE ALSO"; do
	check "section $s" grep -q "^$s\$" <<<"$rendered"
done

summary man
