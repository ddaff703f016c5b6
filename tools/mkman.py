#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mkman.py - etltrace(8) from `etltrace --help` (GNU argp's layout), so
the manual page lists exactly the options the program has.

    mkman.py --program build/etltrace --summary TEXT --date YYYY-MM-DD \\
             [--tail man/etltrace.8.tail] > etltrace.8

The help becomes: the usage lines (SYNOPSIS), the text before the options
(DESCRIPTION), every option with its description (OPTIONS, argp's group
headers as subsections), then each "HEADING: ..." paragraph as a section of
its own, with "term  description" lines and "N  text" tables as tagged
paragraphs. The tail file (roff) is appended as written. Every "-" is
written as "\\-" (copy-pasted options stay ASCII) and hyphenation is off.
"""

import argparse
import re
import subprocess
import sys

OPTION_LINE = re.compile(r"^\s+((?:-[^\s,]+,\s+)*-[^\s,]+)(?:\s+(\S.*))?$")
HEADING = re.compile(r"^([A-Z][A-Z0-9 ]*[A-Z0-9](?: \([^)]*\))?):\s*(.*)$")
CELLS = re.compile(r"\s{2,}")


def esc(text):
    """Text for roff: backslashes, minus signs, no control line."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def bold_options(text):
    """Option names in text in bold (after escaping)."""
    return re.sub(r"(?<![\w\\])((?:\\-){1,2}[A-Za-z?][\w\\-]*)", r"\\fB\1\\fR", text)


class Page:
    def __init__(self):
        self.lines = []

    def add(self, *lines):
        self.lines.extend(lines)

    def text(self, text):
        self.add(bold_options(esc(text)))

    def item(self, term, desc):
        self.add(".TP", "\\fB" + esc(term) + "\\fR")
        if desc:
            self.text(desc)


def split_help(help_text):
    """(usage lines, description lines, option lines, rest lines)."""
    lines = help_text.rstrip("\n").split("\n")
    i = 0
    usage = []
    while i < len(lines) and (lines[i].startswith("Usage: ") or lines[i].startswith("  or: ")):
        usage.append(re.sub(r"^(Usage:|  or:)\s+", "", lines[i]))
        i += 1
    desc = []
    while i < len(lines) and lines[i].strip():
        desc.append(lines[i].strip())
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    opts = []
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
        opts.append(lines[i])
        i += 1
    return usage, desc, opts, lines[i:]


def render_options(page, opts):
    page.add(".SH OPTIONS")
    cur = None  # [term, desc] of the option being read
    for line in opts + [""]:
        m = OPTION_LINE.match(line)
        if m:
            if cur:
                page.item(*cur)
            cur = [m.group(1), m.group(2) or ""]
        elif line.startswith(" ") and not line.startswith("  ") and line.strip():
            if cur:
                page.item(*cur)
                cur = None
            page.add(".SS " + esc(line.strip().rstrip(":")))
        elif line.strip() and cur:
            cur[1] = (cur[1] + " " + line.strip()).strip()
        elif not line.strip() and cur:
            page.item(*cur)
            cur = None


def render_body_lines(page, body):
    """Lines of a section's body: tables, term/description items, text."""
    indent = min((len(ln) - len(ln.lstrip()) for ln in body if ln.strip()), default=0)
    item = None  # [term, desc] open for continuation lines
    para = []

    def flush():
        nonlocal item, para
        if item:
            page.item(*item)
            item = None
        if para:
            page.add(".PP")
            page.text(" ".join(para))
            para = []

    def depth_of(k):
        return len(body[k]) - len(body[k].lstrip()) if k < len(body) and body[k].strip() else -1

    for k, line in enumerate(body):
        if not line.strip():
            flush()
            continue
        depth = depth_of(k)
        cells = CELLS.split(line.strip())
        if depth > indent and item:
            item[1] = (item[1] + " " + line.strip()).strip()
        elif len(cells) >= 2 and len(cells) % 2 == 0 and all(c.isdigit() for c in cells[0::2]):
            flush()
            for n, t in zip(cells[0::2], cells[1::2]):
                page.item(n, t)
        elif len(cells) == 2 and not cells[0].endswith(".") and len(cells[0]) <= 40:
            flush()
            item = [cells[0], cells[1]]
        elif depth == indent and depth_of(k + 1) > indent and len(cells[0]) <= 70:
            flush()  # a term alone, its description on the lines below
            item = [line.strip(), ""]
        elif depth > indent and para:
            para.append(line.strip())
        else:
            if item:
                flush()
            para.append(line.strip())
    flush()


def render_rest(page, rest):
    """Paragraphs after the options: "HEADING: ..." starts a section; text
    before any heading stays in OPTIONS; "Report bugs..." is its own."""
    paragraphs, cur = [], []
    for line in rest + [""]:
        if line.strip():
            cur.append(line)
        elif cur:
            paragraphs.append(cur)
            cur = []
    for para in paragraphs:
        m = HEADING.match(para[0])
        if m:
            page.add(".SH " + '"' + esc(m.group(1)) + '"')
            body = ([" " * 2 + m.group(2)] if m.group(2) else []) + para[1:]
            render_body_lines(page, body)
        elif para[0].startswith("Report bugs"):
            page.add(".SH \"REPORTING BUGS\"", ".PP")
            page.text(" ".join(x.strip() for x in para))
        else:
            page.add(".PP")
            page.text(" ".join(x.strip() for x in para))


def render(help_text, version, summary, date, tail):
    usage, desc, opts, rest = split_help(help_text)
    name = version.split()[0] if version.split() else "etltrace"
    page = Page()
    page.add(f'.\\" Generated by tools/mkman.py from `{name} --help`: do not edit.',
             f'.TH {name.upper()} 8 "{date}" "{esc(version)}" "System Administration"',
             ".nh", ".ad l",
             ".SH NAME", f"{esc(name)} \\- {esc(summary)}",
             ".SH SYNOPSIS")
    for i, u in enumerate(usage):
        if i:
            page.add(".br")
        prog, _, args = u.partition(" ")
        page.add(f".B {esc(prog)}", esc(args))
    page.add(".SH DESCRIPTION")
    page.text(" ".join(desc))
    render_options(page, opts)
    render_rest(page, rest)
    out = "\n".join(page.lines) + "\n"
    return out + (tail if tail.endswith("\n") or not tail else tail + "\n")


def main():
    ap = argparse.ArgumentParser(description="Write etltrace(8) from etltrace --help.")
    ap.add_argument("--program", required=True)
    ap.add_argument("--summary", required=True, help="the NAME line's description")
    ap.add_argument("--date", required=True)
    ap.add_argument("--tail", help="roff appended after the generated sections")
    args = ap.parse_args()
    try:
        help_text = subprocess.run([args.program, "--help"], capture_output=True, text=True,
                                   check=True).stdout
        version = subprocess.run([args.program, "--version"], capture_output=True, text=True,
                                 check=True).stdout.strip()
        tail = open(args.tail, encoding="utf-8").read() if args.tail else ""
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"mkman.py: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(render(help_text, version, args.summary, args.date, tail))
    return 0


if __name__ == "__main__":
    sys.exit(main())
