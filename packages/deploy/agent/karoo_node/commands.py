"""The agent's commands, one handler each, and main(): read the request, run its handler, write the answer."""

import os
import shutil
import sys
import time
import traceback

from .errors import Fail, InputFail, failure_answer
from .launcher import do_exec, do_supervise
from .node import BASE, Node
from .protocol import answer_line, read_request, require
from .target import target_info
from .util import read_json
from .verify import verify_venv


class Call:
    """One command's request, the node it acts on, its input stream (bytes after the request line),
    the raw output stream (bytes before the answer) and the agent's own source (written into releases)."""

    def __init__(self, req, node, stream=None, out=None, agent_source=b""):
        self.req, self.node, self.stream, self.out, self.agent_source = req, node, stream, out, agent_source
        self.t0 = time.monotonic()


def python_version():
    return "%d.%d.%d" % sys.version_info[:3]


def cmd_plan(c):
    node, req = c.node, c.req
    info = {"python": python_version(), "target": target_info(), "current": node.link_target("current"), "previous": node.link_target("previous")}
    info["receipt"] = read_json(os.path.join(node.root, "receipt.json"))
    info["missing"] = [h for h in req.get("blobs", []) if not node.have_blob(h)]
    rel = req.get("releaseId")
    r = info["receipt"] or {}
    if rel and r.get("stateDigest") == req.get("stateDigest") and info["current"] == rel:
        info["drift"] = node.verify(rel)
        info["converged"] = not info["drift"]
    else:
        info["converged"] = False
    if info["converged"]:
        info["venvComplete"] = True  # verify() has just checked it against the lock
    elif req.get("candidateShort"):
        m = read_json(os.path.join(node.venv(req["candidateShort"]), ".karoo-venv.json")) or {}
        info["venvComplete"] = m.get("candidate") == req.get("candidate") and not verify_venv(node.venv(req["candidateShort"]), req.get("expected", []), check_marker=False)
    return info


def cmd_receive(c):
    return {"bytes": c.node.receive(c.req["blobs"], c.stream), "seconds": time.monotonic() - c.t0}


def cmd_prepare(c):
    """One call does what the node needs for its release: take the wheels it lacks (`blobs`,
    streamed after the request and checked on arrival, as receive does), install (from them, or
    from an `inline` archive that follows), render the release, and with `pack` stream its
    installed tree to the runner (raw bytes, a newline, then this answer)."""
    node, req = c.node, c.req
    t = {}
    if req.get("blobs"):
        s = time.monotonic()
        t["receivedBytes"] = node.receive(req["blobs"], c.stream)
        t["receiveSeconds"] = time.monotonic() - s
    s = time.monotonic()
    t["install"] = node.install(req, c.stream)
    t["installSeconds"] = time.monotonic() - s
    s = time.monotonic()
    t["release"] = node.build_release(req, c.agent_source)
    t["renderSeconds"] = time.monotonic() - s
    answer = {"timings": t}
    if req.get("pack"):
        answer["packed"] = node.pack(req, c.out)
        c.out.write(b"\n")
        c.out.flush()
        t["packSeconds"] = answer["packed"]["seconds"]
    return answer


def cmd_pack(c):
    return c.node.pack(c.req)


def cmd_send(c):
    """The raw bytes of one blob, then a newline, then the answer: the runner fetches an archive this way."""
    path = c.node.verify_blob(c.req["hex"])
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        shutil.copyfileobj(f, c.out, 1 << 20)
    c.out.write(b"\n")
    c.out.flush()
    return {"size": size}


def cmd_activate(c):
    node, rel = c.node, c.req["releaseId"]
    old = node.switch(rel)
    desired = read_json(os.path.join(node.release(rel), ".karoo", "release.json"))
    node.wait_services(desired, int(c.req.get("waitSeconds", 60)))
    start = time.monotonic() - c.t0
    s = time.monotonic()
    diffs = node.verify(rel)
    if diffs:
        raise Fail("verification after switching to %s: %s" % (rel, diffs[0]))
    receipt = node.write_receipt(desired, {"previousRelease": old, "action": "deploy"})
    node.prune()
    return {"previous": old, "receipt": receipt, "startSeconds": start, "verifySeconds": time.monotonic() - s}


