"""The agent's wire protocol and error kinds (agent/karoo_node/protocol.py, errors.py, util.py checks)."""

import errno
import io
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from karoo_node import errors, protocol, util  # noqa: E402


class ReadRequest(unittest.TestCase):
    def test_the_first_line_is_the_request_and_the_bytes_after_it_stay_on_the_stream(self):
        stream = io.BytesIO(b'{"system": "cam", "blobs": []}\n\x00\x01raw')
        self.assertEqual(protocol.read_request(stream), {"system": "cam", "blobs": []})
        self.assertEqual(stream.read(), b"\x00\x01raw")

    def test_an_empty_line_is_an_empty_request(self):
        self.assertEqual(protocol.read_request(io.BytesIO(b"\n")), {})
        self.assertEqual(protocol.read_request(io.BytesIO(b"")), {})

    def test_a_line_that_is_not_json_is_input(self):
        with self.assertRaises(errors.InputFail) as cm:
            protocol.read_request(io.BytesIO(b"{system: cam}\n"))
        self.assertTrue(str(cm.exception).startswith("the agent's request is not JSON: "), str(cm.exception))

    def test_bytes_that_are_not_utf8_are_input(self):
        with self.assertRaises(errors.InputFail):
            protocol.read_request(io.BytesIO(b'{"system": "\xff"}\n'))

    def test_json_that_is_not_an_object_is_input(self):
        for line, kind in ((b"[1, 2]\n", "list"), (b'"cam"\n', "str"), (b"7\n", "int")):
            with self.assertRaises(errors.InputFail) as cm:
                protocol.read_request(io.BytesIO(line))
            self.assertEqual(str(cm.exception), "the agent's request is a JSON %s, not an object" % kind)


class Require(unittest.TestCase):
    def test_a_missing_field_is_input_naming_the_command_and_the_field(self):
        with self.assertRaises(errors.InputFail) as cm:
            protocol.require({"a": "x"}, "prepare", {"a": "str", "release": "dict"})
        self.assertEqual(str(cm.exception), "agent command prepare needs 'release' in its request")

    def test_a_field_of_another_type_is_input(self):
        with self.assertRaises(errors.InputFail) as cm:
            protocol.require({"blobs": {"hex": "x"}}, "receive", {"blobs": "list"})
        self.assertEqual(str(cm.exception), "agent command receive: 'blobs' must be a list, not dict")

    def test_fields_of_the_right_types_pass(self):
        self.assertIsNone(protocol.require({"a": "x", "b": [], "c": {}, "extra": 1}, "cmd", {"a": "str", "b": "list", "c": "dict"}))


class AnswerLine(unittest.TestCase):
    def test_one_line_sorted_keys_and_a_newline(self):
        line = protocol.answer_line({"ok": True, "b": "x\ny", "a": 1})
        self.assertEqual(line, '{"a": 1, "b": "x\\ny", "ok": true}\n')
        self.assertEqual(line.count("\n"), 1)


class FailureKinds(unittest.TestCase):
    """What the runner is told for each way a command can end: the kind decides karoo's exit code."""

    def answer(self, e):
        try:
            raise e
        except Exception as caught:  # the answer is built from a raised exception, as main() does
            return errors.failure_answer(caught)

    def test_each_fail_keeps_its_kind_and_message(self):
        for cls, kind in ((errors.Fail, "conflict"), (errors.InputFail, "input"), (errors.IntegrityFail, "integrity"), (errors.UnavailableFail, "unavailable")):
            self.assertEqual(self.answer(cls("why it failed")), {"ok": False, "error": "why it failed", "kind": kind})

    def test_every_kind_is_one_the_runner_knows(self):
        kinds = {c.kind for c in (errors.Fail, errors.InputFail, errors.IntegrityFail, errors.UnavailableFail)}
        self.assertEqual(kinds | {"bug"}, set(errors.KINDS))

    def test_a_command_that_timed_out_is_unavailable(self):
        a = self.answer(subprocess.TimeoutExpired(["systemctl", "restart", "karoo-cam-web.service", "more"], 300))
        self.assertEqual(a, {"ok": False, "kind": "unavailable", "error": "timed out after 300 s: systemctl restart karoo-cam-web.service"})

    def test_a_full_disk_is_unavailable_and_a_denied_write_a_conflict_naming_the_file(self):
        full = self.answer(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/opt/karoo/cam/blobs/x"))
        self.assertEqual(full, {"ok": False, "kind": "unavailable", "error": "/opt/karoo/cam/blobs/x: %s" % os.strerror(errno.ENOSPC)})
        denied = self.answer(PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/opt/karoo/cam/current"))
        self.assertEqual(denied, {"ok": False, "kind": "conflict", "error": "/opt/karoo/cam/current: %s" % os.strerror(errno.EACCES)})

    def test_an_unexpected_exception_is_a_bug_naming_the_exception_and_where_not_retry_may_help(self):
        def lookup(req):
            return req["releaseId"]

        try:
            lookup({})
        except KeyError as e:
            a = errors.failure_answer(e)
        self.assertEqual(a["kind"], "bug")
        self.assertRegex(a["error"], r"^bug in the karoo node agent: KeyError: 'releaseId' in lookup \(line \d+\); please report it$")
        self.assertEqual(self.answer(TypeError("'int' object is not iterable"))["kind"], "bug")


class Checks(unittest.TestCase):
    """Names, digests and paths from the request are input when they are not what they must be."""

    def test_plain_names(self):
        self.assertEqual(util.check_name("cam-1.web_2", "system"), "cam-1.web_2")
        for bad in ("", ".hidden", "a/b", "a b", "é", "x" * 65, 7, None):
            with self.assertRaises(errors.InputFail, msg=repr(bad)):
                util.check_name(bad, "system")

    def test_hex_digests(self):
        self.assertEqual(util.check_hex("a" * 64), "a" * 64)
        self.assertEqual(util.check_hex("0123456789ab", 12), "0123456789ab")
        for bad in ("A" * 64, "a" * 63, "g" * 64, "../" + "a" * 61, None):
            with self.assertRaises(errors.InputFail, msg=repr(bad)):
                util.check_hex(bad)

    def test_release_paths(self):
        self.assertEqual(util.check_relpath("etc/cam/x.json"), "etc/cam/x.json")
        for bad in ("/etc/passwd", "../x", "etc/../../x", "etc//x", "./x", "bin/python3", "units/x.service", ".karoo/release.json", "a\x00b", ""):
            with self.assertRaises(errors.InputFail, msg=repr(bad)):
                util.check_relpath(bad)


if __name__ == "__main__":
    unittest.main()
