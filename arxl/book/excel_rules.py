"""Does a workbook file keep Excel's rules? What Excel "repairs" when it opens a file (and may
drop while doing so), and, where the ECMA-376 transitional schemas are at hand, whether every
part is valid against them.

``repair_triggers(path)`` checks what Excel is known to repair: table columns that differ from
their header cells, repeated table names, tables that overlap, invalid table, sheet and defined
names, rows past 1,048,576, text longer than 32,767 characters. ``schema_errors(path, folder)``
validates each SpreadsheetML, DrawingML and document-properties part with lxml against the
schemas in ``folder`` (sml.xsd and the files it imports), after removing the markup that
Markup Compatibility lets a reader ignore (Excel's own extensions).
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

from lxml import etree
from openpyxl.utils import range_boundaries
from openpyxl.utils.cell import column_index_from_string

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_TEXT = 32_767
MAX_SHEET_NAME = 31

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
}
_R_ID = f"{{{NS['r']}}}id"
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
# A name: a letter, _ or \ first, then letters, digits, _ . \ ; not a cell reference (A1, R1C1, R, C).
_NAME = re.compile(r"^[^\W\d.][\w.\\]*$|^\\[\w.\\]*$")
_A1 = re.compile(r"^\$?[A-Za-z]{1,3}\$?\d+$")
_R1C1 = re.compile(r"^([Rr]\d*)?([Cc]\d*)?$")


def valid_name(name: str) -> bool:
    """Whether ``name`` is a valid Excel name for a table or a defined name."""
    if not name or len(name) > 255 or not _NAME.match(name):
        return False
    if _A1.match(name):
        letters = re.match(r"\$?([A-Za-z]+)", name)
        return letters is None or column_index_from_string(letters.group(1).upper()) > MAX_COLUMNS
    return not _R1C1.match(name)


def sheet_name_problem(name: str) -> str:
    if not name.strip():
        return "is blank"
    if len(name) > MAX_SHEET_NAME:
        return f"is {len(name)} characters long (Excel allows {MAX_SHEET_NAME})"
    if _SHEET_NAME_BAD.search(name):
        return "holds one of [ ] : * ? / \\"
    if name.startswith("'") or name.endswith("'"):
        return "begins or ends with an apostrophe"
    if name.lower() == "history":
        return "is History, which Excel keeps for itself"
    return ""


def _xml(z: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(z.read(name), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))


def _targets(z: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id -> the part it points to, for ``part``."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in z.namelist():
        return {}
    found = {}
    for rel in _xml(z, rels).iterfind("rel:Relationship", NS):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[rel.get("Id", "")] = path
    return found


def _shared_strings(z: zipfile.ZipFile, workbook_targets: dict[str, str]) -> list[str]:
    part = next((p for p in workbook_targets.values() if p.endswith("sharedStrings.xml")), None)
    if part is None or part not in z.namelist():
        return []
    return ["".join(si.itertext()) for si in _xml(z, part).iterfind("m:si", NS)]


def _cell_text(c: etree._Element, strings: list[str]) -> str | None:
    kind = c.get("t")
    if kind == "inlineStr":
        node = c.find("m:is", NS)
        return "".join(node.itertext()) if node is not None else ""
    v = c.find("m:v", NS)
    if kind == "s" and v is not None and v.text and v.text.isdigit() and int(v.text) < len(strings):
        return strings[int(v.text)]
    if kind == "str":
        return v.text or "" if v is not None else ""
    return None


def repair_triggers(path: Path) -> list[str]:
    """What Excel would repair in the workbook at ``path`` (empty when nothing)."""
    found: list[str] = []
    with zipfile.ZipFile(path) as z:
        workbook = _xml(z, "xl/workbook.xml")
        targets = _targets(z, "xl/workbook.xml")
        strings = _shared_strings(z, targets)
        sheet_names: dict[str, str] = {}
        for sheet in workbook.iterfind("m:sheets/m:sheet", NS):
            name = sheet.get("name", "")
            why = sheet_name_problem(name)
            if why:
                found.append(f"sheet name {name!r} {why}")
            if name.lower() in {n.lower() for n in sheet_names}:
                found.append(f"sheet name {name!r} appears twice")
            sheet_names[name] = targets.get(sheet.get(_R_ID, ""), "")
        names: set[str] = set()
        for defined in workbook.iterfind("m:definedNames/m:definedName", NS):
            name = defined.get("name", "")
            if not name.startswith("_xlnm.") and not valid_name(name):
                found.append(f"defined name {name!r} is not a valid Excel name")
            names.add(name.lower())
        tables: set[str] = set()
        for sheet_name, part in sheet_names.items():
            if part in z.namelist():
                found.extend(_sheet_triggers(z, part, sheet_name, strings, tables, names))
    return found


def _sheet_triggers(z: zipfile.ZipFile, part: str, sheet: str, strings: list[str], tables: set[str],
                    names: set[str]) -> list[str]:
    found: list[str] = []
    root = _xml(z, part)
    cells: dict[tuple[int, int], etree._Element] = {}
    for row in root.iterfind("m:sheetData/m:row", NS):
        r = int(row.get("r", "0"))
        if r > MAX_ROWS:
            found.append(f"{sheet}: row {r} is past Excel's last row {MAX_ROWS:,}")
        for c in row.iterfind("m:c", NS):
            ref = c.get("r", "")
            text = _cell_text(c, strings)
            if text is not None and len(text) > MAX_TEXT:
                found.append(f"{sheet}!{ref}: {len(text):,} characters, more than a cell holds ({MAX_TEXT:,})")
            if ref:
                col, row_no = range_boundaries(ref)[:2]
                cells[(row_no, col)] = c
    ranges: list[tuple[str, tuple[int, int, int, int]]] = []
    for table_part in (t for rid, t in _targets(z, part).items() if "/tables/" in t):
        table = _xml(z, table_part)
        display = table.get("displayName", "")
        if not valid_name(display) or display != table.get("name", display):
            found.append(f"{sheet}: table name {display!r} is not a valid Excel name")
        if display.lower() in tables or display.lower() in names:
            found.append(f"{sheet}: table name {display!r} is used twice in the workbook")
        tables.add(display.lower())
        ref = table.get("ref", "")
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if max_row > MAX_ROWS or max_col > MAX_COLUMNS:
            found.append(f"{sheet}: table {display} ({ref}) goes past the sheet's last row or column")
        for other, box in ranges:
            if not (max_col < box[0] or min_col > box[2] or max_row < box[1] or min_row > box[3]):
                found.append(f"{sheet}: tables {other} and {display} overlap")
        ranges.append((display, (min_col, min_row, max_col, max_row)))
        columns = [c.get("name", "") for c in table.iterfind("m:tableColumns/m:tableColumn", NS)]
        if len(columns) != max_col - min_col + 1:
            found.append(f"{sheet}: table {display} has {len(columns)} table columns for {max_col - min_col + 1} "
                         f"columns of range {ref}")
        if len({c.lower() for c in columns}) != len(columns):
            found.append(f"{sheet}: table {display} names a column twice")
        if table.get("headerRowCount", "1") != "0":
            for i, name in enumerate(columns):
                cell = cells.get((min_row, min_col + i))
                header = _cell_text(cell, strings) if cell is not None else None
                if header != name:
                    found.append(f"{sheet}: table {display} column {i + 1} is named {name!r} but its header "
                                 f"cell says {header!r}")
    return found


# ---- the schemas ------------------------------------------------------------------------------

_SCHEMA_OF = (  # part name pattern -> the schema file that defines its root element
    (re.compile(r"^xl/(workbook|styles|sharedStrings|calcChain)\.xml$|^xl/(worksheets|chartsheets|tables|"
                r"comments|pivotTables|pivotCache|externalLinks)/[^/]+\.xml$|^xl/comments\d*\.xml$"), "sml.xsd"),
    (re.compile(r"^xl/drawings/[^/]+\.xml$"), "dml-spreadsheetDrawing.xsd"),
    (re.compile(r"^xl/charts/chart\d*\.xml$"), "dml-chart.xsd"),
    (re.compile(r"^xl/theme/[^/]+\.xml$"), "dml-main.xsd"),
    (re.compile(r"^docProps/app\.xml$"), "shared-documentPropertiesExtended.xsd"),
)


_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _without_ignorable(root: etree._Element) -> etree._Element:
    """The part as a reader that knows only ECMA-376 sees it (Markup Compatibility): the
    namespaces listed in mc:Ignorable dropped, each mc:AlternateContent replaced by its
    mc:Fallback. xml:space goes too: Excel writes it on text (``<t xml:space="preserve">``)
    and the first edition's schemas, which these are, do not declare it."""
    ignorable: set[str | None] = set()
    for element in root.iter():
        prefixes = element.get(f"{{{NS['mc']}}}Ignorable")
        if prefixes:
            ignorable.update(element.nsmap.get(p) for p in prefixes.split())
    for alternate in list(root.iter(f"{{{NS['mc']}}}AlternateContent")):
        fallback = alternate.find("mc:Fallback", NS)
        parent = alternate.getparent()
        index = parent.index(alternate)
        parent.remove(alternate)
        for child in reversed(list(fallback) if fallback is not None else []):
            parent.insert(index, child)
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).namespace in ignorable and element.getparent() is not None:
            element.getparent().remove(element)
            continue
        for attribute in list(element.attrib):
            namespace = etree.QName(attribute).namespace
            if namespace in ignorable or namespace == NS["mc"] or attribute == _XML_SPACE:
                del element.attrib[attribute]
    return root


def schema_errors(path: Path, folder: Path) -> list[str]:
    """Each part of the workbook at ``path`` that the ECMA-376 transitional schemas in
    ``folder`` reject, with the first reason."""
    schemas: dict[str, etree.XMLSchema] = {}
    found = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            schema_file = next((f for pattern, f in _SCHEMA_OF if pattern.match(name)), None)
            if schema_file is None:
                continue
            if schema_file not in schemas:
                schemas[schema_file] = etree.XMLSchema(etree.parse(str(folder / schema_file)))
            schema = schemas[schema_file]
            root = _without_ignorable(_xml(z, name))
            if not schema.validate(root):
                error = schema.error_log.filter_from_errors()[0]
                found.append(f"{name} line {error.line}: {error.message}")
    return found
