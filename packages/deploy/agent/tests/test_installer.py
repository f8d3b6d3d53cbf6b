"""karoo's wheel installer and installed-tree archives (agent/karoo_node/wheel.py, archive.py), without pip.

Run: python3 -m unittest discover -s packages/deploy/agent/tests
(jest runs this too: packages/deploy/src/agent-python.itg.test.ts).
"""

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from karoo_node import archive, commands, errors, target, verify, wheel  # noqa: E402
from karoo_node.node import Node  # noqa: E402

PY = "python%d.%d" % sys.version_info[:2]


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def b64(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(directory, name="demo_pkg", version="1.0", tag="py3-none-any", files=None, entry_points=None,
               record_edit=None, extra_entries=None, purelib=True, symlink=None):
    """Writes a wheel; record_edit(rows) may change the RECORD rows before they are written."""
    files = dict(files if files is not None else {
        "%s/__init__.py" % name: b"VALUE = 42\n",
        "%s/core.py" % name: b"def main():\n    print('demo says', 42)\n    return 0\n",
    })
    info = "%s-%s.dist-info" % (name, version)
    files["%s/METADATA" % info] = ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name.replace("_", "-"), version)).encode()
    files["%s/WHEEL" % info] = ("Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: %s\nTag: %s\n" % ("true" if purelib else "false", tag)).encode()
    if entry_points:
        files["%s/entry_points.txt" % info] = entry_points.encode()
    rows = [[p, "sha256=" + b64(d), str(len(d))] for p, d in sorted(files.items())]
    rows.append(["%s/RECORD" % info, "", ""])
    if record_edit:
        rows = record_edit(rows)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    files["%s/RECORD" % info] = buf.getvalue().encode()
    for k, v in (extra_entries or {}).items():
        files[k] = v
    path = os.path.join(directory, "%s-%s-%s.whl" % (name, version, tag))
    with zipfile.ZipFile(path, "w") as z:
        for p, d in files.items():
            zi = zipfile.ZipInfo(p)
            zi.external_attr = (0o755 if p.endswith(".sh") else 0o644) << 16
            z.writestr(zi, d)
        if symlink:
            zi = zipfile.ZipInfo(symlink[0])
            zi.external_attr = (0o120777) << 16
            z.writestr(zi, symlink[1])
    return path


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="karoo-agent-test-")
        self.venv = os.path.join(self.tmp, "venv")
        self.sp = os.path.join(self.venv, "lib", PY, "site-packages")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def fresh_venv(self):
        wheel.create_venv(self.venv)
        self.assertFalse(os.path.exists(os.path.join(self.venv, "bin", "pip")), "the venv must not hold pip")


