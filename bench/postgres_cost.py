#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""postgres_cost.py - what tracing PostgreSQL's own query probes costs a
real server: pgbench's select-only throughput untraced and under
`etltrace -p POSTMASTER --probe postgresql:query__start:query__done:arg1`.

    bench/postgres_cost.py [--etltrace PATH] [--rounds N] [--seconds S]
                           [--clients N]... [--json FILE]

Needs root (the cluster runs as the postgres user, etltrace loads BPF) and
Debian's postgresql-15 (its server binary carries the probes; pgbench comes
with it). The script makes its own cluster in a temporary directory on a
free port of 127.0.0.1 (fsync off, trust authentication), initialises
pgbench's tables (scale 1), and for each client count runs `pgbench -S`
(simple protocol) untraced and traced, one run each, interleaved N rounds.
The simple protocol because query__start fires for it only (the extended
protocol fires query__execute__start); each query's text carries its own
account id, so the names are many (etltrace keeps the first
--max-operations of them, the rest counted as [other operations]), as on a
server whose clients send literals. The traced runs check that etltrace counted at least
every transaction pgbench reports. The cluster is stopped at the end, also
on an error or Ctrl-C. Exit status 0 when every run could be made, 2
otherwise. Run it under the same lock as every other BPF user.
"""

import argparse
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PG_BIN = "/usr/lib/postgresql/15/bin"
PROBE = "postgresql:query__start:query__done:arg1"


def free_port():
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throw-away PostgreSQL 15 cluster run as the postgres user."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="etltrace-pgbench.")
        os.chmod(self.dir, 0o755)
        pw = pwd.getpwnam("postgres")
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.port = free_port()
        self.started = False

    def run(self, argv, **kw):
        """argv as the postgres user; raises CalledProcessError on failure."""
        return subprocess.run(argv, user="postgres", group="postgres", check=True,
                              capture_output=True, text=True, cwd=self.dir, **kw)

    def start(self):
        self.run([f"{PG_BIN}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres"])
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.started = True  # from here on, stop() tries
        self.run([f"{PG_BIN}/pg_ctl", "-D", self.data, "-o", opts, "-l", self.log, "-w",
                  "start"])
        with open(os.path.join(self.data, "postmaster.pid"), encoding="ascii") as f:
            self.postmaster = int(f.readline())

    def stop(self):
        if self.started:
            subprocess.run([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "immediate", "-w",
                            "stop"], user="postgres", group="postgres",
                           capture_output=True, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def pgbench(self, *args):
        return self.run([f"{PG_BIN}/pgbench", "-h", "127.0.0.1", "-p", str(self.port),
                         "-U", "postgres", *args, "postgres"])


def bench_run(cluster, clients, seconds):
    """One `pgbench -S` run: (tps, transactions)."""
    out = cluster.pgbench("-S", "-n", "-c", str(clients), "-j",
                          str(clients), "-T", str(seconds)).stdout
    tps = float(re.search(r"^tps = ([0-9.]+)", out, re.M).group(1))
    txns = int(re.search(r"transactions actually processed: (\d+)", out).group(1))
    return tps, txns


def traced_run(cluster, etltrace, clients, seconds):
    """The same run under etltrace -p POSTMASTER --probe ...: (tps,
    transactions, queries etltrace counted)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        tracer = subprocess.Popen([etltrace, "-p", str(cluster.postmaster), "--probe", PROBE,
                                   "--format", "json", "-o", report.name],
                                  stderr=subprocess.PIPE, text=True)
        try:
            seen = []
            for line in tracer.stderr:  # timing starts once every probe is attached
                seen.append(line)
                if line.startswith("etltrace: ready"):
                    break
            else:
                raise RuntimeError("etltrace did not get ready: " + "".join(seen).strip())
            tps, txns = bench_run(cluster, clients, seconds)
            tracer.send_signal(signal.SIGINT)
            tracer.communicate(timeout=60)
        finally:
            if tracer.poll() is None:
                tracer.kill()
                tracer.wait()
        with open(report.name, encoding="utf-8") as f:
            ops = json.load(f)["operations"]
    return tps, txns, sum(op["count"] for op in ops.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--etltrace", default=os.path.join(ROOT, "build", "etltrace"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--clients", type=int, action="append",
                    help="pgbench clients (repeatable; default 1 and 2)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args()
    clients = args.clients or [1, 2]
    if os.geteuid() != 0 or not os.access(f"{PG_BIN}/pgbench", os.X_OK):
        print(f"postgres_cost.py: needs root and {PG_BIN}/pgbench (postgresql-15)",
              file=sys.stderr)
        return 2
    # SIGTERM too goes through the finally below, which stops the cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))
    cluster = Cluster()
    results = {}
    try:
        cluster.start()
        cluster.pgbench("-i", "-q", "-s", "1")
        for c in clients:
            rows = results[c] = []
            for rnd in range(args.rounds):
                # Alternate which goes first, so drifts of the VM hit both.
                order = ("untraced", "traced") if rnd % 2 == 0 else ("traced", "untraced")
                row = {}
                for kind in order:
                    if kind == "untraced":
                        row["untraced_tps"], row["untraced_txns"] = bench_run(
                            cluster, c, args.seconds)
                    else:
                        row["traced_tps"], row["traced_txns"], row["counted"] = traced_run(
                            cluster, args.etltrace, c, args.seconds)
                rows.append(row)
    except (subprocess.CalledProcessError, RuntimeError, OSError, AttributeError,
            subprocess.TimeoutExpired) as e:
        detail = getattr(e, "stderr", "") or ""
        print(f"postgres_cost.py: {e} {detail.strip()}", file=sys.stderr)
        return 2
    finally:
        cluster.stop()

    ok = True
    print(f"\nPostgreSQL 15 pgbench -S, {args.seconds} s per run, scale 1; "
          f"traced: etltrace -p POSTMASTER --probe {PROBE}")
    print("| clients | round | untraced tps | traced tps | traced/untraced | "
          "transactions (traced) | queries etltrace counted |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for c, rows in results.items():
        for i, r in enumerate(rows, 1):
            print(f"| {c} | {i} | {r['untraced_tps']:.0f} | {r['traced_tps']:.0f} | "
                  f"{r['traced_tps'] / r['untraced_tps']:.3f} | {r['traced_txns']} | "
                  f"{r['counted']} |")
            # Every transaction is one query; a client may have sent one more
            # when pgbench's clock ran out.
            ok = ok and r["counted"] >= r["traced_txns"]
        ratios = sorted(r["traced_tps"] / r["untraced_tps"] for r in rows)
        u = sorted(r["untraced_tps"] for r in rows)[len(rows) // 2]
        t = sorted(r["traced_tps"] for r in rows)[len(rows) // 2]
        print(f"| {c} | median | {u:.0f} | {t:.0f} | {ratios[len(ratios) // 2]:.3f} | | |")
        # Time added per query, from the medians: 1/t - 1/u per client.
        print(f"  {c} client(s): {(c / t - c / u) * 1e6:+.1f} us per query traced")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({str(c): rows for c, rows in results.items()}, f, indent=1)
    if not ok:
        print("postgres_cost.py: etltrace counted fewer queries than pgbench ran",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
