"""Build the Excel door from its sources: ``python -m arxl.excel.build`` (from the repository root).

It regenerates, from arxl's command registry, its UDF module and the installed xlwings:
  vba/customUI.xml       the AR tab: one button per command, plus Refresh all
  vba/arxl_buttons.bas   the one dispatcher every button calls (RunPython into arxl.excel.buttons)
  vba/xlwings_udfs.bas   the ARXL_* worksheet functions, written by xlwings' own wrapper generator
  vba/xlwings.bas        xlwings' VBA module, copied from the installed (pinned) xlwings
  vba/Dictionary.cls     xlwings' Dictionary class, needed by xlwings.bas on macOS only
  lite/main.py           the same buttons and functions for xlwings Lite (arxl.excel.lite)
  lite/requirements.txt  what xlwings Lite installs for it
and then ``workbooks/arxl.xlsm``: the blank master workbook of WORKBOOK.md, an ``xlwings.conf``
sheet, the ribbon part and a VBA project holding those modules, built with ms-ovba (its
document and standard modules as they are; the class module and the stream compression are
arxl's, see ``_class_module`` and ``ovba_compress``).
Nothing in ``vba/`` or ``lite/`` is edited by hand except their README.md: change the registry or
the UDFs and rebuild. ``--wheel`` also builds arxl's pure-Python wheel, which xlwings Lite installs.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import io
import os
import re
import sys
import tempfile
import types
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import xlwings

from arxl.book.files import new_workbook
from arxl.book.package import MASTER
from arxl.commands.registry import COMMANDS, REFRESH
from arxl.excel.buttons import REFRESH_ALL, REFRESH_LABEL

CUSTOMUI_NS = "http://schemas.microsoft.com/office/2006/01/customui"
CUSTOMUI_REL = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
CUSTOMUI_PART = "customUI/customUI.xml"
VBA_PART = "xl/vbaProject.bin"
UDF_MODULE = "arxl.excel.udfs"
DISPATCHER = "ArxlButton"
BUTTON_PREFIX = "arxl_"
VBA_MODULES = ("xlwings", "arxl_buttons", "xlwings_udfs")  # standard modules of the built project
VBA_CLASSES = ("Dictionary",)  # class modules of the built project
CONF_SHEET = "xlwings.conf"
# Fixed, so that the same sources always give the same vbaProject.bin.
PROJECT_ID = "{6F0E2C3A-4B1D-4E8A-9C57-2D3A1B0E4F61}"
CRYPT_SEED = 0x4152584C  # "ARXL": seeds the obfuscation of CMG/DPB/GC (MS-OVBA 2.4.3), which Excel randomises
# As Excel writes them (compared with xlwings' Excel-saved quickstart projects, tests/fixtures/vba):
SYSKIND_WIN32 = 1  # PROJECTSYSKIND: 32-bit Windows, as 32-bit Excel and vbamc write; the project holds
#                    no compiled code, so 32- and 64-bit Excel alike compile it from source
COMPAT_VERSION = 5  # PROJECTCOMPATVERSION, as Excel 365 writes it
VERSION_COMPATIBLE32 = "393222000"  # the PROJECT stream's VersionCompatible32, as every Excel writes it
WORKBOOK_GUID = uuid.UUID("00020819-0000-0000-C000-000000000046")  # ThisWorkbook's type
WORKSHEET_GUID = uuid.UUID("00020820-0000-0000-C000-000000000046")  # a Worksheet's type
CLASS_GUID = "FCFB3D2A-A0FA-1068-A738-08002B3371B5"  # VB_Base of a class module
CONF_ROWS = [  # read by xlwings.bas from A1 down; a blank row ends the settings
    ("Interpreter_Win", "python"),
    ("Interpreter_Mac", ""),
    ("PYTHONPATH", ""),
    ("Conda Path", ""),
    ("Conda Env", ""),
    ("UDF Modules", UDF_MODULE),
    ("Use UDF Server", False),
    ("Show Console", False),
]
CONF_NOTES = [
    "How arxl's buttons and ARXL_ functions find Python (xlwings settings; see vba/README.md):",
    ("Interpreter_Win: the full path of the python.exe that has arxl installed, e.g. "
     "C:\\Users\\you\\arxl\\.venv\\Scripts\\python.exe. Plain 'python' can start Windows' Microsoft Store "
     "stand-in instead of Python."),
    "Interpreter_Mac: the same on a Mac, e.g. /Users/you/arxl/.venv/bin/python "
    "(and run 'xlwings runpython install' once).",
    "UDF Modules must stay arxl.excel.udfs. Leave the other settings blank unless IT asks otherwise.",
]


@dataclass(frozen=True)
class Button:
    id: str  # the ribbon control id: arxl_<command id>
    command: str  # what b.click() receives: a command id, or "refresh"
    label: str
    icon: str
    tooltip: str


def ribbon_buttons() -> list[Button]:
    """The AR tab's buttons: the refresh commands in their order, the other commands, then
    Refresh all."""
    commands = COMMANDS
    if REFRESH_ALL in commands:
        raise ValueError(f"a command may not be called {REFRESH_ALL!r}: that is the Refresh all button")
    order = list(REFRESH)
    ids = order + sorted(c for c in commands if c not in order)
    buttons = [Button(BUTTON_PREFIX + c, c, commands[c].label, commands[c].icon, commands[c].tooltip) for c in ids]
    buttons.append(Button(BUTTON_PREFIX + REFRESH_ALL, REFRESH_ALL, REFRESH_LABEL, "Refresh",
                          "Run " + ", then ".join(commands[c].label for c in order)
                          + ", as the arxl refresh command does"))
    return buttons


def ribbon_xml(buttons: list[Button]) -> str:
    """The customUI part (the 2006 schema, which openpyxl keeps with its relationship)."""
    ET.register_namespace("", CUSTOMUI_NS)
    q = f"{{{CUSTOMUI_NS}}}"
    root = ET.Element(q + "customUI")
    tab = ET.SubElement(ET.SubElement(ET.SubElement(root, q + "ribbon"), q + "tabs"), q + "tab",
                        id="arxlTab", label="AR")
    group = ET.SubElement(tab, q + "group", id="arxlReceivables", label="Receivables")
    for b in buttons:
        ET.SubElement(group, q + "button", id=b.id, label=b.label, imageMso=b.icon, size="large",
                      screentip=b.label, supertip=b.tooltip, onAction=DISPATCHER)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _vba_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def dispatcher_vba(buttons: list[Button]) -> str:
    lines = [
        'Attribute VB_Name = "arxl_buttons"',
        "' The AR tab's buttons. Generated by `python -m arxl.excel.build` from arxl's command registry:",
        "' do not edit, rebuild. Each button passes its id here; Python does all the work.",
        "Option Explicit",
        "",
        f"Public Sub {DISPATCHER}(control As Object)",
        "    Select Case control.Id",
    ]
    for b in buttons:
        lines.append(f"        Case {_vba_string(b.id)}")
        lines.append(f"            RunPython {_vba_string(f'import arxl.excel.buttons as b; b.click({b.command!r})')}")
    lines += [
        "        Case Else",
        '            MsgBox "This workbook\'s macros do not know the button " & control.Id & _',
        '                ". Rebuild the workbook (python -m arxl.excel.build).", vbCritical, "arxl"',
        "    End Select",
        "End Sub",
    ]
    return "\r\n".join(lines) + "\r\n"


def crlf(text: str) -> str:
    """VBA source as the VBA editor imports it: every line ending CRLF. (An LF-only .cls is
    imported as a standard module with its VERSION/BEGIN header left as code.)"""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


@contextlib.contextmanager
def _udf_decorators():
    """The UDF module as xlwings on Windows sees it. Elsewhere ``@xw.func`` does nothing, so the
    real decorators of ``xlwings.udfs`` are lent to ``xlwings`` while a private copy of the
    module is loaded; that module imports pywin32 at the top, for which empty stand-ins are
    given where it is not installed (the wrapper generator itself never calls it)."""
    stand_ins = {}
    if "pythoncom" not in sys.modules and importlib.util.find_spec("pythoncom") is None:
        stand_ins = {name: types.ModuleType(name)
                     for name in ("pythoncom", "pywintypes", "win32com", "win32com.client")}
        stand_ins["pythoncom"].CoInitialize = None
        stand_ins["win32com.client"].Dispatch = None
        sys.modules.update(stand_ins)
    had_udfs = "xlwings.udfs" in sys.modules
    saved = {name: getattr(xlwings, name) for name in ("func", "arg", "ret")}
    try:
        udfs = importlib.import_module("xlwings.udfs")
        xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
        spec = importlib.util.find_spec(UDF_MODULE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield udfs, module
    finally:
        for name, value in saved.items():
            setattr(xlwings, name, value)
        for name in stand_ins:
            del sys.modules[name]
        if stand_ins and not had_udfs:
            sys.modules.pop("xlwings.udfs", None)


def udf_functions() -> dict[str, dict]:
    """Each ARXL_ function's ``__xlfunc__`` description, as xlwings on Windows records it."""
    with _udf_decorators() as (_, module):
        return {name: obj.__xlfunc__ for name in dir(module) if hasattr(obj := getattr(module, name), "__xlfunc__")}


