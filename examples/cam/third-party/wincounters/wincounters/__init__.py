"""wincounters: Windows performance counters (a generated third-party stand-in of the karoo example).

Required by cam-monitor only where sys_platform == "win32": it must never be in a Linux lock.
"""

raise ImportError("wincounters works on Windows only")
