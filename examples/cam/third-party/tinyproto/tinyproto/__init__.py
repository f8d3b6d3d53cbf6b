"""tinyproto: a tiny framing for JSON messages (a generated third-party stand-in of the karoo example)."""

import json

CONTENT_TYPE = "application/json"


def encode(doc) -> bytes:
    """Canonical UTF-8 JSON: sorted keys, no insignificant spaces."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode(data: bytes):
    return json.loads(data.decode("utf-8"))
