"""Small file, hash and process helpers shared by every part of the agent."""

import base64
import hashlib
import json
import os
import socket
import subprocess
import time

from .errors import InputFail


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def check_name(value, what):
    ok = isinstance(value, str) and 0 < len(value) <= 64 and all(c.isalnum() or c in "-_." for c in value)
    if not ok or value.startswith(".") or not value.isascii():
        raise InputFail("%s %r is not a plain name" % (what, value))
    return value


def check_hex(value, n=64):
    if not isinstance(value, str) or len(value) != n or any(c not in "0123456789abcdef" for c in value):
        raise InputFail("%r is not a %d-digit hex digest" % (value, n))
    return value


def check_relpath(p):
    if not isinstance(p, str) or p == "" or p.startswith("/") or "\x00" in p:
        raise InputFail("file path %r must be relative to the release" % (p,))
    parts = p.split("/")
    if any(x in ("", ".", "..") for x in parts) or parts[0] in (".karoo", "bin", "units"):
        raise InputFail("file path %r must stay inside the release and not use bin/, units/ or .karoo/" % (p,))
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


def b64_digest(data_hash):
    """A digest as RECORD writes it: urlsafe base64 without padding."""
    return base64.urlsafe_b64encode(data_hash).rstrip(b"=").decode("ascii")


def write_atomic(path, data, mode=0o644):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def write_plain(path, data, mode):
    if os.path.islink(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def symlink_atomic(target, path):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    os.symlink(target, tmp)
    os.replace(tmp, path)


def read_json(path):
    """A JSON file's value; None when it is missing, {"damaged": True} when it is not JSON."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except ValueError:
        return {"damaged": True}


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


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def run(argv, timeout=600):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")
