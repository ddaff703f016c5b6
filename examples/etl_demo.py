#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""etl_demo.py - a small, deterministic ETL job marked for etltrace: the
Python twin of etl_demo.c, standard library only.

Each round runs one pipeline over generated customer data:

  pipeline
  +-- extract                 generate CSV text, parse it (csv module)
  |   +-- generate_csv
  |   +-- parse_csv           (records parsed)
  +-- transform
  |   +-- transform_batch     (records in the batch; on worker threads
  |   |   |                    with --threads > 1)
  |   |   +-- validate
  |   |   +-- enrich
  |   |   +-- dedupe
  |   +-- aggregate           global dedupe, per-country totals, median
  +-- load                    (rows written, into SQLite)
      +-- write_rows          (rows written)
      +-- sync                commit to disk

The operations are marked with etltrace.operation (a context manager) and
etltrace.start / etltrace.end (to pass a record count). With --timings FILE
each marker is also timed with time.perf_counter, inside and outside its
probe calls, and the per-operation totals are written to FILE as JSON, to
compare with etltrace's report (tests/integration/test_python.c).

Diagnostics go to stderr; stdout stays empty for the tracer's report. Exit
status: 0 success, 1 runtime failure, 2 bad usage.

    etltrace -- python3 examples/etl_demo.py --rounds 2
"""

import argparse
import csv
import io
import json
import math
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import etltrace

# The markers the job uses; main() swaps in timed ones for --timings.
operation, start, end = etltrace.operation, etltrace.start, etltrace.end


# ---- --timings: the job's own measurements ----------------------------------

class Timings:
    """Times each marker with perf_counter: `outer` from before its start
    call to after its end call, `inner` from after the start call to before
    the end call. The tracer's duration of an operation lies between the
    two (both clocks are CLOCK_MONOTONIC); outer - inner is what the two
    marker calls cost."""

    def __init__(self):
        self.ops = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def start(self, name):
        t0 = time.perf_counter()
        etltrace.start(name)
        t1 = time.perf_counter()
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        stack.append((name, t0, t1))

    def end(self, name, records=None):
        t2 = time.perf_counter()
        etltrace.end(name, records)
        t3 = time.perf_counter()
        started, t0, t1 = self._local.stack.pop()
        assert started == name, f"end({name!r}) closes {started!r}"
        self._add(name, t2 - t1, t3 - t0, records)

    def operation(self, name):
        return _TimedOperation(self, name)

    def _add(self, name, inner, outer, records):
        with self._lock:
            s = self.ops.get(name)
            if s is None:
                s = self.ops[name] = {"count": 0, "records": 0,
                                      "inner_total": 0.0, "outer_total": 0.0,
                                      "inner_min": math.inf, "outer_min": math.inf,
                                      "inner_max": 0.0, "outer_max": 0.0}
            s["count"] += 1
            s["records"] += records or 0
            s["inner_total"] += inner
            s["outer_total"] += outer
            s["inner_min"] = min(s["inner_min"], inner)
            s["outer_min"] = min(s["outer_min"], outer)
            s["inner_max"] = max(s["inner_max"], inner)
            s["outer_max"] = max(s["outer_max"], outer)

    def write(self, path):
        doc = {"clock": "time.perf_counter", "python": sys.version.split()[0],
               "library": etltrace.library_path(), "operations": self.ops}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")


class _TimedOperation:
    __slots__ = ("_timings", "_name")

    def __init__(self, timings, name):
        self._timings = timings
        self._name = name

    def __enter__(self):
        self._timings.start(self._name)
        return self

    def __exit__(self, exc_type, exc, tb):
        self._timings.end(self._name)


# ---- generated data ----------------------------------------------------------

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael",
         "Linda", "David", "Elizabeth", "William", "Barbara", "Richard", "Susan",
         "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller",
        "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez",
        "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin"]
CITIES = ["Springfield", "Riverton", "Lakeside", "Fairview", "Greenville",
          "Bristol", "Clinton", "Georgetown", "Salem", "Madison", "Ashland",
          "Oakdale", "Kingston", "Milton", "Newport", "Dover"]
DOMAINS = ["example.com", "mail.example", "corp.example", "shop.test", "post.test"]
COUNTRIES = ["US", "GB", "DE", "FR", "NL", "SE", "ES", "IT", "PL", "CA", "AU", "JP"]
SEGMENTS = ["basic", "silver", "gold", "platinum"]
HEADER = ["id", "name", "email", "age", "balance", "country", "city", "signup_date"]


def chance(rng, per_mille):
    return rng.randrange(1000) < per_mille


def messy_case(rng, s, messy):
    if not messy:
        return s
    return "".join(c.upper() if "a" <= c <= "z" and chance(rng, 300) else c for c in s)


def generate_row(rng, cid, recent_email):
    """One customer row, with defects at low rates: stray spaces, mixed
    case, bad emails, out-of-range ages, unparsable balances, unknown
    countries, impossible dates, missing fields, repeated emails."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    pad = "  " if chance(rng, 20) else ""
    messy = chance(rng, 300)
    age = 18 + rng.randrange(70)
    balance = math.exp(rng.randrange(1000000) / 1000000.0 * 11.0) - 1.0
    country = rng.choice(COUNTRIES)
    year, month, day = 2005 + rng.randrange(19), 1 + rng.randrange(12), 1 + rng.randrange(28)
    if chance(rng, 10):
        age = 7 if chance(rng, 500) else 142
    if chance(rng, 5):
        country = "XX"
    if chance(rng, 5):
        month, day = 2, 30
    if chance(rng, 2):  # malformed: fields missing
        return [cid, f"{first} {last}", age, f"{balance:.2f}"]
    if recent_email and chance(rng, 10):
        email = recent_email
    elif chance(rng, 8):
        email = f"{first}.{last}.example.com"  # no '@'
    else:
        email = (f"{messy_case(rng, first, messy)}.{messy_case(rng, last, messy)}"
                 f"{rng.randrange(10000)}")
        if chance(rng, 50):
            email += f"+promo{rng.randrange(100)}"
        email += "@" + rng.choice(DOMAINS)
    shown_balance = "n/a" if chance(rng, 5) else f"{balance:.2f}"
    return [cid, f"{pad}{first} {last}{pad}", email, age, shown_balance, country,
            rng.choice(CITIES), f"{year:04d}-{month:02d}-{day:02d}"]