def udf_wrappers_vba(workbook_name: str = "arxl.xlsm") -> str:
    """``xlwings_udfs.bas`` exactly as xlwings' Import Functions (the ImportPythonUDFs macro) writes it."""
    out = io.StringIO()
    out.write('Attribute VB_Name = "xlwings_udfs"\n')
    out.write("'Autogenerated code by xlwings - changes will be lost with next import!\n")
    out.write("#Const App = \"Microsoft Excel\" 'Adjust when using outside of Excel\n")
    with _udf_decorators() as (udfs, module):
        udfs.generate_vba_wrapper(UDF_MODULE, module, out, types.SimpleNamespace(Name=workbook_name))
    return crlf(out.getvalue())


def xlwings_vba() -> str:
    return (Path(xlwings.__file__).parent / "xlwings.bas").read_text(encoding="ascii")


def dictionary_cls() -> str:
    return (Path(xlwings.__file__).parent / "addin" / "Dictionary.cls").read_text(encoding="ascii")


LITE_HEADER = '''"""arxl in xlwings Lite: paste this file into xlwings Lite's main.py, and lite/requirements.txt
into its requirements.txt (see lite/README.md).

Generated by `python -m arxl.excel.build` from arxl's command registry and its ARXL_ functions:
do not edit, rebuild. One script per button of the AR tab; each runs the same command as the
button and the `arxl` command line. In xlwings Lite, arxl reads bank files from and writes memo
PDFs to xlwings Lite's own folder (Files > Import/Export), shows no progress in the status bar,
and reads dates handed to the ARXL_ functions as serial numbers of the 1900 date system.
"""
import xlwings as xw
from xlwings import arg, func, script

from arxl.excel import lite, udfs
'''