class InstallWheel(Base):
    def test_installs_files_data_scripts_and_entry_points_and_records_them(self):
        self.fresh_venv()
        whl = make_wheel(self.tmp, files={
            "demo_pkg/__init__.py": b"VALUE = 42\n",
            "demo_pkg/core.py": b"def main():\n    print('demo says', 42)\n    return 0\n",
            "demo_pkg-1.0.data/scripts/demo-raw": b"#!python\nimport demo_pkg\nprint('raw', demo_pkg.VALUE)\n",
            "demo_pkg-1.0.data/data/share/demo/readme.txt": b"hello\n",
            "demo_pkg-1.0.data/headers/demo.h": b"#define DEMO 1\n",
        }, entry_points="[console_scripts]\ndemo = demo_pkg.core:main\n")
        wheel.install_wheel(whl, self.venv)
        self.assertEqual(read(os.path.join(self.sp, "demo_pkg", "__init__.py"), "rb"), b"VALUE = 42\n")
        self.assertTrue(os.path.isfile(os.path.join(self.venv, "share", "demo", "readme.txt")))
        self.assertTrue(os.path.isfile(os.path.join(self.venv, "include", "site", PY, "demo_pkg", "demo.h")))
        python = os.path.join(self.venv, "bin", "python3")
        for script in ("demo", "demo-raw"):
            p = os.path.join(self.venv, "bin", script)
            self.assertEqual(read(p).splitlines()[0], "#!" + python)
            self.assertTrue(os.access(p, os.X_OK))
        out = subprocess.run([os.path.join(self.venv, "bin", "demo")], capture_output=True, text=True, check=True).stdout
        self.assertEqual(out, "demo says 42\n")
        out = subprocess.run([os.path.join(self.venv, "bin", "demo-raw")], capture_output=True, text=True, check=True).stdout
        self.assertEqual(out, "raw 42\n")
        info = os.path.join(self.sp, "demo_pkg-1.0.dist-info")
        self.assertEqual(read(os.path.join(info, "INSTALLER")), "karoo\n")
        rows = {r[0]: r for r in csv.reader(read(os.path.join(info, "RECORD")).splitlines())}
        self.assertIn("../../../bin/demo", rows)
        self.assertIn("demo_pkg-1.0.dist-info/INSTALLER", rows)
        # What the installer recorded is what verification checks: clean, then one changed byte shows.
        expected = [{"name": "demo-pkg", "version": "1.0"}]
        self.assertEqual(verify.verify_venv(self.venv, expected, check_marker=False), [])
        with open(os.path.join(self.venv, "bin", "demo"), "a") as f:
            f.write("# changed\n")
        self.assertEqual(verify.verify_venv(self.venv, expected, check_marker=False), ["demo-pkg 1.0: ../../../bin/demo differs from its RECORD hash"])

    def assertRefused(self, whl, message):
        self.fresh_venv()
        with self.assertRaises(errors.IntegrityFail) as cm:
            wheel.install_wheel(whl, self.venv)
        self.assertIn(message, str(cm.exception))
        self.assertEqual(os.listdir(self.sp), [], "nothing of a refused wheel is written")

    def test_a_file_that_does_not_match_its_record_hash_is_refused(self):
        def edit(rows):
            return [[r[0], "sha256=" + b64(b"something else"), r[2]] if r[0].endswith("core.py") else r for r in rows]
        self.assertRefused(make_wheel(self.tmp, record_edit=edit), "demo_pkg/core.py does not match its RECORD hash")

    def test_a_record_row_without_a_hash_is_refused(self):
        def edit(rows):
            return [[r[0], "", ""] if r[0].endswith("core.py") else r for r in rows]
        self.assertRefused(make_wheel(self.tmp, record_edit=edit), "RECORD has no sha256 hash for demo_pkg/core.py")

    def test_a_weak_record_hash_is_refused(self):
        def edit(rows):
            return [[r[0], "md5=" + base64.urlsafe_b64encode(hashlib.md5(b"x").digest()).decode(), r[2]] if r[0].endswith("core.py") else r for r in rows]
        self.assertRefused(make_wheel(self.tmp, record_edit=edit), "RECORD has no sha256 hash for demo_pkg/core.py")

    def test_a_file_missing_from_record_is_refused(self):
        self.assertRefused(make_wheel(self.tmp, extra_entries={"demo_pkg/smuggled.py": b"import os\n"}), "demo_pkg/smuggled.py is not listed in its RECORD")

    def test_a_record_entry_missing_from_the_wheel_is_refused(self):
        def edit(rows):
            return rows + [["demo_pkg/gone.py", "sha256=" + b64(b"x"), "1"]]
        self.assertRefused(make_wheel(self.tmp, record_edit=edit), "RECORD lists demo_pkg/gone.py, which is not in the wheel")

    def test_a_path_leaving_the_venv_is_refused(self):
        self.assertRefused(make_wheel(self.tmp, files={"demo_pkg/__init__.py": b"", "../../../evil.py": b"x"}), "leaves its directory")

    def test_a_data_path_leaving_the_venv_is_refused(self):
        self.assertRefused(make_wheel(self.tmp, files={"demo_pkg/__init__.py": b"", "demo_pkg-1.0.data/other/x": b"x"}), "is not in one of demo_pkg-1.0.data/")

    def test_a_file_written_through_a_link_of_the_venv_is_refused(self):
        # bin/python3 is a link to the system interpreter: a data file there would replace the
        # interpreter every service of the venv runs (or write through the link).
        python = os.path.join(self.venv, "bin", "python3")
        self.assertRefused(make_wheel(self.tmp, files={"demo_pkg/__init__.py": b"", "demo_pkg-1.0.data/data/bin/python3": b"#!/bin/sh\n"}), "would be written outside")
        self.assertTrue(os.path.islink(python))

    def test_a_venv_that_cannot_be_created_is_input_saying_what_to_install(self):
        blocker = os.path.join(self.tmp, "a-file")
        with open(blocker, "w"):
            pass
        with self.assertRaises(errors.InputFail) as cm:
            wheel.create_venv(os.path.join(blocker, "venv"))
        self.assertRegex(str(cm.exception), r"^creating the venv .*/a-file/venv failed: .*; install python3-venv on the node$")

    def test_a_wheel_of_another_wheel_version_is_input(self):
        whl = make_wheel(self.tmp)
        with zipfile.ZipFile(whl) as z:
            entries = {i.filename: z.read(i) for i in z.infolist()}
        entries["demo_pkg-1.0.dist-info/WHEEL"] = entries["demo_pkg-1.0.dist-info/WHEEL"].replace(b"Wheel-Version: 1.0", b"Wheel-Version: 2.0")
        with zipfile.ZipFile(whl, "w") as z:
            for name, data in entries.items():
                z.writestr(name, data)
        self.fresh_venv()
        with self.assertRaises(errors.InputFail) as cm:
            wheel.install_wheel(whl, self.venv)
        self.assertIn("has Wheel-Version '2.0'; this installer reads version 1 wheels", str(cm.exception))

    def test_a_symlink_entry_is_refused(self):
        self.assertRefused(make_wheel(self.tmp, symlink=("demo_pkg/link", "/etc/passwd")), "is a symbolic link")

    def test_a_wheel_with_two_dist_info_directories_is_refused(self):
        self.assertRefused(make_wheel(self.tmp, extra_entries={"other-2.0.dist-info/METADATA": b"Name: other\n"}), "exactly one .dist-info")

    def test_platlib_wheel_with_compiled_module_tag(self):
        self.fresh_venv()
        whl = make_wheel(self.tmp, tag="cp%d%d-cp%d%d-linux_x86_64" % (sys.version_info[:2] * 2), purelib=False)
        wheel.install_wheel(whl, self.venv)
        self.assertTrue(os.path.isfile(os.path.join(self.sp, "demo_pkg", "core.py")))