# ---- extract -----------------------------------------------------------------

def generate_csv(n, seed):
    with operation("generate_csv"):
        rng = random.Random(seed)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        recent = None
        for i in range(n):
            row = generate_row(rng, 1000000 + i, recent)
            writer.writerow(row)
            if len(row) == 8 and chance(rng, 100):
                recent = row[2]
        return out.getvalue()


def to_float(text):
    try:
        return float(text)
    except ValueError:
        return math.nan


def parse_csv(text, stats):
    """Rows of exactly 8 fields become customer dicts; others are counted
    as malformed."""
    start("parse_csv")
    rows = []
    try:
        reader = csv.reader(io.StringIO(text))
        next(reader, None)
        for f in reader:
            if len(f) != 8 or not f[0].isdigit():
                stats["malformed"] += 1
                continue
            y, _, rest = f[7].partition("-")
            m, _, d = rest.partition("-")
            rows.append({"id": int(f[0]), "name": f[1], "email": f[2],
                         "age": int(f[3]) if f[3].isdigit() else -1,
                         "balance": to_float(f[4]), "country": f[5], "city": f[6],
                         "date": (int(y), int(m), int(d)) if (y + m + d).isdigit() else None})
    finally:
        end("parse_csv", records=len(rows))
    return rows


def extract(n, seed, stats):
    with operation("extract"):
        text = generate_csv(n, seed)
        rows = parse_csv(text, stats)
        del text  # only the rows outlive the operation
    stats["parsed"] += len(rows)
    return rows


# ---- transform ---------------------------------------------------------------

MDAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def valid_date(date):
    if date is None:
        return False
    y, m, d = date
    if not (1990 <= y <= 2030 and 1 <= m <= 12 and d >= 1):
        return False
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    return d <= MDAYS[m - 1] + (1 if m == 2 and leap else 0)


def valid_email(e):
    local, at, domain = e.partition("@")
    dot = domain.rfind(".")
    return bool(local and at and "@" not in domain and 0 < dot < len(domain) - 1)


