"""``cam-proxy``: the control API service."""

from __future__ import annotations

import json
import re

from cam_core import HTTPError, Service, run_service
from cam_katcp import Message
from cam_store.client import StoreClient, StoreError

_SENSOR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class ProxyService(Service):
    """CAM control API: sensors through the store on another node (HTTP)."""

    name = "cam-proxy"
    distribution = "cam-proxy"

    def __init__(self, config: dict):
        super().__init__(config)
        if not config.get("store_url"):
            raise SystemExit("cam-proxy: store_url is not configured (e.g. http://store-1:7101)")
        self.store = StoreClient(config["store_url"], timeout=float(config.get("store_timeout", 5)))

    def routes(self) -> dict:
        r = super().routes()
        r.update(
            {
                ("GET", "/api/store"): self.store_status,
                ("GET", "/api/sensors"): self.list_sensors,
                ("GET", "/api/sensors/"): self.get_sensor,
                ("PUT", "/api/sensors/"): self.put_sensor,
                ("POST", "/api/katcp"): self.katcp_request,
            }
        )
        return r

    def health(self, path, query, body):
        h = super().health(path, query, body)
        if query.get("deep"):
            try:
                h["store"] = self.store.health()
            except StoreError as e:
                h["status"] = "degraded"
                h["store"] = {"error": str(e)}
        return h

    @staticmethod
    def _name(path: str) -> str:
        name = path[len("/api/sensors/"):]
        if not _SENSOR.match(name):
            raise HTTPError(400, f"bad sensor name {name!r}")
        return name

    def _via(self, doc: dict) -> dict:
        return dict(doc, proxy_node=self.config.get("node"))

    def store_status(self, path, query, body):
        try:
            health = self.store.health()
            version = self.store.version()
        except StoreError as e:
            raise HTTPError(502, str(e)) from None
        return self._via(
            {
                "store_url": self.store.base_url,
                "store_node": health.get("node"),
                "store_status": health.get("status"),
                "store_version": version.get("version"),
            }
        )

    def list_sensors(self, path, query, body):
        try:
            return self._via({"sensors": self.store.keys()})
        except StoreError as e:
            raise HTTPError(502, str(e)) from None

    def get_sensor(self, path, query, body):
        name = self._name(path)
        try:
            return self._via(self.store.get(name))
        except StoreError as e:
            raise HTTPError(404 if "HTTP 404" in str(e) else 502, str(e)) from None

    def put_sensor(self, path, query, body):
        name = self._name(path)
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            raise HTTPError(400, "body must be JSON: {\"value\": …}") from None
        if not isinstance(doc, dict) or "value" not in doc:
            raise HTTPError(400, "body must be a JSON object with a value")
        try:
            return self._via(self.store.put(name, doc["value"], source=doc.get("source") or self.config.get("node")))
        except StoreError as e:
            raise HTTPError(502, str(e)) from None

    def katcp_request(self, path, query, body):
        """Answers a KATCP request line: ``?sensor-value NAME`` or ``?watchdog``."""
        try:
            msg = Message.parse(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise HTTPError(400, str(e)) from None
        if msg.name == "watchdog":
            reply = Message.reply("watchdog", "ok")
        elif msg.name == "sensor-value" and len(msg.arguments) == 1:
            try:
                doc = self.store.get(msg.arguments[0])
                reply = Message.reply("sensor-value", "ok", msg.arguments[0], json.dumps(doc["value"]))
            except StoreError as e:
                reply = Message.reply("sensor-value", "fail", str(e))
        else:
            reply = Message.reply(msg.name, "invalid", "unknown request")
        return 200, "text/plain; charset=utf-8", (str(reply) + "\n").encode()


def main(argv=None) -> int:
    return run_service(ProxyService, argv)


if __name__ == "__main__":
    raise SystemExit(main())
