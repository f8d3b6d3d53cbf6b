"""karoo's node agent: makes one node converge to its desired state, and reports on it.

Sent over SSH by `karoo deploy` on every call (never installed by hand): the runner starts
`python3 -c BOOTSTRAP COMMAND`, writes the length of this file, this file, one JSON request
line, and for `receive` the raw bytes of the blobs. The last line of stdout is the JSON
answer: {"ok": true, ...} or {"ok": false, "error": "..."}. Nothing from the request is ever
given to a shell: paths, values, commands and environment variables are data, used through
argument vectors and files.

Layout under /opt/karoo/<system>/ (ROOT):
  blobs/sha256/<hex>         blobs of candidates, each checked against its sha256 on arrival
                             and again before use
  <candidate-12>/            the candidate's installation: a venv, written once (marker
                             .karoo-venv.json written last), never changed afterwards
  releases/<release-16>/     one release = candidate + this node's configuration:
                             bin -> ../../<candidate-12>/bin, rendered files, units/,
                             .karoo/release.json (the desired state), .karoo/karoo_node.py
  current -> releases/…      the running release (switched by renaming a new symlink over it)
  previous -> releases/…     the release before it: `karoo rollback` switches back to it
  receipt.json               what was deployed and when; history.jsonl: every receipt

Services run under systemd where the node runs it (/run/systemd/system exists): one unit per
service, linked from the current release. Elsewhere (containers without an init, hosts
where /etc/karoo/service-manager says "supervisor") karoo's own small supervisor runs them:
one detached `supervise SERVICE` process per service that restarts it with backoff, keeps
its state in /run/karoo/<system>/<unit>.json and its output in <root>/logs/<unit>.log.

Installing needs no pip, on the node or in the lock: the agent's own wheel installer unpacks
each locked wheel (already checked against the lock's sha256) into a `--without-pip` venv,
refusing any file its RECORD does not vouch for with a matching hash. A deploy installs once
per target: the first node of a target packs its verified installation into a deterministic
archive (`pack`), the runner fetches it (`send`) and the other nodes of that target unpack it
(`prepare` with `archive`), checked against its digest; every node then verifies its
installation against the lock (versions and RECORD hashes).

Standard library only; Python >= 3.9. `exec SERVICE` is what both run: it starts a service of
the release it sits in, with the command, environment and working directory of release.json,
through execve (no shell).
"""

import base64
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

BASE = "/opt/karoo"
UNIT_DIR = "/etc/systemd/system"
WANTS_DIR = "/etc/systemd/system/multi-user.target.wants"
RUN_DIR = "/run/karoo"
MANAGER_FILE = "/etc/karoo/service-manager"
FORMAT = 1
KEEP_RELEASES = 2
RAW_OUT = [None]


class Fail(Exception):
    pass


class IntegrityFail(Fail):
    """Bytes that do not match what vouches for them (a blob's digest, a wheel's RECORD): refused, never installed."""


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def check_name(value, what):
    ok = isinstance(value, str) and 0 < len(value) <= 64 and all(c.isalnum() or c in "-_." for c in value)
    if not ok or value.startswith(".") or not value.isascii():
        raise Fail("%s %r is not a plain name" % (what, value))
    return value


def check_hex(value, n=64):
    if not isinstance(value, str) or len(value) != n or any(c not in "0123456789abcdef" for c in value):
        raise Fail("%r is not a %d-digit hex digest" % (value, n))
    return value


def check_relpath(p):
    if not isinstance(p, str) or p == "" or p.startswith("/") or "\x00" in p:
        raise Fail("file path %r must be relative to the release" % (p,))
    parts = p.split("/")
    if any(x in ("", ".", "..") for x in parts) or parts[0] in (".karoo", "bin", "units"):
        raise Fail("file path %r must stay inside the release and not use bin/, units/ or .karoo/" % (p,))
    return p


