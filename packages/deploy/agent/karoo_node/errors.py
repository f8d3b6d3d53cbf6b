"""Failures and the kinds the runner turns into karoo's error kinds (exit codes).

Every failure the agent means is a Fail whose `kind` is one of karoo's error kinds
(packages/common/src/errors.ts): `input` (will never succeed as given), `integrity` (bytes do
not match what vouches for them), `unavailable` (a retry may help), `conflict` (the node is not
in the state the call needs). Anything else that escapes a command is a bug in the agent: its
answer says `bug`, never "retry may help".
"""

import errno
import os
import subprocess
import traceback

KINDS = ("input", "integrity", "unavailable", "conflict", "bug")

# OS errors a retry may help with (space, memory, I/O); any other means the node's file system
# is not as karoo left it.
TRANSIENT_ERRNOS = frozenset(getattr(errno, n) for n in ("ENOSPC", "EDQUOT", "EIO", "EAGAIN", "ENOMEM", "EMFILE", "ENFILE") if hasattr(errno, n))


class Fail(Exception):
    """A failure the agent means: `kind` says which of karoo's error kinds it is."""

    kind = "conflict"


class InputFail(Fail):
    """A request, wheel or node that can never work as given (a bad name, no python3-venv, no wheel that fits)."""

    kind = "input"


class IntegrityFail(Fail):
    """Bytes that do not match what vouches for them (a blob's digest, a wheel's RECORD): refused, never installed."""

    kind = "integrity"


class UnavailableFail(Fail):
    """Something that may work when tried again (a stream cut short, a command that timed out)."""

    kind = "unavailable"


def failure_answer(e):
    """The answer line for an exception that ended a command: {"ok": false, "error", "kind"}."""
    if isinstance(e, Fail):
        return {"ok": False, "error": str(e), "kind": e.kind}
    if isinstance(e, subprocess.TimeoutExpired):
        cmd = e.cmd if isinstance(e.cmd, (list, tuple)) else [str(e.cmd)]
        return {"ok": False, "error": "timed out after %s s: %s" % (e.timeout, " ".join(str(c) for c in cmd[:3])), "kind": "unavailable"}
    if isinstance(e, OSError):
        what = "%s: %s" % (e.filename, os.strerror(e.errno)) if e.filename and e.errno else str(e)
        return {"ok": False, "error": what, "kind": "unavailable" if e.errno in TRANSIENT_ERRNOS else "conflict"}
    frames = traceback.extract_tb(e.__traceback__)
    where = " in %s (line %d)" % (frames[-1].name, frames[-1].lineno) if frames else ""
    return {"ok": False, "kind": "bug", "error": "bug in the karoo node agent: %s: %s%s; please report it" % (type(e).__name__, e, where)}
