"""CAM signal helpers, compiled: RMS of a sequence of samples and an Adler-32 checksum.

The work is done by the C extension ``cam_signal._native`` (built for CPython 3.11 on
x86_64 Linux); importing this package fails where the extension does not load.
"""

from ._native import adler32, rms

__all__ = ["adler32", "main", "rms", "selftest"]


def selftest() -> dict:
    """What the acceptance tests ask a node: the extension's answers to fixed inputs."""
    return {
        "module": _native_file(),
        "rms": rms([3.0, 4.0, 3.0, 4.0]),
        "adler32": adler32(b"Wikipedia"),
    }


def main() -> int:
    """``cam-signal``: prints selftest() as JSON (what the acceptance tests run on every node)."""
    import json

    print(json.dumps(selftest(), sort_keys=True))
    return 0


def _native_file() -> str:
    from . import _native

    return _native.__file__.rsplit("/", 1)[-1]