def file_sha256(path):
    """The sha256 hash object of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h


def sha256_file(path):
    return file_sha256(path).hexdigest()


def write_atomic(path, data, mode=0o644):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def symlink_atomic(target, path):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    os.symlink(target, tmp)
    os.replace(tmp, path)


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except ValueError:
        return {"damaged": True}


def service_manager():
    """`systemd` where the node runs it, else `supervisor`; /etc/karoo/service-manager decides when present."""
    try:
        with open(MANAGER_FILE, encoding="utf-8") as f:
            chosen = f.read().strip()
        if chosen in ("systemd", "supervisor"):
            return chosen
    except OSError:
        pass
    return "systemd" if os.path.isdir("/run/systemd/system") else "supervisor"


def pid_alive(pid):
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


def run(argv, timeout=600):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


class Node:
    def __init__(self, system):
        self.system = check_name(system, "system")
        self.root = os.path.join(BASE, self.system)
        self.blobs = os.path.join(self.root, "blobs", "sha256")
        self.releases = os.path.join(self.root, "releases")
        self.lock_fd = None

    # -- paths -------------------------------------------------------------------------
    def venv(self, cand12):
        return os.path.join(self.root, check_hex(cand12, 12))

    def release(self, rel):
        return os.path.join(self.releases, check_hex(rel, 16))

    def link_target(self, name):
        try:
            t = os.readlink(os.path.join(self.root, name))
        except OSError:
            return None
        base = os.path.basename(t)
        return base if len(base) == 16 else None

    def lock(self):
        os.makedirs(self.root, exist_ok=True)
        self.lock_fd = os.open(os.path.join(self.root, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise Fail("another karoo deploy holds %s/.lock on this node; wait for it to finish" % self.root)

    # -- blobs -------------------------------------------------------------------------
    def have_blob(self, hexd):
        return os.path.isfile(os.path.join(self.blobs, check_hex(hexd)))

    def receive(self, blobs, stream):
        os.makedirs(self.blobs, exist_ok=True)
        got = 0
        for b in blobs:
            hexd, size = check_hex(b["hex"]), int(b["size"])
            final = os.path.join(self.blobs, hexd)
            tmp = "%s.part-%d" % (final, os.getpid())
            h = hashlib.sha256()
            left = size
            with open(tmp, "wb") as f:
                while left > 0:
                    chunk = stream.read(min(left, 1 << 20))
                    if not chunk:
                        os.unlink(tmp)
                        raise Fail("blob sha256:%s ended after %d of %d bytes" % (hexd, size - left, size))
                    h.update(chunk)
                    f.write(chunk)
                    left -= len(chunk)
                f.flush()
                os.fsync(f.fileno())
            if h.hexdigest() != hexd:
                os.unlink(tmp)
                raise IntegrityFail("blob sha256:%s arrived as sha256:%s: refused" % (hexd, h.hexdigest()))
            os.chmod(tmp, 0o444)
            os.replace(tmp, final)
            got += size
        return got

    def verify_blob(self, hexd):
        path = os.path.join(self.blobs, check_hex(hexd))
        if not os.path.isfile(path):
            raise Fail("blob sha256:%s is not on the node" % hexd)
        actual = sha256_file(path)
        if actual != hexd:
            os.unlink(path)
            raise IntegrityFail("blob sha256:%s on the node holds sha256:%s: deleted; deploy again to re-send it" % (hexd, actual))
        return path

    # -- install -----------------------------------------------------------------------
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
            raise Fail("an inline installation archive needs the request's stream")
        if m and m.get("candidate") == req["candidate"]:
            diffs = verify_venv(venv, req["expected"], check_marker=False)
            if not diffs:
                if inline:
                    _Limited(stream, int(archive["size"])).drain()
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
            raise Fail("installation differs from the lock: %s" % diffs[0])
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

    # -- releases ----------------------------------------------------------------------
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

    # -- switch ------------------------------------------------------------------------
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

    # -- services under karoo's supervisor ----------------------------------------------
    def state_path(self, unit):
        return os.path.join(RUN_DIR, self.system, unit + ".json")

    def log_path(self, unit):
        return os.path.join(self.root, "logs", unit + ".log")

    def converge_supervised(self, desired, old_desired, rdir):
        """Stops the supervisors of the old release's services, then starts one per service of this one."""
        units = [s["unit"] for s in desired["services"]]
        for u in units + [s["unit"] for s in (old_desired or {}).get("services", []) if s["unit"] not in units]:
            self.stop_supervised(u)
        os.makedirs(os.path.join(self.root, "logs"), exist_ok=True)
        os.makedirs(os.path.join(RUN_DIR, self.system), exist_ok=True)
        agent = os.path.join(rdir, ".karoo", "karoo_node.py")
        for svc in desired["services"]:
            with open(self.log_path(svc["unit"]), "ab") as log:
                subprocess.Popen([sys.executable, agent, "supervise", svc["name"]], stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True, close_fds=True, cwd="/")
        deadline = time.monotonic() + 10
        for u in units:
            while read_json(self.state_path(u)) is None:
                if time.monotonic() > deadline:
                    raise Fail("the supervisor of %s did not start: %s" % (u, self.log_tail(u)))
                time.sleep(0.05)

    def stop_supervised(self, unit):
        state = read_json(self.state_path(unit)) or {}
        for key in ("supervisor", "pid"):
            pid = state.get(key)
            if pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
        deadline = time.monotonic() + 15
        while any(pid_alive(state.get(k)) for k in ("supervisor", "pid")) and time.monotonic() < deadline:
            time.sleep(0.05)
        for key in ("supervisor", "pid"):
            if pid_alive(state.get(key)):
                try:
                    os.kill(state[key], signal.SIGKILL)
                except OSError:
                    pass
        try:
            os.unlink(self.state_path(unit))
        except OSError:
            pass

    def service_state(self, unit):
        """systemd's view of a unit, or the same fields from karoo's supervisor."""
        return self.services_state([unit])[unit]

    def services_state(self, units):
        """service_state of several units: one `systemctl show` for all of them."""
        if service_manager() == "systemd":
            return units_state(units)
        return {u: self.supervised_state(u) for u in units}

    def supervised_state(self, unit):
        state = read_json(self.state_path(unit))
        if not state or state.get("damaged") or not pid_alive(state.get("supervisor")):
            return {"ActiveState": "inactive", "SubState": "dead", "Result": "success"}
        if state.get("restarts", 0) > 5 and state.get("state") != "running":
            return {"ActiveState": "failed", "SubState": "restarting", "Result": "exit-code"}
        if state.get("state") == "running" and pid_alive(state.get("pid")):
            return {"ActiveState": "active", "SubState": "running", "Result": "success", "MainPID": str(state["pid"])}
        return {"ActiveState": "activating", "SubState": "auto-restart", "Result": "success"}

    def log_tail(self, unit):
        if service_manager() == "systemd":
            return journal_tail(unit)
        try:
            with open(self.log_path(unit), "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 4096))
                lines = [l for l in f.read().decode("utf-8", "replace").splitlines() if l.strip()]
        except OSError:
            return "(no log)"
        return " | ".join(lines[-5:]) or "(no log lines)"

    def converge_units(self, desired, old_desired):
        units = [s["unit"] for s in desired["services"]]
        stale = [s["unit"] for s in (old_desired or {}).get("services", []) if s["unit"] not in units]
        if stale:
            run(["systemctl", "stop"] + stale, timeout=120)
            for u in stale:
                for d in (UNIT_DIR, WANTS_DIR):
                    try:
                        os.unlink(os.path.join(d, u))
                    except FileNotFoundError:
                        pass
        os.makedirs(WANTS_DIR, exist_ok=True)
        for u in units:
            symlink_atomic(os.path.join(self.root, "current", "units", u), os.path.join(UNIT_DIR, u))
            symlink_atomic(os.path.join(UNIT_DIR, u), os.path.join(WANTS_DIR, u))
        # A daemon-reload re-reads every unit and reruns the generators (~0.6 s of CPU in a small
        # container): skipped only where nothing systemd holds can be stale, that is on a node
        # that ran no release of this system before (or runs this same one again), when systemd
        # says every unit loaded (a unit it has not seen yet is read from disk when first asked
        # about, as here) and none needs a reload. Switching from another release always reloads:
        # NeedDaemonReload only notices a unit file newer than the one loaded, and a rollback's is older.
        loaded = units_state(units, "Id,LoadState,NeedDaemonReload")
        if stale or old_desired is not None or any(st.get("LoadState") != "loaded" or st.get("NeedDaemonReload") != "no" for st in loaded.values()):
            code, out = run(["systemctl", "daemon-reload"], timeout=120)
            if code != 0:
                raise Fail("systemctl daemon-reload failed: %s" % out.strip()[-300:])
        if units:
            code, out = run(["systemctl", "restart"] + units, timeout=300)
            if code != 0:
                raise Fail("systemctl restart %s failed: %s" % (" ".join(units), out.strip()[-300:]))

    def wait_services(self, desired, seconds):
        """Waits until every service is active and its port accepts. A port check is a connect to
        127.0.0.1; the service manager is asked (one call for all units) when every pending port
        accepts, and otherwise at most every half second, to notice a service that failed."""
        deadline = time.monotonic() + seconds
        pending = list(desired["services"])
        asked = 0.0
        while pending:
            listening = [s for s in pending if not s.get("port") or port_open(s["port"])]
            if len(listening) == len(pending) or time.monotonic() - asked >= 0.5:
                asked = time.monotonic()
                states = self.services_state([s["unit"] for s in pending])
                left = []
                for s in pending:
                    state = states[s["unit"]]
                    if state.get("ActiveState") == "active" and s in listening:
                        continue
                    if state.get("ActiveState") == "failed" or state.get("Result") not in (None, "", "success"):
                        raise Fail("service %s is %s (%s): %s" % (s["unit"], state.get("ActiveState"), state.get("Result"), self.log_tail(s["unit"])))
                    left.append(s)
                pending = left
            if pending and time.monotonic() > deadline:
                s = pending[0]
                state = self.service_state(s["unit"])
                why = "port %d is not listening" % s["port"] if state.get("ActiveState") == "active" else "it is %s" % state.get("ActiveState")
                raise Fail("service %s did not come up within %ds: %s; %s" % (s["unit"], seconds, why, self.log_tail(s["unit"])))
            if pending:
                time.sleep(0.05)

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

    # -- verification --------------------------------------------------------------------
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


def norm(name):
    out, dash = [], False
    for c in name.lower():
        if c in "-_.":
            if not dash:
                out.append("-")
            dash = True
        else:
            out.append(c)
            dash = False
    return "".join(out)


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
    import csv
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


# -- installing wheels without pip -------------------------------------------------------
# A locked, hash-checked set of wheels needs no resolver: the agent unpacks each wheel into the
# venv itself, following the binary distribution format (PyPA "wheel" spec), and refuses any
# file that its RECORD does not vouch for with a hash.

RECORD_ALGOS = ("sha256", "sha384", "sha512")
SCHEME_KEYS = ("purelib", "platlib", "scripts", "headers", "data")


def b64_digest(data_hash):
    return base64.urlsafe_b64encode(data_hash).rstrip(b"=").decode("ascii")


def parse_wheel_filename(filename):
    """(distribution, version, [tags]) of a wheel file name; tags expanded from compressed sets."""
    if "/" in filename or not filename.endswith(".whl"):
        raise Fail("wheel file name %r is not a plain .whl name" % (filename,))
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        raise Fail("%r is not a wheel file name (name-version[-build]-python-abi-platform.whl)" % (filename,))
    pys, abis, plats = parts[-3].split("."), parts[-2].split("."), parts[-1].split(".")
    return parts[0], parts[1], ["%s-%s-%s" % (p, a, q) for p in pys for a in abis for q in plats]


def glibc_version():
    try:
        kind, _, ver = os.confstr("CS_GNU_LIBC_VERSION").partition(" ")
        if kind == "glibc":
            major, minor = ver.split(".")[:2]
            return int(major), int(minor)
    except (AttributeError, ValueError, OSError):
        pass
    return None


def supported_tags():
    """The wheel tags this interpreter accepts, most preferred first (as pip orders them, for CPython on Linux)."""
    import platform
    major, minor = sys.version_info[:2]
    impl = {"cpython": "cp", "pypy": "pp"}.get(sys.implementation.name, sys.implementation.name[:2])
    machine = platform.machine()
    plats = []
    g = glibc_version()
    if sys.platform.startswith("linux"):
        if g and g[0] == 2:
            lowest = 5 if machine in ("x86_64", "i686") else 17
            for m in range(g[1], lowest - 1, -1):
                plats.append("manylinux_2_%d_%s" % (m, machine))
                legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}.get(m)
                if legacy:
                    plats.append("%s_%s" % (legacy, machine))
        plats.append("linux_%s" % machine)
    else:
        import sysconfig
        plats.append(sysconfig.get_platform().replace("-", "_").replace(".", "_"))
    own = "%s%d%d" % (impl, major, minor)
    abi = own if impl == "cp" else "none"
    tags = []
    for p in plats:
        tags.append("%s-%s-%s" % (own, abi, p))
    if impl == "cp":
        for p in plats:
            tags.append("%s-abi3-%s" % (own, p))
    for p in plats:
        tags.append("%s-none-%s" % (own, p))
    if impl == "cp":
        for m in range(minor - 1, 1, -1):
            for p in plats:
                tags.append("cp%d%d-abi3-%s" % (major, m, p))
    for p in plats:
        tags += ["py%d%d-none-%s" % (major, minor, p), "py%d-none-%s" % (major, p)]
        tags += ["py%d%d-none-%s" % (major, m, p) for m in range(minor - 1, -1, -1)]
    tags += ["%s-none-any" % own, "py%d%d-none-any" % (major, minor), "py%d-none-any" % major]
    tags += ["py%d%d-none-any" % (major, m) for m in range(minor - 1, -1, -1)]
    return tags