def _py_string(text: str) -> str:
    return repr(text)


def lite_main_py() -> str:
    """``lite/main.py``: one ``@script`` per ribbon button, and each ARXL_ function as a
    ``@func`` that calls the same Python function as the Windows wrapper, without the
    arguments the Windows wrapper fills in from VBA (the workbook's date system)."""
    out = [LITE_HEADER.rstrip("\n")]
    for b in ribbon_buttons():  # named as the ribbon's controls (a command id may be a keyword: import)
        out += ["", "", f"@script(name={_py_string(b.label)})",
                f"def {b.id}(book: xw.Book):",
                f"    {_py_string(b.tooltip)}",
                f"    lite.run(book, {b.command!r})"]
    for name, info in sorted(udf_functions().items()):
        given = [a for a in info["args"] if not a["vba"]]
        out += ["", "", "@func"]
        for a in given:
            options = "".join(f", {k}={v!r}" for k, v in sorted(a["options"].items()) if k == "ndim")
            out.append(f"@arg({a['name']!r}{options}, doc={_py_string(a['doc'])})")
        params = ", ".join(a["name"] + ("=None" if "optional" in a else "") for a in given)
        out += [f"def {name}({params}):",
                f"    {_py_string(info['ret']['doc'])}",
                f"    return udfs.{name}({', '.join(a['name'] for a in given)})"]
    return "\n".join(out) + "\n"


def lite_requirements() -> str:
    """``lite/requirements.txt``: arxl, whose own requirements micropip resolves (pandas, numpy
    and lxml are Pyodide's; openpyxl, defusedxml and reportlab are pure Python; rapidfuzz and
    the Windows-only xlwings pin are left out on Pyodide by their environment markers)."""
    from arxl import __version__

    return ("# Add to xlwings Lite's requirements.txt, below its own xlwings line (see lite/README.md).\n"
            "# arxl is not on PyPI: put the wheel that `python -m arxl.excel.build --wheel` writes\n"
            f"# (dist/arxl-{__version__}-py3-none-any.whl) on your organisation's package index, or give\n"
            "# the web address where Excel can fetch it instead of the name below.\n"
            f"arxl=={__version__}\n")


def write_sources(vba_dir: Path) -> dict[str, Path]:
    """Regenerate every generated file of ``vba_dir``; returns them by name."""
    vba_dir.mkdir(parents=True, exist_ok=True)
    buttons = ribbon_buttons()
    texts = {
        "customUI.xml": ribbon_xml(buttons),
        "arxl_buttons.bas": dispatcher_vba(buttons),
        "xlwings_udfs.bas": udf_wrappers_vba(),
        "xlwings.bas": xlwings_vba(),
        "Dictionary.cls": dictionary_cls(),
    }
    written = {}
    for name, text in texts.items():
        if name.endswith((".bas", ".cls")):
            text.encode("ascii")  # the VBA project is stored in code page 1252; keep to ASCII
            text = crlf(text)
        path = vba_dir / name
        path.write_bytes(text.encode("utf-8"))
        written[name] = path
    return written


def ovba_compress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 compression (how VBA source and the dir stream are stored). arxl does its
    own because ms_ovba_compression 1.0.1 computes the longest copy as (0xFFFF << n) + 3 where
    the spec says (0xFFFF >> n) + 3, so any repeat longer than a copy token can hold spills into
    the offset bits and Excel or oletools would read garbage."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        chunk = data[start:start + CHUNK]
        body = _compress_chunk(chunk)
        if len(body) > CHUNK:
            if len(chunk) < CHUNK:  # only a full chunk may be stored raw
                raise ValueError("a VBA module's last 4 KB does not compress; it is not VBA source")
            out += (0x3000 | (CHUNK - 1)).to_bytes(2, "little") + chunk
        else:
            out += (0xB000 | (len(body) - 1)).to_bytes(2, "little") + body
    return bytes(out)


CHUNK = 4096
_MATCH_CANDIDATES = 64  # the most recent places a 3-byte prefix occurred that are tried


def _compress_chunk(chunk: bytes) -> bytes:
    body = bytearray()
    seen: dict[bytes, list[int]] = {}
    pos, n = 0, len(chunk)
    while pos < n:
        flag_at = len(body)
        body.append(0)
        for bit in range(8):
            if pos >= n:
                break
            bit_count = max(4, (pos - 1).bit_length()) if pos else 4
            max_length = (0xFFFF >> bit_count) + 3
            best_length, best_offset = 0, 0
            for candidate in reversed(seen.get(chunk[pos:pos + 3], [])[-_MATCH_CANDIDATES:]):
                length = 0
                limit = min(max_length, n - pos)
                while length < limit and chunk[candidate + length] == chunk[pos + length]:
                    length += 1
                if length > best_length:
                    best_length, best_offset = length, pos - candidate
            step = 1
            if best_length >= 3:
                token = ((best_offset - 1) << (16 - bit_count)) | (best_length - 3)
                body += token.to_bytes(2, "little")
                body[flag_at] |= 1 << bit
                step = best_length
            else:
                body.append(chunk[pos])
            for p in range(pos, pos + step):
                seen.setdefault(chunk[p:p + 3], []).append(p)
            pos += step
    return bytes(body)


@contextlib.contextmanager
def _fixed_compression():
    """Lend ``ovba_compress`` to the ms-ovba modules that compress streams."""
    from ms_ovba.Models.Entities import doc_module, module_base
    from ms_ovba.Views import dirStream

    class Compressor:
        def compress(self, data: bytes) -> bytes:
            return ovba_compress(data)

    users = (doc_module, module_base, dirStream)
    saved = [m.MsOvba for m in users]
    for m in users:
        m.MsOvba = Compressor
    try:
        yield
    finally:
        for m, original in zip(users, saved):
            m.MsOvba = original


@contextlib.contextmanager
def _as_excel_writes():
    """The dir stream's PROJECTSYSKIND and PROJECTCOMPATVERSION records as Excel writes them
    (ms-ovba 0.0.1 writes 64-bit Windows and compatibility version 3)."""
    from ms_ovba.Views.dirStream import DirStream, IdSizeField

    original = DirStream._load_information
    values = {1: SYSKIND_WIN32, 74: COMPAT_VERSION}

    def load_information(self):
        return [IdSizeField(r._id, r._size, values[r._id]) if isinstance(r, IdSizeField) and r._id in values else r
                for r in original(self)]

    DirStream._load_information = load_information
    try:
        yield
    finally:
        DirStream._load_information = original


@contextlib.contextmanager
def _seeded_encryption():
    """CMG, DPB and GC are obfuscated with a random seed byte and random filler (MS-OVBA 2.4.3):
    ms_ovba_crypto draws them from the ``random`` module. A generator with a fixed seed is lent
    to it while the project is written, so that the same sources give the same bytes."""
    import random

    from ms_ovba_crypto import ms_ovba_crypto

    ms_ovba_crypto.random = random.Random(CRYPT_SEED)
    try:
        yield
    finally:
        ms_ovba_crypto.random = random


def _class_module(name: str):
    """ms-ovba writes standard and document modules only. A class module differs from a
    document module in two places (MS-OVBA 2.3.1.8 and 2.3.4.2.3.2.8): the PROJECT stream names
    it ``Class=`` instead of ``Document=``, and its source is the .cls text after the
    VERSION/BEGIN/END header; the dir stream record (type 0x0022) is the same."""
    from ms_ovba.Models.Entities.doc_module import DocModule

    class ClassModule(DocModule):
        def to_project_module_string(self) -> str:
            return "Class=" + self.modName.value

        def normalize_file(self) -> None:
            # as Excel itself stores a class: VB_Base after VB_Name, and two more attributes
            # after VB_Exposed (compared with the Dictionary class in xlwings' quickstart workbook)
            lines = Path(self._file_path).read_text(encoding="ascii").splitlines()
            body = lines[lines.index("END") + 1:]
            body.insert(1, f'Attribute VB_Base = "0{{{CLASS_GUID}}}"')
            exposed = next(i for i, line in enumerate(body) if line.startswith("Attribute VB_Exposed"))
            body[exposed + 1:exposed + 1] = ["Attribute VB_TemplateDerived = False",
                                             "Attribute VB_Customizable = False"]
            Path(self._file_path + ".new").write_bytes(("\r\n".join(body) + "\r\n").encode("ascii"))

    return ClassModule(name)


