"""The node's bookkeeping on a temporary directory (agent/karoo_node/blobs.py, releases.py, node.py)
and the command table (commands.py), without a machine: no systemd, no services started."""

import base64
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from karoo_node import commands, errors, protocol, services  # noqa: E402
from karoo_node.node import Node  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def sha(data):
    return hashlib.sha256(data).hexdigest()


class Tmp(unittest.TestCase):
    def setUp(self):
        self.base = tempfile.mkdtemp(prefix="karoo-agent-node-")
        self.node = Node("cam", self.base)

    def tearDown(self):
        shutil.rmtree(self.base, ignore_errors=True)


class Blobs(Tmp):
    def test_a_blob_that_is_its_digest_is_stored_read_only(self):
        data = b"wheel bytes" * 1000
        self.assertEqual(self.node.receive([{"hex": sha(data), "size": len(data)}], io.BytesIO(data + b"next")), len(data))
        path = os.path.join(self.node.blobs, sha(data))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o444)
        self.assertTrue(self.node.have_blob(sha(data)))
        self.assertEqual(self.node.verify_blob(sha(data)), path)

    def test_several_blobs_are_read_one_after_the_other_from_the_stream(self):
        a, b = b"first", b"second blob"
        stream = io.BytesIO(a + b)
        self.assertEqual(self.node.receive([{"hex": sha(a), "size": len(a)}, {"hex": sha(b), "size": len(b)}], stream), len(a) + len(b))
        self.assertEqual(sorted(os.listdir(self.node.blobs)), sorted([sha(a), sha(b)]))

    def test_a_blob_that_is_not_its_digest_is_integrity_and_nothing_of_it_is_kept(self):
        with self.assertRaises(errors.IntegrityFail) as cm:
            self.node.receive([{"hex": sha(b"genuine"), "size": 7}], io.BytesIO(b"tamperd"))
        self.assertEqual(str(cm.exception), "blob sha256:%s arrived as sha256:%s: refused" % (sha(b"genuine"), sha(b"tamperd")))
        self.assertEqual(os.listdir(self.node.blobs), [])

    def test_a_stream_cut_short_is_unavailable_and_nothing_of_it_is_kept(self):
        with self.assertRaises(errors.UnavailableFail) as cm:
            self.node.receive([{"hex": sha(b"genuine"), "size": 7}], io.BytesIO(b"genu"))
        self.assertEqual(str(cm.exception), "blob sha256:%s ended after 4 of 7 bytes" % sha(b"genuine"))
        self.assertEqual(os.listdir(self.node.blobs), [])

    def test_a_blob_changed_in_the_store_is_deleted_and_refused_before_use(self):
        data = b"genuine"
        self.node.receive([{"hex": sha(data), "size": len(data)}], io.BytesIO(data))
        path = os.path.join(self.node.blobs, sha(data))
        os.chmod(path, 0o644)
        with open(path, "wb") as f:
            f.write(b"changed")
        with self.assertRaises(errors.IntegrityFail):
            self.node.verify_blob(sha(data))
        self.assertFalse(os.path.exists(path))

    def test_a_blob_not_on_the_node_is_a_conflict_and_a_bad_digest_input(self):
        with self.assertRaises(errors.Fail) as cm:
            self.node.verify_blob("a" * 64)
        self.assertEqual(cm.exception.kind, "conflict")
        with self.assertRaises(errors.InputFail):
            self.node.receive([{"hex": "../../etc/passwd", "size": 1}], io.BytesIO(b"x"))


def release_request(rel, files, services_=(), cand="c" * 12):
    """A prepare request's release part: files as the runner renders them."""
    desired = {
        "candidateShort": cand, "candidate": "sha256:" + cand * 5 + "cccc", "systemId": "cam-1234", "node": "n1", "role": "web",
        "environment": "test", "configDigest": "sha256:" + "d" * 64, "stateDigest": "sha256:" + rel * 4, "releaseId": rel,
        "files": [{"path": p, "sha256": sha(d), "mode": "0644"} for p, d in files], "services": list(services_), "expected": [],
    }
    return {"releaseId": rel, "release": desired, "files": [{"path": p, "content": base64.b64encode(d).decode(), "mode": "0644"} for p, d in files]}