def target_info():
    """What decides whether an installed tree fits this node: the interpreter, its ABI, the platform and libc."""
    import platform
    import sysconfig
    g = glibc_version()
    return {
        "implementation": sys.implementation.name,
        "python": platform.python_version(),
        "executable": sys.executable,
        "soabi": sysconfig.get_config_var("SOABI") or "",
        "platform": sysconfig.get_platform(),
        "machine": platform.machine(),
        "libc": "glibc %d.%d" % g if g else "",
    }


# PEP 508 environment markers: the subset locks use (variables, quoted strings, comparisons,
# `in`/`not in`, and/or, parentheses), evaluated for this interpreter.
_MARKER_TOKEN = None


def marker_environment():
    import platform
    iv = sys.implementation.version
    ver = "%d.%d.%d" % (iv.major, iv.minor, iv.micro)
    if iv.releaselevel != "final":
        ver += iv.releaselevel[0] + str(iv.serial)
    return {
        "os_name": os.name, "sys_platform": sys.platform, "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(), "platform_release": platform.release(),
        "platform_system": platform.system(), "platform_version": platform.version(),
        "python_version": "%d.%d" % sys.version_info[:2], "python_full_version": platform.python_version(),
        "implementation_name": sys.implementation.name, "implementation_version": ver, "extra": "",
    }


