"""``cam-monitor``: the monitoring service."""

from __future__ import annotations

import sys
import threading
import time

from cam_core import Service, run_service
from cam_katcp import sensor_value
from cam_proxy.client import ProxyClient, ProxyError

try:  # installed on Linux only (an environment marker in cam-monitor's requirements)
    import procstat
except ImportError:  # pragma: no cover - other platforms
    procstat = None


class MonitorService(Service):
    """CAM monitor: polls every proxy, writes heartbeat and load sensors (HTTP status)."""

    name = "cam-monitor"
    distribution = "cam-monitor"

    def __init__(self, config: dict):
        super().__init__(config)
        urls = config.get("proxy_urls") or []
        if isinstance(urls, str):
            urls = [u for u in urls.split(",") if u.strip()]
        self.proxies = [ProxyClient(u.strip(), timeout=float(config.get("poll_timeout", 3))) for u in urls]
        self.interval = float(config.get("interval", 2))
        self.polls = 0
        self.last: dict = {}
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="poller", daemon=True)

    def routes(self) -> dict:
        r = super().routes()
        r[("GET", "/status")] = self.status
        r[("POST", "/poll")] = self.poll_now
        return r

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.halt.set()

    def _loop(self) -> None:
        while not self.halt.is_set():
            self.poll()
            self.halt.wait(self.interval)

    def poll(self) -> dict:
        node = self.config.get("node")
        results = {}
        load = procstat.loadavg()[0] if procstat is not None else None
        for p in self.proxies:
            try:
                store = p.store_status()
                p.put(f"monitor.{node}.heartbeat", time.time(), source=node)
                if load is not None:
                    p.put(f"monitor.{node}.load", load, source=node)
                results[p.base_url] = {"ok": True, "proxy_node": store.get("proxy_node"), "store_node": store.get("store_node")}
            except ProxyError as e:
                results[p.base_url] = {"ok": False, "error": str(e)}
                print(f"cam-monitor: {sensor_value(time.time(), 'proxy', p.base_url, 'error')}", file=sys.stderr)
        self.polls += 1
        self.last = {"time": time.time(), "results": results, "load": load}
        return self.last

    def status(self, path, query, body):
        return {"node": self.config.get("node"), "polls": self.polls, "interval": self.interval, "last": self.last}

    def poll_now(self, path, query, body):
        return self.poll()


def main(argv=None) -> int:
    return run_service(MonitorService, argv)


if __name__ == "__main__":
    raise SystemExit(main())