class Choose(unittest.TestCase):
    def test_markers(self):
        env = target.marker_environment()
        ev = target.evaluate_marker
        self.assertTrue(ev('python_version >= "3.8"'))
        self.assertFalse(ev('python_version < "3.8"'))
        self.assertTrue(ev('sys_platform == "%s" and (os_name == "posix" or os_name == "nt")' % env["sys_platform"]))
        self.assertFalse(ev('sys_platform == "win32"'))
        self.assertTrue(ev('python_full_version == "%d.%d.*"' % sys.version_info[:2]))
        self.assertTrue(ev('"linux" in sys_platform or sys_platform == "darwin"'))
        self.assertTrue(ev('python_version ~= "%d.0"' % sys.version_info[0]))
        with self.assertRaises(errors.InputFail):
            ev('python_version >= "3.8" and')
        with self.assertRaises(errors.InputFail):
            ev('no_such_variable == "1"')

    def test_the_best_supported_wheel_of_each_package_and_only_where_its_marker_holds(self):
        own = "cp%d%d" % sys.version_info[:2]
        wheels = [
            {"hex": "a", "package": "procstat", "filename": "procstat-0.4.0-py3-none-win_amd64.whl"},
            {"hex": "b", "package": "procstat", "filename": "procstat-0.4.0-py3-none-any.whl"},
            {"hex": "c", "package": "procstat", "filename": "procstat-0.4.0-%s-%s-manylinux_2_17_x86_64.manylinux2014_x86_64.whl" % (own, own)},
            {"hex": "d", "package": "wincounters", "filename": "wincounters-1.0-py3-none-win_amd64.whl", "marker": 'sys_platform == "win32"'},
        ]
        chosen = target.choose_wheels(wheels)
        if target.glibc_version() and os.uname().machine == "x86_64":
            self.assertEqual([w["hex"] for w in chosen], ["c"])
        with self.assertRaises(errors.InputFail) as cm:  # the lock has no build for this node: never works as given
            target.choose_wheels([{"hex": "e", "package": "x", "filename": "x-1-py3-none-win_amd64.whl"}])
        self.assertIn("no wheel of x fits this node", str(cm.exception))


