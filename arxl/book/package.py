"""A workbook file as the zip package it is: its parts' bytes, read once, and the few parts arxl
replaces, adds or removes. Saving writes every other part exactly as it was: its compressed bytes
are copied from the old file, so not a byte of it changes (Excel's own extensions, signatures,
pictures in cells, pivot caches...).

Also the rule of file types (``conform``): a name ending in .xlsm holds a VBA project and the AR
tab (copied from arxl's master workbook when the workbook has none), a name ending in .xlsx
holds neither, any other name is refused.
"""
from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from arxl.book.store import BookError
from arxl.forking import threads_here

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = "[Content_Types].xml"

MAIN_PLAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MAIN_MACRO = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA_TYPE = "application/vnd.ms-office.vbaProject"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
RIBBON_RELS = ("http://schemas.microsoft.com/office/2006/relationships/ui/extensibility",
               "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility")
PRINTER_SETTINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"

PLAIN_SUFFIX, MACRO_SUFFIX = ".xlsx", ".xlsm"
# arxl's master workbook, in a checkout of the repository: the VBA project and the AR tab a new
# .xlsm gets.
MASTER = Path(__file__).resolve().parents[2] / "workbooks" / "arxl.xlsm"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)


def parse_xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, _PARSER)


# The XML declaration as Excel writes it (lxml would write single quotes and no carriage return).
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
_DECLARATION = re.compile(rb"<\?xml\b[^>]*\?>\s*")


def declaration(data: bytes) -> bytes:
    """The XML declaration a part begins with (and the line break after it), or b""."""
    m = _DECLARATION.match(data)
    return m.group(0) if m else b""


def to_xml(root: etree._Element, declared: bytes = XML_DECLARATION) -> bytes:
    """``root`` as a part: ``declared`` (by default Excel's declaration), then the XML."""
    return declared + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def check_name(path: Path, what: str = "A workbook") -> None:
    """Refuse a workbook name whose type arxl cannot keep (only .xlsx and .xlsm)."""
    suffix = path.suffix.lower()
    if suffix not in (PLAIN_SUFFIX, MACRO_SUFFIX):
        old = " It looks like an old .xls file: save it as .xlsx in Excel." if suffix == ".xls" else ""
        raise BookError(f"{what} {path.name}: arxl reads and writes only .xlsx workbooks, and .xlsm ones with "
                        f"macros; {suffix or 'a name without an extension'} is not one of them. Nothing was "
                        f"changed. Give a name ending in .xlsx (or .xlsm to keep macros).{old}")


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source: str, target: str) -> str:
    """The part a relationship of ``source`` (a part name; "" for the package) points to."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def relative(source: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


def _raw_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's compressed bytes as stored in the archive."""
    fp = zf.fp
    assert fp is not None
    fp.seek(info.header_offset)
    header = fp.read(30)
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    return fp.read(info.compress_size)


# A part this large is compressed from the moment it is written, on another core, while the save
# goes on with the rest (zlib-ng lets go of the GIL); smaller ones all at once when the file is written.
DEFLATE_EARLY_FROM = 1 << 20


@dataclass(frozen=True)
class Deflated:
    """Bytes compressed as a zip member holds them (raw deflate), with their CRC and size."""
    crc: int
    size: int
    raw: bytes

    def inflated(self) -> bytes:
        return zlib.decompress(self.raw, -15)


class Deflater:
    """Compresses a part as it is made, piece by piece, so that the whole is never held
    uncompressed. zlib-ng's level 4 gives a file about 5% larger than zlib's default level 6, in
    a third of the time (a refresh of a large workbook writes over a hundred megabytes of XML)."""

    def __init__(self) -> None:
        from zlib_ng import zlib_ng  # not in Pyodide (xlwings Lite), which saves no file

        self._zlib = zlib_ng
        self._compressor = zlib_ng.compressobj(4, zlib_ng.DEFLATED, -15)
        self._out: list[bytes] = []
        self._crc = self._size = 0

    def add(self, chunk: bytes | memoryview) -> None:
        self._crc = self._zlib.crc32(chunk, self._crc)
        self._size += len(chunk)
        self._out.append(self._compressor.compress(chunk))

    def piece(self) -> Deflated:
        """What was added, ended on a byte boundary but not as the stream's last block: a piece
        that ``joined`` puts before others compressed elsewhere (in another process)."""
        return self._done(self._zlib.Z_SYNC_FLUSH)

    def whole(self) -> Deflated:
        """What was added, as a whole stream (or as the last piece of one)."""
        return self._done(self._zlib.Z_FINISH)

    def _done(self, mode: int) -> Deflated:
        self._out.append(self._compressor.flush(mode))
        return Deflated(self._crc, self._size, b"".join(self._out))


