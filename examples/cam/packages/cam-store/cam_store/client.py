"""Client of the cam-store HTTP API (needs the ``client`` extra: ``cam-store[client]``)."""

from __future__ import annotations

import urllib.error
import urllib.request

import tinyproto


class StoreError(Exception):
    """The store answered with an error or could not be reached."""


class StoreClient:
    def __init__(self, base_url: str, timeout: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, doc=None):
        data = None if doc is None else tinyproto.encode(doc)
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", tinyproto.CONTENT_TYPE)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return tinyproto.decode(resp.read())
        except urllib.error.HTTPError as e:
            raise StoreError(f"{method} {self.base_url}{path}: HTTP {e.code}: {e.read().decode(errors='replace').strip()}") from None
        except (urllib.error.URLError, OSError) as e:
            raise StoreError(f"{method} {self.base_url}{path}: {getattr(e, 'reason', e)}") from None

    def health(self) -> dict:
        return self._call("GET", "/health")

    def version(self) -> dict:
        return self._call("GET", "/version")

    def get(self, key: str) -> dict:
        return self._call("GET", f"/kv/{key}")

    def put(self, key: str, value, source: str | None = None) -> dict:
        return self._call("PUT", f"/kv/{key}", {"value": value, "source": source})

    def keys(self) -> list:
        return self._call("GET", "/kv")["keys"]