def _version_tuple(s):
    import re
    m = re.match(r"^\s*v?(\d+(?:\.\d+)*)(\.\*)?\s*$", s)
    if not m:
        return None, False
    return tuple(int(x) for x in m.group(1).split(".")), bool(m.group(2))


def _compare(left, op, right):
    if op in ("in", "not in"):
        return (left in right) == (op == "in")
    lv, _ = _version_tuple(left)
    rv, wild = _version_tuple(right)
    if lv is not None and rv is not None:
        if wild:
            if op not in ("==", "!="):
                raise Fail("marker comparison %s %s %s is not valid" % (left, op, right))
            return (lv[:len(rv)] == rv) == (op == "==")
        n = max(len(lv), len(rv))
        a, b = lv + (0,) * (n - len(lv)), rv + (0,) * (n - len(rv))
        if op == "~=":
            if len(rv) < 2:
                raise Fail("marker comparison ~= %s needs at least two version parts" % right)
            return a >= b and lv[:len(rv) - 1] == rv[:-1]
        return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "===": left == right}[op]
    if op in ("==", "===", "!="):
        return (left == right) == (op != "!=")
    raise Fail("cannot evaluate marker comparison %r %s %r" % (left, op, right))


def evaluate_marker(marker, env=None):
    """True when the PEP 508 marker holds for this interpreter (or `env`)."""
    import re
    env = marker_environment() if env is None else env
    tokens = re.findall(r"""\s*(\(|\)|'[^']*'|"[^"]*"|===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b|and\b|or\b|[A-Za-z_][A-Za-z0-9_.]*)""", marker)
    if "".join(re.sub(r"\s+", "", t) for t in tokens) != re.sub(r"\s+", "", marker):
        raise Fail("environment marker %r cannot be parsed" % marker)
    tokens = [re.sub(r"\s+", " ", t.strip()) for t in tokens]
    pos = [0]

    def peek():
        return tokens[pos[0]] if pos[0] < len(tokens) else None

    def take():
        t = peek()
        if t is None:
            raise Fail("environment marker %r ends too early" % marker)
        pos[0] += 1
        return t

    def value():
        t = take()
        if t[:1] in ("'", '"'):
            return t[1:-1]
        if t not in env:
            raise Fail("environment marker %r uses an unknown variable %r" % (marker, t))
        return env[t]

    def atom():
        if peek() == "(":
            take()
            v = disj()
            if take() != ")":
                raise Fail("environment marker %r has unbalanced parentheses" % marker)
            return v
        left = value()
        op = take()
        if op not in ("===", "==", "!=", "<=", ">=", "~=", "<", ">", "in", "not in"):
            raise Fail("environment marker %r: %r is not a comparison" % (marker, op))
        return _compare(left, op, value())

    def chain(word, operand, combine):
        # Every operand is evaluated (no short cut), so a bad comparison fails wherever it stands.
        v = operand()
        while peek() == word:
            take()
            v = combine(operand(), v)
        return v

    def conj():
        return chain("and", atom, lambda a, b: a and b)

    def disj():
        return chain("or", conj, lambda a, b: a or b)

    result = disj()
    if peek() is not None:
        raise Fail("environment marker %r has trailing text at %r" % (marker, peek()))
    return result


def choose_wheels(wheels):
    """Per locked package, the one wheel this node installs: its marker holds and its tag is the best supported one."""
    tags = {t: i for i, t in enumerate(supported_tags())}
    by_pkg = {}
    for w in wheels:
        by_pkg.setdefault(w.get("package") or w["filename"], []).append(w)
    chosen = []
    for pkg in sorted(by_pkg):
        ws = by_pkg[pkg]
        marker = ws[0].get("marker")
        if marker and not evaluate_marker(marker):
            continue
        ranked = []
        for w in ws:
            _, _, wtags = parse_wheel_filename(w["filename"])
            best = min([tags[t] for t in wtags if t in tags] or [None], key=lambda x: (x is None, x))
            if best is not None:
                ranked.append((best, w["filename"], w))
        if not ranked:
            raise Fail("no wheel of %s fits this node (%s): %s" % (pkg, supported_tags()[0], ", ".join(w["filename"] for w in ws)))
        chosen.append(sorted(ranked, key=lambda x: (x[0], x[1]))[0][2])
    return chosen


def _safe_member(name, what):
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        raise IntegrityFail("%s: entry %r is not a relative path" % (what, name))
    parts = name.rstrip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise IntegrityFail("%s: entry %r leaves its directory" % (what, name))
    return parts


def _read_record(text, what):
    import csv
    rows = {}
    for row in csv.reader(text.splitlines()):
        if not row:
            continue
        if len(row) < 1 or len(row) > 3:
            raise IntegrityFail("%s: RECORD row %r is malformed" % (what, row))
        path = row[0]
        if path in rows:
            raise IntegrityFail("%s: RECORD lists %s twice" % (what, path))
        rows[path] = (row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else "")
    return rows


def _scheme(venv, dist_name):
    sp = venv_site_packages(venv)
    return {
        "purelib": sp, "platlib": sp, "scripts": os.path.join(venv, "bin"), "data": venv,
        "headers": os.path.join(venv, "include", "site", "python%d.%d" % sys.version_info[:2], dist_name),
    }


