"""procstat: Linux /proc readings (a generated third-party stand-in of the karoo example)."""


def loadavg(path: str = "/proc/loadavg") -> tuple:
    """The 1, 5 and 15 minute load averages."""
    with open(path, encoding="ascii") as f:
        a, b, c = f.read().split()[:3]
    return float(a), float(b), float(c)


def uptime(path: str = "/proc/uptime") -> float:
    with open(path, encoding="ascii") as f:
        return float(f.read().split()[0])


def meminfo(path: str = "/proc/meminfo") -> dict:
    """Fields of /proc/meminfo in kB."""
    out = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            key, _, rest = line.partition(":")
            out[key.strip()] = int(rest.split()[0])
    return out