class Archive(Base):
    def installed(self):
        self.fresh_venv()
        wheel.install_wheel(make_wheel(self.tmp, entry_points="[console_scripts]\ndemo = demo_pkg.core:main\n"), self.venv)

    def test_pack_is_deterministic_and_unpack_gives_a_tree_that_verifies(self):
        self.installed()
        out = os.path.join(self.tmp, "blobs")
        os.makedirs(out)
        h1, n1 = archive.pack_tree(self.venv, os.path.join(out, "pack"))
        h2, n2 = archive.pack_tree(self.venv, os.path.join(out, "pack"))
        self.assertEqual((h1, n1), (h2, n2))
        self.assertEqual(hashlib.sha256(read(os.path.join(out, h1), "rb")).hexdigest(), h1)
        moved = os.path.join(self.tmp, "moved")
        os.rename(self.venv, moved)  # the receiving node has nothing there yet
        archive.unpack_tree(os.path.join(out, h1), self.venv)
        self.assertEqual(verify.verify_venv(self.venv, [{"name": "demo-pkg", "version": "1.0"}], check_marker=False), [])
        self.assertEqual(os.readlink(os.path.join(self.venv, "bin", "python3")), os.readlink(os.path.join(moved, "bin", "python3")))
        out = subprocess.run([os.path.join(self.venv, "bin", "demo")], capture_output=True, text=True, check=True).stdout
        self.assertEqual(out, "demo says 42\n")

    def hostile(self, members):
        path = os.path.join(self.tmp, "bad.tar.gz")
        with tarfile.open(path, "w:gz") as tar:
            for ti, data in members:
                tar.addfile(ti, io.BytesIO(data) if data is not None else None)
        return path

    def test_unpack_refuses_paths_out_of_the_tree_and_writes_through_links(self):
        up = tarfile.TarInfo("../escape")
        up.size = 1
        with self.assertRaises(errors.IntegrityFail):
            archive.unpack_tree(self.hostile([(up, b"x")]), os.path.join(self.tmp, "a"))
        outside = os.path.join(self.tmp, "outside")
        os.makedirs(outside)
        link = tarfile.TarInfo("etc")
        link.type, link.linkname = tarfile.SYMTYPE, outside
        through = tarfile.TarInfo("etc/pwned")
        through.size = 1
        with self.assertRaises(errors.IntegrityFail) as cm:
            archive.unpack_tree(self.hostile([(link, None), (through, b"x")]), os.path.join(self.tmp, "b"))
        self.assertIn("lies under a symbolic link", str(cm.exception))
        self.assertEqual(os.listdir(outside), [])
        dev = tarfile.TarInfo("dev")
        dev.type = tarfile.CHRTYPE
        with self.assertRaises(errors.IntegrityFail):
            archive.unpack_tree(self.hostile([(dev, None)]), os.path.join(self.tmp, "c"))


