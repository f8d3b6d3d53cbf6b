"""A small threaded JSON-over-HTTP service with the endpoints every CAM service has."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cam_core.config import ConfigError, load_config
from cam_core.metadata import version_report


class HTTPError(Exception):
    """Raised by a route to answer with an error status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Service:
    """Base class: subclasses set ``name``/``distribution`` and add routes.

    Routes are methods registered in ``routes()`` as ``(METHOD, prefix) -> handler``; a
    handler gets ``(path, query, body)`` and returns a JSON-able object, or
    ``(status, content_type, bytes)`` for other content.
    """

    name = "cam-service"
    distribution = "cam-core"

    def __init__(self, config: dict):
        self.config = config
        self.started = time.monotonic()
        self.requests = 0
        self._lock = threading.Lock()

    # -- endpoints every service has
    def health(self, path, query, body):
        return {
            "status": "ok",
            "service": self.name,
            "node": self.config.get("node"),
            "environment": self.config.get("environment"),
            "uptime": round(time.monotonic() - self.started, 3),
            "requests": self.requests,
        }

    def version(self, path, query, body):
        report = version_report(self.distribution)
        report["service"] = self.name
        report["node"] = self.config.get("node")
        return report

    def show_config(self, path, query, body):
        return {"service": self.name, "node": self.config.get("node"), "config": self.config}

    def routes(self) -> dict:
        return {
            ("GET", "/health"): self.health,
            ("GET", "/version"): self.version,
            ("GET", "/config"): self.show_config,
        }

    def start(self) -> None:
        """Called once before serving: start background work here."""

    def stop(self) -> None:
        """Called once after serving stopped."""

    # -- plumbing
    def dispatch(self, method: str, target: str, body: bytes):
        with self._lock:
            self.requests += 1
        parts = urlsplit(target)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        routes = self.routes()
        handler = routes.get((method, path))
        if handler is None:
            # the longest "/prefix/" route that the path is under
            under = [p for (m, p) in routes if m == method and p.endswith("/") and path.startswith(p)]
            if not under:
                raise HTTPError(404, f"no route for {method} {path}")
            handler = routes[(method, max(under, key=len))]
        return handler(path, query, body)


def _handler_for(service: Service):
    class Handler(BaseHTTPRequestHandler):
        server_version = f"{service.name}/1"
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # one line per request on stderr
            sys.stderr.write(f"{service.name}: {self.address_string()} {fmt % args}\n")

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                result = service.dispatch(self.command, self.path, body)
                if isinstance(result, tuple):
                    status, ctype, data = result
                else:
                    status, ctype = 200, "application/json"
                    data = (json.dumps(result, sort_keys=True) + "\n").encode()
            except HTTPError as e:
                status, ctype = e.status, "application/json"
                data = (json.dumps({"error": e.message}) + "\n").encode()
            except Exception as e:  # a bug in a route: answer 500, keep serving
                status, ctype = 500, "application/json"
                data = (json.dumps({"error": f"{type(e).__name__}: {e}"}) + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = _answer

    return Handler


def run_service(cls, argv: list | None = None) -> int:
    """Entry point of a service's console script: ``NAME [--config FILE] [--bind ADDR] [--port N]``.

    Prints ``NAME listening on http://ADDR:PORT`` on stdout once it accepts connections
    (``--port 0`` picks a free port), and stops cleanly on SIGTERM or SIGINT.
    """
    parser = argparse.ArgumentParser(prog=cls.name, description=cls.__doc__)
    parser.add_argument("--config", help="JSON configuration file (default: $CAM_CONFIG)")
    parser.add_argument("--bind", help="address to listen on (default: the configuration's, else 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (0: any free port)")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as e:
        print(f"{cls.name}: {e}", file=sys.stderr)
        return 2
    if args.bind is not None:
        config["bind"] = args.bind
    if args.port is not None:
        config["port"] = args.port
    if "port" not in config:
        print(f"{cls.name}: no port configured; set port in the configuration, $CAM_PORT or --port", file=sys.stderr)
        return 2
    service = cls(config)
    httpd = ThreadingHTTPServer((config["bind"], int(config["port"])), _handler_for(service))
    httpd.daemon_threads = True
    stopping = threading.Event()

    def stop(signum, frame):
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    service.start()
    host, port = httpd.server_address[:2]
    print(f"{cls.name} listening on http://{host}:{port}", flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        service.stop()
        httpd.server_close()
    return 0
