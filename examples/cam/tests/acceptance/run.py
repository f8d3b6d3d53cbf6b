#!/usr/bin/env python3
"""Runs the CAM acceptance tests; writes JUnit XML with --junit PATH. Exit 0 only if all passed.

Usage: KAROO_INVENTORY=inventory.json [KAROO_LOCK=pylock.toml] [KAROO_VALUES=values.json]
       [KAROO_ENVIRONMENT=integration] python3 tests/acceptance/run.py [--junit FILE] [-v]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))


class RecordingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = []
        self._started = {}

    def startTest(self, test):
        self._started[test.id()] = time.monotonic()
        super().startTest(test)

    def _record(self, test, outcome, detail=""):
        t = time.monotonic() - self._started.get(test.id(), time.monotonic())
        self.records.append((test.id(), outcome, detail, t))

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "failed", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skipped", reason)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._record(subtest, "failed" if failed else "error", self._exc_info_to_string(err, test))


def write_junit(path: str, records: list, elapsed: float) -> None:
    counts = {k: sum(1 for r in records if r[1] == k) for k in ("failed", "error", "skipped")}
    suite = ET.Element(
        "testsuite",
        name="cam-acceptance",
        tests=str(len(records)),
        failures=str(counts["failed"]),
        errors=str(counts["error"]),
        skipped=str(counts["skipped"]),
        time=f"{elapsed:.3f}",
    )
    for test_id, outcome, detail, t in records:
        cls, _, name = test_id.rpartition(".")
        case = ET.SubElement(suite, "testcase", classname=cls, name=name, time=f"{t:.3f}")
        if outcome == "failed":
            ET.SubElement(case, "failure", message=detail.strip().splitlines()[-1] if detail.strip() else "").text = detail
        elif outcome == "error":
            ET.SubElement(case, "error", message=detail.strip().splitlines()[-1] if detail.strip() else "").text = detail
        elif outcome == "skipped":
            ET.SubElement(case, "skipped", message=detail)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    ET.ElementTree(suite).write(tmp, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--junit", help="write JUnit XML here")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, HERE)
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    runner = unittest.TextTestRunner(verbosity=2 if args.verbose else 1, resultclass=RecordingResult)
    start = time.monotonic()
    result = runner.run(suite)
    if args.junit:
        write_junit(args.junit, result.records, time.monotonic() - start)
    passed = sum(1 for r in result.records if r[1] == "passed")
    failed = sum(1 for r in result.records if r[1] in ("failed", "error"))
    skipped = sum(1 for r in result.records if r[1] == "skipped")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if result.wasSuccessful() and failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
