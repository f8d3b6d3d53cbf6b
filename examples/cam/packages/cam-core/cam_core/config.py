"""Service configuration: a JSON file, overridden by CAM_* environment variables."""

from __future__ import annotations

import json
import os
import socket

ENV_OVERRIDES = {
    "CAM_NODE": ("node", str),
    "CAM_BIND": ("bind", str),
    "CAM_PORT": ("port", int),
    "CAM_ENVIRONMENT": ("environment", str),
}


class ConfigError(Exception):
    """The configuration file is missing or malformed."""


def load_config(path: str | None = None, environ: dict | None = None) -> dict:
    """Reads the service configuration.

    ``path`` (or ``$CAM_CONFIG``) names a JSON object. ``CAM_NODE``, ``CAM_BIND``,
    ``CAM_PORT`` and ``CAM_ENVIRONMENT`` override the keys of the same meaning. ``node``
    defaults to the host name, ``bind`` to 127.0.0.1.
    """
    env = os.environ if environ is None else environ
    path = path or env.get("CAM_CONFIG")
    config: dict = {}
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                config = json.load(f)
        except OSError as e:
            raise ConfigError(f"configuration {path} cannot be read: {e.strerror}") from None
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
        if not isinstance(config, dict):
            raise ConfigError(f"{path}: the configuration must be a JSON object")
    for var, (key, kind) in ENV_OVERRIDES.items():
        if var in env:
            try:
                config[key] = kind(env[var])
            except ValueError:
                raise ConfigError(f"${var}={env[var]!r} is not a valid {kind.__name__}") from None
    config.setdefault("node", socket.gethostname())
    config.setdefault("bind", "127.0.0.1")
    return config
