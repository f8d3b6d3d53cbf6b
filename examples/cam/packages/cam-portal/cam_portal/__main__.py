"""``cam-portal``: the status page."""

from __future__ import annotations

import html
import json
import urllib.error
import urllib.request

from cam_core import HTTPError, Service, run_service
from cam_proxy.client import ProxyClient, ProxyError


def _get_json(url: str, timeout: float) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


class PortalService(Service):
    """CAM portal: status of every configured service and the current sensors (HTML and JSON)."""

    name = "cam-portal"
    distribution = "cam-portal"

    def __init__(self, config: dict):
        super().__init__(config)
        self.services = config.get("services") or []
        self.timeout = float(config.get("timeout", 3))
        self.proxy = ProxyClient(config["proxy_url"], timeout=self.timeout) if config.get("proxy_url") else None

    def routes(self) -> dict:
        r = super().routes()
        r[("GET", "/api/status")] = self.status
        r[("GET", "/")] = self.page
        return r

    def status(self, path, query, body):
        rows = []
        for s in self.services:
            row = {"name": s.get("name"), "url": s.get("url")}
            try:
                h = _get_json(s["url"].rstrip("/") + "/health", self.timeout)
                v = _get_json(s["url"].rstrip("/") + "/version", self.timeout)
                row.update(status=h.get("status"), node=h.get("node"), version=v.get("version"))
            except (urllib.error.URLError, OSError, ValueError) as e:
                row.update(status="unreachable", error=str(getattr(e, "reason", e)))
            rows.append(row)
        sensors = {}
        if self.proxy is not None:
            try:
                for name in self.proxy.sensors():
                    sensors[name] = self.proxy.get(name).get("value")
            except ProxyError as e:
                sensors = {"error": str(e)}
        return {
            "node": self.config.get("node"),
            "site": self.config.get("site"),
            "environment": self.config.get("environment"),
            "services": rows,
            "sensors": sensors,
        }

    def page(self, path, query, body):
        if path != "/":
            raise HTTPError(404, f"no page {path}")
        s = self.status(path, query, body)
        rows = "".join(
            f"<tr><td>{html.escape(str(r['name']))}</td><td>{html.escape(str(r.get('node')))}</td>"
            f"<td>{html.escape(str(r.get('status')))}</td><td>{html.escape(str(r.get('version')))}</td></tr>"
            for r in s["services"]
        )
        doc = (
            f"<!DOCTYPE html><html><head><title>CAM {html.escape(str(s['site']))}</title></head><body>"
            f"<h1>CAM at {html.escape(str(s['site']))} ({html.escape(str(s['environment']))})</h1>"
            f"<table><tr><th>service</th><th>node</th><th>status</th><th>version</th></tr>{rows}</table>"
            f"<pre>{html.escape(json.dumps(s['sensors'], indent=2, sort_keys=True))}</pre></body></html>\n"
        )
        return 200, "text/html; charset=utf-8", doc.encode()


def main(argv=None) -> int:
    return run_service(PortalService, argv)


if __name__ == "__main__":
    raise SystemExit(main())