def deflated(data: bytes, whole: bool = True) -> Deflated:
    """``data`` compressed: a whole stream, or a ``Deflater.piece`` to go before others."""
    compressing = Deflater()
    compressing.add(data)
    return compressing.whole() if whole else compressing.piece()


def joined(pieces: list[Deflated]) -> Deflated:
    """One member of ``pieces`` compressed apart, each but the last a ``Deflater.piece``: their
    streams one after the other, their CRCs combined."""
    from zlib_ng import zlib_ng

    crc = pieces[0].crc
    for piece in pieces[1:]:
        crc = zlib_ng.crc32_combine(crc, piece.crc, piece.size)
    return Deflated(crc, sum(p.size for p in pieces), b"".join(p.raw for p in pieces))


def _compressed(data: bytes | Deflated) -> Deflated:
    return data if isinstance(data, Deflated) else deflated(data)


def _put_raw(out: zipfile.ZipFile, info: zipfile.ZipInfo, raw: bytes) -> None:
    """A member whose compressed bytes ``raw`` and sizes and CRC in ``info`` are known."""
    fp = out.fp
    assert fp is not None
    info.header_offset = fp.tell()
    zip64 = info.file_size > zipfile.ZIP64_LIMIT or info.compress_size > zipfile.ZIP64_LIMIT
    fp.write(info.FileHeader(zip64))
    fp.write(raw)
    out.filelist.append(info)
    out.NameToInfo[info.filename] = info
    out.start_dir = fp.tell()
    out._didModify = True  # type: ignore[attr-defined]


