"""Installed versions, read with importlib.metadata (what /version reports)."""

from __future__ import annotations

import json
import re
import sys
from importlib import metadata

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalize(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions() -> dict:
    """Every distribution importable from sys.path: normalised name -> version."""
    out: dict = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            out.setdefault(normalize(name), dist.version)
    return dict(sorted(out.items()))


def dependency_closure(distribution: str) -> dict:
    """The installed distributions ``distribution`` needs, directly or not.

    Markers cannot be evaluated without third-party code, so a requirement counts when the
    distribution it names is installed.
    """
    installed = installed_versions()
    seen: dict = {}
    todo = [distribution]
    while todo:
        name = normalize(todo.pop())
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for req in requires:
            m = _NAME.match(req)
            if not m:
                continue
            dep = normalize(m.group(1))
            if dep in installed and dep not in seen and dep != normalize(distribution):
                seen[dep] = installed[dep]
                todo.append(dep)
    return dict(sorted(seen.items()))


def version_report(distribution: str) -> dict:
    """What a service's /version answers."""
    try:
        own = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        own = None
    return {
        "distribution": normalize(distribution),
        "version": own,
        "requires": dependency_closure(distribution),
        "installed": installed_versions(),
        "python": ".".join(str(p) for p in sys.version_info[:3]),
    }


def main(argv: list | None = None) -> int:
    """``cam-versions [DIST]``: prints the installed versions as JSON."""
    args = sys.argv[1:] if argv is None else argv
    report = version_report(args[0]) if args else {"installed": installed_versions()}
    print(json.dumps(report, indent=2, sort_keys=True))
    return 0
