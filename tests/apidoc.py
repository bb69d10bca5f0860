#!/usr/bin/env python3
"""Every public declaration (KPI_API) in include/kpi/*.h has a Doxygen block
that lists its return codes (@return, unless it returns void) and says how it
may be used from threads.  Doxygen itself checks parameters and presence."""
import glob
import os
import re
import sys

top = os.environ.get("top_srcdir", ".")
problems = 0
count = 0
for header in sorted(glob.glob(os.path.join(top, "include", "kpi", "*.h"))):
    text = open(header, encoding="utf-8").read()
    for m in re.finditer(r"/\*\*(.*?)\*/\s*(KPI_API[^;{]*[;{])", text, re.S):
        doc, decl = m.group(1), m.group(2)
        name = re.search(r"(kpi_\w+)\s*\(", decl)
        if not name:
            continue
        count += 1
        missing = []
        if not re.search(r"[Tt]hread|concurren", doc):
            missing.append("a thread-safety sentence")
        if "@return" not in doc and not re.match(r"KPI_API\s+void\s", decl):
            missing.append("@return with its error codes")
        if missing:
            problems += 1
            print(f"{os.path.basename(header)}: {name.group(1)} lacks {' and '.join(missing)}")
    # a declaration without any doc block right before it
    for m in re.finditer(r"(?<!\*/\n)^KPI_API[^;]*;", text, re.M):
        before = text[: m.start()].rstrip()
        if not before.endswith("*/"):
            problems += 1
            print(f"{os.path.basename(header)}: undocumented: {m.group(0)[:60]}")
if problems:
    print(f"apidoc: {problems} problems")
    sys.exit(1)
print(f"apidoc: {count} public functions, each with its errors and thread-safety")