def reject_reason(c):
    if not c["name"]:
        return "name"
    if not valid_email(c["email"]):
        return "email"
    if not 18 <= c["age"] <= 120:
        return "age"
    if not (math.isfinite(c["balance"]) and c["balance"] >= 0):
        return "balance"
    if c["country"] not in COUNTRIES:
        return "country"
    if not valid_date(c["date"]):
        return "date"
    return None


def validate(batch, result):
    with operation("validate"):
        for c in batch:
            c["name"], c["email"], c["city"] = c["name"].strip(), c["email"].strip(), c["city"].strip()
            c["reject"] = reject_reason(c)
            c["valid"] = c["reject"] is None
            if c["valid"]:
                result["valid"] += 1
            else:
                result["rejected"] += 1


def normalise_email(e):
    local, _, domain = e.lower().partition("@")
    return local.partition("+")[0] + "@" + domain


def segment_of(balance):
    return 3 if balance >= 20000 else 2 if balance >= 2000 else 1 if balance >= 200 else 0


def enrich(batch):
    with operation("enrich"):
        for c in batch:
            if not c["valid"]:
                continue
            c["email"] = normalise_email(c["email"])
            c["name"] = " ".join(w.capitalize() for w in c["name"].split(" "))
            tenure = 2024 - c["date"][0] + (12 - c["date"][1]) / 12
            c["score"] = math.log1p(c["balance"]) * (1 + tenure / 10) * (1.1 if c["age"] >= 65 else 1.0)
            c["segment"] = segment_of(c["balance"])


def mark_duplicates(rows):
    """Invalidates every valid row whose email a valid row with a lower id
    has; returns how many."""
    first = {}
    for c in rows:
        if c["valid"]:
            seen = first.get(c["email"])
            if seen is None or c["id"] < seen["id"]:
                first[c["email"]] = c
    dups = 0
    for c in rows:
        if c["valid"] and first[c["email"]] is not c:
            c["valid"], c["reject"] = False, "duplicate"
            dups += 1
    return dups


def dedupe(batch, result):
    with operation("dedupe"):
        dups = mark_duplicates(batch)
        result["duplicates"] += dups
        result["valid"] -= dups


def transform_batch(batch):
    """Transforms a staging copy of batch and returns it with its counts."""
    start("transform_batch")
    try:
        staging = [dict(c) for c in batch]
        result = {"valid": 0, "rejected": 0, "duplicates": 0}
        validate(staging, result)
        enrich(staging)
        dedupe(staging, result)
        return staging, result
    finally:
        end("transform_batch", records=len(batch))


def aggregate(rows, stats):
    with operation("aggregate"):
        dups = mark_duplicates(rows)
        stats["duplicates"] += dups
        totals = {}
        balances = []
        for c in rows:
            if c["valid"]:
                key = (c["country"], SEGMENTS[c["segment"]])
                totals[key] = totals.get(key, 0.0) + c["balance"]
                balances.append(c["balance"])
        balances.sort()
        stats["median_balance"] = balances[len(balances) // 2] if balances else 0.0
        return totals


def transform(rows, opts, stats):
    with operation("transform"):
        batches = [rows[i:i + opts.batch_size] for i in range(0, len(rows), opts.batch_size)]
        if opts.threads > 1:
            with ThreadPoolExecutor(opts.threads, thread_name_prefix="transform") as pool:
                done = list(pool.map(transform_batch, batches))
        else:
            done = [transform_batch(b) for b in batches]
        out = []
        for staging, result in done:
            out.extend(staging)
            stats["rejected"] += result["rejected"]
            stats["duplicates"] += result["duplicates"]
        aggregate(out, stats)
        stats["valid"] = sum(1 for c in out if c["valid"])
        return out


# ---- load --------------------------------------------------------------------

def write_rows(db, rows):
    start("write_rows")
    n = 0
    try:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT,"
                   " age INTEGER, balance REAL, country TEXT, city TEXT, segment TEXT,"
                   " score REAL)")
        loadable = [(c["id"], c["name"], c["email"], c["age"], round(c["balance"], 2),
                     c["country"], c["city"], SEGMENTS[c["segment"]], round(c["score"], 3))
                    for c in rows if c["valid"]]
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", loadable)
        n = len(loadable)
        return n
    finally:
        end("write_rows", records=n)


