"""The node's blob store (blobs/sha256/<hex>): every blob checked against its sha256 on arrival
and again before use."""

import hashlib
import os

from .errors import Fail, IntegrityFail, UnavailableFail
from .util import check_hex, sha256_file


class Blobs:
    """Blob store methods of Node (self.blobs: the store's directory)."""

    def have_blob(self, hexd):
        return os.path.isfile(os.path.join(self.blobs, check_hex(hexd)))

    def receive(self, blobs, stream):
        """Reads each blob ({"hex", "size"}) from `stream` into the store; refuses one that is not its sha256."""
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
                        raise UnavailableFail("blob sha256:%s ended after %d of %d bytes" % (hexd, size - left, size))
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
        """The path of a stored blob, checked again; a blob that changed in the store is deleted and refused."""
        path = os.path.join(self.blobs, check_hex(hexd))
        if not os.path.isfile(path):
            raise Fail("blob sha256:%s is not on the node" % hexd)
        actual = sha256_file(path)
        if actual != hexd:
            os.unlink(path)
            raise IntegrityFail("blob sha256:%s on the node holds sha256:%s: deleted; deploy again to re-send it" % (hexd, actual))
        return path
