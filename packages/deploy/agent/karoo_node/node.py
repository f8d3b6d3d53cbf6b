"""One system's directory on the node (/opt/karoo/<system>/) and everything done to it."""

import fcntl
import os

from .blobs import Blobs
from .errors import Fail
from .install import Installs
from .releases import Releases
from .services import Services
from .util import check_hex, check_name
from .verify import Verification

BASE = "/opt/karoo"


class Node(Blobs, Installs, Releases, Services, Verification):
    """The system `system` on this node, under `base` (tests point it at a temporary directory)."""

    def __init__(self, system, base=BASE):
        self.system = check_name(system, "system")
        self.root = os.path.join(base, self.system)
        self.blobs = os.path.join(self.root, "blobs", "sha256")
        self.releases = os.path.join(self.root, "releases")
        self.lock_fd = None

    def venv(self, cand12):
        return os.path.join(self.root, check_hex(cand12, 12))

    def release(self, rel):
        return os.path.join(self.releases, check_hex(rel, 16))

    def link_target(self, name):
        """The release id `current` or `previous` points at, or None."""
        try:
            t = os.readlink(os.path.join(self.root, name))
        except OSError:
            return None
        base = os.path.basename(t)
        return base if len(base) == 16 else None

    def lock(self):
        """Holds the system's lock until this process ends; another deploy holding it is a conflict."""
        os.makedirs(self.root, exist_ok=True)
        self.lock_fd = os.open(os.path.join(self.root, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise Fail("another karoo deploy holds %s/.lock on this node; wait for it to finish" % self.root)
