"""karoo's SSH forwarder for one environment.

Usage: python3 forward.py ENVIRONMENT-ID CONFIG.json

Listens on 127.0.0.1 (one ephemeral port per node, in the runner's network namespace), then
joins the environment's own network namespace, so that every connection it makes goes to a
node address that exists only there. Writes {"ports": {node: port}} to the config's
"portsFile" once listening. At the config's "expiresAt" (Unix seconds) it stops forwarding,
runs "onExpire" (an argv, usually `karoo reap --env ID`) if given, and exits: the TTL.
"""
import ctypes
import json
import os
import select
import signal
import socket
import sys
import threading
import time

CLONE_NEWNET = 0x40000000


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


def main():
    env_id, config_path = sys.argv[1], sys.argv[2]
    with open(config_path) as f:
        config = json.load(f)
    listeners = {}
    for node in config["nodes"]:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        listeners[s] = (node["name"], (node["address"], node.get("port", 22)))
    # Sockets keep the namespace they were created in: listeners stay on the runner's loopback,
    # connections made from here on are made inside the environment's namespace.
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    fd = os.open(config["netnsPath"], os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        sys.stderr.write("karoo-forward %s: setns failed: %s\n" % (env_id, os.strerror(ctypes.get_errno())))
        sys.exit(1)
    os.close(fd)
    ports = {name: s.getsockname()[1] for s, (name, _) in listeners.items()}
    tmp = config["portsFile"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"pid": os.getpid(), "ports": ports}, f)
    os.rename(tmp, config["portsFile"])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    expires_at = config.get("expiresAt")
    while True:
        timeout = None if expires_at is None else max(0.0, expires_at - time.time())
        if timeout is not None and timeout == 0.0:
            break
        ready, _, _ = select.select(list(listeners), [], [], min(timeout, 60.0) if timeout is not None else 60.0)
        for s in ready:
            client, _ = s.accept()
            threading.Thread(target=serve, args=(client, listeners[s][1]), daemon=True).start()
    for s in listeners:
        s.close()
    sys.stderr.write("karoo-forward %s: the environment's TTL has passed\n" % env_id)
    if config.get("onExpire"):
        libc.setns(home, CLONE_NEWNET)
        import subprocess

        subprocess.Popen(config["onExpire"], stdin=subprocess.DEVNULL, start_new_session=True)


if __name__ == "__main__":
    main()
