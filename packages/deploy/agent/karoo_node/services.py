"""Services: systemd units where the node runs systemd, karoo's own supervisor elsewhere;
their state, their logs, and waiting until they are up."""

import os
import signal
import subprocess
import sys
import time

from .errors import Fail, InputFail
from .util import pid_alive, port_open, read_json, run, symlink_atomic

UNIT_DIR = "/etc/systemd/system"
WANTS_DIR = "/etc/systemd/system/multi-user.target.wants"
RUN_DIR = "/run/karoo"
MANAGER_FILE = "/etc/karoo/service-manager"


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


def unit_text(node, rel, desired, s):
    rdir = node.release(rel)
    py = sys.executable
    if not all(c.isalnum() or c in "/._-" for c in py):
        raise InputFail("python path %r cannot be written into a unit file" % py)
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


class Services:
    """Service methods of Node."""

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
