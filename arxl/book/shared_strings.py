"""The workbook's shared strings (``xl/sharedStrings.xml``) as the package engine grows them.

Excel writes each distinct text once, in the shared strings, and a cell refers to it by its
index; arxl writes its text the same way, so a refreshed workbook stays near its size (text
written inline, once per cell, made a 5 MB ledger 15 MB). The strings already there stay where
they are, byte for byte, so every cell of the clerk's that refers to one still does: arxl reuses
a plain string the table holds and appends the others. A workbook without shared strings gets
the part, with its relationship and content type.
"""
from __future__ import annotations

import posixpath
import re

from arxl.book.package import DOC_REL, XML_DECLARATION, Package, parse_xml
from arxl.book.sheetxml import excel_text, read_excel_text

SST_REL = f"{DOC_REL}/sharedStrings"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROOT = re.compile(rb"<(?:(\w+):)?sst\b[^>]*?(/?)>")
_COUNT = re.compile(rb'\s(count|uniqueCount)="\d*"')
_STRING_CELL = re.compile(rb'<c\b[^>]*?\bt="s"[^>]*>\s*<v>(\d+)</v>')  # a cell and the string it refers to


class SharedStrings:
    """The shared strings of one workbook: ``index(text)`` gives a text's index, appending it
    when the table holds no plain string like it; ``save`` writes the part if anything was added."""

    def __init__(self, package: Package, workbook_part: str):
        self.package, self.workbook_part = package, workbook_part
        self.part = next((t for kind, t in package.targets(workbook_part).values() if kind == SST_REL), None)
        self._index: dict[str, int] | None = None
        self._size = 0  # strings in the table, the clerk's and arxl's
        self._count = 0  # cells referring to one, as the part says
        self._added: list[str] = []
        self.referred = 0  # cells arxl gave a shared string
        self.dropped = 0  # cells that referred to one and were replaced or removed

    def _read(self) -> dict[str, int]:
        if self._index is None:
            self._index = {}
            if self.part is not None and self.package.has(self.part):
                root = parse_xml(self.package.read(self.part))
                t = f"{{{SML}}}t"
                for i, si in enumerate(root):
                    if len(si) == 1 and si[0].tag == t:  # plain text (not rich text or with phonetics)
                        self._index.setdefault(read_excel_text(si[0].text or ""), i)
                self._size = len(root)
                self._count = int(root.get("count", "0") or 0)
        return self._index

    def index(self, text: str) -> int:
        self.referred += 1
        index = self._read()
        at = index.get(text)
        return self._append(text) if at is None else at

    def add(self, texts: list[str]) -> None:
        """Give each of ``texts`` its index ahead of the cells that will refer to it (a sheet
        rewritten in another process then finds them all)."""
        index = self._read()
        for text in texts:
            if text not in index:
                self._append(text)

    def _append(self, text: str) -> int:
        at = self._read()[text] = self._size
        self._size += 1
        self._added.append(text)
        return at

    @property
    def size(self) -> int:
        """Strings in the table, the clerk's and arxl's."""
        self._read()
        return self._size

    def save(self) -> None:
        """Write the part with the strings added (the part is left as it was when none were)."""
        if not self._added:
            return
        if self.part is None or not self.package.has(self.part):
            self.part = posixpath.join(posixpath.dirname(self.workbook_part), "sharedStrings.xml")
            if self.package.has(self.part):
                self.part = self.package.free_name(self.part[:-len(".xml")] + "{}.xml")
            self.package.add_rel(self.workbook_part, SST_REL, self.part)
            self.package.set_override(self.part, SST_TYPE)
            data = XML_DECLARATION + f'<sst xmlns="{SML}" count="0" uniqueCount="0"/>'.encode()
        else:
            data = self.package.read(self.part)
        root = _ROOT.search(data)
        if root is None:
            raise ValueError(f"{self.part} is not a shared strings part")
        prefix = root.group(1).decode() + ":" if root.group(1) else ""
        count = max(self._size, self._count + self.referred - self.dropped)
        start = _counted(data[root.start():root.end()], count, self._size)
        added = "".join(f'<{prefix}si><{prefix}t{_space(s)}>{excel_text(s)}</{prefix}t></{prefix}si>'
                        for s in self._added).encode("utf-8")
        if root.group(2):  # <sst .../>: no strings yet
            body = start[:-2].rstrip() + b">" + added + f"</{prefix}sst>".encode()
            self.package.write(self.part, data[:root.start()] + body + data[root.end():])
        else:
            close = data.rindex(f"</{prefix}sst>".encode())
            self.package.write(self.part, data[:root.start()] + start + data[root.end():close] + added + data[close:])
        self._added, self._count, self.referred, self.dropped = [], count, 0, 0

    def trim(self, sheets: list[str]) -> None:
        """Once arxl is taken out of a workbook (``arxl adopt --undo``), the strings after the
        last one a cell of ``sheets`` (every worksheet part) refers to go: the ones arxl
        appended (Excel itself keeps no string no cell refers to). The part goes when no cell
        refers to any, as in a workbook that had none before arxl."""
        if self.part is None or not self.package.has(self.part):
            return
        referred = [int(m.group(1)) for sheet in sheets for m in _STRING_CELL.finditer(self.package.read(sheet))]
        if not referred:
            self.package.drop_rels(self.workbook_part, lambda kind, _t: kind != SST_REL)
            self.package.remove(self.part)
            self.part, self._index = None, None
            return
        data = self.package.read(self.part)
        root = _ROOT.search(data)
        if root is None or root.group(2):
            return
        prefix = root.group(1) or b""
        items = [m.start() for m in re.finditer(rb"<" + (prefix + b":" if prefix else b"") + rb"si[\s>/]", data)]
        keep = max(referred) + 1
        if keep >= len(items):
            return
        start = _counted(data[root.start():root.end()], len(referred), keep)
        close = data.rindex(b"</" + (prefix + b":" if prefix else b"") + b"sst>")
        self.package.write(self.part, data[:root.start()] + start + data[root.end():items[keep]] + data[close:])
        self._index = None


def _counted(sst: bytes, count: int, unique: int) -> bytes:
    """The ``<sst>`` start tag with its ``count`` (cells referring to a string) and
    ``uniqueCount`` (strings) set, where it has them."""
    return _COUNT.sub(lambda m: b' %s="%d"' % (m.group(1), count if m.group(1) == b"count" else unique), sst)


def _space(text: str) -> str:
    return ' xml:space="preserve"' if text != text.strip() else ""
