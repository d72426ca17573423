"""Sum the JUnit reports of `make test` (CPython, Pyodide, browser) into one closing line."""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

totals = {"passed": 0, "failed": 0, "skipped": 0}
for report in map(Path, sys.argv[1:]):
    if not report.is_file():  # an unmatched glob: that run wrote no report
        continue
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for suite in ET.parse(report).getroot().iter("testsuite"):
        tests, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        counts["passed"] += tests - skipped - failed
        counts["failed"] += failed
        counts["skipped"] += skipped
    print(f"{report.stem}: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    for key, n in counts.items():
        totals[key] += n
print(f"Total: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
