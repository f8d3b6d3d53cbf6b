"""fastcrc: CRC-32 (a generated third-party stand-in of the karoo example, used by cam-katcp[speedups])."""

import zlib


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF
