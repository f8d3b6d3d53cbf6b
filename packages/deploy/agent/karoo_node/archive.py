"""Installed trees as deterministic archives: packed once per target, unpacked on the other
nodes of that target, each checked against its digest."""

import hashlib
import os
import shutil
import zlib

from .errors import Fail, IntegrityFail, UnavailableFail
from .util import b64_digest
from .wheel import safe_member


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


class Limited:
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
    import gzip  # here, not at the top: see LAZY_IMPORTS in __init__.py
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
    what = "installation archive %s" % os.path.basename(archive)
    import tarfile  # here, not at the top: see LAZY_IMPORTS in __init__.py

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
    what = "installation archive sha256:%s" % hexd
    if os.path.lexists(root):
        raise Fail("%s exists already: not unpacking over it" % root)
    import tarfile  # here, not at the top: see LAZY_IMPORTS in __init__.py

    src = Limited(stream, size)
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
            raise UnavailableFail("%s ended after %d of %d bytes" % (what, size - src.left, size))
        if src.h.hexdigest() != hexd:
            raise IntegrityFail("%s arrived as sha256:%s: refused" % (what, src.h.hexdigest()))
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return known


def _unpack_members(tar, root, what, known):
    os.makedirs(root)
    links = set()
    for ti in tar:
        parts = safe_member(ti.name, what)
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
