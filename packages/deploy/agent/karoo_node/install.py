"""Installing a candidate on the node: from its wheels, or from the installed tree another node
of the same target packed; either way verified against the lock before it counts."""

import json
import os
import shutil
import time

from .archive import Limited, pack_tree, unpack_stream, unpack_tree
from .errors import Fail, InputFail, IntegrityFail
from .target import choose_wheels, target_info
from .util import check_hex, now_iso, read_json, write_atomic
from .verify import verify_venv
from .wheel import create_venv, install_wheel


class Installs:
    """Installation methods of Node (self.venv(cand12): where a candidate is installed)."""

    def install(self, req, stream=None):
        """Makes <candidate-12>/ hold exactly the lock: from the wheels (karoo's own installer,
        no pip) or from an installed tree built on another node of the same target (an archive
        checked against its digest); either way verified against the lock before it counts.

        An archive marked `inline` follows the request on `stream`: it is unpacked as it arrives,
        hashing both the archive (its digest must match before the tree counts; otherwise the
        tree is deleted) and every file written, so that verifying RECORD hashes needs no second
        read of the tree."""
        cand12 = req["candidateShort"]
        venv = self.venv(cand12)
        marker = os.path.join(venv, ".karoo-venv.json")
        m = read_json(marker)
        t = {}
        archive = req.get("archive")
        inline = bool(archive and archive.get("inline"))
        if inline and stream is None:
            raise InputFail("an inline installation archive needs the request's stream")
        if m and m.get("candidate") == req["candidate"]:
            diffs = verify_venv(venv, req["expected"], check_marker=False)
            if not diffs:
                if inline:
                    Limited(stream, int(archive["size"])).drain()
                t["reused"] = True
                return t
            t["repairedFrom"] = diffs[0]  # changed by hand since it was installed: install it again
        start = time.monotonic()
        known = None
        if inline:
            check_hex(archive["hex"])
        elif archive:
            apath = self.verify_blob(archive["hex"])
        else:
            chosen = choose_wheels(req["wheels"])
            paths = {w["hex"]: self.verify_blob(w["hex"]) for w in chosen}
        t["verifyBlobs"] = time.monotonic() - start
        start = time.monotonic()
        if os.path.lexists(venv):
            shutil.rmtree(venv)  # an interrupted installation: never used, since no release points at it without its marker
        try:
            if inline:
                known = unpack_stream(stream, archive["hex"], int(archive["size"]), venv)
                t["unpack"] = time.monotonic() - start
                t["from"] = "archive"
            elif archive:
                unpack_tree(apath, venv)
                t["unpack"] = time.monotonic() - start
                t["from"] = "archive"
            else:
                create_venv(venv)
                t["venv"] = time.monotonic() - start
                start = time.monotonic()
                files = 0
                for w in sorted(chosen, key=lambda x: x["filename"]):
                    files += install_wheel(paths[w["hex"]], venv, w["filename"])
                t["wheels"] = time.monotonic() - start
                t["files"] = files
                t["from"] = "wheels"
        except Fail:
            shutil.rmtree(venv, ignore_errors=True)
            raise
        start = time.monotonic()
        diffs = verify_venv(venv, req["expected"], check_marker=False, known=known)
        if diffs:
            raise IntegrityFail("installation differs from the lock: %s" % diffs[0])
        t["verifyInstall"] = time.monotonic() - start
        blobs = [] if archive else sorted(w["hex"] for w in chosen)
        write_atomic(marker, json.dumps({"candidate": req["candidate"], "installedAt": now_iso(), "blobs": blobs, "from": t["from"], "target": target_info()}, sort_keys=True).encode())
        return t

    def pack(self, req, out=None):
        """Packs the verified installation of a candidate into an archive for the other nodes of
        this target: into the blob store, or (`out`) straight onto the runner's stream."""
        venv = self.venv(req["candidateShort"])
        m = read_json(os.path.join(venv, ".karoo-venv.json")) or {}
        if m.get("candidate") != req["candidate"]:
            raise Fail("candidate %s is not installed on this node: nothing to pack" % req["candidate"])
        start = time.monotonic()
        if out is not None:
            hexd, size = pack_tree(venv, None, out)
        else:
            os.makedirs(self.blobs, exist_ok=True)
            hexd, size = pack_tree(venv, os.path.join(self.blobs, "pack"))
        return {"hex": hexd, "size": size, "seconds": time.monotonic() - start, "target": target_info()}