def venv_site_packages(venv):
    return os.path.join(venv, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")


def create_venv(venv):
    """`python3 -m venv --without-pip VENV`, in this process: the same standard-library builder, no pip."""
    import venv as venvmod
    try:
        venvmod.EnvBuilder(with_pip=False, symlinks=True, clear=False).create(venv)
    except Exception as e:  # the venv module raises whatever its steps raise
        raise Fail("creating the venv %s failed: %s; install python3-venv on the node" % (venv, e))
    os.makedirs(venv_site_packages(venv), exist_ok=True)


def install_wheel(path, venv, filename=None):
    """Installs one wheel into `venv` (created with create_venv) without pip.

    Every file of the wheel must be listed in its RECORD with a sha256 (or stronger) hash that
    matches, and every RECORD entry must be in the wheel, or nothing of it is written
    (IntegrityFail). Root files go to site-packages; `<dist>.data/<key>/` to the venv's
    purelib/platlib/scripts/headers/data; console and GUI entry points become scripts whose
    shebang is the venv's python. Writes INSTALLER and a RECORD of what was installed (with
    the hashes of rewritten and generated scripts). Bytecode is not compiled up front (as
    `pip install --no-compile`): Python compiles what a service imports, when it imports it.
    Returns the number of files written.
    """
    import configparser
    import re
    import zipfile
    filename = filename or os.path.basename(path)
    what = "wheel %s" % filename
    dist, version, _ = parse_wheel_filename(filename)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise IntegrityFail("%s is not a readable zip archive: %s" % (what, e))
    with zf:
        infos = [i for i in zf.infolist() if not i.filename.endswith("/")]
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise IntegrityFail("%s holds the same path twice" % what)
        for i in infos:
            _safe_member(i.filename, what)
            if (i.external_attr >> 16) & 0o170000 == 0o120000:
                raise IntegrityFail("%s: entry %s is a symbolic link" % (what, i.filename))
        dist_infos = sorted({n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info") and n.count("/") == 1})
        want = "%s-%s.dist-info" % (dist, version)
        matching = [d for d in dist_infos if norm(d[:-10]) == norm(want[:-10]) or d.lower() == want.lower()]
        if len(dist_infos) != 1 or not matching:
            raise IntegrityFail("%s must hold exactly one .dist-info directory named %s (it holds %s)" % (what, want, ", ".join(dist_infos) or "none"))
        info_dir = dist_infos[0]
        data_dir = info_dir[:-len(".dist-info")] + ".data"
        try:
            wheel_meta = zf.read(info_dir + "/WHEEL").decode("utf-8")
            record_text = zf.read(info_dir + "/RECORD").decode("utf-8")
        except KeyError as e:
            raise IntegrityFail("%s has no %s" % (what, e.args[0] if e.args else "WHEEL or RECORD"))
        meta = {}
        for line in wheel_meta.splitlines():
            k, _, v = line.partition(":")
            meta.setdefault(k.strip().lower(), v.strip())
        wv = meta.get("wheel-version", "")
        if not wv.split(".")[0] == "1":
            raise Fail("%s has Wheel-Version %r; this installer reads version 1 wheels" % (what, wv))
        root_key = "purelib" if meta.get("root-is-purelib", "true").lower() == "true" else "platlib"
        record = _read_record(record_text, what)
        unsigned = {info_dir + "/RECORD", info_dir + "/RECORD.jws", info_dir + "/RECORD.p7s"}
        # 1. Check everything before writing anything.
        for path_in in record:
            if path_in not in names and path_in not in unsigned:
                raise IntegrityFail("%s: RECORD lists %s, which is not in the wheel" % (what, path_in))
        for i in infos:
            if i.filename in unsigned:
                continue
            if i.filename not in record:
                raise IntegrityFail("%s: %s is not listed in its RECORD" % (what, i.filename))
            algo_hash, size = record[i.filename]
            algo, _, want_hash = algo_hash.partition("=")
            if algo not in RECORD_ALGOS or not want_hash:
                raise IntegrityFail("%s: RECORD has no sha256 hash for %s (%r); refusing to install it" % (what, i.filename, algo_hash or "empty"))
            h = hashlib.new(algo)
            with zf.open(i) as f:
                n = 0
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
                    n += len(chunk)
            if b64_digest(h.digest()) != want_hash:
                raise IntegrityFail("%s: %s does not match its RECORD hash" % (what, i.filename))
            if size and size != str(n):
                raise IntegrityFail("%s: %s is %d bytes, its RECORD says %s" % (what, i.filename, n, size))
        # 2. Where each file goes.
        scheme = _scheme(venv, dist)
        sp = scheme["purelib"]
        plan = []
        for i in infos:
            parts = i.filename.split("/")
            if parts[0] == data_dir:
                if len(parts) < 3 or parts[1] not in SCHEME_KEYS:
                    raise IntegrityFail("%s: %s is not in one of %s/{%s}" % (what, i.filename, data_dir, ",".join(SCHEME_KEYS)))
                dest = os.path.join(scheme[parts[1]], *parts[2:])
                key = parts[1]
            else:
                dest = os.path.join(scheme[root_key], *parts)
                key = root_key
            base = os.path.realpath(scheme[key])
            if not os.path.realpath(dest).startswith(base + os.sep):
                raise IntegrityFail("%s: %s would be written outside %s" % (what, i.filename, scheme[key]))
            plan.append((i, dest, key))
        # 3. Write, recording each file's sha256 and size for the installed RECORD: the hash
        # checked in step 1 where the bytes are unchanged, else the hash of what was written.
        written = {}

        def put(dest, data, mode, checked=None):
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            write_plain(dest, data, mode)
            written[dest] = checked or ("sha256=" + b64_digest(hashlib.sha256(data).digest()), str(len(data)))

        python = os.path.join(venv, "bin", "python3")
        for i, dest, key in plan:
            if i.filename in unsigned:
                continue
            data = zf.read(i)
            algo_hash = record[i.filename][0]
            checked = (algo_hash, str(len(data))) if algo_hash.startswith("sha256=") else None
            mode = 0o755 if (i.external_attr >> 16) & 0o111 else 0o644
            if key == "scripts":
                mode = 0o755
                if data.startswith(b"#!python"):
                    nl = data.find(b"\n")
                    data = ("#!%s" % python).encode() + (data[nl:] if nl >= 0 else b"\n")
                    checked = None
            put(dest, data, mode, checked)
        # 4. Entry points.
        ep_text = zf.read(info_dir + "/entry_points.txt").decode("utf-8") if info_dir + "/entry_points.txt" in names else ""
    if ep_text:
        cp = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        cp.optionxform = str
        try:
            cp.read_string(ep_text)
        except configparser.Error as e:
            raise Fail("%s: entry_points.txt cannot be read: %s" % (what, e))
        for group in ("console_scripts", "gui_scripts"):
            if not cp.has_section(group):
                continue
            for name, ref in cp.items(group):
                m = re.match(r"^\s*([\w.]+)\s*:\s*([\w.]+)\s*(\[.*\])?\s*$", ref)
                if not m or "/" in name or name.startswith(".") or not name.strip():
                    raise Fail("%s: entry point %s = %s is not module:attribute" % (what, name, ref))
                module, attr = m.group(1), m.group(2)
                script = "".join([
                    "#!%s\n" % python,
                    "# -*- coding: utf-8 -*-\n",
                    "import re\n",
                    "import sys\n",
                    "from %s import %s\n" % (module, attr.split(".")[0]),
                    "if __name__ == \"__main__\":\n",
                    "    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n",
                    "    sys.exit(%s())\n" % attr,
                ])
                put(os.path.join(scheme["scripts"], name.strip()), script.encode("utf-8"), 0o755)
    put(os.path.join(sp, info_dir, "INSTALLER"), b"karoo\n", 0o644)
    import csv
    import io
    rec_path = os.path.join(sp, info_dir, "RECORD")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for dest in sorted(written):
        w.writerow((os.path.relpath(dest, sp),) + written[dest])
    w.writerow((os.path.relpath(rec_path, sp), "", ""))
    write_plain(rec_path, buf.getvalue().encode("utf-8"), 0o644)
    return len(written) + 1


def write_plain(path, data, mode):
    if os.path.islink(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


# -- installed trees as archives -------------------------------------------------------------
ARCHIVE_SKIP = (".karoo-venv.json",)


def pack_tree(root, out_path, out=None):
    """Writes the tree under `root` as a deterministic tar.gz (sorted, no times, owners or
    host names; symlinks kept as links) and returns (sha256 hex, size): into the blob named by
    its digest next to `out_path`, or onto the binary stream `out`."""
    h = hashlib.sha256()
    if out is not None:
        hw = _Hashing(out, h)
        _pack_into(root, hw)
        out.flush()
        return h.hexdigest(), hw.n
    tmp = "%s.part-%d" % (out_path, os.getpid())
    with open(tmp, "wb") as raw:
        hw = _Hashing(raw, h)
        _pack_into(root, hw)
        raw.flush()
        os.fsync(raw.fileno())
    os.chmod(tmp, 0o444)
    digest = h.hexdigest()
    final = os.path.join(os.path.dirname(out_path), digest)
    os.replace(tmp, final)
    return digest, hw.n


class _Hashing:
    """A write-only file that hashes and counts what goes through it."""

    def __init__(self, f, h):
        self.f, self.h, self.n = f, h, 0

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        return self.f.write(b)

    def flush(self):
        self.f.flush()


class _Limited:
    """At most `size` bytes of a stream, hashed as they are read."""

    def __init__(self, stream, size):
        self.stream, self.left, self.h = stream, size, hashlib.sha256()

    def read(self, n=-1):
        if self.left <= 0:
            return b""
        n = self.left if n is None or n < 0 else min(n, self.left)
        b = self.stream.read(n)
        self.left -= len(b)
        self.h.update(b)
        return b

    def drain(self):
        while self.left > 0 and self.read(1 << 20):
            pass


def _pack_into(root, hw):
    import gzip
    import tarfile
    with gzip.GzipFile(filename="", mode="wb", fileobj=hw, mtime=0, compresslevel=3) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for rel in _walk_sorted(root):
                if rel in ARCHIVE_SKIP:
                    continue
                p = os.path.join(root, rel)
                st = os.lstat(p)
                ti = tarfile.TarInfo(rel)
                ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = 0, 0, 0, "", ""
                ti.mode = st.st_mode & 0o7777
                if os.path.islink(p):
                    ti.type, ti.linkname = tarfile.SYMTYPE, os.readlink(p)
                    tar.addfile(ti)
                elif os.path.isdir(p):
                    ti.type = tarfile.DIRTYPE
                    tar.addfile(ti)
                elif os.path.isfile(p):
                    ti.size = st.st_size
                    with open(p, "rb") as f:
                        tar.addfile(ti, f)


def _walk_sorted(root):
    out = []
    for d, dirs, files in os.walk(root):
        links = [x for x in dirs if os.path.islink(os.path.join(d, x))]
        dirs[:] = sorted(x for x in dirs if x not in links)
        rel = os.path.relpath(d, root)
        for name in sorted(files + links):
            out.append(os.path.normpath(os.path.join(rel, name)))
        for name in dirs:
            out.append(os.path.normpath(os.path.join(rel, name)))
    return sorted(out)


def unpack_tree(archive, root):
    """Unpacks an archive written by pack_tree into `root` (which must not exist): regular
    files, directories and symlinks only, every path inside `root`, none through a symlink."""
    import tarfile
    what = "installation archive %s" % os.path.basename(archive)
    try:
        tar = tarfile.open(archive, mode="r:gz")
    except (tarfile.TarError, OSError) as e:
        raise IntegrityFail("%s cannot be read: %s" % (what, e))
    with tar:
        _unpack_members(tar, root, what, None)


def unpack_stream(stream, hexd, size, root):
    """Unpacks an archive of `size` bytes read from `stream` into `root` (which must not
    exist), as unpack_tree does, while hashing it: if the bytes are not sha256 `hexd`, the tree
    is deleted and refused. Returns the sha256 of every file written (path -> RECORD form)."""
    import tarfile
    import zlib
    what = "installation archive sha256:%s" % hexd
    if os.path.lexists(root):
        raise Fail("%s exists already: not unpacking over it" % root)
    src = _Limited(stream, size)
    known = {}
    try:
        try:
            with tarfile.open(fileobj=src, mode="r|gz") as tar:
                _unpack_members(tar, root, what, known)
        except (tarfile.TarError, EOFError, zlib.error) as e:
            src.drain()
            if src.left == 0 and src.h.hexdigest() == hexd:
                raise IntegrityFail("%s cannot be read: %s" % (what, e))
        src.drain()
        if src.left > 0:
            raise Fail("%s ended after %d of %d bytes" % (what, size - src.left, size))
        if src.h.hexdigest() != hexd:
            raise IntegrityFail("%s arrived as sha256:%s: refused" % (what, src.h.hexdigest()))
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return known


def _unpack_members(tar, root, what, known):
    import tarfile
    os.makedirs(root)
    links = set()
    for ti in tar:
        parts = _safe_member(ti.name, what)
        for k in range(1, len(parts)):
            if "/".join(parts[:k]) in links:
                raise IntegrityFail("%s: %s lies under a symbolic link" % (what, ti.name))
        dest = os.path.join(root, *parts)
        if ti.isdir():
            os.makedirs(dest, exist_ok=True)
            os.chmod(dest, (ti.mode & 0o777) | 0o700)
        elif ti.isfile():
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            src = tar.extractfile(ti)
            h = hashlib.sha256()
            with open(dest, "wb") as f:
                while True:
                    chunk = src.read(1 << 20)
                    if not chunk:
                        break
                    h.update(chunk)
                    f.write(chunk)
            os.chmod(dest, ti.mode & 0o777)
            if known is not None:
                known[os.path.normpath(dest)] = b64_digest(h.digest())
        elif ti.issym():
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            os.symlink(ti.linkname, dest)
            links.add("/".join(parts))
        else:
            raise IntegrityFail("%s: %s is neither a file, a directory nor a symbolic link" % (what, ti.name))


def unit_text(node, rel, desired, s):
    rdir = node.release(rel)
    py = sys.executable
    if not all(c.isalnum() or c in "/._-" for c in py):
        raise Fail("python path %r cannot be written into a unit file" % py)
    return "\n".join([
        "# Written by karoo deploy: system %s, release %s. Changes here are reported as drift." % (desired["systemId"], rel),
        "[Unit]",
        "Description=karoo %s: %s" % (node.system, s["name"]),
        "After=network.target",
        "",
        "[Service]",
        "Type=simple",
        "ExecStart=%s %s/.karoo/karoo_node.py exec %s" % (py, rdir, s["name"]),
        "Restart=on-failure",
        "RestartSec=1",
        "TimeoutStopSec=15",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def units_state(units, props="Id,ActiveState,SubState,Result,NRestarts,MainPID"):
    """systemd's properties (ActiveState, SubState, Result, NRestarts, MainPID) of each unit,
    from one `systemctl show` (it prints one block per unit, in the order given, blank lines between)."""
    if not units:
        return {}
    code, out = run(["systemctl", "show", "--property=" + props] + list(units), timeout=30)
    states = {}
    blocks = out.strip().split("\n\n")
    for u, block in zip(units, blocks + [""] * (len(units) - len(blocks))):
        state = {}
        for line in block.splitlines():
            k, _, v = line.partition("=")
            state[k] = v
        states[u] = state
    return states


def journal_tail(unit):
    code, out = run(["journalctl", "--no-pager", "-o", "cat", "-n", "5", "-u", unit], timeout=30)
    lines = [l for l in out.strip().splitlines() if l.strip()]
    return " | ".join(lines[-5:]) or "(no journal lines)"


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def do_exec(service):
    """The service launcher of a release (ExecStart of its units)."""
    rdir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(rdir, ".karoo", "release.json"), encoding="utf-8") as f:
        desired = json.load(f)
    svc = [s for s in desired["services"] if s["name"] == service]
    if not svc:
        sys.stderr.write("karoo: release %s has no service %s\n" % (rdir, service))
        return 2
    s = svc[0]
    env = dict(os.environ)
    env["PATH"] = os.path.join(rdir, "bin") + os.pathsep + env.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    env["VIRTUAL_ENV"] = os.path.realpath(os.path.join(rdir, "bin", ".."))
    env.update({
        "KAROO_SYSTEM": desired["system"], "KAROO_SYSTEM_ID": desired["systemId"], "KAROO_CANDIDATE": desired["candidate"],
        "KAROO_NODE": desired["node"], "KAROO_ROLE": desired["role"], "KAROO_ENVIRONMENT": desired["environment"],
        "KAROO_RELEASE": rdir, "KAROO_SERVICE": s["name"],
    })
    env.update(s.get("environment", {}))
    cwd = os.path.join(rdir, s.get("workingDirectory") or ".")
    argv = list(s["command"])
    prog = argv[0]
    if "/" not in prog:
        local = os.path.join(rdir, "bin", prog)
        prog = local if os.path.exists(local) else (shutil.which(prog, path=env["PATH"]) or prog)
    elif not prog.startswith("/"):
        prog = os.path.join(rdir, prog)
    os.chdir(cwd)
    os.execve(prog, argv, env)


def do_supervise(service):
    """karoo's supervisor of one service of the release it sits in: restarts it with backoff."""
    rdir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    desired = read_json(os.path.join(rdir, ".karoo", "release.json")) or {}
    svc = [s for s in desired.get("services", []) if s["name"] == service]
    if not svc:
        sys.stderr.write("karoo: release %s has no service %s\n" % (rdir, service))
        return 2
    unit = svc[0]["unit"]
    state_file = os.path.join(RUN_DIR, check_name(desired["system"], "system"), unit + ".json")
    stopping = []
    child = [None]

    def on_signal(signum, frame):
        stopping.append(signum)
        if child[0] is not None and child[0].poll() is None:
            child[0].terminate()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    restarts, delay = 0, 1.0
    state = {"supervisor": os.getpid(), "release": rdir, "service": service, "restarts": 0}
    while not stopping:
        started = time.monotonic()
        child[0] = subprocess.Popen([sys.executable, os.path.abspath(__file__), "exec", service], stdin=subprocess.DEVNULL)
        state.update({"pid": child[0].pid, "state": "running", "since": now_iso(), "restarts": restarts})
        write_atomic(state_file, json.dumps(state, sort_keys=True).encode())
        code = child[0].wait()
        if stopping:
            break
        restarts += 1
        delay = 1.0 if time.monotonic() - started > 30 else min(delay * 2, 30.0)
        state.update({"state": "restarting", "lastExit": code, "restarts": restarts})
        write_atomic(state_file, json.dumps(state, sort_keys=True).encode())
        sys.stderr.write("karoo: %s exited with %s; restarting in %.0f s\n" % (service, code, delay))
        sys.stderr.flush()
        wake = time.monotonic() + delay
        while not stopping and time.monotonic() < wake:
            time.sleep(0.1)
    if child[0] is not None and child[0].poll() is None:
        try:
            child[0].wait(timeout=10)
        except subprocess.TimeoutExpired:
            child[0].kill()
    try:
        if (read_json(state_file) or {}).get("supervisor") == os.getpid():
            os.unlink(state_file)
    except OSError:
        pass
    return 0


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "exec":
        return do_exec(sys.argv[2])
    if cmd == "supervise":
        return do_supervise(sys.argv[2])
    out = sys.stdout
    RAW_OUT[0] = out.buffer
    sys.stdout = sys.stderr
    stream = sys.stdin.buffer
    try:
        line = stream.readline()
        req = json.loads(line.decode("utf-8")) if line.strip() else {}
        node = Node(req.get("system", ""))
        answer = handle(cmd, req, node, stream)
        answer["ok"] = True
        t = os.times()
        answer["cpuSeconds"] = round(t[0] + t[1] + t[2] + t[3], 3)  # this call's CPU on the node, its children included
    except IntegrityFail as e:
        answer = {"ok": False, "error": str(e), "kind": "integrity"}
    except Fail as e:
        answer = {"ok": False, "error": str(e)}
    except subprocess.TimeoutExpired as e:
        answer = {"ok": False, "error": "timed out: %s" % " ".join(e.cmd[:3])}
    except OSError as e:
        answer = {"ok": False, "error": "%s: %s" % (e.filename or "", os.strerror(e.errno or errno.EIO))}
    out.write(json.dumps(answer, sort_keys=True) + "\n")
    out.flush()
    return 0


def handle(cmd, req, node, stream):
    t0 = time.monotonic()
    if cmd == "plan":
        info = {"python": "%d.%d.%d" % sys.version_info[:3], "target": target_info(), "current": node.link_target("current"), "previous": node.link_target("previous")}
        info["receipt"] = read_json(os.path.join(node.root, "receipt.json"))
        info["missing"] = [h for h in req.get("blobs", []) if not node.have_blob(h)]
        rel = req.get("releaseId")
        r = info["receipt"] or {}
        if rel and r.get("stateDigest") == req.get("stateDigest") and info["current"] == rel:
            info["drift"] = node.verify(rel)
            info["converged"] = not info["drift"]
        else:
            info["converged"] = False
        if info["converged"]:
            info["venvComplete"] = True  # verify() has just checked it against the lock
        elif req.get("candidateShort"):
            m = read_json(os.path.join(node.venv(req["candidateShort"]), ".karoo-venv.json")) or {}
            info["venvComplete"] = m.get("candidate") == req.get("candidate") and not verify_venv(node.venv(req["candidateShort"]), req.get("expected", []), check_marker=False)
        return info
    if cmd == "receive":
        node.lock()
        return {"bytes": node.receive(req["blobs"], stream), "seconds": time.monotonic() - t0}
    if cmd == "prepare":
        # One call does what the node needs for its release: take the wheels it lacks (`blobs`,
        # streamed after the request and checked on arrival, as receive does), install (from
        # them, or from an `inline` archive that follows), render the release, and with `pack`
        # stream its installed tree to the runner (raw bytes, a newline, then this answer).
        node.lock()
        t = {}
        if req.get("blobs"):
            s = time.monotonic()
            t["receivedBytes"] = node.receive(req["blobs"], stream)
            t["receiveSeconds"] = time.monotonic() - s
        s = time.monotonic()
        t["install"] = node.install(req, stream)
        t["installSeconds"] = time.monotonic() - s
        s = time.monotonic()
        t["release"] = node.build_release(req, AGENT_SOURCE)
        t["renderSeconds"] = time.monotonic() - s
        answer = {"timings": t}
        if req.get("pack"):
            answer["packed"] = node.pack(req, RAW_OUT[0])
            RAW_OUT[0].write(b"\n")
            RAW_OUT[0].flush()
            t["packSeconds"] = answer["packed"]["seconds"]
        return answer
    if cmd == "pack":
        node.lock()
        return node.pack(req)
    if cmd == "send":
        # The raw bytes of one blob, then a newline, then the answer: the runner fetches an archive this way.
        path = node.verify_blob(req["hex"])
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            shutil.copyfileobj(f, RAW_OUT[0], 1 << 20)
        RAW_OUT[0].write(b"\n")
        RAW_OUT[0].flush()
        return {"size": size}
    if cmd == "activate":
        node.lock()
        rel = req["releaseId"]
        old = node.switch(rel)
        s = time.monotonic()
        desired = read_json(os.path.join(node.release(rel), ".karoo", "release.json"))
        node.wait_services(desired, int(req.get("waitSeconds", 60)))
        start = time.monotonic() - t0
        s = time.monotonic()
        diffs = node.verify(rel)
        if diffs:
            raise Fail("verification after switching to %s: %s" % (rel, diffs[0]))
        receipt = node.write_receipt(desired, {"previousRelease": old, "action": "deploy"})
        node.prune()
        return {"previous": old, "receipt": receipt, "startSeconds": start, "verifySeconds": time.monotonic() - s}
    if cmd == "rollback":
        node.lock()
        prev = node.link_target("previous")
        cur = node.link_target("current")
        if not prev or not os.path.isfile(os.path.join(node.release(prev), ".karoo", "release.json")):
            raise Fail("no previous release to roll back to")
        if req.get("check"):
            return {"current": cur, "previous": prev, "release": read_json(os.path.join(node.release(prev), ".karoo", "release.json"))}
        node.switch(prev)
        desired = read_json(os.path.join(node.release(prev), ".karoo", "release.json"))
        node.wait_services(desired, int(req.get("waitSeconds", 60)))
        diffs = node.verify(prev)
        if diffs:
            raise Fail("verification after rolling back to %s: %s" % (prev, diffs[0]))
        receipt = node.write_receipt(desired, {"previousRelease": cur, "action": "rollback"})
        return {"from": cur, "to": prev, "receipt": receipt, "seconds": time.monotonic() - t0}
    if cmd == "status":
        receipt = read_json(os.path.join(node.root, "receipt.json"))
        cur = node.link_target("current")
        info = {"receipt": receipt, "current": cur, "previous": node.link_target("previous"), "python": "%d.%d.%d" % sys.version_info[:3]}
        if receipt and not receipt.get("damaged"):
            info["drift"] = node.verify(receipt.get("release") or "0" * 16)
        elif receipt:
            info["drift"] = ["receipt.json is damaged"]
        else:
            info["drift"] = []
        return info
    raise Fail("unknown agent command %r" % cmd)


try:
    with open(__file__, "rb") as _f:
        AGENT_SOURCE = _f.read()
except (NameError, OSError):
    AGENT_SOURCE = globals().get("KAROO_AGENT_SOURCE", b"")

if __name__ == "__main__":
    sys.exit(main())
