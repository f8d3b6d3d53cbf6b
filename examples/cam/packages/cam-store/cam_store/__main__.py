"""``cam-store``: the store service."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time

from cam_core import HTTPError, Service, run_service
from cam_katcp import sensor_value


class StoreService(Service):
    """CAM telemetry and key-value store (HTTP)."""

    name = "cam-store"
    distribution = "cam-store"

    def __init__(self, config: dict):
        super().__init__(config)
        self.data: dict = {}
        self.lock = threading.Lock()
        self.path = None
        if config.get("data_dir"):
            os.makedirs(config["data_dir"], exist_ok=True)
            self.path = os.path.join(config["data_dir"], "store.json")
            if os.path.exists(self.path):
                with open(self.path, encoding="utf-8") as f:
                    self.data = json.load(f)

    def routes(self) -> dict:
        r = super().routes()
        r.update(
            {
                ("GET", "/kv"): self.list_keys,
                ("GET", "/kv/"): self.get_key,
                ("PUT", "/kv/"): self.put_key,
                ("DELETE", "/kv/"): self.delete_key,
                ("GET", "/sensors.katcp"): self.katcp_dump,
            }
        )
        return r

    def _save(self) -> None:
        if self.path is None:
            return
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(self.path), prefix=".store.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.data, f, sort_keys=True)
        os.replace(tmp, self.path)

    @staticmethod
    def _key(path: str) -> str:
        key = path[len("/kv/"):]
        if not key or "/" in key:
            raise HTTPError(400, f"bad key {key!r}: use one path segment")
        return key

    def list_keys(self, path, query, body):
        with self.lock:
            return {"node": self.config.get("node"), "keys": sorted(self.data)}

    def get_key(self, path, query, body):
        key = self._key(path)
        with self.lock:
            if key not in self.data:
                raise HTTPError(404, f"no key {key!r}")
            return dict(self.data[key], key=key, store_node=self.config.get("node"))

    def put_key(self, path, query, body):
        key = self._key(path)
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            raise HTTPError(400, "body must be JSON: {\"value\": …}") from None
        if not isinstance(doc, dict) or "value" not in doc:
            raise HTTPError(400, "body must be a JSON object with a value")
        with self.lock:
            serial = self.data.get(key, {}).get("serial", 0) + 1
            self.data[key] = {"value": doc["value"], "source": doc.get("source"), "serial": serial, "time": time.time()}
            self._save()
            return dict(self.data[key], key=key, store_node=self.config.get("node"))

    def delete_key(self, path, query, body):
        key = self._key(path)
        with self.lock:
            if self.data.pop(key, None) is None:
                raise HTTPError(404, f"no key {key!r}")
            self._save()
        return {"deleted": key}

    def katcp_dump(self, path, query, body):
        with self.lock:
            lines = [str(sensor_value(v["time"], k, json.dumps(v["value"]))) for k, v in sorted(self.data.items())]
        return 200, "text/plain; charset=utf-8", ("\n".join(lines) + "\n").encode()


def main(argv=None) -> int:
    return run_service(StoreService, argv)


if __name__ == "__main__":
    raise SystemExit(main())
