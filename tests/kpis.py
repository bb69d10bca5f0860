#!/usr/bin/env python3
"""docs/kpis.md (the KPI -> function table) names what exists.

In every row of a table with the columns function(s) | header | source |
tests, each function written `kpi_name()` is declared (KPI_API) in one of
the row's headers, defined in one of its sources and named in one of its
test files, and those files exist.  In the ticket engine's table (read
with | metric / counter), each function is declared in kpi/engine.h and
each metric or counter, shorthand expanded (`KPI_ENGINE_REPLY_TIME(_BUSINESS)`,
`_NPS` after `KPI_ENGINE_CSAT`, `KPI_ENGINE_COUNT_NEW .. _SOLVED`), is
defined there.  Every other kpi_ / KPI_ name that docs/kpis.md,
docs/mainpage.md and README.md write is declared or defined in include/
(a name ending in `_`, as in `KPI_ENGINE_SLA_*`, is a prefix: some name
must start with it).
SPDX-License-Identifier: MIT
"""
import glob
import os
import re
import sys

top = os.environ.get("top_srcdir", ".")
problems = []


def read(rel):
    with open(os.path.join(top, rel), encoding="utf-8") as f:
        return f.read()


headers = {os.path.relpath(h, os.path.join(top, "include")): read(os.path.relpath(h, top))
           for h in glob.glob(os.path.join(top, "include", "kpi.h")) + glob.glob(os.path.join(top, "include", "kpi", "*.h"))}
all_headers = "\n".join(headers.values())
# names the docs may write that are no C identifiers of the library
NOT_IN_INCLUDE = {"KPI_LIBRARY", "KPI_PYTHON", "KPI_FUZZ_SECONDS", "KPI_BENCH_QUICK"}


def declared(name, text):
    return re.search(r"^KPI_API[^;]*\b%s\s*\(" % re.escape(name), text, re.M) is not None


def defined_macro(name, text):
    return re.search(r"#\s*define\s+%s\b" % re.escape(name), text) is not None


def row_files(cell, base):
    out = []
    for p in (x.strip() for x in cell.split(",")):
        path = os.path.join(base, p)
        if not os.path.exists(os.path.join(top, path)):
            problems.append("docs/kpis.md names %s, which does not exist" % path)
            continue
        out.append(read(path))
    return "\n".join(out)


kpis = read("docs/kpis.md")
rows = checked = 0
for line in kpis.splitlines():
    if not line.startswith("|") or line.startswith("|---"):
        continue
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if cells[0] in ("KPI", "what"):
        continue
    funcs = re.findall(r"\b(kpi_[a-z0-9_]+)\(\)", cells[1])
    if len(cells) == 5:
        rows += 1
        htext = row_files(cells[2], "include")
        stext = row_files(cells[3], ".")
        ttext = row_files(cells[4], ".")
        for f in funcs:
            checked += 1
            if not declared(f, htext):
                problems.append("docs/kpis.md: %s is not declared in %s" % (f, cells[2]))
            if not re.search(r"^[A-Za-z][^\n]*\b%s\s*\((?![^\n]*\);[ \t]*$)" % re.escape(f), stext, re.M):
                problems.append("docs/kpis.md: %s is not defined in %s" % (f, cells[3]))
            if not re.search(r"\b%s\b" % re.escape(f), ttext):
                problems.append("docs/kpis.md: %s is not named in %s" % (f, cells[4]))
    elif len(cells) == 4:  # the engine: KPI | read with | metric / counter | primitive
        rows += 1
        engine = headers[os.path.join("kpi", "engine.h")]
        for f in funcs:  # kpi/engine.h's, or a primitive's read (kpi_series_period())
            checked += 1
            if not declared(f, all_headers):
                problems.append("docs/kpis.md: %s is declared in no header" % f)
        before = None
        for tok in re.findall(r"KPI_[A-Z0-9_]+(?:\(_[A-Z0-9_]+\))?\*?|(?<![A-Za-z0-9])_[A-Z0-9_]+", cells[2]):
            if tok.startswith("KPI_"):
                m = re.fullmatch(r"(KPI_[A-Z0-9_]+)\((_[A-Z0-9_]+)\)", tok)
                names = [m[1], m[1] + m[2]] if m else [tok]
                before = names[0]
            elif before:  # "_NPS" after KPI_ENGINE_CSAT: the name with a tail replaced
                cut = [before[:i] for i in range(len(before)) if before[i] == "_" and i > 4]
                hits = [c + tok for c in cut if defined_macro(c + tok, engine)]
                names = hits[:1] or [before + "(" + tok + ")"]
            else:
                problems.append("docs/kpis.md: %s with no name before it" % tok)
                continue
            for n in names:
                checked += 1
                if n.endswith("*"):
                    if not re.search(r"#\s*define\s+%s" % re.escape(n[:-1]), engine):
                        problems.append("docs/kpis.md: no macro starts with %s" % n[:-1])
                elif not defined_macro(n, engine):
                    problems.append("docs/kpis.md: %s is not defined in kpi/engine.h" % n)

for doc in ("docs/kpis.md", "docs/mainpage.md", "README.md"):
    for name in sorted(set(re.findall(r"\b(?:kpi|KPI)_[A-Za-z0-9_]*[A-Za-z0-9_]", read(doc)))):
        if name in NOT_IN_INCLUDE:
            continue
        checked += 1
        if name.endswith("_"):
            if not re.search(r"\b%s[A-Za-z0-9_]" % re.escape(name), all_headers):
                problems.append("%s: no name in include/ starts with %s" % (doc, name))
        elif not re.search(r"\b%s\b" % re.escape(name), all_headers):
            problems.append("%s: %s is in no header of include/" % (doc, name))

for p in problems:
    print("kpis: " + p)
if problems:
    print("kpis: %d problems" % len(problems))
    sys.exit(1)
if rows < 40:
    print("kpis: only %d rows read from docs/kpis.md: the table's layout changed" % rows)
    sys.exit(1)
print("kpis: %d table rows, %d names, each where docs/kpis.md, docs/mainpage.md and README.md say" % (rows, checked))