def sync(db):
    with operation("sync"):
        db.commit()


def load(rows, opts, stats):
    """Writes the loadable rows into a new SQLite database (opts.output, or
    a temporary file removed afterwards) and drops the dataset."""
    start("load")
    n = 0
    path = opts.output
    tmp = None
    try:
        if path is None:
            fd, tmp = tempfile.mkstemp(prefix="etl_demo.", suffix=".sqlite3")
            os.close(fd)
            path = tmp
        elif os.path.exists(path):
            os.unlink(path)
        db = sqlite3.connect(path)
        try:
            n = write_rows(db, rows)
            sync(db)
        finally:
            db.close()
        stats["loaded"] += n
        rows.clear()  # the memory extract took is given back here
    finally:
        if tmp:
            os.unlink(tmp)
        end("load", records=n)


# ---- rounds ------------------------------------------------------------------

def run_pipeline(opts, seed, stats):
    with operation("pipeline"):
        rows = extract(opts.records, seed, stats)
        rows = transform(rows, opts, stats)
        load(rows, opts, stats)


def positive(text):
    v = int(text)
    if v < 1:
        raise ValueError(text)
    return v


def non_negative(text):
    v = int(text)
    if v < 0:
        raise ValueError(text)
    return v


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="etl_demo.py",
        description="Run a small ETL pipeline (extract, transform, load) on generated "
                    "customer data, marked for etltrace with the etltrace package.",
        epilog="Example: etltrace -- python3 examples/etl_demo.py --threads 2")
    p.add_argument("-n", "--records", type=positive, default=20000,
                   help="CSV records generated per round (default %(default)s)")
    p.add_argument("-b", "--batch-size", type=positive, default=2000,
                   help="records per transform batch (default %(default)s)")
    p.add_argument("-r", "--rounds", type=positive, default=3,
                   help="times the whole pipeline runs (default %(default)s)")
    p.add_argument("-s", "--seed", type=non_negative, default=42,
                   help="random seed; the same seed gives the same data (default %(default)s)")
    p.add_argument("-p", "--pause-ms", type=non_negative, default=200,
                   help="sleep between rounds, in ms (default %(default)s)")
    p.add_argument("-t", "--threads", type=positive, default=1,
                   help="transform worker threads (default 1: the main thread)")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="SQLite database to load into (replaced each round); "
                        "default: a temporary file, removed after each round")
    p.add_argument("--timings", metavar="FILE",
                   help="write the job's own perf_counter measurements of each "
                        "operation to FILE (JSON)")
    p.add_argument("--wait", action="store_true",
                   help="print 'ready' on stdout, then wait for a line on stdin before "
                        "the first round (lets a tracer attach first)")
    return p.parse_args(argv)


def main(argv=None):
    global operation, start, end
    opts = parse_args(argv)
    timings = None
    if opts.timings:
        timings = Timings()
        operation, start, end = timings.operation, timings.start, timings.end
    print(f"etl_demo.py: pid {os.getpid()}, {opts.records} records x {opts.rounds} rounds, "
          f"libetlprobe {etltrace.library_path() or 'not found: markers off'}",
          file=sys.stderr, flush=True)
    if opts.wait:
        print("ready", flush=True)
        sys.stdin.readline()
    stats = dict.fromkeys(("parsed", "malformed", "valid", "rejected", "duplicates",
                           "loaded"), 0)
    stats["median_balance"] = 0.0
    t0 = time.perf_counter()
    done = 0
    try:
        for done in range(opts.rounds):
            if done and opts.pause_ms:
                time.sleep(opts.pause_ms / 1000)
            run_pipeline(opts, opts.seed + done * 0x9E3779B9, stats)
        done = opts.rounds
    except (OSError, sqlite3.Error) as e:
        print(f"etl_demo.py: round {done + 1}: {e}", file=sys.stderr)
        return 1
    finally:
        if timings:
            timings.write(opts.timings)
    print(f"etl_demo.py: done after {done}/{opts.rounds} rounds in "
          f"{time.perf_counter() - t0:.2f} s: {stats['parsed']} records parsed "
          f"({stats['malformed']} malformed), {stats['loaded']} loaded, "
          f"median balance {stats['median_balance']:.2f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
