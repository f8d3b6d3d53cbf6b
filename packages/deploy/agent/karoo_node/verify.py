"""What differs between a node and what it should hold: a release's files, and an installation
against the lock (names, versions, RECORD hashes)."""

import csv
import os

from .services import UNIT_DIR, service_manager
from .util import b64_digest, file_sha256, port_open, read_json, sha256_file
from .wheel import norm


def release_file_diffs(rdir, desired):
    diffs = []
    for f in desired["files"]:
        p = os.path.join(rdir, f["path"])
        try:
            st = os.lstat(p)
        except OSError:
            diffs.append("file %s is missing" % f["path"])
            continue
        if not os.path.isfile(p) or os.path.islink(p):
            diffs.append("file %s is not a regular file" % f["path"])
            continue
        actual = sha256_file(p)
        if actual != f["sha256"]:
            diffs.append("file %s changed since deploy: sha256 %s, deployed %s" % (f["path"], actual[:12], f["sha256"][:12]))
        elif (st.st_mode & 0o7777) != int(f["mode"], 8):
            diffs.append("file %s has mode %o, deployed %s" % (f["path"], st.st_mode & 0o7777, f["mode"]))
    for u in desired["services"]:
        p = os.path.join(rdir, "units", u["unit"])
        if not os.path.isfile(p):
            diffs.append("unit file units/%s is missing" % u["unit"])
    return diffs


def site_packages(venv):
    lib = os.path.join(venv, "lib")
    try:
        pys = [d for d in os.listdir(lib) if d.startswith("python")]
    except OSError:
        return []
    return [os.path.join(lib, d, "site-packages") for d in sorted(pys)]


def verify_venv(venv, expected, check_marker, candidate=None, known=None):
    """Differences between the distributions installed in `venv` and the lock (name, version, RECORD hashes).

    `known`: sha256 (urlsafe base64, as RECORD writes it) of files by path, taken from the bytes
    as they were written by this same call (unpack_stream); those files are not read again."""
    diffs = []
    if check_marker:
        m = read_json(os.path.join(venv, ".karoo-venv.json"))
        if not m or m.get("candidate") != candidate:
            return ["installation %s is missing or incomplete" % venv]
    found = {}
    for sp in site_packages(venv):
        for entry in sorted(os.listdir(sp)):
            if not entry.endswith(".dist-info"):
                continue
            d = os.path.join(sp, entry)
            meta = {}
            try:
                with open(os.path.join(d, "METADATA"), encoding="utf-8", errors="replace") as f:
                    for line in f:
                        if not line.strip():
                            break
                        k, _, v = line.partition(":")
                        meta.setdefault(k.strip().lower(), v.strip())
            except OSError:
                diffs.append("%s has no METADATA" % entry)
                continue
            found[norm(meta.get("name", entry))] = (meta.get("version", "?"), sp, d)
    want = {norm(e["name"]): e for e in expected}
    for name in sorted(want):
        e = want[name]
        if name not in found:
            if not e.get("marker"):
                diffs.append("%s %s is not installed" % (name, e["version"]))
        elif found[name][0] != e["version"]:
            diffs.append("%s is installed at %s, the lock has %s" % (name, found[name][0], e["version"]))
    for name in sorted(found):
        if name not in want:
            diffs.append("%s %s is installed but not in the lock" % (name, found[name][0]))
    for name in sorted(found):
        version, sp, d = found[name]
        try:
            with open(os.path.join(d, "RECORD"), encoding="utf-8") as f:
                rows = f.read().splitlines()
        except OSError:
            diffs.append("%s %s has no RECORD" % (name, version))
            continue
        for row in csv.reader(rows):
            if len(row) < 2 or not row[1].startswith("sha256="):
                continue
            path = row[0]
            full = os.path.normpath(os.path.join(sp, path))
            try:
                got = known.get(full) if known else None
                if got is None:
                    got = b64_digest(file_sha256(full).digest())
            except OSError:
                diffs.append("%s %s: %s is missing" % (name, version, path))
                continue
            if got != row[1][len("sha256="):]:
                diffs.append("%s %s: %s differs from its RECORD hash" % (name, version, path))
    return diffs


class Verification:
    """Node.verify: every difference between the node and a release."""

    def verify(self, rel, wait=0):
        """Every difference between the node and release `rel`, first the most telling one."""
        diffs = []
        cur = self.link_target("current")
        if cur != rel:
            diffs.append("current release is %s, not %s" % (cur or "none", rel))
            return diffs
        rdir = self.release(rel)
        desired = read_json(os.path.join(rdir, ".karoo", "release.json"))
        if not desired or desired.get("damaged"):
            return ["release %s has no readable release.json" % rel]
        diffs += release_file_diffs(rdir, desired)
        venv = self.venv(desired["candidateShort"])
        diffs += verify_venv(venv, desired["expected"], check_marker=True, candidate=desired["candidate"])
        systemd = service_manager() == "systemd"
        states = self.services_state([s["unit"] for s in desired["services"]])
        for s in desired["services"]:
            if systemd:
                link = os.path.join(UNIT_DIR, s["unit"])
                want = os.path.join(self.root, "current", "units", s["unit"])
                try:
                    if os.readlink(link) != want:
                        diffs.append("unit %s points at %s, not %s" % (s["unit"], os.readlink(link), want))
                except OSError:
                    diffs.append("unit %s is not installed in %s" % (s["unit"], UNIT_DIR))
            else:
                state = read_json(self.state_path(s["unit"])) or {}
                if state.get("release") != rdir:
                    diffs.append("the supervisor of %s runs release %s, not %s" % (s["unit"], state.get("release") or "none", rdir))
            state = states[s["unit"]]
            if state.get("ActiveState") != "active":
                diffs.append("service %s is %s (%s)" % (s["unit"], state.get("ActiveState", "unknown"), state.get("SubState", "")))
            elif s.get("port") and not port_open(s["port"]):
                diffs.append("service %s is active but port %d is not listening" % (s["unit"], s["port"]))
        return diffs
