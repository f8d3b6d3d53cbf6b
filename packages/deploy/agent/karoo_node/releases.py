"""Releases: building one (candidate + this node's configuration), switching `current` to it,
the receipt, and pruning what no release needs any more."""

import base64
import json
import os
import shutil

from .errors import Fail
from .services import service_manager, unit_text
from .util import check_hex, check_relpath, now_iso, read_json, symlink_atomic, write_atomic
from .verify import release_file_diffs

FORMAT = 1


class Releases:
    """Release methods of Node."""

    def build_release(self, req, agent_source):
        rel = req["releaseId"]
        final = self.release(rel)
        desired = req["release"]
        existing = read_json(os.path.join(final, ".karoo", "release.json"))
        if existing == desired:
            diffs = release_file_diffs(final, desired)
            if not diffs:
                return "reused"
            if self.link_target("current") != rel:
                shutil.rmtree(final)
            else:
                # The running release was changed by hand: put the files back in place, one by one.
                self.write_files(final, req["files"])
                return "repaired"
        elif os.path.lexists(final):
            if self.link_target("current") == rel:
                raise Fail("release %s is running but its release.json differs from the desired one" % rel)
            shutil.rmtree(final)
        os.makedirs(self.releases, exist_ok=True)
        tmp = os.path.join(self.releases, ".tmp-%s-%d" % (rel, os.getpid()))
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(os.path.join(tmp, ".karoo"))
        os.makedirs(os.path.join(tmp, "units"))
        os.symlink(os.path.join("..", "..", check_hex(desired["candidateShort"], 12), "bin"), os.path.join(tmp, "bin"))
        self.write_files(tmp, req["files"])
        for s in desired["services"]:
            write_atomic(os.path.join(tmp, "units", s["unit"]), unit_text(self, rel, desired, s).encode())
        write_atomic(os.path.join(tmp, ".karoo", "karoo_node.py"), agent_source, 0o755)
        write_atomic(os.path.join(tmp, ".karoo", "release.json"), json.dumps(desired, sort_keys=True, indent=1).encode())
        os.rename(tmp, final)
        return "built"

    def write_files(self, rdir, files):
        for f in files:
            p = os.path.join(rdir, check_relpath(f["path"]))
            os.makedirs(os.path.dirname(p), exist_ok=True)
            write_atomic(p, base64.b64decode(f["content"]), int(f["mode"], 8))

    def switch(self, rel):
        """Points current at the release (one rename), keeps the old one as previous, then converges systemd."""
        rdir = self.release(rel)
        desired = read_json(os.path.join(rdir, ".karoo", "release.json"))
        if not desired or desired.get("damaged"):
            raise Fail("release %s is not complete on the node" % rel)
        old = self.link_target("current")
        old_desired = read_json(os.path.join(self.release(old), ".karoo", "release.json")) if old else None
        symlink_atomic(os.path.join("releases", rel), os.path.join(self.root, "current"))
        if old and old != rel:
            symlink_atomic(os.path.join("releases", old), os.path.join(self.root, "previous"))
        if service_manager() == "systemd":
            self.converge_units(desired, old_desired if old != rel else None)
        else:
            self.converge_supervised(desired, old_desired, rdir)
        return old

    def write_receipt(self, desired, extra):
        receipt = {
            "format": FORMAT,
            "system": self.system,
            "systemId": desired["systemId"],
            "candidate": desired["candidate"],
            "configDigest": desired["configDigest"],
            "environment": desired["environment"],
            "node": desired["node"],
            "role": desired["role"],
            "stateDigest": desired["stateDigest"],
            "release": desired["releaseId"],
            "deployedAt": now_iso(),
        }
        receipt.update(extra)
        data = json.dumps(receipt, sort_keys=True)
        write_atomic(os.path.join(self.root, "receipt.json"), data.encode())
        with open(os.path.join(self.root, "history.jsonl"), "a", encoding="utf-8") as f:
            f.write(data + "\n")
        return receipt

    def prune(self):
        keep = {x for x in (self.link_target("current"), self.link_target("previous")) if x}
        venvs = set()
        for name in sorted(os.listdir(self.releases)) if os.path.isdir(self.releases) else []:
            p = os.path.join(self.releases, name)
            if name in keep:
                d = read_json(os.path.join(p, ".karoo", "release.json")) or {}
                venvs.add(d.get("candidateShort"))
            elif name.startswith(".tmp-") or len(name) == 16:
                shutil.rmtree(p, ignore_errors=True)
        blobs = set()
        for name in os.listdir(self.root):
            p = os.path.join(self.root, name)
            if len(name) == 12 and os.path.isdir(p) and not os.path.islink(p):
                if name in venvs:
                    m = read_json(os.path.join(p, ".karoo-venv.json")) or {}
                    blobs.update(m.get("blobs", []))
                else:
                    shutil.rmtree(p, ignore_errors=True)
            elif name.startswith(".work-"):
                shutil.rmtree(p, ignore_errors=True)
        for name in os.listdir(self.blobs) if os.path.isdir(self.blobs) else []:
            if name not in blobs:
                try:
                    os.unlink(os.path.join(self.blobs, name))
                except OSError:
                    pass
