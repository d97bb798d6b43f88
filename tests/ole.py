"""Write an OLE compound file (MS-CFB, version 3) and the VBA project Excel keeps in one.

For tests only: ``vba_project`` gives the bytes of an ``xl/vbaProject.bin`` holding one
standard module, its source compressed as MS-OVBA says (literal tokens only), with the ``dir``
stream that names it and the ``PROJECT`` stream. Small streams go in the mini stream (under
4096 bytes, as the format requires), the directory is a balanced tree of black nodes.
"""

from __future__ import annotations

import struct

SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FAT_SECTOR, NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def compressed(data: bytes) -> bytes:
    """An MS-OVBA compressed container: chunks of up to 4096 bytes, each all literal tokens."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        piece = data[start : start + 4096]
        body = bytearray()
        for i in range(0, len(piece), 8):
            body += b"\x00" + piece[i : i + 8]  # a flag byte of eight literals, then them
        if len(body) + 2 > 4098:
            raise ValueError("a chunk of literals must stay within 4098 bytes: keep the source short")
        out += struct.pack("<H", 0x8000 | 0x3000 | (len(body) + 2 - 3)) + body
    return bytes(out)


def _record(ident: int, data: bytes) -> bytes:
    return struct.pack("<HI", ident, len(data)) + data


def _dir_stream(project: str, module: str) -> bytes:
    """The ``dir`` stream (uncompressed): the project's information and its one module."""
    name, utf16 = module.encode("cp1252"), module.encode("utf-16-le")
    parts = [
        _record(0x0001, struct.pack("<I", 1)),  # SYSKIND: 32-bit Windows
        _record(0x0002, struct.pack("<I", 0x409)),  # LCID
        _record(0x0014, struct.pack("<I", 0x409)),  # LCIDINVOKE
        _record(0x0003, struct.pack("<H", 1252)),  # CODEPAGE
        _record(0x0004, project.encode("cp1252")),  # NAME
        _record(0x0005, b"") + _record(0x0040, b""),  # DOCSTRING, its Unicode
        _record(0x0006, b"") + _record(0x003D, b""),  # HELPFILEPATH 1 and 2
        _record(0x0007, struct.pack("<I", 0)),  # HELPCONTEXT
        _record(0x0008, struct.pack("<I", 0)),  # LIBFLAGS
        struct.pack("<HIIH", 0x0009, 4, 1, 0),  # VERSION: reserved size 4, major, minor
        _record(0x000C, b"") + _record(0x003C, b""),  # CONSTANTS, their Unicode
        _record(0x000F, struct.pack("<H", 1)),  # MODULES: one
        _record(0x0013, struct.pack("<H", 0xFFFF)),  # PROJECTCOOKIE
        _record(0x0019, name) + _record(0x0047, utf16),  # MODULENAME, its Unicode
        _record(0x001A, name) + _record(0x0032, utf16),  # MODULESTREAMNAME, its Unicode
        _record(0x001C, b"") + _record(0x0048, b""),  # MODULEDOCSTRING, its Unicode
        _record(0x0031, struct.pack("<I", 0)),  # MODULEOFFSET: the source from the start
        _record(0x001E, struct.pack("<I", 0)),  # MODULEHELPCONTEXT
        _record(0x002C, struct.pack("<H", 0xFFFF)),  # MODULECOOKIE
        struct.pack("<HI", 0x0021, 0),  # MODULETYPE: procedural
        struct.pack("<HI", 0x002B, 0),  # the module's end
        struct.pack("<HI", 0x0010, 0),  # the modules' end
    ]
    return b"".join(parts)


def vba_project(source: str, module: str = "Module1", project: str = "VBAProject") -> bytes:
    """The bytes of a vbaProject.bin whose one standard module ``module`` holds ``source``."""
    code = f'Attribute VB_Name = "{module}"\r\n{source}'.encode("cp1252")
    project_text = (
        f'ID="{{00000000-0000-0000-0000-000000000000}}"\r\nModule={module}\r\nName="{project}"\r\n'
        'HelpContextID="0"\r\nVersionCompatible32="393222000"\r\nCMG=""\r\nDPB=""\r\nGC=""\r\n\r\n'
        f"[Host Extender Info]\r\n&H00000001={{3832D640-CF90-11CF-8E43-00A0C911005A}};VBE;&H00000000\r\n"
    ).encode("cp1252")
    return compound(
        {
            "PROJECT": project_text,
            "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",  # the header of an empty cache
            "VBA/dir": compressed(_dir_stream(project, module)),
            f"VBA/{module}": compressed(code),
        }
    )


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b""):
        self.name, self.kind, self.data = name, kind, data  # kind: 1 storage, 2 stream, 5 root
        self.children: list[_Entry] = []
        self.left = self.right = self.child = NONE
        self.start, self.size = END, 0


