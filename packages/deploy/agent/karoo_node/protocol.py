"""The wire protocol: one JSON request line on stdin (raw bytes may follow it), one JSON answer
line last on stdout. Raw bytes a command streams to the runner (`send`, `prepare` with `pack`)
go before the answer, followed by a newline."""

import json

from .errors import InputFail


def read_request(stream):
    """The request object on the first line of `stream` ({} when the line is empty)."""
    line = stream.readline()
    if not line.strip():
        return {}
    try:
        req = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InputFail("the agent's request is not JSON: %s" % e)
    if not isinstance(req, dict):
        raise InputFail("the agent's request is a JSON %s, not an object" % type(req).__name__)
    return req


FIELD_TYPES = {"str": str, "list": list, "dict": dict}


def require(req, cmd, fields):
    """Checks that the request holds each field of `fields` ({name: "str"|"list"|"dict"}) with that type."""
    for name in sorted(fields):
        want = fields[name]
        if name not in req:
            raise InputFail("agent command %s needs %r in its request" % (cmd, name))
        if not isinstance(req[name], FIELD_TYPES[want]):
            raise InputFail("agent command %s: %r must be a %s, not %s" % (cmd, name, want, type(req[name]).__name__))


def answer_line(answer):
    """The answer as the runner reads it: sorted keys, one line."""
    return json.dumps(answer, sort_keys=True) + "\n"