def vba_project_bin(vba_dir: Path, sheet_code_names: list[str]) -> bytes:
    """A vbaProject.bin with ThisWorkbook, one document module per sheet, and the standard and
    class modules of ``vba_dir``. Source only, like xlwings' own quickstart workbooks: Excel
    compiles it on first open."""
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.reference import Reference
    from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.Models.Fields.libid_reference import LibidReference
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba.Views.project_ole_file import ProjectOleFile

    project = VbaProject()
    project.project_id = PROJECT_ID
    project.include_projectwm()  # module names in Unicode, as Excel writes them
    project.include_compat()
    project.add_attribute("VersionCompatible32", VERSION_COMPATIBLE32)
    sources = {name: (vba_dir / f"{name}.bas").read_text(encoding="utf-8") for name in VBA_MODULES}
    classes = {name: (vba_dir / f"{name}.cls").read_bytes() for name in VBA_CLASSES}
    # ms-ovba writes its pieces into the working directory; keep them out of the repository
    with (tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp), _fixed_compression(), _as_excel_writes(),
          _seeded_encryption()):
        for name, guid in [("ThisWorkbook", WORKBOOK_GUID), *[(n, WORKSHEET_GUID) for n in sheet_code_names]]:
            Path(f"{name}.cls").write_text(
                "VERSION 1.0 CLASS\nBEGIN\n  MultiUse = -1  'True\nEND\n"
                f'Attribute VB_Name = "{name}"\nAttribute VB_GlobalNameSpace = False\n'
                "Attribute VB_Creatable = False\nAttribute VB_PredeclaredId = True\n"
                "Attribute VB_Exposed = True\n", encoding="ascii")
            module = DocModule(name)
            module.add_file(f"{name}.cls")
            module.add_guid(guid)
            module.normalize_file()
            project.add_module(module)
        for name, text in sources.items():
            Path(f"{name}.bas").write_text(text.replace("\r\n", "\n"), encoding="ascii")
            module = StdModule(name)
            module.add_file(f"{name}.bas")
            module.normalize_file()
            project.add_module(module)
        for name, data in classes.items():
            Path(f"{name}.cls").write_bytes(data)
            module = _class_module(name)
            module.add_file(f"{name}.cls")
            module.normalize_file()
            project.add_module(module)
        for libid, version, path, description, ref_name in (
                ("00020430-0000-0000-C000-000000000046", "2.0", "C:\\Windows\\System32\\stdole2.tlb",
                 "OLE Automation", "stdole"),
                ("2DF8D04C-5BFA-101B-BDE5-00AA0044DE52", "2.0",
                 "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL",
                 "Microsoft Office 16.0 Object Library", "Office")):
            registered = ReferenceRegistered(LibidReference(uuid.UUID(libid), version, "0", path, description))
            project.add_reference(Reference(registered, ref_name))
        ProjectOleFile.write_file(project)
        return Path("vbaProject.bin").read_bytes()


