"""Which wheel fits this node: wheel file names, the tags this interpreter accepts, PEP 508
markers, and the node's target (interpreter, ABI, platform, libc)."""

import os
import platform
import re
import sys
import sysconfig

from .errors import InputFail


def parse_wheel_filename(filename):
    """(distribution, version, [tags]) of a wheel file name; tags expanded from compressed sets."""
    if "/" in filename or not filename.endswith(".whl"):
        raise InputFail("wheel file name %r is not a plain .whl name" % (filename,))
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        raise InputFail("%r is not a wheel file name (name-version[-build]-python-abi-platform.whl)" % (filename,))
    pys, abis, plats = parts[-3].split("."), parts[-2].split("."), parts[-1].split(".")
    return parts[0], parts[1], ["%s-%s-%s" % (p, a, q) for p in pys for a in abis for q in plats]


def glibc_version():
    try:
        kind, _, ver = os.confstr("CS_GNU_LIBC_VERSION").partition(" ")
        if kind == "glibc":
            major, minor = ver.split(".")[:2]
            return int(major), int(minor)
    except (AttributeError, ValueError, OSError):
        pass
    return None


def supported_tags():
    """The wheel tags this interpreter accepts, most preferred first (as pip orders them, for CPython on Linux)."""
    major, minor = sys.version_info[:2]
    impl = {"cpython": "cp", "pypy": "pp"}.get(sys.implementation.name, sys.implementation.name[:2])
    machine = platform.machine()
    plats = []
    g = glibc_version()
    if sys.platform.startswith("linux"):
        if g and g[0] == 2:
            lowest = 5 if machine in ("x86_64", "i686") else 17
            for m in range(g[1], lowest - 1, -1):
                plats.append("manylinux_2_%d_%s" % (m, machine))
                legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}.get(m)
                if legacy:
                    plats.append("%s_%s" % (legacy, machine))
        plats.append("linux_%s" % machine)
    else:
        plats.append(sysconfig.get_platform().replace("-", "_").replace(".", "_"))
    own = "%s%d%d" % (impl, major, minor)
    abi = own if impl == "cp" else "none"
    tags = []
    for p in plats:
        tags.append("%s-%s-%s" % (own, abi, p))
    if impl == "cp":
        for p in plats:
            tags.append("%s-abi3-%s" % (own, p))
    for p in plats:
        tags.append("%s-none-%s" % (own, p))
    if impl == "cp":
        for m in range(minor - 1, 1, -1):
            for p in plats:
                tags.append("cp%d%d-abi3-%s" % (major, m, p))
    for p in plats:
        tags += ["py%d%d-none-%s" % (major, minor, p), "py%d-none-%s" % (major, p)]
        tags += ["py%d%d-none-%s" % (major, m, p) for m in range(minor - 1, -1, -1)]
    tags += ["%s-none-any" % own, "py%d%d-none-any" % (major, minor), "py%d-none-any" % major]
    tags += ["py%d%d-none-any" % (major, m) for m in range(minor - 1, -1, -1)]
    return tags


def target_info():
    """What decides whether an installed tree fits this node: the interpreter, its ABI, the platform and libc."""
    g = glibc_version()
    return {
        "implementation": sys.implementation.name,
        "python": platform.python_version(),
        "executable": sys.executable,
        "soabi": sysconfig.get_config_var("SOABI") or "",
        "platform": sysconfig.get_platform(),
        "machine": platform.machine(),
        "libc": "glibc %d.%d" % g if g else "",
    }


# PEP 508 environment markers: the subset locks use (variables, quoted strings, comparisons,
# `in`/`not in`, and/or, parentheses), evaluated for this interpreter.


def marker_environment():
    iv = sys.implementation.version
    ver = "%d.%d.%d" % (iv.major, iv.minor, iv.micro)
    if iv.releaselevel != "final":
        ver += iv.releaselevel[0] + str(iv.serial)
    return {
        "os_name": os.name, "sys_platform": sys.platform, "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(), "platform_release": platform.release(),
        "platform_system": platform.system(), "platform_version": platform.version(),
        "python_version": "%d.%d" % sys.version_info[:2], "python_full_version": platform.python_version(),
        "implementation_name": sys.implementation.name, "implementation_version": ver, "extra": "",
    }


