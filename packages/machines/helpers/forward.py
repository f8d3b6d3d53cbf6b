"""karoo's watchdog and SSH forwarder for one environment.

Usage: python3 forward.py ENVIRONMENT-ID CONFIG.json

Started right after the environment's stamp, before any of its resources exists, it watches:
- the owner ("owner": {"pid", "startTime"} in the config, or null): the moment that process is
  gone (exited, killed, its pid reused), it takes the environment's teardown lock, runs
  "onExpire" (an argv, usually `karoo reap --env ID`), waits for it and exits. An owner-bound environment (karoo up) keeps its owner for its
  whole life; one handed on (karoo provision) has its owner cleared once it is ready.
- the TTL ("expiresAt", Unix seconds): when it passes, the same.
One rule decides about the owner: the config on disk. SIGUSR1 means "read it again" (a new
owner, or none; nodes to forward to), and the owner's exit is believed only after one more read
made once the exit was seen: the owner can write nothing after it, so a release it wrote before
it ended is always honoured, whichever event arrives first. Once "nodes" are listed it
starts forwarding: it listens on 127.0.0.1 (one ephemeral port per node, in the runner's
network namespace), then joins the environment's own namespace ("netnsPath"), so that every
connection it makes goes to a node address that exists only there, and writes
{"ports": {node: port}} to "portsFile". It writes "readyFile" once its signal handlers are set.
"""
import ctypes
import errno
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

CLONE_NEWNET = 0x40000000


def log(env_id, text):
    sys.stderr.write("karoo-watchdog %s: %s\n" % (env_id, text))
    sys.stderr.flush()


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client, address):
    try:
        upstream = socket.create_connection(address, timeout=1)
        upstream.settimeout(None)
    except OSError:
        client.close()
        return
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    t.start()
    pump(client, upstream)
    t.join()
    client.close()
    upstream.close()


def start_time(pid):
    """Start time (clock ticks since boot) of a live process, or None when it is gone or a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split(" ")
    if rest[0] in ("Z", "X"):
        return None
    return int(rest[19])


class Owner:
    """The owner process: a pidfd that becomes readable when it exits, else polled every second."""

    def __init__(self, ref):
        self.pid = int(ref["pid"])
        self.start = int(ref["startTime"])
        self.fd = None
        try:
            self.fd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            self.fd = None

    def gone(self):
        # Checked after opening the pidfd: if the start time still matches, the pidfd is the owner's.
        return start_time(self.pid) != self.start

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def teardown_lock(env_id):
    """The environment's teardown lock (packages/machines/src/teardown.ts): an abstract unix socket
    bound while a teardown runs, freed by the kernel when its holder dies. Waits while another
    teardown holds it (that one ends by killing this process)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            s.bind(b"\0karoo-teardown-" + env_id.encode())
            return s
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
            time.sleep(0.1)


def load(path):
    with open(path) as f:
        return json.load(f)


def reload(env_id, path, config):
    """The config as it is on disk now; the one in hand when it cannot be read."""
    try:
        return load(path)
    except (OSError, ValueError) as e:
        log(env_id, "cannot read %s: %s" % (path, e))
        return config


def main():
    env_id, config_path = sys.argv[1], sys.argv[2]
    config = load(config_path)
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGUSR1, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if config.get("readyFile"):
        with open(config["readyFile"], "w") as f:
            f.write("%d\n" % os.getpid())
        # Changes written before the handlers existed were not signalled: read them now.
        config = reload(env_id, config_path, config)

    owner = None
    listeners = {}
    why = None
    while True:
        want = config.get("owner")
        if owner is not None and (not want or (int(want["pid"]), int(want["startTime"])) != (owner.pid, owner.start)):
            owner.close()
            owner = None
        if owner is None and want:
            owner = Owner(want)
        if owner is not None and owner.gone():
            # The owner can write nothing more: the config on disk now is its last word.
            config = reload(env_id, config_path, config)
            if config.get("owner") == want:
                why = "its owner process %d is gone" % owner.pid
                break
            continue
        if not listeners and config.get("nodes"):
            for node in config["nodes"]:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind(("127.0.0.1", 0))
                s.listen(64)
                listeners[s] = (node["name"], (node["address"], node.get("port", 22)))
            # Sockets keep the namespace they were created in: listeners stay on the runner's
            # loopback, connections made from here on are made inside the environment's namespace.
            fd = os.open(config["netnsPath"], os.O_RDONLY)
            if libc.setns(fd, CLONE_NEWNET) != 0:
                log(env_id, "setns failed: %s" % os.strerror(ctypes.get_errno()))
                sys.exit(1)
            os.close(fd)
            ports = {name: s.getsockname()[1] for s, (name, _) in listeners.items()}
            tmp = config["portsFile"] + ".tmp"
            with open(tmp, "w") as f:
                json.dump({"pid": os.getpid(), "ports": ports}, f)
            os.rename(tmp, config["portsFile"])
        expires_at = config.get("expiresAt")
        timeout = 60.0 if expires_at is None else max(0.0, expires_at - time.time())
        if expires_at is not None and timeout == 0.0:
            why = "its TTL has passed"
            break
        if owner is not None and owner.fd is None:
            timeout = min(timeout, 1.0)
        fds = [wake_r] + list(listeners) + ([owner.fd] if owner is not None and owner.fd is not None else [])
        # An owner fd that fires needs nothing here: the next round sees the owner gone.
        ready, _, _ = select.select(fds, [], [], min(timeout, 60.0))
        if wake_r in ready:
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass
            config = reload(env_id, config_path, config)
        for s in ready:
            if s in listeners:
                client, _ = s.accept()
                threading.Thread(target=serve, args=(client, listeners[s][1]), daemon=True).start()
    for s in listeners:
        s.close()
    log(env_id, "%s; removing the environment" % why)
    if config.get("onExpire"):
        libc.setns(home, CLONE_NEWNET)
        # Held until the teardown it starts has ended, so that a reap running at the same time
        # waits for it rather than racing it (KAROO_TEARDOWN_LOCK tells that process it is held).
        lock = teardown_lock(env_id)
        child = subprocess.Popen(config["onExpire"], stdin=subprocess.DEVNULL, start_new_session=True, env=dict(os.environ, KAROO_TEARDOWN_LOCK=env_id))
        child.wait()
        lock.close()


if __name__ == "__main__":
    main()