def _order(entry: _Entry) -> tuple[int, str]:
    return len(entry.name), entry.name.upper()  # siblings compare by length, then by upper case


def compound(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file of the given streams (``storage/stream`` paths, one level deep)."""
    root = _Entry("Root Entry", 5)
    storages: dict[str, _Entry] = {}
    for path, data in streams.items():
        parent = root
        if "/" in path:
            folder, path = path.split("/", 1)
            if folder not in storages:
                storages[folder] = _Entry(folder, 1)
                root.children.append(storages[folder])
            parent = storages[folder]
        parent.children.append(_Entry(path, 2, data))
    entries = [root]

    def place(siblings: list[_Entry]) -> int:
        """The siblings as a balanced tree; the index of its top."""
        if not siblings:
            return NONE
        siblings = sorted(siblings, key=_order)
        middle = len(siblings) // 2
        top = siblings[middle]
        entries.append(top)
        at = len(entries) - 1
        top.left, top.right = place(siblings[:middle]), place(siblings[middle + 1 :])
        top.child = place(top.children)
        return at

    root.child = place(root.children)

    # the small streams in the mini stream, by 64-byte mini sectors
    mini, minifat = bytearray(), []
    for entry in entries:
        if entry.kind == 2 and 0 < len(entry.data) < CUTOFF:
            count = -(-len(entry.data) // MINI)
            entry.start, entry.size = len(mini) // MINI, len(entry.data)
            minifat += [entry.start + i + 1 for i in range(count - 1)] + [END]
            mini += entry.data.ljust(count * MINI, b"\x00")
    root.data = bytes(mini)

    sectors: list[bytes] = []
    fat: list[int] = []

    def chain(data: bytes) -> int:
        """``data`` written in whole sectors, chained in the FAT; its first sector."""
        count = -(-len(data) // SECTOR)
        if count == 0:
            return END
        first = len(sectors)
        for i in range(count):
            sectors.append(data[i * SECTOR : (i + 1) * SECTOR].ljust(SECTOR, b"\x00"))
            fat.append(first + i + 1 if i < count - 1 else END)
        return first

    for entry in entries:
        if entry.kind == 2 and len(entry.data) >= CUTOFF:
            entry.start, entry.size = chain(entry.data), len(entry.data)
    root.start, root.size = chain(root.data), len(root.data)
    minifat_bytes = b"".join(struct.pack("<I", n) for n in minifat)
    first_minifat = chain(minifat_bytes) if minifat else END
    directory = b"".join(_directory_entry(e) for e in entries)
    directory += _directory_entry(None) * (-len(entries) % (SECTOR // 128))
    first_directory = chain(directory)

    # the FAT's own sectors at the end, marked as such; it must count itself
    per = SECTOR // 4
    fat_count = 1
    while -(-(len(fat) + fat_count) // per) > fat_count:
        fat_count += 1
    if fat_count > 109:
        raise ValueError("too big for a header-only DIFAT")
    fat_start = len(sectors)
    fat += [FAT_SECTOR] * fat_count
    fat += [FREE] * (fat_count * per - len(fat))
    table = b"".join(struct.pack("<I", n) for n in fat)
    sectors += [table[i * SECTOR : (i + 1) * SECTOR] for i in range(fat_count)]

    difat = [fat_start + i for i in range(fat_count)] + [FREE] * (109 - fat_count)
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x003E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<II", 0, fat_count)  # directory sectors (0 in version 3), FAT sectors
        + struct.pack("<II", first_directory, 0)
        + struct.pack("<III", CUTOFF, first_minifat, -(-len(minifat_bytes) // SECTOR))
        + struct.pack("<II", END, 0)  # no DIFAT sectors
        + b"".join(struct.pack("<I", n) for n in difat)
    )
    assert len(header) == SECTOR
    return header + b"".join(sectors)


def _directory_entry(entry: _Entry | None) -> bytes:
    if entry is None:  # an unused entry
        return b"\x00" * 64 + struct.pack("<HBB3I", 0, 0, 0, NONE, NONE, NONE) + b"\x00" * 36 + b"\x00" * 12
    name = entry.name.encode("utf-16-le") + b"\x00\x00"
    return (
        name.ljust(64, b"\x00")
        + struct.pack("<HBB3I", len(name), entry.kind, 1, entry.left, entry.right, entry.child)
        + b"\x00" * 16  # CLSID
        + struct.pack("<I", 0)  # state bits
        + b"\x00" * 16  # created, modified
        + struct.pack("<IQ", entry.start if entry.kind != 1 else 0, entry.size)
    )
