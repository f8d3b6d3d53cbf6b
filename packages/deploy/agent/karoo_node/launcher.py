"""What the units run: `exec SERVICE` starts a service of the release the agent sits in
(execve, no shell); `supervise SERVICE` is karoo's supervisor of one service where there is no
systemd."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

from .services import RUN_DIR
from .util import check_name, now_iso, read_json, write_atomic


def do_exec(service, script):
    """The service launcher of a release (ExecStart of its units); `script`: this agent in the release's .karoo/."""
    rdir = os.path.dirname(os.path.dirname(script))
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


def do_supervise(service, script):
    """karoo's supervisor of one service of the release it sits in: restarts it with backoff."""
    rdir = os.path.dirname(os.path.dirname(script))
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
        child[0] = subprocess.Popen([sys.executable, script, "exec", service], stdin=subprocess.DEVNULL)
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