class ShippedTree(Base):
    """Install once, ship the tree: a receiving node takes the archive only by its digest.

    The attack: a tree with one more file (a .pth file runs code at every interpreter start).
    No RECORD lists it, so verifying the installation against the lock cannot see it; only the
    archive's digest can, on arrival (receive) and again before unpacking (install).
    """

    def setUp(self):
        super().setUp()
        self.base = os.path.join(self.tmp, "opt")
        whl = make_wheel(self.tmp)
        data = read(whl, "rb")
        hexd = hashlib.sha256(data).hexdigest()
        self.req = {
            "candidate": "sha256:" + "c" * 64, "candidateShort": "c" * 12,
            "wheels": [{"hex": hexd, "filename": os.path.basename(whl), "package": "demo-pkg"}],
            "expected": [{"name": "demo-pkg", "version": "1.0"}],
        }
        self.builder = Node("builder", self.base)
        self.builder.receive([{"hex": hexd, "size": len(data)}], io.BytesIO(data))
        self.assertEqual(self.builder.install(self.req)["from"], "wheels")
        packed = self.builder.pack(self.req)
        self.hex, self.genuine = packed["hex"], read(os.path.join(self.builder.blobs, packed["hex"]), "rb")
        # The tampered tree: the builder's installation and one file more.
        evil = os.path.join(self.tmp, "evil")
        shutil.copytree(self.builder.venv("c" * 12), evil, symlinks=True)
        with open(os.path.join(wheel.venv_site_packages(evil), "zz-karoo-evil.pth"), "w") as f:
            f.write("import os; os.system('touch /tmp/karoo-pwned')\n")
        self.assertEqual(verify.verify_venv(evil, self.req["expected"], check_marker=False), [], "RECORD verification cannot see the extra file")
        out = os.path.join(self.tmp, "evil-out")
        os.makedirs(out)
        evil_hex, _ = archive.pack_tree(evil, os.path.join(out, "pack"))
        self.tampered = read(os.path.join(out, evil_hex), "rb")
        self.receiver = Node("receiver", self.base)
        self.rvenv = self.receiver.venv("c" * 12)

    def test_the_genuine_archive_is_unpacked_and_verifies(self):
        self.receiver.receive([{"hex": self.hex, "size": len(self.genuine)}], io.BytesIO(self.genuine))
        t = self.receiver.install(dict(self.req, archive={"hex": self.hex}))
        self.assertEqual(t["from"], "archive")
        self.assertEqual(verify.verify_venv(self.rvenv, self.req["expected"], check_marker=True, candidate=self.req["candidate"]), [])

    def send(self):
        buf = io.BytesIO()
        return commands.handle("send", commands.Call({"hex": self.hex}, self.builder, None, buf)), buf.getvalue()

    def test_send_gives_the_runner_the_archive_then_a_newline_and_only_if_it_matches_its_digest(self):
        # The framing SshPool.fetchBlob reads (packages/deploy/src/ssh.test.ts).
        self.assertEqual(self.send(), ({"size": len(self.genuine)}, self.genuine + b"\n"))
        blob = os.path.join(self.builder.blobs, self.hex)
        os.chmod(blob, 0o644)
        with open(blob, "wb") as f:
            f.write(self.tampered)
        with self.assertRaises(errors.IntegrityFail):
            self.send()

    def test_a_tampered_archive_is_refused_on_arrival(self):
        # Through the agent's command line, as the runner calls it: the answer says integrity (exit 3 of deploy).
        req = {"system": "receiver", "blobs": [{"hex": self.hex, "size": len(self.tampered)}]}
        stdin, stdout = io.BytesIO(json.dumps(req).encode() + b"\n" + self.tampered), io.BytesIO()
        self.assertEqual(commands.main(["karoo_node.py", "receive"], stdin, stdout, self.base), 0)
        answer = json.loads(stdout.getvalue().decode())
        self.assertEqual((answer["ok"], answer.get("kind")), (False, "integrity"))
        self.assertIn("blob sha256:%s arrived as sha256:" % self.hex, answer["error"])
        self.assertEqual(os.listdir(self.receiver.blobs), [], "nothing of a refused blob is kept")

    def test_an_archive_changed_in_the_blob_store_is_not_unpacked(self):
        self.receiver.receive([{"hex": self.hex, "size": len(self.genuine)}], io.BytesIO(self.genuine))
        blob = os.path.join(self.receiver.blobs, self.hex)
        os.chmod(blob, 0o644)
        with open(blob, "wb") as f:
            f.write(self.tampered)
        with self.assertRaises(errors.IntegrityFail) as cm:
            self.receiver.install(dict(self.req, archive={"hex": self.hex}))
        self.assertIn("blob sha256:%s on the node holds sha256:" % self.hex, str(cm.exception))
        self.assertFalse(os.path.lexists(self.rvenv), "nothing of a refused archive is unpacked")
        self.assertFalse(os.path.exists(blob), "the damaged blob is deleted, so that the next deploy sends it again")

    # The archive inline in `prepare`: streamed after the request, unpacked as it arrives.
    def inline(self, data, hexd=None, size=None):
        req = dict(self.req, archive={"hex": hexd or self.hex, "size": len(data) if size is None else size, "inline": True})
        return self.receiver.install(req, io.BytesIO(data))

    def test_an_inline_archive_is_unpacked_as_it_arrives_and_verifies_without_reading_the_tree_again(self):
        t = self.inline(self.genuine)
        self.assertEqual(t["from"], "archive")
        self.assertEqual(verify.verify_venv(self.rvenv, self.req["expected"], check_marker=True, candidate=self.req["candidate"]), [])
        self.assertEqual(os.listdir(self.receiver.blobs) if os.path.isdir(self.receiver.blobs) else [], [], "the archive is not kept")

    def test_an_inline_archive_that_is_not_its_digest_is_refused_and_nothing_of_it_stays(self):
        with self.assertRaises(errors.IntegrityFail) as cm:
            self.inline(self.tampered)
        self.assertIn("installation archive sha256:%s arrived as sha256:" % self.hex, str(cm.exception))
        self.assertFalse(os.path.lexists(self.rvenv), "the tree unpacked from a refused archive is deleted")

    def test_an_inline_archive_cut_short_is_refused(self):
        with self.assertRaises(errors.UnavailableFail) as cm:  # the stream was cut: sending it again may work
            self.inline(self.genuine[:-100], size=len(self.genuine))
        self.assertIn("ended after %d of %d bytes" % (len(self.genuine) - 100, len(self.genuine)), str(cm.exception))
        self.assertFalse(os.path.lexists(self.rvenv))

    def test_a_wrong_hash_in_a_shipped_record_is_found_from_the_bytes_as_written(self):
        # The digest vouches for the archive; RECORD hashes are still checked, from the hashes taken while unpacking.
        evil = os.path.join(self.tmp, "evil2")
        shutil.copytree(self.builder.venv("c" * 12), evil, symlinks=True)
        with open(os.path.join(wheel.venv_site_packages(evil), "demo_pkg", "core.py"), "a") as f:
            f.write("# changed\n")
        out = os.path.join(self.tmp, "evil2-out")
        os.makedirs(out)
        hexd, size = archive.pack_tree(evil, os.path.join(out, "pack"))
        with self.assertRaises(errors.IntegrityFail) as cm:
            self.inline(read(os.path.join(out, hexd), "rb"), hexd=hexd)
        self.assertIn("installation differs from the lock: demo-pkg 1.0: demo_pkg/core.py differs from its RECORD hash", str(cm.exception))

    def test_prepare_with_pack_streams_the_same_archive_as_the_blob_store_one_then_its_answer(self):
        buf = io.BytesIO()
        req = dict(self.req, pack=True, system="builder", releaseId="d" * 16, release=self.release(), files=[])
        answer = commands.handle("prepare", commands.Call(req, Node("builder", self.base), io.BytesIO(), buf))
        self.assertEqual((answer["packed"]["hex"], answer["packed"]["size"]), (self.hex, len(self.genuine)))
        self.assertEqual(buf.getvalue(), self.genuine + b"\n")

    def release(self):
        return {"candidateShort": "c" * 12, "services": [], "files": [], "systemId": "s", "node": "n"}


if __name__ == "__main__":
    unittest.main()
