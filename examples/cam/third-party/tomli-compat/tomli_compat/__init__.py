"""tomli-compat: TOML reading before Python 3.11 (a generated third-party stand-in of the karoo example).

Required by cam-core only where python_version < "3.11": it must never be in a 3.11 lock.
"""

try:
    from tomllib import load, loads  # noqa: F401
except ImportError:  # pragma: no cover
    raise ImportError("tomli-compat stand-in: use Python 3.11 or later") from None
