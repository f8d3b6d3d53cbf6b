"""Client of the cam-proxy HTTP API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


class ProxyError(Exception):
    """The proxy answered with an error or could not be reached."""


class ProxyClient:
    def __init__(self, base_url: str, timeout: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, doc=None):
        data = None if doc is None else json.dumps(doc).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            raise ProxyError(f"{method} {self.base_url}{path}: HTTP {e.code}: {e.read().decode(errors='replace').strip()}") from None
        except (urllib.error.URLError, OSError) as e:
            raise ProxyError(f"{method} {self.base_url}{path}: {getattr(e, 'reason', e)}") from None

    def health(self) -> dict:
        return self._call("GET", "/health")

    def store_status(self) -> dict:
        return self._call("GET", "/api/store")

    def sensors(self) -> list:
        return self._call("GET", "/api/sensors")["sensors"]

    def get(self, name: str) -> dict:
        return self._call("GET", f"/api/sensors/{name}")

    def put(self, name: str, value, source: str | None = None) -> dict:
        return self._call("PUT", f"/api/sensors/{name}", {"value": value, "source": source})