def _package_parts(vba_bin: bytes, ribbon: str) -> zipfile.ZipFile:
    """What openpyxl's ``vba_archive`` carries into a saved .xlsm: the VBA project, the ribbon
    part and the root relationship that points at it (openpyxl keeps exactly these on every
    later save too, which is why the headless refresh keeps the ribbon)."""
    parts = zipfile.ZipFile(io.BytesIO(), "a", zipfile.ZIP_DEFLATED)
    parts.writestr(VBA_PART, vba_bin)
    parts.writestr(CUSTOMUI_PART, ribbon.encode("utf-8"))
    parts.writestr("_rels/.rels", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="arxlRibbon" Type="{CUSTOMUI_REL}" Target="{CUSTOMUI_PART}"/>'
        "</Relationships>"))
    parts.writestr("[Content_Types].xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'))
    return parts


def code_names(sheet_count: int) -> list[str]:
    """The VBA code names of a workbook's sheets, in order (the VBA project has one document
    module for each)."""
    return [f"Sheet{i}" for i in range(1, sheet_count + 1)]


def write_macro_workbook(target: Path, vba_bin: bytes, ribbon: str, project_sheets: int,
                         rows: dict[str, list[dict]] | None = None, settings: dict[str, object] | None = None) -> Path:
    """A master workbook (``rows`` and ``settings`` as ``new_workbook`` takes them) with the
    xlwings.conf sheet, the ribbon and the VBA project ``vba_bin``, whose document modules are
    ThisWorkbook and Sheet1 to Sheet<project_sheets>, one for every sheet. Written atomically,
    and the same bytes for the same content (see ``_reproducible``)."""
    import openpyxl

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        blank = Path(tmp) / "blank.xlsx"
        new_workbook(blank, rows=rows, settings=settings)
        wb = openpyxl.load_workbook(blank)
        conf = wb.create_sheet(CONF_SHEET)
        for row in CONF_ROWS:
            conf.append(list(row))
        conf.append([])
        conf.append([])
        for note in CONF_NOTES:
            conf.append([note])
        conf.column_dimensions["A"].width = 18
        conf.column_dimensions["B"].width = 40
        wb.code_name = "ThisWorkbook"
        names = code_names(len(wb.worksheets))
        if len(names) != project_sheets:
            raise ValueError(f"the VBA project has modules for {project_sheets} sheets, the workbook has "
                             f"{len(names)}: rebuild the master workbook (python -m arxl.excel.build)")
        for ws, name in zip(wb.worksheets, names):
            ws.sheet_properties.codeName = name
        wb.vba_archive = _package_parts(vba_bin, ribbon)
        fd, staged = tempfile.mkstemp(prefix=f".~arxl-{target.stem}-", suffix=target.suffix, dir=target.parent)
        os.close(fd)
        try:
            wb.save(staged)
            _reproducible(Path(staged))
            os.replace(staged, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staged)
    return target


def build_workbook(vba_dir: Path, target: Path) -> Path:
    """``target`` (an .xlsm) from the sources in ``vba_dir``: the blank master workbook, the
    xlwings.conf sheet, the ribbon and the VBA project."""
    from arxl.contract import NEW_BOOK_SHEETS

    sheets = len(NEW_BOOK_SHEETS) + 1  # and xlwings.conf
    vba_bin = vba_project_bin(vba_dir, code_names(sheets))
    return write_macro_workbook(target, vba_bin, (vba_dir / "customUI.xml").read_text(encoding="utf-8"), sheets)


def write_new_xlsm(target: Path, master: Path = MASTER) -> Path:
    """A blank master workbook with the AR tab (``arxl new x.xlsm``): the master's macros,
    ribbon and xlwings.conf sheet over empty tables."""
    if not Path(master).is_file():
        raise FileNotFoundError(f"the master workbook {master} is not here (it is workbooks/arxl.xlsm in arxl's "
                                f"repository)")
    return write_macro_workbook(target, *master_parts(master))


def write_demo_xlsm(target: Path, master: Path = MASTER, seed: int = 7, **sizes: int) -> Path:
    """The demo workbook (``arxl demo``) as a macro-enabled copy of the master workbook: its
    tables hold the demo world, and the AR tab, the macros and xlwings.conf are the master's,
    byte for byte, so the buttons can be tried on the demo data."""
    from arxl.demo import DEMO_AS_OF, chain_history, demo_rows

    if not Path(master).is_file():
        raise FileNotFoundError(f"the master workbook {master} is not here (it is workbooks/arxl.xlsm in arxl's "
                                f"repository): give its path with --master")
    vba_bin, ribbon, sheets = master_parts(master)
    rows, settings = demo_rows(seed, DEMO_AS_OF, **sizes)
    written = write_macro_workbook(target, vba_bin, ribbon, sheets, rows=rows, settings=settings)
    return chain_history(written, DEMO_AS_OF)


def master_parts(master: Path) -> tuple[bytes, str, int]:
    """The VBA project, the ribbon and the number of sheets of a built master workbook
    (``workbooks/arxl.xlsm``), to give another workbook of the same sheets the AR tab."""
    import openpyxl

    with zipfile.ZipFile(master) as z:
        names = set(z.namelist())
        if VBA_PART not in names or CUSTOMUI_PART not in names:
            raise ValueError(f"{master} holds no arxl macros and ribbon: give the master workbook workbooks/arxl.xlsm")
        vba_bin, ribbon = z.read(VBA_PART), z.read(CUSTOMUI_PART).decode("utf-8")
    wb = openpyxl.load_workbook(master, read_only=True, keep_vba=False)
    try:
        return vba_bin, ribbon, len(wb.sheetnames)
    finally:
        wb.close()


ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold: "no time"
_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def _reproducible(path: Path) -> None:
    """The same workbook content as the same bytes: openpyxl stamps the save time into every
    zip entry and into docProps/core.xml, and writes the parts it carries over (the VBA project,
    the ribbon) in the order of a Python set. The times are set to 1980-01-01 (the zip epoch)
    and the parts ordered by name, [Content_Types].xml first as Excel writes it."""
    with zipfile.ZipFile(path) as z:
        parts = sorted(((info, z.read(info)) for info in z.infolist()),
                       key=lambda part: (part[0].filename != "[Content_Types].xml", part[0].filename))
    with zipfile.ZipFile(path, "w") as out:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                data = _CORE_DATES.sub(rb"\g<1>1980-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            out.writestr(fixed, data)


def write_lite_sources(lite_dir: Path) -> dict[str, Path]:
    """Regenerate ``lite/main.py`` and ``lite/requirements.txt``; returns them by name."""
    lite_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, text in {"main.py": lite_main_py(), "requirements.txt": lite_requirements()}.items():
        path = lite_dir / name
        path.write_bytes(text.encode("utf-8"))
        written[name] = path
    return written


def build_wheel(root: Path, dist: Path) -> Path:
    """arxl's pure-Python wheel (py3-none-any), as xlwings Lite installs it, from the project at
    ``root``; built by pip with the project's own build backend."""
    import subprocess

    dist.mkdir(parents=True, exist_ok=True)
    before = set(dist.glob("arxl-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(root)],
                   check=True)
    from arxl import __version__

    wheel = dist / f"arxl-{__version__}-py3-none-any.whl"
    if not wheel.exists():
        made = ", ".join(p.name for p in set(dist.glob("arxl-*.whl")) - before) or "nothing"
        raise RuntimeError(f"pip wheel made {made}, not a pure-Python wheel {wheel.name}")
    return wheel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m arxl.excel.build", description=__doc__.splitlines()[0])
    parser.add_argument("--vba", type=Path, default=Path("vba"), help="where the VBA sources go (default: vba)")
    parser.add_argument("--workbook", type=Path, default=Path("workbooks/arxl.xlsm"),
                        help="the workbook to build (default: workbooks/arxl.xlsm)")
    parser.add_argument("--lite", type=Path, default=Path("lite"),
                        help="where the xlwings Lite main.py and requirements.txt go (default: lite)")
    parser.add_argument("--wheel", type=Path, nargs="?", const=Path("dist"), default=None, metavar="DIR",
                        help="also build arxl's pure-Python wheel for xlwings Lite into DIR (default: dist)")
    args = parser.parse_args(argv)
    written = write_sources(args.vba)
    lite_written = write_lite_sources(args.lite)
    target = build_workbook(args.vba, args.workbook)
    buttons = ribbon_buttons()
    print(f"Wrote {', '.join(sorted(written))} in {args.vba}/ (xlwings {xlwings.__version__}).")
    print(f"Wrote {', '.join(sorted(lite_written))} in {args.lite}/ (xlwings Lite).")
    if args.wheel is not None:
        print(f"Built {build_wheel(Path.cwd(), args.wheel)}.")
    print(f"Built {target}: {len(buttons)} buttons ({', '.join(b.label for b in buttons)}), "
          f"{len(udf_functions())} ARXL_ functions.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