def cmd_rollback(c):
    node = c.node
    prev = node.link_target("previous")
    cur = node.link_target("current")
    if not prev or not os.path.isfile(os.path.join(node.release(prev), ".karoo", "release.json")):
        raise Fail("no previous release to roll back to")
    if c.req.get("check"):
        return {"current": cur, "previous": prev, "release": read_json(os.path.join(node.release(prev), ".karoo", "release.json"))}
    node.switch(prev)
    desired = read_json(os.path.join(node.release(prev), ".karoo", "release.json"))
    node.wait_services(desired, int(c.req.get("waitSeconds", 60)))
    diffs = node.verify(prev)
    if diffs:
        raise Fail("verification after rolling back to %s: %s" % (prev, diffs[0]))
    receipt = node.write_receipt(desired, {"previousRelease": cur, "action": "rollback"})
    return {"from": cur, "to": prev, "receipt": receipt, "seconds": time.monotonic() - c.t0}


def cmd_status(c):
    node = c.node
    receipt = read_json(os.path.join(node.root, "receipt.json"))
    info = {"receipt": receipt, "current": node.link_target("current"), "previous": node.link_target("previous"), "python": python_version()}
    if receipt and not receipt.get("damaged"):
        info["drift"] = node.verify(receipt.get("release") or "0" * 16)
    elif receipt:
        info["drift"] = ["receipt.json is damaged"]
    else:
        info["drift"] = []
    return info


class Command:
    """A command of the agent: its handler, whether it takes the system's lock, the request fields it needs."""

    def __init__(self, run, locks, fields=None):
        self.run, self.locks, self.fields = run, locks, fields or {}


INSTALL_FIELDS = {"candidate": "str", "candidateShort": "str", "expected": "list"}

# The commands the runner calls (AGENT_COMMANDS in packages/deploy/src/ssh.ts).
COMMANDS = {
    "plan": Command(cmd_plan, locks=False),
    "receive": Command(cmd_receive, locks=True, fields={"blobs": "list"}),
    "prepare": Command(cmd_prepare, locks=True, fields=dict(INSTALL_FIELDS, releaseId="str", release="dict", files="list")),
    "pack": Command(cmd_pack, locks=True, fields={"candidate": "str", "candidateShort": "str"}),
    "send": Command(cmd_send, locks=False, fields={"hex": "str"}),
    "activate": Command(cmd_activate, locks=True, fields={"releaseId": "str"}),
    "rollback": Command(cmd_rollback, locks=True),
    "status": Command(cmd_status, locks=False),
}


def handle(cmd, c):
    """Runs command `cmd` for call `c`: checks the request has what the command needs, takes the lock if it does."""
    command = COMMANDS.get(cmd)
    if command is None:
        raise InputFail("unknown agent command %r (known: %s)" % (cmd, ", ".join(sorted(COMMANDS))))
    require(c.req, cmd, command.fields)
    if command.locks:
        c.node.lock()
    return command.run(c)


def agent_source():
    """This agent as one file: given by the bootstrap (`python3 -c`), else the file it runs from."""
    given = globals().get("KAROO_AGENT_SOURCE")
    if given is not None:
        return given
    with open(os.path.abspath(sys.argv[0]), "rb") as f:
        return f.read()


def main(argv=None, stream=None, out=None, base=BASE):
    """`exec SERVICE` and `supervise SERVICE` for the units; any other command reads its request
    from stdin (`stream`, binary) and writes its answer as the last line of stdout (`out`, binary),
    always with exit 0: the answer says how it went."""
    argv = sys.argv if argv is None else argv
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd in ("exec", "supervise") and len(argv) > 2:
        script = os.path.abspath(argv[0])
        return do_exec(argv[2], script) if cmd == "exec" else do_supervise(argv[2], script)
    if out is None:
        out = sys.stdout.buffer
        sys.stdout = sys.stderr  # anything printed goes to the log, never into the answer
    stream = sys.stdin.buffer if stream is None else stream
    try:
        req = read_request(stream)
        c = Call(req, Node(req.get("system", ""), base), stream, out, agent_source() if cmd == "prepare" else b"")
        answer = handle(cmd, c)
        answer["ok"] = True
        t = os.times()
        answer["cpuSeconds"] = round(t[0] + t[1] + t[2] + t[3], 3)  # this call's CPU on the node, its children included
    except Exception as e:  # every failure becomes an answer; failure_answer tells a bug from a refusal
        answer = failure_answer(e)
        if answer["kind"] == "bug":
            traceback.print_exc()
    out.write(answer_line(answer).encode("utf-8"))
    out.flush()
    return 0
