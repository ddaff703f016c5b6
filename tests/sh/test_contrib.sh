#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_contrib.sh ETLTRACE - what contrib/ ships next to the exporter is what
# the tools that load it accept: the Prometheus configuration and alerting
# rules (promtool, Debian's prometheus package), the rules' own unit tests,
# the Grafana dashboard (JSON, panels with queries), the systemd unit
# (systemd-analyze verify: no error and no warning) and its environment file
# (every variable the unit uses). Whether the metrics the rules and the
# dashboard query are ones etltrace exports is checked against a real page
# by tests/integration/test_prometheus.c.
set -u
. "$(dirname "$0")/lib.sh"
prog=$(realpath "$1")
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d /tmp/etltrace-contrib-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# quiet NAME COMMAND...: check, showing the command's output only if it fails.
quiet() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		check "$name" true
	else
		printf '%s\n' "$out" >&2
		check "$name" false
	fi
}

quiet "promtool check config contrib/prometheus/prometheus.yml" \
	promtool check config contrib/prometheus/prometheus.yml
quiet "promtool check rules contrib/prometheus/etltrace.rules.yml" \
	promtool check rules contrib/prometheus/etltrace.rules.yml
quiet "promtool test rules contrib/prometheus/etltrace.rules.test.yml" \
	promtool test rules contrib/prometheus/etltrace.rules.test.yml
# Every alert of the rules has a unit test.
alerts=$(grep -oP '^\s*- alert: \K\S+' contrib/prometheus/etltrace.rules.yml | sort -u)
tested=$(grep -oP '^\s*alertname: \K\S+' contrib/prometheus/etltrace.rules.test.yml | sort -u)
same "every alert has a promtool unit test" "$alerts" "$tested"
check "the rules have alerts ($(wc -w <<<"$alerts"))" test "$(wc -w <<<"$alerts")" -ge 10

dash=contrib/grafana/etltrace-dashboard.json
quiet "$dash is JSON" python3 -m json.tool "$dash"
# The panels (also inside rows) and their queries: each target has an expr.
read -r panels targets empty < <(python3 - "$dash" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))
ps = [p for p in panels(d.get("panels", [])) if p.get("type") != "row"]
ts = [t for p in ps for t in p.get("targets", [])]
print(len(ps), len(ts), sum(1 for t in ts if not t.get("expr", "").strip()))
PY
)
check "the dashboard has panels ($panels) with queries ($targets)" \
	test "${panels:-0}" -ge 5 -a "${targets:-0}" -ge "${panels:-0}"
same "every query of the dashboard has an expression" "0" "${empty:-?}"

# systemd-analyze verify checks the unit's executables exist: the unit is
# verified as installed by `make install` with PREFIX=/usr/local, the built
# binary standing for /usr/local/bin/etltrace. The man page is not installed.
unit=contrib/systemd/etltrace@.service
sed "s|/usr/local/bin/etltrace|$prog|g" "$unit" >"$tmp/etltrace@.service"
same "the unit runs /usr/local/bin/etltrace" "1" "$(grep -c '^ExecStart=/usr/local/bin/etltrace ' "$unit")"
out=$(systemd-analyze verify --man=no "$tmp/etltrace@.service" 2>&1)
rc=$?
same "systemd-analyze verify $unit: no error, no warning" "0:" "$rc:$out"
used=$(grep -oP '\$\{?\KETLTRACE_[A-Z_]+' "$unit" | sort -u)
defined=$(grep -oP '^ETLTRACE_[A-Z_]+(?==)' contrib/systemd/etltrace.env.example | sort -u)
same "etltrace.env.example defines every variable the unit uses" "$used" "$defined"

summary "contrib"