class Package:
    """The parts of one workbook file, held in memory; ``save`` writes a new file."""

    def __init__(self, data: bytes):
        self._zip = zipfile.ZipFile(io.BytesIO(data))
        self._infos = {i.filename: i for i in self._zip.infolist()}
        self._order = list(self._infos)
        self._new: dict[str, bytes | Deflated] = {}  # a part as written (compressed already, if so)
        self._gone: set[str] = set()
        self._ct: etree._Element | None = None
        self._pool: ThreadPoolExecutor | None = None  # compressing parts (``DEFLATE_EARLY_FROM``)
        self._deflating: dict[str, Future[Deflated]] = {}  # name -> the deflate of what was last written
        self._writes: dict[str, int] = {}  # name -> how often it was written or removed

    # ---- parts ------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [n for n in self._order if n not in self._gone]

    def has(self, name: str) -> bool:
        return name in self._new or (name in self._infos and name not in self._gone)

    def read(self, name: str) -> bytes:
        if name in self._new:
            data = self._new[name]
            return data.inflated() if isinstance(data, Deflated) else data
        if name in self._gone or name not in self._infos:
            raise KeyError(name)
        return self._zip.read(name)

    def write(self, name: str, data: bytes | Deflated) -> None:
        """Write the part ``name`` as ``data`` (or as ``data`` inflated: compressed elsewhere already)."""
        if name not in self._infos and name not in self._order:
            self._order.append(name)
        self._gone.discard(name)
        self._new[name] = data
        self._writes[name] = self._writes.get(name, 0) + 1
        if isinstance(data, bytes) and len(data) >= DEFLATE_EARLY_FROM:
            self._deflating[name] = self._deflater().submit(deflated, data)
        else:
            self._deflating.pop(name, None)

    def _deflater(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=threads_here(), thread_name_prefix="arxl-deflate")
        return self._pool

    def write_xml(self, name: str, root: etree._Element) -> None:
        """Write ``root`` as the part ``name``; a part that comes back to what the file held (the
        same XML, compared canonically: a sheet arxl added and took out again) is copied as it was."""
        if name in self._infos and name not in self._gone:
            original = self._zip.read(name)
            if etree.tostring(root, method="c14n") == etree.tostring(parse_xml(original), method="c14n"):
                self._new.pop(name, None)
                return
            self.write(name, to_xml(root, declaration(original)))  # its declaration as it was written
            return
        self.write(name, to_xml(root))

    def remove(self, name: str) -> None:
        self._writes[name] = self._writes.get(name, 0) + 1
        self._new.pop(name, None)
        self._deflating.pop(name, None)
        self._gone.add(name)
        self.set_override(name, None)
        if self.has(rels_name(name)):
            self.remove(rels_name(name))

    def writes(self, name: str) -> int:
        """How often the part ``name`` was written or removed: the same count later, the same part."""
        return self._writes.get(name, 0)

    def changed(self) -> set[str]:
        """The parts this package writes anew (added or replaced)."""
        return set(self._new)

    def free_name(self, pattern: str) -> str:
        """The first part name ``pattern.format(n)`` (n = 1, 2, ...) not in the package."""
        n = 1
        while self.has(pattern.format(n)):
            n += 1
        return pattern.format(n)

    # ---- content types ------------------------------------------------------------------------
    @property
    def content_types(self) -> etree._Element:
        if self._ct is None:
            self._ct = parse_xml(self.read(CONTENT_TYPES))
        return self._ct

    def content_type(self, part: str) -> str | None:
        for o in self.content_types.iterfind(f"{{{CT_NS}}}Override"):
            if o.get("PartName", "").lstrip("/") == part:
                return o.get("ContentType")
        ext = part.rsplit(".", 1)[-1].lower()
        for d in self.content_types.iterfind(f"{{{CT_NS}}}Default"):
            if d.get("Extension", "").lower() == ext:
                return d.get("ContentType")
        return None

    def set_override(self, part: str, content_type: str | None) -> None:
        """Give ``part`` its content type (None: remove its entry)."""
        root = self.content_types
        for o in list(root.iterfind(f"{{{CT_NS}}}Override")):
            if o.get("PartName", "").lstrip("/") == part:
                if content_type is None:
                    root.remove(o)
                elif o.get("ContentType") != content_type:
                    o.set("ContentType", content_type)
                else:
                    return
                self._ct_changed()
                return
        if content_type is not None:
            etree.SubElement(root, f"{{{CT_NS}}}Override", PartName="/" + part, ContentType=content_type)
            self._ct_changed()

    def ensure_default(self, extension: str, content_type: str) -> None:
        root = self.content_types
        if any(d.get("Extension", "").lower() == extension for d in root.iterfind(f"{{{CT_NS}}}Default")):
            return
        element = etree.Element(f"{{{CT_NS}}}Default", Extension=extension, ContentType=content_type)
        root.insert(0, element)
        self._ct_changed()

    def _ct_changed(self) -> None:
        self._new[CONTENT_TYPES] = b""  # written from the tree when saved

    # ---- relationships ------------------------------------------------------------------------
    def rels(self, part: str) -> etree._Element:
        """The relationships of ``part`` ("" for the package's), an empty set when it has none."""
        name = rels_name(part) if part else "_rels/.rels"
        if self.has(name):
            return parse_xml(self.read(name))
        return etree.Element(f"{{{REL_NS}}}Relationships", nsmap={None: REL_NS})

    def targets(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, the part it points to) of ``part``'s internal relationships."""
        return {r.get("Id", ""): (r.get("Type", ""), resolve(part, r.get("Target", "")))
                for r in self.rels(part).iterfind(f"{{{REL_NS}}}Relationship") if r.get("TargetMode") != "External"}

    def put_rels(self, part: str, root: etree._Element) -> None:
        name = rels_name(part) if part else "_rels/.rels"
        if len(root) == 0:
            if self.has(name):
                self.remove(name)
            return
        self.write_xml(name, root)
        self.ensure_default("rels", "application/vnd.openxmlformats-package.relationships+xml")

    def add_rel(self, part: str, rel_type: str, target_part: str) -> str:
        """A relationship of ``part`` to ``target_part``; returns its id."""
        root = self.rels(part)
        ids = {r.get("Id") for r in root}
        n = len(ids) + 1
        while f"rId{n}" in ids:
            n += 1
        etree.SubElement(root, f"{{{REL_NS}}}Relationship", Id=f"rId{n}", Type=rel_type,
                         Target=relative(part, target_part) if part else target_part)
        self.put_rels(part, root)
        return f"rId{n}"

    def drop_rels(self, part: str, keep) -> list[str]:
        """Remove ``part``'s relationships for which ``keep(type, target part)`` is false; returns
        the parts they pointed to."""
        root = self.rels(part)
        dropped = []
        for r in list(root):
            target = resolve(part, r.get("Target", ""))
            if r.get("TargetMode") != "External" and not keep(r.get("Type", ""), target):
                root.remove(r)
                dropped.append(target)
        if dropped:
            self.put_rels(part, root)
        return dropped

    def workbook_part(self) -> str:
        for _, (kind, target) in self.targets("").items():
            if kind.endswith("/officeDocument"):
                return target
        raise BookError("the file is a zip package but holds no workbook part")

    # ---- saving -----------------------------------------------------------------------------
    def save(self, path: Path | io.BytesIO) -> None:
        if self._ct is not None and CONTENT_TYPES in self._new:
            self.write_xml(CONTENT_TYPES, self._ct)
        order = sorted(self.names(), key=lambda n: n != CONTENT_TYPES)  # Excel puts it first
        order += [n for n in self._new if n not in order]
        written = [name for name in order if name in self._new]
        # the parts arxl wrote are compressed on every core at once; those begun when written kept
        pool = self._deflater()
        try:
            compressed = {name: self._deflating.get(name) or pool.submit(_compressed, self._new[name])
                          for name in written}
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
                for name in order:
                    if name in self._new:
                        part = compressed.pop(name).result()
                        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                        info.compress_type, info.CRC = zipfile.ZIP_DEFLATED, part.crc
                        info.compress_size, info.file_size = len(part.raw), part.size
                        info.external_attr = 0o600 << 16  # as zipfile's own writestr gives it
                        _put_raw(out, info, part.raw)
                    else:
                        self._copy(out, self._infos[name])
        finally:
            self._pool, self._deflating = None, {}
            pool.shutdown(wait=True, cancel_futures=True)

    def _copy(self, out: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """A member as it is stored (its compressed bytes untouched)."""
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            out.writestr(info.filename, self._zip.read(info))  # encrypted or odd: decompress and store anew
            return
        raw = _raw_member(self._zip, info)
        copied = zipfile.ZipInfo(info.filename, date_time=info.date_time)
        copied.compress_type, copied.CRC = info.compress_type, info.CRC
        copied.compress_size, copied.file_size = info.compress_size, info.file_size
        copied.external_attr, copied.flag_bits = info.external_attr, info.flag_bits & 0x800  # keep UTF-8 names
        _put_raw(out, copied, raw)

    # ---- file types ---------------------------------------------------------------------------
    def conform(self, suffix: str, master: Path = MASTER) -> list[str]:
        """Make the package what a name ending in ``suffix`` promises Excel; returns what was
        left out or added, for the clerk."""
        suffix = suffix.lower()
        workbook = self.workbook_part()
        vba = [t for kind, t in self.targets(workbook).values() if kind == VBA_REL]
        ribbons = [t for kind, t in self.targets("").values() if kind in RIBBON_RELS]
        if suffix == PLAIN_SUFFIX:
            self.set_override(workbook, MAIN_PLAIN)
            left = []
            if vba:
                self._drop_vba(workbook)
                left.append("the VBA project (macros)")
            if ribbons:
                for part in self.drop_rels("", lambda kind, _t: kind not in RIBBON_RELS):
                    self.remove_tree(part)
                left.append("the ribbon tab (customUI)")
            self._drop_macro_sheets(workbook, left)
            if not left:
                return []
            return [f"an .xlsx cannot carry {' and '.join(left)}, so they were left out; give a name ending in .xlsm "
                    f"to keep them"]
        if suffix != MACRO_SUFFIX:
            raise BookError(f"arxl writes .xlsx and .xlsm workbooks, not {suffix or 'a name without an extension'}.")
        self.set_override(workbook, MAIN_MACRO)
        if vba:
            return []
        self._add_master_macros(workbook, master)
        return ["the workbook had no macros: arxl's VBA project and AR tab were added, so that the .xlsm "
                "name is true"]

    def remove_tree(self, part: str) -> None:
        """A part and the parts only it points to (a signature, a ribbon's images, a drawing's
        charts); a part another one points to too (a picture used twice) stays."""
        children = [t for _k, t in self.targets(part).values() if self.has(t)]
        self.remove(part)
        for target in children:
            if not self._pointed_to(target):
                self.remove_tree(target)

    def _pointed_to(self, part: str) -> bool:
        """Whether a relationship of any part in the package points to ``part``."""
        for name in self.names():
            if not name.endswith(".rels") or not self.has(name):
                continue
            folder, rels = posixpath.split(name)
            source = "" if rels == ".rels" else posixpath.join(posixpath.dirname(folder), rels[:-len(".rels")])
            if any(target == part for _k, target in self.targets(source).values()):
                return True
        return False

    def _drop_vba(self, workbook: str) -> None:
        for part in self.drop_rels(workbook, lambda kind, _t: kind != VBA_REL):
            self.remove_tree(part)
        root = self.content_types
        for d in list(root.iterfind(f"{{{CT_NS}}}Default")):
            if d.get("ContentType") == VBA_TYPE:
                root.remove(d)
                self._ct_changed()
                for name in self.names():  # other .bin parts (printer settings) keep their type
                    if name.lower().endswith(".bin") and self.content_type(name) is None:
                        self.set_override(name, PRINTER_SETTINGS if "printerSettings" in name else
                                          "application/octet-stream")

    def _drop_macro_sheets(self, workbook: str, left: list[str]) -> None:
        """Excel 4 macro sheets and dialog sheets are macros too: an .xlsx cannot hold them."""
        macro_sheets = [t for kind, t in self.targets(workbook).values()
                        if kind.endswith(("/xlMacrosheet", "/xlIntlMacrosheet", "/dialogsheet"))]
        if macro_sheets:
            raise BookError("the workbook holds Excel 4 macro sheets or dialog sheets, which an .xlsx cannot carry; "
                            "give a name ending in .xlsm")

    def _add_master_macros(self, workbook: str, master: Path) -> None:
        if not master.is_file():
            raise BookError(f"arxl's master workbook {master} is not here to give this .xlsm its macros "
                            f"(it is workbooks/arxl.xlsm in arxl's repository).")
        source = Package(master.read_bytes())
        source_book = source.workbook_part()
        for _, (kind, part) in source.targets(source_book).items():
            if kind == VBA_REL:
                target = posixpath.join(posixpath.dirname(workbook), "vbaProject.bin")
                self.write(target, source.read(part))
                self.add_rel(workbook, VBA_REL, target)
                self.set_override(target, VBA_TYPE)
        for _, (kind, part) in source.targets("").items():
            if kind in RIBBON_RELS and not self.has(part):
                self.write(part, source.read(part))
                self.add_rel("", kind, part)
                self.ensure_default("xml", "application/xml")
        self._name_code_modules(workbook)

    def _name_code_modules(self, workbook: str) -> None:
        """The VBA project knows the workbook as ThisWorkbook: the workbook says so too (sheets
        without a code name are given their modules by Excel when it opens the file)."""
        data = self.read(workbook)
        if b"codeName=" in data:
            return
        if re.search(rb"<workbookPr\b", data):
            data = re.sub(rb"<workbookPr\b", b'<workbookPr codeName="ThisWorkbook"', data, count=1)
        else:  # it comes after fileVersion and fileSharing, before the rest
            data = re.sub(rb"(?=<(?:mc:AlternateContent|xr:revisionPtr|bookViews|sheets)\b)",
                          b'<workbookPr codeName="ThisWorkbook"/>', data, count=1)
        self.write(workbook, data)


def conform_file(path: Path, suffix: str) -> list[str]:
    """``Package.conform`` on a saved file, rewriting it only when something changes."""
    package = Package(path.read_bytes())
    notes = package.conform(suffix)
    if package.changed():
        buffer = io.BytesIO()
        package.save(buffer)
        path.write_bytes(buffer.getvalue())
    return notes
