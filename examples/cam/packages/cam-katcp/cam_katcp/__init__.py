"""cam-katcp: KATCP-style text messages (requests ``?``, replies ``!``, informs ``#``).

A small subset of the Karoo Array Telescope Control Protocol's message syntax: a type
character, a name, and arguments separated by spaces, with ``\\_``, ``\\n``, ``\\\\``,
``\\t``, ``\\e``, ``\\0`` and ``\\@`` (empty argument) escapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REQUEST, REPLY, INFORM = "?", "!", "#"

_ESCAPES = {"\\": "\\\\", " ": "\\_", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e", "\0": "\\0"}
_UNESCAPES = {v[1]: k for k, v in _ESCAPES.items()}


class KatcpSyntaxError(ValueError):
    """A line that is not a KATCP message."""


def escape(arg: str) -> str:
    if arg == "":
        return "\\@"
    return "".join(_ESCAPES.get(c, c) for c in arg)


def unescape(arg: str) -> str:
    if arg == "\\@":
        return ""
    out = []
    i = 0
    while i < len(arg):
        c = arg[i]
        if c == "\\":
            if i + 1 >= len(arg) or arg[i + 1] not in _UNESCAPES:
                raise KatcpSyntaxError(f"bad escape in {arg!r}")
            out.append(_UNESCAPES[arg[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class Message:
    mtype: str
    name: str
    arguments: tuple = field(default_factory=tuple)

    @classmethod
    def request(cls, name: str, *args) -> "Message":
        return cls(REQUEST, name, tuple(str(a) for a in args))

    @classmethod
    def reply(cls, name: str, *args) -> "Message":
        return cls(REPLY, name, tuple(str(a) for a in args))

    @classmethod
    def inform(cls, name: str, *args) -> "Message":
        return cls(INFORM, name, tuple(str(a) for a in args))

    @classmethod
    def parse(cls, line: str) -> "Message":
        line = line.rstrip("\r\n")
        if not line or line[0] not in (REQUEST, REPLY, INFORM):
            raise KatcpSyntaxError(f"not a KATCP message: {line!r}")
        parts = line[1:].split()
        if not parts or not parts[0][:1].isalpha():
            raise KatcpSyntaxError(f"message without a name: {line!r}")
        return cls(line[0], parts[0], tuple(unescape(p) for p in parts[1:]))

    def __str__(self) -> str:
        return " ".join([self.mtype + self.name] + [escape(a) for a in self.arguments])


def sensor_value(timestamp: float, name: str, value, status: str = "nominal") -> Message:
    """A ``#sensor-value`` inform for one reading."""
    return Message.inform("sensor-value", f"{timestamp:.3f}", "1", name, status, value)
