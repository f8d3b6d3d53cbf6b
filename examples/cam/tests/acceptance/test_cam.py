"""Acceptance tests of the deployed CAM example system (stdlib unittest, no pytest needed)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import unittest
import uuid

import cam_system

INV = cam_system.load_inventory()
SERVICES = cam_system.services(INV)


def of(name: str) -> list:
    return [s for s in SERVICES if s.name == name]


class Topology(unittest.TestCase):
    def test_every_role_runs_its_services(self):
        self.assertTrue(of("cam-store"), "no cam-store in the inventory")
        self.assertTrue(of("cam-proxy"), "no cam-proxy in the inventory")
        self.assertTrue(of("cam-monitor"), "no cam-monitor in the inventory")
        self.assertTrue(of("cam-portal"), "no cam-portal in the inventory")

    def test_every_service_is_healthy_on_its_node(self):
        for s in SERVICES:
            with self.subTest(service=repr(s)):
                h = s.get("/health")
                self.assertEqual(h["status"], "ok")
                self.assertEqual(h["service"], s.name)
                self.assertEqual(h["node"], s.node, f"{s!r} reports node {h['node']!r}")


class CrossNode(unittest.TestCase):
    def test_proxy_reaches_the_store_on_another_node(self):
        stores = {s.node for s in of("cam-store")}
        for p in of("cam-proxy"):
            with self.subTest(proxy=repr(p)):
                st = p.get("/api/store")
                self.assertEqual(st["proxy_node"], p.node)
                self.assertIn(st["store_node"], stores)
                self.assertNotEqual(st["store_node"], p.node, "the proxy should talk to a store on another node")
                self.assertEqual(st["store_status"], "ok")

    def test_a_value_written_through_one_proxy_is_read_through_every_other(self):
        proxies = of("cam-proxy")
        key = f"acceptance.{uuid.uuid4().hex[:12]}"
        written = proxies[0].call("PUT", f"/api/sensors/{key}", {"value": {"written_by": proxies[0].node}})
        self.assertEqual(written["proxy_node"], proxies[0].node)
        for p in proxies:
            with self.subTest(proxy=repr(p)):
                got = p.get(f"/api/sensors/{key}")
                self.assertEqual(got["value"], {"written_by": proxies[0].node})
                self.assertEqual(got["serial"], written["serial"])
        direct = of("cam-store")[0].get(f"/kv/{key}")
        self.assertEqual(direct["value"], {"written_by": proxies[0].node})

    def test_monitor_polls_every_proxy_and_publishes_heartbeats(self):
        proxies = {p.node for p in of("cam-proxy")}
        for m in of("cam-monitor"):
            with self.subTest(monitor=repr(m)):
                m.call("POST", "/poll")
                st = m.get("/status")
                self.assertGreaterEqual(st["polls"], 1)
                results = st["last"]["results"]
                self.assertTrue(results, "the monitor has no proxies configured")
                for url, r in results.items():
                    self.assertTrue(r["ok"], f"{m!r} cannot poll {url}: {r.get('error')}")
                self.assertLessEqual({r["proxy_node"] for r in results.values()}, proxies)
                hb = of("cam-proxy")[0].get(f"/api/sensors/monitor.{m.node}.heartbeat")
                self.assertGreater(hb["value"], time.time() - 600)

    def test_portal_sees_every_service_up(self):
        for portal in of("cam-portal"):
            with self.subTest(portal=repr(portal)):
                st = portal.get("/api/status")
                self.assertTrue(st["services"], "the portal has no services configured")
                for row in st["services"]:
                    self.assertEqual(row["status"], "ok", f"portal on {portal.node} sees {row}")

    def test_scheduler_accepts_an_observation_block(self):
        for s in of("cam-scheduler"):
            with self.subTest(scheduler=repr(s)):
                b = s.call("POST", "/schedule", {"target": "PKS 1934-638", "duration": 600})
                listing = s.get("/schedule")
                self.assertIn(b["id"], [x["id"] for x in listing["blocks"]])
                self.assertIn("!sb-list ok", s.get("/schedule.katcp"))


class Configuration(unittest.TestCase):
    def test_configured_values_are_visible(self):
        values = cam_system.values()
        if values is None:
            self.skipTest("no values given (set KAROO_VALUES or put values in the inventory)")
        for s in SERVICES:
            with self.subTest(service=repr(s)):
                c = s.get("/config")["config"]
                self.assertEqual(c["site"], values["site"])
                self.assertEqual(c["telescope_mode"], values["telescope_mode"])
                self.assertEqual(c["log_level"], values["log_level"])
        for m in of("cam-monitor"):
            self.assertEqual(m.get("/status")["interval"], float(values["monitor_interval"]))
        for p in of("cam-proxy"):
            self.assertEqual(p.get("/config")["config"]["store_url"], values["store_url"])

    def test_environment_name_is_visible(self):
        env = cam_system.environment_name()
        if env is None:
            self.skipTest("no environment name given (set KAROO_ENVIRONMENT)")
        for s in SERVICES:
            with self.subTest(service=repr(s)):
                self.assertEqual(s.get("/health")["environment"], env)


class Versions(unittest.TestCase):
    def test_running_versions_equal_the_lock(self):
        lock = cam_system.locked_versions()
        if lock is None:
            self.skipTest("no lock given (set KAROO_LOCK to the candidate's pylock.toml)")
        for s in SERVICES:
            with self.subTest(service=repr(s)):
                v = s.get("/version")
                self.assertEqual(v["version"], lock.get(v["distribution"]), f"{s!r} runs {v['distribution']} {v['version']}")
                for name, version in lock.items():
                    self.assertEqual(v["installed"].get(name), version, f"{s!r}: {name} installed {v['installed'].get(name)}, locked {version}")
                for name, version in v["requires"].items():
                    self.assertEqual(lock.get(name), version, f"{s!r} depends on {name} {version}, which is not the locked one")


class CompiledExtension(unittest.TestCase):
    def test_the_c_extension_imports_and_computes_on_every_node(self):
        lock = cam_system.locked_versions()
        if lock is None or "cam-signal" not in lock:
            self.skipTest("the lock holds no cam-signal (or KAROO_LOCK is not set)")
        ssh_config = os.environ.get("KAROO_SSH_CONFIG")
        if not ssh_config:
            self.skipTest("no KAROO_SSH_CONFIG to reach the nodes")
        system = INV["system"]
        for node in INV["nodes"]:
            with self.subTest(node=node["name"]):
                # cam-signal is the leaf's console script: it imports the extension and prints its answers.
                r = subprocess.run(["ssh", "-F", ssh_config, node["name"], f"/opt/karoo/{system}/current/bin/cam-signal"],
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, f"{node['name']}: {r.stderr.strip()[-300:]}")
                got = json.loads(r.stdout.strip().splitlines()[-1])
                self.assertEqual(got["module"], "_native.cpython-311-x86_64-linux-gnu.so")
                self.assertAlmostEqual(got["rms"], 12.5 ** 0.5, places=9)
                self.assertEqual(got["adler32"], 0x11E60398)


if __name__ == "__main__":
    unittest.main()