class Releases(Tmp):
    REL = "0123456789abcdef"

    def build(self, files, rel=None, services_=()):
        return self.node.build_release(release_request(rel or self.REL, files, services_), b"# the agent\n")

    def test_a_release_holds_its_files_units_desired_state_and_the_agent(self):
        svc = {"name": "web", "unit": "karoo-cam-web.service", "command": ["cam-web"]}
        self.assertEqual(self.build([("etc/cam.json", b"{}\n")], services_=[svc]), "built")
        rdir = self.node.release(self.REL)
        with open(os.path.join(rdir, "etc", "cam.json"), "rb") as f:
            self.assertEqual(f.read(), b"{}\n")
        self.assertEqual(os.readlink(os.path.join(rdir, "bin")), os.path.join("..", "..", "c" * 12, "bin"))
        with open(os.path.join(rdir, ".karoo", "karoo_node.py"), "rb") as f:
            self.assertEqual(f.read(), b"# the agent\n")
        with open(os.path.join(rdir, ".karoo", "release.json")) as f:
            self.assertEqual(json.load(f)["releaseId"], self.REL)
        with open(os.path.join(rdir, "units", svc["unit"])) as f:
            unit = f.read()
        self.assertIn("ExecStart=%s %s/.karoo/karoo_node.py exec web\n" % (sys.executable, rdir), unit)
        self.assertEqual([n for n in os.listdir(self.node.releases) if n.startswith(".tmp-")], [], "nothing half-built is left")

    def test_the_same_release_again_is_reused_and_a_changed_one_not_running_is_rebuilt(self):
        self.build([("etc/a", b"1")])
        self.assertEqual(self.build([("etc/a", b"1")]), "reused")
        with open(os.path.join(self.node.release(self.REL), "etc", "a"), "w") as f:
            f.write("changed by hand")
        self.assertEqual(self.build([("etc/a", b"1")]), "built")

    def test_the_running_release_changed_by_hand_is_repaired_in_place(self):
        self.build([("etc/a", b"1")])
        os.symlink(os.path.join("releases", self.REL), os.path.join(self.node.root, "current"))
        path = os.path.join(self.node.release(self.REL), "etc", "a")
        with open(path, "w") as f:
            f.write("changed by hand")
        self.assertEqual(self.build([("etc/a", b"1")]), "repaired")
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"1")

    def test_the_running_release_with_another_desired_state_is_a_conflict(self):
        self.build([("etc/a", b"1")])
        os.symlink(os.path.join("releases", self.REL), os.path.join(self.node.root, "current"))
        with self.assertRaises(errors.Fail) as cm:
            self.build([("etc/a", b"2")])
        self.assertEqual((cm.exception.kind, str(cm.exception)), ("conflict", "release %s is running but its release.json differs from the desired one" % self.REL))

    def test_a_file_path_out_of_the_release_is_input_and_nothing_is_built(self):
        with self.assertRaises(errors.InputFail):
            self.build([("../../etc/passwd", b"x")])
        self.assertFalse(os.path.exists(self.node.release(self.REL)))

    def test_link_targets_are_release_ids_only(self):
        os.makedirs(self.node.root)
        self.assertIsNone(self.node.link_target("current"))
        os.symlink(os.path.join("releases", self.REL), os.path.join(self.node.root, "current"))
        os.symlink("/etc", os.path.join(self.node.root, "previous"))
        self.assertEqual((self.node.link_target("current"), self.node.link_target("previous")), (self.REL, None))

    def test_each_receipt_replaces_receipt_json_and_is_appended_to_the_history(self):
        os.makedirs(self.node.root)
        desired = release_request(self.REL, [])["release"]
        first = self.node.write_receipt(desired, {"action": "deploy", "previousRelease": None})
        second = self.node.write_receipt(desired, {"action": "rollback", "previousRelease": "f" * 16})
        with open(os.path.join(self.node.root, "receipt.json")) as f:
            self.assertEqual(json.load(f), second)
        with open(os.path.join(self.node.root, "history.jsonl")) as f:
            self.assertEqual([json.loads(line) for line in f], [first, second])
        self.assertEqual((second["release"], second["system"], second["action"]), (self.REL, "cam", "rollback"))

    def test_prune_keeps_current_and_previous_with_their_installation_and_blobs_and_nothing_else(self):
        keep_blob, old_blob = b"wheel of the kept candidate", b"wheel of an old candidate"
        self.node.receive([{"hex": sha(d), "size": len(d)} for d in (keep_blob, old_blob)], io.BytesIO(keep_blob + old_blob))
        cur, prev, old = "1" * 16, "2" * 16, "3" * 16
        self.node.build_release(release_request(cur, [], cand="a" * 12), b"")
        self.node.build_release(release_request(prev, [], cand="a" * 12), b"")
        self.node.build_release(release_request(old, [], cand="b" * 12), b"")
        for cand, blob in (("a" * 12, keep_blob), ("b" * 12, old_blob)):
            os.makedirs(self.node.venv(cand))
            with open(os.path.join(self.node.venv(cand), ".karoo-venv.json"), "w") as f:
                json.dump({"blobs": [sha(blob)]}, f)
        os.makedirs(os.path.join(self.node.releases, ".tmp-%s-1" % old))
        os.symlink(os.path.join("releases", cur), os.path.join(self.node.root, "current"))
        os.symlink(os.path.join("releases", prev), os.path.join(self.node.root, "previous"))
        self.node.prune()
        self.assertEqual(sorted(os.listdir(self.node.releases)), [cur, prev])
        self.assertTrue(os.path.isdir(self.node.venv("a" * 12)))
        self.assertFalse(os.path.exists(self.node.venv("b" * 12)))
        self.assertEqual(os.listdir(self.node.blobs), [sha(keep_blob)])

    def test_verify_names_the_release_that_runs_and_every_changed_file(self):
        self.build([("etc/a", b"1"), ("etc/b", b"2")])
        self.assertEqual(self.node.verify(self.REL), ["current release is none, not %s" % self.REL])
        os.symlink(os.path.join("releases", self.REL), os.path.join(self.node.root, "current"))
        rdir = self.node.release(self.REL)
        with open(os.path.join(rdir, "etc", "a"), "w") as f:
            f.write("x")
        os.unlink(os.path.join(rdir, "etc", "b"))
        diffs = self.node.verify(self.REL)
        self.assertEqual(diffs[0], "file etc/a changed since deploy: sha256 %s, deployed %s" % (sha(b"x")[:12], sha(b"1")[:12]))
        self.assertEqual(diffs[1], "file etc/b is missing")
        self.assertEqual(diffs[2], "installation %s is missing or incomplete" % self.node.venv("c" * 12))


