"""karoo's wheel installer: a locked, hash-checked set of wheels needs no resolver and no pip.

The agent unpacks each wheel into the venv itself, following the binary distribution format
(PyPA "wheel" spec), and refuses any file that its RECORD does not vouch for with a hash."""

import csv
import hashlib
import io
import os
import re
import sys

from .errors import InputFail, IntegrityFail
from .target import parse_wheel_filename
from .util import b64_digest, write_plain


def norm(name):
    out, dash = [], False
    for c in name.lower():
        if c in "-_.":
            if not dash:
                out.append("-")
            dash = True
        else:
            out.append(c)
            dash = False
    return "".join(out)


RECORD_ALGOS = ("sha256", "sha384", "sha512")
SCHEME_KEYS = ("purelib", "platlib", "scripts", "headers", "data")


def safe_member(name, what):
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        raise IntegrityFail("%s: entry %r is not a relative path" % (what, name))
    parts = name.rstrip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise IntegrityFail("%s: entry %r leaves its directory" % (what, name))
    return parts


def _read_record(text, what):
    rows = {}
    for row in csv.reader(text.splitlines()):
        if not row:
            continue
        if len(row) < 1 or len(row) > 3:
            raise IntegrityFail("%s: RECORD row %r is malformed" % (what, row))
        path = row[0]
        if path in rows:
            raise IntegrityFail("%s: RECORD lists %s twice" % (what, path))
        rows[path] = (row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else "")
    return rows


def _scheme(venv, dist_name):
    sp = venv_site_packages(venv)
    return {
        "purelib": sp, "platlib": sp, "scripts": os.path.join(venv, "bin"), "data": venv,
        "headers": os.path.join(venv, "include", "site", "python%d.%d" % sys.version_info[:2], dist_name),
    }


