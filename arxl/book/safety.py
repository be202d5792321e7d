"""Checks made before arxl opens or replaces a workbook file, so that a clerk's data is never
lost: the file must be a real workbook, not open in Excel, not a zip bomb nor an XML entity
trick.

What an openpyxl save would silently drop is listed too (``inspect_package``), for the openpyxl
engine only (ARXL_ENGINE=openpyxl), which refuses such a workbook in place. The default engine
(``arxl.book.package_store``) refuses nothing for it: it rewrites only the sheets and tables arxl
writes and copies every other part byte for byte. What that engine itself edits, and so could
disturb, is narrow and handled where it is edited: a clerk's shared formula whose first cell arxl
overwrites (the other cells get the formula written out), the calculation chain (dropped when a
formula cell is overwritten, as Excel rebuilds it), a pivot cache over cells arxl wrote
(refreshed on open), and the AgingSummary report sheet, which arxl owns and redraws whole (anything a
clerk adds to that sheet is replaced with it, as with the openpyxl engine)."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from arxl.book.store import BookError

MAX_UNCOMPRESSED = 2 * 1024**3  # a real master workbook is far smaller
MAX_RATIO = 200  # deflate rarely beats 100:1 on spreadsheet XML; bombs reach 1000:1 and more
MAX_PARTS = 20_000
# All parts together: many parts each just under the per-part check add up. Real workbooks
# unpack to 5-20 times their size (the demo's 100,000 rows: about 8).
MAX_SMALL_TOTAL = 32 * 1024**2
MAX_RATIO_TOTAL = 100
_CHUNK = 1 << 20
_OVERLAP = 64  # longer than every marker looked for

# What openpyxl cannot carry through a load and save, and how it shows in the package.
_DROPPED_PARTS = {
    "slicers": re.compile(r"^xl/slicers?(Caches)?/"),
    "timelines": re.compile(r"^xl/timelines?(Caches)?/"),
    "form controls": re.compile(r"^xl/ctrlProps/"),
    "ActiveX controls": re.compile(r"^xl/activeX/"),
    "threaded comments": re.compile(r"^xl/threadedComments/"),
    "a Power Pivot data model": re.compile(r"^xl/model/"),
}
_DROPPED_MARKUP = {
    "sparklines": b"<x14:sparklineGroups",
    "Excel 2010 conditional formats (data bars, icon sets)": b"<x14:conditionalFormattings",
    "Excel 2010 data validations": b"<x14:dataValidations",
    "dynamic-array formulas": b' cm="',
}
_SHAPES = b"<xdr:sp>"  # text boxes and shapes in a drawing (charts and pictures survive)


def lock_file(path: Path) -> Path:
    """Excel's owner file beside an open workbook: ``~$`` + the name (long names are cut)."""
    return path.with_name("~$" + path.name[2:] if len(path.name) > 2 else "~$" + path.name)


def owner_file(path: Path) -> Path | None:
    """Excel's owner file of ``path`` if there is one (the workbook is open in Excel)."""
    for candidate in (path.with_name("~$" + path.name), lock_file(path)):
        if candidate.exists():
            return candidate
    return None


def check_not_open(path: Path) -> None:
    owner = owner_file(path)
    if owner is not None:
        raise BookError(f"{path.name} is open in Excel ({owner.name} exists). Close it in "
                        f"Excel first, or use the ribbon buttons inside Excel instead.")


def _declares_entities(head: bytes, chunk: bytes) -> bool:
    """Whether a piece of a part declares a DTD or entities, wherever in the part it sits. A
    part in UTF-16 (the byte-order mark or the zero bytes of ``<?`` tell) is read as such."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        chunk = chunk.decode("utf-16-be" if head[:1] in (b"\xfe", b"\x00") else "utf-16-le", errors="ignore")\
            .encode("utf-8")
    return b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk


def _chunks(z: zipfile.ZipFile, info: zipfile.ZipInfo, overlap: int):
    """A part's bytes in pieces that overlap by ``overlap`` bytes, so a marker is never cut in two."""
    tail = b""
    with z.open(info) as part:
        while True:
            block = part.read(_CHUNK)
            if not block:
                return
            piece = tail + block
            yield piece
            tail = piece[-overlap:]


def inspect_package(path: Path, data: bytes | None = None) -> list[str]:
    """Raise BookError for a file that is not a workbook or is hostile; return the names of
    features an openpyxl save would drop (what the openpyxl engine refuses to save in place). ``data``:
    the file's bytes, when the caller has read them already."""
    if data is None and not path.is_file():
        raise BookError(f"{path} does not exist or is not a file.")
    source = io.BytesIO(data) if data is not None else path
    if not zipfile.is_zipfile(source):
        hint = " It looks like an old .xls file: save it as .xlsx in Excel." if path.suffix.lower() == ".xls" else ""
        raise BookError(f"{path.name} is not an Excel workbook (.xlsx/.xlsm).{hint}")
    try:
        with zipfile.ZipFile(source) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
                raise BookError(f"{path.name} is a zip file but not an Excel workbook (no xl/workbook.xml).")
            if len(infos) > MAX_PARTS:
                raise BookError(f"{path.name} holds {len(infos)} parts; arxl refuses it as a possible zip bomb.")
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos)
            if total > MAX_UNCOMPRESSED:
                raise BookError(f"{path.name} would unpack to {total / 1024**3:.1f} GB; arxl refuses it as a "
                                f"possible zip bomb.")
            if total > MAX_SMALL_TOTAL and total > MAX_RATIO_TOTAL * max(1, packed):
                raise BookError(f"{path.name} would unpack to {total / 1024**2:.0f} MB from {packed / 1024:.0f} KB "
                                f"({total // max(1, packed)} times its size); arxl refuses it as a possible zip bomb.")
            for info in infos:
                if info.file_size > 10 * 1024**2 and info.file_size > MAX_RATIO * max(1, info.compress_size):
                    ratio = info.file_size // max(1, info.compress_size)
                    raise BookError(f"{path.name}: part {info.filename} unpacks {ratio}"
                                    f" times its size; arxl refuses it as a possible zip bomb.")
            found: list[str] = []
            for label, pattern in _DROPPED_PARTS.items():
                if any(pattern.match(n) for n in names):
                    found.append(label)
            markup_found: set[str] = set()
            for info in infos:
                if not info.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                head = b""
                for piece in _chunks(z, info, _OVERLAP):
                    head = head or piece[:4]
                    if _declares_entities(head, piece):
                        raise BookError(f"{path.name}: part {info.filename} declares XML entities (a known attack "
                                        f"on XML readers); arxl refuses the file.")
                    if info.filename.startswith("xl/worksheets/"):
                        for label, marker in _DROPPED_MARKUP.items():
                            if marker in piece:
                                markup_found.add(label)
                    elif info.filename.startswith("xl/drawings/") and _SHAPES in piece:
                        markup_found.add("shapes or text boxes")
                    elif info.filename == "xl/metadata.xml" and b"XLDAPR" in piece:
                        markup_found.add("dynamic-array formulas")
            found.extend(sorted(markup_found))
            return found
    except zipfile.BadZipFile as exc:
        raise BookError(f"{path.name} is damaged ({exc}); open it in Excel and save it again.") from exc