class CommandTable(Tmp):
    def call(self, cmd, req, stream=b""):
        out = io.BytesIO()
        return commands.handle(cmd, commands.Call(req, self.node, io.BytesIO(stream), out)), out.getvalue()

    def test_the_table_holds_exactly_the_commands_the_runner_calls(self):
        with open(os.path.join(HERE, "..", "..", "src", "ssh.ts"), encoding="utf-8") as f:
            m = re.search(r"AGENT_COMMANDS = \[([^\]]*)\]", f.read())
        self.assertEqual(sorted(commands.COMMANDS), sorted(re.findall(r"'(\w+)'", m.group(1))))

    def test_an_unknown_command_is_input(self):
        with self.assertRaises(errors.InputFail) as cm:
            self.call("frobnicate", {})
        self.assertEqual(str(cm.exception), "unknown agent command 'frobnicate' (known: %s)" % ", ".join(sorted(commands.COMMANDS)))

    def test_a_request_without_a_field_its_command_needs_is_input_before_anything_is_touched(self):
        for cmd, command in sorted(commands.COMMANDS.items()):
            for field in command.fields:
                req = {f: {"str": "x", "list": [], "dict": {}}[t] for f, t in command.fields.items() if f != field}
                with self.assertRaises(errors.InputFail, msg=cmd) as cm:
                    self.call(cmd, req)
                self.assertEqual(str(cm.exception), "agent command %s needs %r in its request" % (cmd, field))
        self.assertFalse(os.path.exists(self.node.root), "no lock taken, no directory made")

    def test_commands_that_change_the_node_take_its_lock_and_another_holder_is_a_conflict(self):
        holder = Node("cam", self.base)
        holder.lock()
        try:
            locking = sorted(c for c, command in commands.COMMANDS.items() if command.locks)
            self.assertEqual(locking, ["activate", "pack", "prepare", "receive", "rollback"])
            with self.assertRaises(errors.Fail) as cm:
                self.call("receive", {"blobs": []})
            self.assertEqual(cm.exception.kind, "conflict")
            self.assertIn("another karoo deploy holds", str(cm.exception))
            self.assertEqual(self.call("status", {})[0]["drift"], [], "reading needs no lock")
        finally:
            os.close(holder.lock_fd)

    def test_receive_through_the_table(self):
        data = b"blob"
        answer, out = self.call("receive", {"blobs": [{"hex": sha(data), "size": 4}]}, data)
        self.assertEqual((answer["bytes"], out), (4, b""))

    def test_plan_on_an_empty_node(self):
        answer, _ = self.call("plan", {"blobs": ["a" * 64], "releaseId": "0" * 16, "candidateShort": "c" * 12, "candidate": "x"})
        self.assertEqual({k: answer[k] for k in ("current", "previous", "receipt", "missing", "converged", "venvComplete")},
                         {"current": None, "previous": None, "receipt": None, "missing": ["a" * 64], "converged": False, "venvComplete": False})

    def test_rollback_without_a_previous_release_is_a_conflict(self):
        with self.assertRaises(errors.Fail) as cm:
            self.call("rollback", {"check": True})
        self.assertEqual((cm.exception.kind, str(cm.exception)), ("conflict", "no previous release to roll back to"))