def venv_site_packages(venv):
    return os.path.join(venv, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")


def create_venv(venv):
    """`python3 -m venv --without-pip VENV`, in this process: the same standard-library builder, no pip."""
    import venv as venv_module  # here, not at the top: see LAZY_IMPORTS in __init__.py

    try:
        venv_module.EnvBuilder(with_pip=False, symlinks=True, clear=False).create(venv)
    except Exception as e:  # the venv module raises whatever its steps raise
        raise InputFail("creating the venv %s failed: %s; install python3-venv on the node" % (venv, e))
    os.makedirs(venv_site_packages(venv), exist_ok=True)


def install_wheel(path, venv, filename=None):
    """Installs one wheel into `venv` (created with create_venv) without pip.

    Every file of the wheel must be listed in its RECORD with a sha256 (or stronger) hash that
    matches, and every RECORD entry must be in the wheel, or nothing of it is written
    (IntegrityFail). Root files go to site-packages; `<dist>.data/<key>/` to the venv's
    purelib/platlib/scripts/headers/data; console and GUI entry points become scripts whose
    shebang is the venv's python. Writes INSTALLER and a RECORD of what was installed (with
    the hashes of rewritten and generated scripts). Bytecode is not compiled up front (as
    `pip install --no-compile`): Python compiles what a service imports, when it imports it.
    Returns the number of files written.
    """
    filename = filename or os.path.basename(path)
    what = "wheel %s" % filename
    dist, version, _ = parse_wheel_filename(filename)
    import configparser  # here, not at the top: see LAZY_IMPORTS in __init__.py
    import zipfile

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise IntegrityFail("%s is not a readable zip archive: %s" % (what, e))
    with zf:
        infos = [i for i in zf.infolist() if not i.filename.endswith("/")]
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise IntegrityFail("%s holds the same path twice" % what)
        for i in infos:
            safe_member(i.filename, what)
            if (i.external_attr >> 16) & 0o170000 == 0o120000:
                raise IntegrityFail("%s: entry %s is a symbolic link" % (what, i.filename))
        dist_infos = sorted({n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info") and n.count("/") == 1})
        want = "%s-%s.dist-info" % (dist, version)
        matching = [d for d in dist_infos if norm(d[:-10]) == norm(want[:-10]) or d.lower() == want.lower()]
        if len(dist_infos) != 1 or not matching:
            raise IntegrityFail("%s must hold exactly one .dist-info directory named %s (it holds %s)" % (what, want, ", ".join(dist_infos) or "none"))
        info_dir = dist_infos[0]
        data_dir = info_dir[:-len(".dist-info")] + ".data"
        try:
            wheel_meta = zf.read(info_dir + "/WHEEL").decode("utf-8")
            record_text = zf.read(info_dir + "/RECORD").decode("utf-8")
        except KeyError as e:
            raise IntegrityFail("%s has no %s" % (what, e.args[0] if e.args else "WHEEL or RECORD"))
        meta = {}
        for line in wheel_meta.splitlines():
            k, _, v = line.partition(":")
            meta.setdefault(k.strip().lower(), v.strip())
        wv = meta.get("wheel-version", "")
        if not wv.split(".")[0] == "1":
            raise InputFail("%s has Wheel-Version %r; this installer reads version 1 wheels" % (what, wv))
        root_key = "purelib" if meta.get("root-is-purelib", "true").lower() == "true" else "platlib"
        record = _read_record(record_text, what)
        unsigned = {info_dir + "/RECORD", info_dir + "/RECORD.jws", info_dir + "/RECORD.p7s"}
        # 1. Check everything before writing anything.
        for path_in in record:
            if path_in not in names and path_in not in unsigned:
                raise IntegrityFail("%s: RECORD lists %s, which is not in the wheel" % (what, path_in))
        for i in infos:
            if i.filename in unsigned:
                continue
            if i.filename not in record:
                raise IntegrityFail("%s: %s is not listed in its RECORD" % (what, i.filename))
            algo_hash, size = record[i.filename]
            algo, _, want_hash = algo_hash.partition("=")
            if algo not in RECORD_ALGOS or not want_hash:
                raise IntegrityFail("%s: RECORD has no sha256 hash for %s (%r); refusing to install it" % (what, i.filename, algo_hash or "empty"))
            h = hashlib.new(algo)
            with zf.open(i) as f:
                n = 0
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
                    n += len(chunk)
            if b64_digest(h.digest()) != want_hash:
                raise IntegrityFail("%s: %s does not match its RECORD hash" % (what, i.filename))
            if size and size != str(n):
                raise IntegrityFail("%s: %s is %d bytes, its RECORD says %s" % (what, i.filename, n, size))
        # 2. Where each file goes.
        scheme = _scheme(venv, dist)
        sp = scheme["purelib"]
        plan = []
        for i in infos:
            parts = i.filename.split("/")
            if parts[0] == data_dir:
                if len(parts) < 3 or parts[1] not in SCHEME_KEYS:
                    raise IntegrityFail("%s: %s is not in one of %s/{%s}" % (what, i.filename, data_dir, ",".join(SCHEME_KEYS)))
                dest = os.path.join(scheme[parts[1]], *parts[2:])
                key = parts[1]
            else:
                dest = os.path.join(scheme[root_key], *parts)
                key = root_key
            base = os.path.realpath(scheme[key])
            if not os.path.realpath(dest).startswith(base + os.sep):
                raise IntegrityFail("%s: %s would be written outside %s" % (what, i.filename, scheme[key]))
            plan.append((i, dest, key))
        # 3. Write, recording each file's sha256 and size for the installed RECORD: the hash
        # checked in step 1 where the bytes are unchanged, else the hash of what was written.
        written = {}

        def put(dest, data, mode, checked=None):
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            write_plain(dest, data, mode)
            written[dest] = checked or ("sha256=" + b64_digest(hashlib.sha256(data).digest()), str(len(data)))

        python = os.path.join(venv, "bin", "python3")
        for i, dest, key in plan:
            if i.filename in unsigned:
                continue
            data = zf.read(i)
            algo_hash = record[i.filename][0]
            checked = (algo_hash, str(len(data))) if algo_hash.startswith("sha256=") else None
            mode = 0o755 if (i.external_attr >> 16) & 0o111 else 0o644
            if key == "scripts":
                mode = 0o755
                if data.startswith(b"#!python"):
                    nl = data.find(b"\n")
                    data = ("#!%s" % python).encode() + (data[nl:] if nl >= 0 else b"\n")
                    checked = None
            put(dest, data, mode, checked)
        # 4. Entry points.
        ep_text = zf.read(info_dir + "/entry_points.txt").decode("utf-8") if info_dir + "/entry_points.txt" in names else ""
    if ep_text:
        cp = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        cp.optionxform = str
        try:
            cp.read_string(ep_text)
        except configparser.Error as e:
            raise InputFail("%s: entry_points.txt cannot be read: %s" % (what, e))
        for group in ("console_scripts", "gui_scripts"):
            if not cp.has_section(group):
                continue
            for name, ref in cp.items(group):
                m = re.match(r"^\s*([\w.]+)\s*:\s*([\w.]+)\s*(\[.*\])?\s*$", ref)
                if not m or "/" in name or name.startswith(".") or not name.strip():
                    raise InputFail("%s: entry point %s = %s is not module:attribute" % (what, name, ref))
                module, attr = m.group(1), m.group(2)
                script = "".join([
                    "#!%s\n" % python,
                    "# -*- coding: utf-8 -*-\n",
                    "import re\n",
                    "import sys\n",
                    "from %s import %s\n" % (module, attr.split(".")[0]),
                    "if __name__ == \"__main__\":\n",
                    "    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n",
                    "    sys.exit(%s())\n" % attr,
                ])
                put(os.path.join(scheme["scripts"], name.strip()), script.encode("utf-8"), 0o755)
    put(os.path.join(sp, info_dir, "INSTALLER"), b"karoo\n", 0o644)
    rec_path = os.path.join(sp, info_dir, "RECORD")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for dest in sorted(written):
        w.writerow((os.path.relpath(dest, sp),) + written[dest])
    w.writerow((os.path.relpath(rec_path, sp), "", ""))
    write_plain(rec_path, buf.getvalue().encode("utf-8"), 0o644)
    return len(written) + 1