def _version_tuple(s):
    m = re.match(r"^\s*v?(\d+(?:\.\d+)*)(\.\*)?\s*$", s)
    if not m:
        return None, False
    return tuple(int(x) for x in m.group(1).split(".")), bool(m.group(2))


def _compare(left, op, right):
    if op in ("in", "not in"):
        return (left in right) == (op == "in")
    lv, _ = _version_tuple(left)
    rv, wild = _version_tuple(right)
    if lv is not None and rv is not None:
        if wild:
            if op not in ("==", "!="):
                raise InputFail("marker comparison %s %s %s is not valid" % (left, op, right))
            return (lv[:len(rv)] == rv) == (op == "==")
        n = max(len(lv), len(rv))
        a, b = lv + (0,) * (n - len(lv)), rv + (0,) * (n - len(rv))
        if op == "~=":
            if len(rv) < 2:
                raise InputFail("marker comparison ~= %s needs at least two version parts" % right)
            return a >= b and lv[:len(rv) - 1] == rv[:-1]
        return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "===": left == right}[op]
    if op in ("==", "===", "!="):
        return (left == right) == (op != "!=")
    raise InputFail("cannot evaluate marker comparison %r %s %r" % (left, op, right))


def evaluate_marker(marker, env=None):
    """True when the PEP 508 marker holds for this interpreter (or `env`)."""
    env = marker_environment() if env is None else env
    tokens = re.findall(r"""\s*(\(|\)|'[^']*'|"[^"]*"|===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b|and\b|or\b|[A-Za-z_][A-Za-z0-9_.]*)""", marker)
    if "".join(re.sub(r"\s+", "", t) for t in tokens) != re.sub(r"\s+", "", marker):
        raise InputFail("environment marker %r cannot be parsed" % marker)
    tokens = [re.sub(r"\s+", " ", t.strip()) for t in tokens]
    pos = [0]

    def peek():
        return tokens[pos[0]] if pos[0] < len(tokens) else None

    def take():
        t = peek()
        if t is None:
            raise InputFail("environment marker %r ends too early" % marker)
        pos[0] += 1
        return t

    def value():
        t = take()
        if t[:1] in ("'", '"'):
            return t[1:-1]
        if t not in env:
            raise InputFail("environment marker %r uses an unknown variable %r" % (marker, t))
        return env[t]

    def atom():
        if peek() == "(":
            take()
            v = disj()
            if take() != ")":
                raise InputFail("environment marker %r has unbalanced parentheses" % marker)
            return v
        left = value()
        op = take()
        if op not in ("===", "==", "!=", "<=", ">=", "~=", "<", ">", "in", "not in"):
            raise InputFail("environment marker %r: %r is not a comparison" % (marker, op))
        return _compare(left, op, value())

    def chain(word, operand, combine):
        # Every operand is evaluated (no short cut), so a bad comparison fails wherever it stands.
        v = operand()
        while peek() == word:
            take()
            v = combine(operand(), v)
        return v

    def conj():
        return chain("and", atom, lambda a, b: a and b)

    def disj():
        return chain("or", conj, lambda a, b: a or b)

    result = disj()
    if peek() is not None:
        raise InputFail("environment marker %r has trailing text at %r" % (marker, peek()))
    return result


def choose_wheels(wheels):
    """Per locked package, the one wheel this node installs: its marker holds and its tag is the best supported one."""
    tags = {t: i for i, t in enumerate(supported_tags())}
    by_pkg = {}
    for w in wheels:
        by_pkg.setdefault(w.get("package") or w["filename"], []).append(w)
    chosen = []
    for pkg in sorted(by_pkg):
        ws = by_pkg[pkg]
        marker = ws[0].get("marker")
        if marker and not evaluate_marker(marker):
            continue
        ranked = []
        for w in ws:
            _, _, wtags = parse_wheel_filename(w["filename"])
            best = min([tags[t] for t in wtags if t in tags] or [None], key=lambda x: (x is None, x))
            if best is not None:
                ranked.append((best, w["filename"], w))
        if not ranked:
            raise InputFail("no wheel of %s fits this node (%s): %s" % (pkg, supported_tags()[0], ", ".join(w["filename"] for w in ws)))
        chosen.append(sorted(ranked, key=lambda x: (x[0], x[1]))[0][2])
    return chosen