class Main(Tmp):
    """main(): one answer line, last on stdout, whatever happened; exit 0."""

    def main(self, cmd, stdin):
        out = io.BytesIO()
        self.assertEqual(commands.main(["karoo_node.py", cmd], io.BytesIO(stdin), out, self.base), 0)
        lines = out.getvalue().decode().splitlines()
        self.assertEqual(len(lines), 1)
        return json.loads(lines[0])

    def test_a_call_that_works_answers_ok_with_its_cpu_time(self):
        a = self.main("status", b'{"system": "cam"}\n')
        self.assertEqual((a["ok"], a["drift"], a["current"]), (True, [], None))
        self.assertIsInstance(a["cpuSeconds"], float)

    def test_a_request_that_is_not_json_is_input(self):
        a = self.main("status", b"not json\n")
        self.assertEqual((a["ok"], a["kind"]), (False, "input"))

    def test_a_bad_system_name_is_input(self):
        a = self.main("status", b'{"system": "../etc"}\n')
        self.assertEqual(a, {"ok": False, "kind": "input", "error": "system '../etc' is not a plain name"})

    def test_an_unexpected_exception_is_answered_as_a_bug_with_the_traceback_on_stderr(self):
        saved = sys.stderr
        sys.stderr = io.StringIO()
        try:
            a = self.main("receive", b'{"system": "cam", "blobs": [{"hex": "%s"}]}\n' % (b"a" * 64))
            log = sys.stderr.getvalue()
        finally:
            sys.stderr = saved
        self.assertEqual(a["kind"], "bug")
        self.assertRegex(a["error"], r"^bug in the karoo node agent: KeyError: 'size' in receive \(line \d+\); please report it$")
        self.assertIn("Traceback (most recent call last)", log)


class Services(Tmp):
    def test_a_unit_starts_the_release_agent_with_the_service_name(self):
        rel = "0123456789abcdef"
        text = services.unit_text(self.node, rel, {"systemId": "cam-1234"}, {"name": "web"})
        self.assertIn("ExecStart=%s %s/.karoo/karoo_node.py exec web\n" % (sys.executable, self.node.release(rel)), text)
        self.assertIn("Description=karoo cam: web\n", text)


if __name__ == "__main__":
    unittest.main()
