"""``cam-scheduler``: keeps the queue of observation blocks."""

from __future__ import annotations

import itertools
import json
import threading

from cam_core import HTTPError, Service, run_service
from cam_katcp import Message


class SchedulerService(Service):
    """CAM scheduler: a queue of observation blocks (HTTP, KATCP listing)."""

    name = "cam-scheduler"
    distribution = "cam-scheduler"

    def __init__(self, config: dict):
        super().__init__(config)
        self.blocks: list = []
        self.ids = itertools.count(1)
        self.lock = threading.Lock()
        self.max_blocks = int(config.get("max_blocks", 100))

    def routes(self) -> dict:
        r = super().routes()
        r.update(
            {
                ("GET", "/schedule"): self.list_blocks,
                ("POST", "/schedule"): self.add_block,
                ("GET", "/schedule.katcp"): self.katcp_listing,
            }
        )
        return r

    def list_blocks(self, path, query, body):
        with self.lock:
            return {"node": self.config.get("node"), "mode": self.config.get("telescope_mode"), "blocks": list(self.blocks)}

    def add_block(self, path, query, body):
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            raise HTTPError(400, "body must be JSON") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("target"), str) or not isinstance(doc.get("duration"), (int, float)):
            raise HTTPError(400, "a block needs a target (string) and a duration (seconds)")
        with self.lock:
            if len(self.blocks) >= self.max_blocks:
                raise HTTPError(409, f"the schedule is full ({self.max_blocks} blocks)")
            block = {"id": next(self.ids), "target": doc["target"], "duration": doc["duration"], "state": "queued"}
            self.blocks.append(block)
        return block

    def katcp_listing(self, path, query, body):
        with self.lock:
            lines = [str(Message.inform("sb", b["id"], b["target"], b["duration"], b["state"])) for b in self.blocks]
        lines.append(str(Message.reply("sb-list", "ok", len(self.blocks))))
        return 200, "text/plain; charset=utf-8", ("\n".join(lines) + "\n").encode()


def main(argv=None) -> int:
    return run_service(SchedulerService, argv)


if __name__ == "__main__":
    raise SystemExit(main())
