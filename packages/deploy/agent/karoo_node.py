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


class Fail(Exception):
    pass


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


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


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
                raise Fail("blob sha256:%s arrived as sha256:%s: refused" % (hexd, h.hexdigest()))
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
            raise Fail("blob sha256:%s on the node holds sha256:%s: deleted; deploy again to re-send it" % (hexd, actual))
        return path

    # -- install -----------------------------------------------------------------------
    def install(self, req):
        cand12 = req["candidateShort"]
        venv = self.venv(cand12)
        marker = os.path.join(venv, ".karoo-venv.json")
        m = read_json(marker)
        t = {}
        if m and m.get("candidate") == req["candidate"]:
            diffs = verify_venv(venv, req["expected"], check_marker=False)
            if not diffs:
                t["reused"] = True
                return t
            t["repairedFrom"] = diffs[0]  # changed by hand since it was installed: install it again
        start = time.monotonic()
        paths = {}
        for w in req["wheels"]:
            paths[w["hex"]] = self.verify_blob(w["hex"])
        reqs = self.verify_blob(req["requirements"])
        t["verifyBlobs"] = time.monotonic() - start
        start = time.monotonic()
        if os.path.lexists(venv):
            shutil.rmtree(venv)  # an interrupted installation: never used, since no release points at it without its marker
        work = os.path.join(self.root, ".work-%s-%d" % (cand12, os.getpid()))
        shutil.rmtree(work, ignore_errors=True)
        wheelhouse = os.path.join(work, "wheels")
        os.makedirs(wheelhouse)
        for w in req["wheels"]:
            name = w["filename"]
            if "/" in name or name.startswith(".") or not name.endswith(".whl"):
                raise Fail("wheel file name %r is not a plain .whl name" % (name,))
            os.link(paths[w["hex"]], os.path.join(wheelhouse, name))
        os.link(reqs, os.path.join(work, "requirements.txt"))
        code, out = run([sys.executable, "-m", "venv", "--without-pip", venv], timeout=120)
        if code != 0:
            raise Fail("python3 -m venv failed (%d): %s; install python3-venv on the node" % (code, out.strip()[-400:]))
        py = os.path.join(venv, "bin", "python3")
        pip_opts = ["install", "--isolated", "--no-index", "--require-hashes", "--no-deps", "--no-cache-dir",
                    "--disable-pip-version-check", "--no-warn-script-location", "--progress-bar", "off",
                    "--find-links", wheelhouse, "-r", os.path.join(work, "requirements.txt")]
        if req.get("pipWheel"):
            pipw = [w["filename"] for w in req["wheels"] if w["hex"] == req["pipWheel"]][0]
            argv = [py, os.path.join(wheelhouse, pipw, "pip")] + pip_opts
        else:
            code, _ = run([sys.executable, "-m", "pip", "--version"], timeout=60)
            if code != 0:
                raise Fail("the candidate holds no pip wheel and the node has no pip: add pip to the lock, or install python3-pip on the node")
            argv = [sys.executable, "-m", "pip", "--python", py] + pip_opts
        t["venv"] = time.monotonic() - start
        start = time.monotonic()
        code, out = run(argv, timeout=1800)
        shutil.rmtree(work, ignore_errors=True)
        if code != 0:
            raise Fail("pip install --no-index --require-hashes failed (%d): %s" % (code, " | ".join(out.strip().splitlines()[-4:])))
        t["pip"] = time.monotonic() - start
        start = time.monotonic()
        diffs = verify_venv(venv, req["expected"], check_marker=False)
        if diffs:
            raise Fail("installation differs from the lock: %s" % diffs[0])
        t["verifyInstall"] = time.monotonic() - start
        blobs = sorted({w["hex"] for w in req["wheels"]} | {req["requirements"]})
        write_atomic(marker, json.dumps({"candidate": req["candidate"], "installedAt": now_iso(), "blobs": blobs}, sort_keys=True).encode())
        return t

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
        if service_manager() == "systemd":
            return unit_state(unit)
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
        code, out = run(["systemctl", "daemon-reload"], timeout=120)
        if code != 0:
            raise Fail("systemctl daemon-reload failed: %s" % out.strip()[-300:])
        if units:
            code, out = run(["systemctl", "restart"] + units, timeout=300)
            if code != 0:
                raise Fail("systemctl restart %s failed: %s" % (" ".join(units), out.strip()[-300:]))

    def wait_services(self, desired, seconds):
        deadline = time.monotonic() + seconds
        pending = list(desired["services"])
        while pending:
            left = []
            for s in pending:
                state = self.service_state(s["unit"])
                if state.get("ActiveState") == "active" and (not s.get("port") or port_open(s["port"])):
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
                time.sleep(0.1)

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
            state = self.service_state(s["unit"])
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


def verify_venv(venv, expected, check_marker, candidate=None):
    """Differences between the distributions installed in `venv` and the lock (name, version, RECORD hashes)."""
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
        for row in rows:
            path, _, rest = row.partition(",")
            if path.startswith('"'):
                import csv
                path, rest = next(csv.reader([row]))[0], ",".join(next(csv.reader([row]))[1:])
            algo_hash = rest.split(",")[0]
            if not algo_hash.startswith("sha256="):
                continue
            want_b64 = algo_hash[len("sha256="):]
            p = os.path.normpath(os.path.join(sp, path))
            try:
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    h.update(f.read())
            except OSError:
                diffs.append("%s %s: %s is missing" % (name, version, path))
                continue
            got = base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()
            if got != want_b64:
                diffs.append("%s %s: %s differs from its RECORD hash" % (name, version, path))
    return diffs


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


def unit_state(unit):
    code, out = run(["systemctl", "show", "--property=ActiveState,SubState,Result,NRestarts,MainPID", unit], timeout=30)
    state = {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        state[k] = v
    return state


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
    sys.stdout = sys.stderr
    stream = sys.stdin.buffer
    try:
        line = stream.readline()
        req = json.loads(line.decode("utf-8")) if line.strip() else {}
        node = Node(req.get("system", ""))
        answer = handle(cmd, req, node, stream)
        answer["ok"] = True
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
        info = {"python": "%d.%d.%d" % sys.version_info[:3], "current": node.link_target("current"), "previous": node.link_target("previous")}
        info["receipt"] = read_json(os.path.join(node.root, "receipt.json"))
        info["missing"] = [h for h in req.get("blobs", []) if not node.have_blob(h)]
        if req.get("candidateShort"):
            m = read_json(os.path.join(node.venv(req["candidateShort"]), ".karoo-venv.json")) or {}
            info["venvComplete"] = m.get("candidate") == req.get("candidate") and not verify_venv(node.venv(req["candidateShort"]), req.get("expected", []), check_marker=False)
        rel = req.get("releaseId")
        r = info["receipt"] or {}
        if rel and r.get("stateDigest") == req.get("stateDigest") and info["current"] == rel:
            info["drift"] = node.verify(rel)
            info["converged"] = not info["drift"]
        else:
            info["converged"] = False
        return info
    if cmd == "receive":
        node.lock()
        return {"bytes": node.receive(req["blobs"], stream), "seconds": time.monotonic() - t0}
    if cmd == "prepare":
        node.lock()
        t = {"install": node.install(req)}
        s = time.monotonic()
        agent = AGENT_SOURCE
        t["release"] = node.build_release(req, agent)
        t["renderSeconds"] = time.monotonic() - s
        return {"timings": t}
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
