"""What the acceptance tests know about the deployed CAM system, read from the environment.

KAROO_INVENTORY  (required) path of the inventory JSON written by provision/deploy.
KAROO_LOCK       (optional) path of the candidate's pylock.toml or requirements.txt.
KAROO_VALUES     (optional) path of a JSON file, or a JSON object, with the environment's values.
KAROO_ENVIRONMENT (optional) name of the environment the system was deployed for.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request

# Which services run on a node of each role, when the inventory does not list them.
# Covers the roles of both karoo.yml (store/control/monitor) and karoo-15.yml (…/sensor/portal).
ROLE_SERVICES = {
    "store": ["cam-store"],
    "control": ["cam-proxy", "cam-scheduler"],
    "monitor": ["cam-monitor", "cam-portal"],
    "sensor": ["cam-monitor"],
    "portal": ["cam-portal"],
}
DEFAULT_PORTS = {"cam-store": 7101, "cam-proxy": 7102, "cam-scheduler": 7103, "cam-monitor": 7104, "cam-portal": 7105}


class Service:
    def __init__(self, node: str, role: str, name: str, url: str):
        self.node, self.role, self.name, self.url = node, role, name, url.rstrip("/")

    def __repr__(self) -> str:
        return f"{self.name}@{self.node}"

    def call(self, method: str, path: str, doc=None, timeout: float = 10.0):
        data = None if doc is None else json.dumps(doc).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                body = resp.read()
                ctype = resp.headers.get("Content-Type", "")
                return json.loads(body) if ctype.startswith("application/json") else body.decode()
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{method} {self.url}{path} ({self!r}): HTTP {e.code}: {e.read().decode(errors='replace').strip()}") from None
        except (urllib.error.URLError, OSError) as e:
            raise AssertionError(f"{method} {self.url}{path} ({self!r}): {getattr(e, 'reason', e)}") from None

    def get(self, path: str):
        return self.call("GET", path)


def _json_source(value: str):
    value = value.strip()
    if value.startswith("{"):
        return json.loads(value)
    with open(value, encoding="utf-8") as f:
        return json.load(f)


def load_inventory() -> dict:
    path = os.environ.get("KAROO_INVENTORY")
    if not path:
        raise SystemExit("KAROO_INVENTORY is not set: point it at the inventory JSON of the deployed system")
    with open(path, encoding="utf-8") as f:
        inv = json.load(f)
    if not isinstance(inv.get("nodes"), list) or not inv["nodes"]:
        raise SystemExit(f"{path}: the inventory has no nodes")
    return inv


def services(inv: dict) -> list:
    """Every service of the system with the URL the tests reach it at.

    A node may list its services (``services: [{name, port, url?}]``); otherwise the role
    decides (ROLE_SERVICES) and the port is the default. The URL is the service's ``url``,
    else ``http://<address>:<port>``.
    """
    out = []
    for n in inv["nodes"]:
        listed = n.get("services")
        if listed is None:
            listed = [{"name": s} for s in ROLE_SERVICES.get(n["role"], [])]
        for s in listed:
            port = s.get("port", DEFAULT_PORTS.get(s["name"]))
            url = s.get("url") or f"http://{n.get('address', n['name'])}:{port}"
            out.append(Service(n["name"], n["role"], s["name"], url))
    return out


def values():
    """The environment's values, or None when the runner did not pass them."""
    inline = os.environ.get("KAROO_VALUES")
    if inline:
        return _json_source(inline)
    inv = load_inventory()
    return inv.get("values")


def environment_name():
    return os.environ.get("KAROO_ENVIRONMENT") or load_inventory().get("environment")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions():
    """Normalised name -> version from KAROO_LOCK (pylock.toml or requirements.txt), or None."""
    path = os.environ.get("KAROO_LOCK")
    if not path:
        return None
    if path.endswith(".toml"):
        import tomllib

        with open(path, "rb") as f:
            doc = tomllib.load(f)
        return {_norm(p["name"]): p["version"] for p in doc.get("packages", [])}
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s;\\]+)", line)
            if m:
                out[_norm(m.group(1))] = m.group(2)
    return out
