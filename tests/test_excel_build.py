"""The Excel door's generated artefacts, checked without Excel: the ribbon and the dispatcher
agree with the command registry, the UDF wrappers with the Python signatures, and the built
workbook holds its tables, ribbon and VBA project, also after a headless refresh."""
from __future__ import annotations

import inspect
import io
import random
import re
import shutil
import struct
import subprocess
import tomllib
import zipfile
from pathlib import Path

import defusedxml.ElementTree as SafeET
import olefile
import openpyxl
import pytest
import xlwings
from oletools.olevba import VBA_Parser, decompress_stream

from arxl import cli
from arxl.commands.registry import COMMANDS, REFRESH
from arxl.contract import NEW_BOOK_SHEETS, TABLES
from arxl.excel import build, udfs
from arxl.excel.buttons import REFRESH_ALL

ROOT = Path(__file__).resolve().parents[1]
VBA = ROOT / "vba"
COMMITTED = ROOT / "workbooks" / "arxl.xlsm"
NS = {"ui": build.CUSTOMUI_NS}
GENERATED = ("customUI.xml", "arxl_buttons.bas", "xlwings_udfs.bas", "xlwings.bas", "Dictionary.cls")


def ribbon_buttons(xml: bytes | str):
    root = SafeET.fromstring(xml)
    assert root.tag == f"{{{build.CUSTOMUI_NS}}}customUI"
    [tab] = root.findall("ui:ribbon/ui:tabs/ui:tab", NS)
    assert tab.get("label") == "AR"
    return tab.findall(".//ui:button", NS)


def dispatcher_cases(bas: str) -> dict[str, str]:
    """control id -> the id handed to b.click(), as the VBA dispatcher maps them."""
    return dict(re.findall(r'Case "([^"]+)"\s*\r?\n\s*RunPython "import arxl\.excel\.buttons as b; '
                           r"b\.click\('([^']+)'\)\"", bas))


# ---- registry -> ribbon -> dispatcher ---------------------------------------------------------

def test_every_command_has_a_button_and_refresh_all_comes_last():
    buttons = ribbon_buttons(build.ribbon_xml(build.ribbon_buttons()))
    commands = COMMANDS
    assert [b.get("id") for b in buttons] == (
        [build.BUTTON_PREFIX + c for c in list(REFRESH)]
        + [build.BUTTON_PREFIX + c for c in sorted(set(commands) - set(list(REFRESH)))]
        + [build.BUTTON_PREFIX + REFRESH_ALL])
    for b in buttons[:-1]:
        command = commands[b.get("id").removeprefix(build.BUTTON_PREFIX)]
        assert (b.get("label"), b.get("imageMso"), b.get("supertip")) == (command.label, command.icon, command.tooltip)
    assert buttons[-1].get("label") == "Refresh all"


def test_every_button_calls_the_one_dispatcher_which_knows_its_id():
    listed = build.ribbon_buttons()
    buttons = ribbon_buttons(build.ribbon_xml(listed))
    cases = dispatcher_cases(build.dispatcher_vba(listed))
    assert {b.get("onAction") for b in buttons} == {build.DISPATCHER}
    assert f"Public Sub {build.DISPATCHER}(control As Object)" in build.dispatcher_vba(listed)
    assert list(cases) == [b.get("id") for b in buttons]
    for control, clicked in cases.items():
        assert control == build.BUTTON_PREFIX + clicked
        assert clicked in COMMANDS or clicked == REFRESH_ALL


def test_a_new_command_gets_its_button_without_editing_xml_or_vba(monkeypatch):
    from arxl.commands import registry

    monkeypatch.setitem(registry.COMMANDS, "dunning", registry.Command(
        "dunning", "Send reminders", "EnvelopesAndLabels", "Write reminder letters for overdue invoices",
        lambda book, ctx: registry.Outcome("done")))
    listed = build.ribbon_buttons()
    ids = [b.get("id") for b in ribbon_buttons(build.ribbon_xml(listed))]
    assert "arxl_dunning" in ids
    assert dispatcher_cases(build.dispatcher_vba(listed))["arxl_dunning"] == "dunning"


def test_labels_with_markup_characters_stay_well_formed(monkeypatch):
    from arxl.commands import registry

    monkeypatch.setitem(registry.COMMANDS, "odd", registry.Command(
        "odd", 'Write-offs < 5 & "small"', "Delete", "Tooltip with <tags> & 'quotes'",
        lambda book, ctx: registry.Outcome("done")))
    [odd] = [b for b in ribbon_buttons(build.ribbon_xml(build.ribbon_buttons())) if b.get("id") == "arxl_odd"]
    assert odd.get("label") == 'Write-offs < 5 & "small"'


# ---- UDF wrappers -------------------------------------------------------------------------------

def udf_declarations(bas: str) -> dict[str, list[str]]:
    return {name: [a.strip() for a in args.split(",") if a.strip()]
            for name, args in re.findall(r"^Function (\w+)\(([^)]*)\)", bas, flags=re.MULTILINE)}


def test_udf_wrappers_match_the_python_signatures():
    declared = udf_declarations((VBA / "xlwings_udfs.bas").read_text(encoding="utf-8"))
    functions = {n: f for n, f in vars(udfs).items() if n.startswith("ARXL_") and callable(f)}
    assert set(declared) == set(functions) >= {"ARXL_DAYSPASTDUE", "ARXL_BUCKET", "ARXL_DUEDATE",
                                              "ARXL_DISCOUNT", "ARXL_CUSTOMER", "ARXL_MATCH"}
    handed_by_vba = {name: {a["name"] for a in info["args"] if a["vba"]} for name, info in build.udf_functions().items()}
    for name, f in functions.items():
        expected = [("Optional " if p.default is not inspect.Parameter.empty else "") + p.name
                    for p in inspect.signature(f).parameters.values() if p.name not in handed_by_vba[name]]
        assert declared[name] == expected, name
    bas = (VBA / "xlwings_udfs.bas").read_text(encoding="utf-8")
    for name, args in declared.items():
        call = ", ".join([a.removeprefix("Optional ") for a in args]
                         + [a["vba"] for a in build.udf_functions()[name]["args"] if a["vba"]])
        assert f'XLPy.CallUDF("{build.UDF_MODULE}", "{name}", Array({call}), ThisWorkbook, Application.Caller)' in bas


def test_udf_descriptions_reach_the_insert_function_dialog():
    described = build.udf_functions()
    for name, info in described.items():
        assert info["category"] == "arxl"
        assert info["ret"]["doc"] == inspect.getdoc(getattr(udfs, name))
        assert all(not a["doc"].startswith("Positional argument") for a in info["args"] if not a["vba"]), name


# ---- the sources in vba/ --------------------------------------------------------------------------

def test_vba_sources_are_up_to_date_with_the_registry_udfs_and_xlwings(tmp_path):
    build.write_sources(tmp_path)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (VBA / name).read_bytes(), f"vba/{name} is stale: rebuild"


def test_the_xlwings_module_is_the_pinned_version():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [pin] = [d for d in pyproject["project"]["dependencies"] if d.startswith("xlwings")]
    assert pin.split(";")[0].strip() == f"xlwings=={xlwings.__version__}"
    assert f"'Version: {xlwings.__version__}" in (VBA / "xlwings.bas").read_text(encoding="ascii")


@pytest.mark.parametrize("data", [
    b"", b"x", bytes(range(256)) * 40, b"abc" * 5000, b"\0" * 4097,
    bytes(random.Random(1).getrandbits(8) for _ in range(9000)),
])
def test_vba_compression_reads_back_as_written(data):
    assert bytes(decompress_stream(bytearray(build.ovba_compress(data)))) == data


def test_vba_compression_shrinks_real_vba_source():
    source = (VBA / "xlwings.bas").read_bytes()
    packed = build.ovba_compress(source)
    assert len(packed) < len(source) / 2
    assert bytes(decompress_stream(bytearray(packed))) == source


# ---- the built workbook ---------------------------------------------------------------------------

def vba_modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


def check_workbook(path: Path) -> None:
    """Everything a clerk's Excel needs, as a file: tables, xlwings.conf, ribbon, VBA."""
    wb = openpyxl.load_workbook(path, keep_vba=True)
    tables = {t.displayName: (ws, t) for ws in wb.worksheets for t in ws.tables.values()}
    for name, spec in TABLES.items():
        if name not in NEW_BOOK_SHEETS:
            continue
        ws, _ = tables[name]
        headers = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))][:len(spec.columns)]
        assert headers == spec.names, name
    conf = {r[0]: r[1] for r in wb[build.CONF_SHEET].iter_rows(min_row=1, max_row=len(build.CONF_ROWS), values_only=True)}
    assert conf["UDF Modules"] == build.UDF_MODULE and "Interpreter_Win" in conf
    assert wb[build.CONF_SHEET]["A1"].value == "Interpreter_Win"
    assert wb[build.CONF_SHEET].cell(len(build.CONF_ROWS) + 1, 1).value is None  # the settings end here
    assert wb.code_name == "ThisWorkbook"
    with zipfile.ZipFile(path) as z:
        rels = SafeET.fromstring(z.read("_rels/.rels"))
        [ribbon] = [r for r in rels if r.get("Type") == build.CUSTOMUI_REL]
        assert ribbon.get("Target") == build.CUSTOMUI_PART
        assert z.read(build.CUSTOMUI_PART) == (VBA / "customUI.xml").read_bytes()
        workbook_rels = z.read("xl/_rels/workbook.xml.rels").decode()
        assert "relationships/vbaProject" in workbook_rels and 'Target="vbaProject.bin"' in workbook_rels
        assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in z.read("[Content_Types].xml")
    modules = vba_modules(path)
    for name in build.VBA_MODULES:
        written = (VBA / f"{name}.bas").read_text(encoding="ascii").replace("\r\n", "\n").rstrip("\n")
        assert modules[name].replace("\r\n", "\n").rstrip("\n") == written, name
    dictionary = modules["Dictionary"].replace("\r\n", "\n")
    source = (VBA / "Dictionary.cls").read_text(encoding="ascii").split("\nEND\n", 1)[1]
    assert dictionary.startswith('Attribute VB_Name = "Dictionary"\nAttribute VB_Base = "0{FCFB3D2A-')
    assert source.splitlines()[-1] in dictionary and len(dictionary.splitlines()) == len(source.splitlines()) + 3
    sheets = [f"Sheet{i}" for i in range(1, len(wb.worksheets) + 1)]
    assert set(modules) == {"ThisWorkbook", *sheets, *build.VBA_MODULES, *build.VBA_CLASSES}
    assert [ws.sheet_properties.codeName for ws in wb.worksheets] == sheets


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build.build_workbook(VBA, tmp_path_factory.mktemp("build") / "arxl.xlsm")


def test_the_built_workbook_holds_tables_conf_ribbon_and_vba(built):
    check_workbook(built)


def test_everything_survives_a_headless_refresh(built, tmp_path):
    book = shutil.copy(built, tmp_path / "arxl.xlsm")
    with zipfile.ZipFile(book) as z:
        vba_before = z.read(build.VBA_PART)
    assert cli.main(["--quiet", "refresh", str(book)]) == 0
    check_workbook(Path(book))
    with zipfile.ZipFile(book) as z:
        assert z.read(build.VBA_PART) == vba_before  # byte for byte
    opened = openpyxl.load_workbook(book)
    assert opened["Exceptions"].max_row >= 1 and "AgingSummary" in opened.sheetnames


def test_the_committed_workbook_is_the_build_of_the_committed_sources():
    check_workbook(COMMITTED)


def test_no_command_can_take_the_refresh_all_buttons_id(monkeypatch):
    from arxl.commands import registry

    monkeypatch.setitem(registry.COMMANDS, REFRESH_ALL, registry.Command(
        REFRESH_ALL, "Refresh", "Refresh", "", lambda book, ctx: registry.Outcome("done")))
    with pytest.raises(ValueError, match="Refresh all"):
        build.ribbon_buttons()


# ---- VBA sources import as they are -------------------------------------------------------------

def _committed_blob(path: Path) -> bytes | None:
    """The bytes git holds for ``path`` (its index entry), or None outside a git checkout."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    found = subprocess.run(["git", "cat-file", "blob", f":{path.relative_to(ROOT).as_posix()}"], cwd=ROOT,
                           capture_output=True, check=False)
    return found.stdout if found.returncode == 0 else None


@pytest.mark.parametrize("name", [n for n in GENERATED if n.endswith((".bas", ".cls"))])
def test_vba_sources_end_every_line_with_crlf_in_the_checkout_and_in_the_repository(name):
    path = VBA / name
    for data in (path.read_bytes(), _committed_blob(path)):
        if data is None:
            continue
        assert data.endswith(b"\r\n") and data.count(b"\n") == data.count(b"\r\n") > 0, name
        assert b"\r\r" not in data
    if name.endswith(".cls"):  # what the VBA editor reads to know a class
        assert path.read_bytes().startswith(b"VERSION 1.0 CLASS\r\nBEGIN\r\n")
    if shutil.which("git") and (ROOT / ".git").exists():
        attributes = subprocess.run(["git", "check-attr", "text", "--", f"vba/{name}"], cwd=ROOT,
                                    capture_output=True, text=True, check=True).stdout
        assert attributes.strip().endswith("text: unset"), "git would convert the line ends: see .gitattributes"


# ---- a reproducible VBA project, as Excel writes one --------------------------------------------

FIXTURES = ROOT / "tests" / "fixtures" / "vba"
EXCEL_PROJECT = FIXTURES / "xlwings-0.37.8-quickstart.xlsm.vbaProject.bin"  # Excel 365, 64-bit
EXCEL32_DIR = FIXTURES / "xlwings-0.37.8-quickstart_addin.xlam.dir"  # 32-bit Excel, decompressed
REFERENCE_IDS = {0x16, 0x3E, 0x0D, 0x0E, 0x2F, 0x30, 0x33}


def dir_records(data: bytes) -> list[tuple[int, bytes]]:
    """The decompressed dir stream as (record id, body) pairs (MS-OVBA 2.3.4.2). Every record
    is Id, Size, body, except PROJECTVERSION, whose Size is a reserved 4 before 6 bytes."""
    records, pos = [], 0
    while pos < len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        if rid == 0x09:
            assert size == 4
            size = 6
        records.append((rid, data[pos + 6:pos + 6 + size]))
        pos += 6 + size
    assert pos == len(data)
    return records


def dir_sections(records):
    """Information records, references, the modules header, each module, the terminator."""
    first_ref = next(i for i, (rid, _) in enumerate(records) if rid in REFERENCE_IDS | {0x0F})
    header = next(i for i, (rid, _) in enumerate(records) if rid == 0x0F)
    modules, current = [], []
    for rid, body in records[header + 2:-1]:
        current.append((rid, body))
        if rid == 0x2B:
            modules.append(current)
            current = []
    assert current == [] and records[-1] == (0x10, b"")
    return records[:first_ref], records[first_ref:header], records[header:header + 2], modules


def references(records) -> dict[str, tuple[int, bytes]]:
    """Each reference's name and its record (registered 0x0D, project 0x0E, control 0x2F...)."""
    out, name = {}, None
    for rid, body in records:
        if rid == 0x16:
            name = body.decode("cp1252")
        elif rid in (0x0D, 0x0E, 0x2F, 0x33) and name not in out:
            out[name] = (rid, body)
    return out


def project_streams(vba_bin: bytes) -> dict[str, bytes]:
    with olefile.OleFileIO(io.BytesIO(vba_bin)) as ole:
        return {"/".join(e): ole.openstream("/".join(e)).read() for e in ole.listdir()}


def name_map(projectwm: bytes) -> list[str]:
    """PROJECTwm (MS-OVBA 2.3.3): each module name in the code page, then in UTF-16, each
    null-terminated; two null bytes end the list."""
    names, pos = [], 0
    while projectwm[pos:pos + 2] != b"\0\0":
        end = projectwm.index(b"\0", pos)
        name = projectwm[pos:end].decode("cp1252")
        unicode_end = end + 1 + 2 * len(name)
        assert projectwm[end + 1:unicode_end].decode("utf-16-le") == name
        assert projectwm[unicode_end:unicode_end + 2] == b"\0\0"
        names.append(name)
        pos = unicode_end + 2
    assert pos + 2 == len(projectwm)
    return names


def project_lines(project: bytes) -> list[tuple[str, str]]:
    return [tuple(line.split("=", 1)) if "=" in line else (line, "") for line in project.decode("cp1252").split("\r\n")]


@pytest.fixture(scope="module")
def ours(built) -> bytes:
    with zipfile.ZipFile(built) as z:
        return z.read(build.VBA_PART)


def test_the_dir_stream_matches_an_excel_saved_project_record_by_record(ours):
    excel = dir_records(bytes(decompress_stream(bytearray(project_streams(EXCEL_PROJECT.read_bytes())["VBA/dir"]))))
    built = dir_records(bytes(decompress_stream(bytearray(project_streams(ours)["VBA/dir"]))))
    excel_info, excel_refs, _, excel_modules = dir_sections(excel)
    info, refs, header, modules = dir_sections(built)
    # the information records: the same records in the same order, COMPATVERSION included ...
    assert [rid for rid, _ in info] == [rid for rid, _ in excel_info] == [
        0x01, 0x4A, 0x02, 0x14, 0x03, 0x04, 0x05, 0x40, 0x06, 0x3D, 0x07, 0x08, 0x09, 0x0C, 0x3C]
    # ... with Excel's values, but for the version of the Excel that saved it and its bitness
    for (rid, body), (_, excel_body) in zip(info, excel_info):
        if rid not in (0x01, 0x09):
            assert body == excel_body, hex(rid)
    excel32_info = dir_sections(dir_records(EXCEL32_DIR.read_bytes()))[0]
    assert dict(info)[0x01] == dict(excel32_info)[0x01] == struct.pack("<I", 1)  # 32-bit Windows
    # the Office library referenced exactly as Excel references it
    assert references(refs)["Office"] == references(excel_refs)["Office"]
    assert {rid for rid, _ in refs} <= REFERENCE_IDS
    # every module described by the records Excel writes for a module, in Excel's order
    assert header == [(0x0F, struct.pack("<H", len(modules))), (0x13, b"\xff\xff")]
    shapes = {tuple(rid for rid, _ in m) for m in excel_modules}
    assert {tuple(rid for rid, _ in m) for m in modules} == shapes | {s[:9] + (0x21, 0x2B) for s in shapes}
    kinds = {dict(m)[0x19].decode(): dict(m).keys() & {0x21, 0x22} for m in modules}
    assert kinds == {**{n: {0x22} for n in ["ThisWorkbook", *build.code_names(len(NEW_BOOK_SHEETS) + 1)]},
                     **{n: {0x21} for n in build.VBA_MODULES}, **{n: {0x22} for n in build.VBA_CLASSES}}
    excel32_kinds = {dict(m)[0x19].decode(): dict(m).keys() & {0x21, 0x22}
                     for m in dir_sections(dir_records(EXCEL32_DIR.read_bytes()))[3]}
    assert excel32_kinds["Dictionary"] == {0x22}  # a class module is recorded as Excel records one


def test_the_project_and_projectwm_streams_are_written_as_excel_writes_them(ours):
    from ms_ovba_crypto import MsOvbaCrypto

    excel, built = project_streams(EXCEL_PROJECT.read_bytes()), project_streams(ours)
    assert set(built) == {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT",
                          *(f"VBA/{n}" for n in ["ThisWorkbook", *build.code_names(len(NEW_BOOK_SHEETS) + 1),
                                                 *build.VBA_MODULES, *build.VBA_CLASSES])}
    modules_in_dir = [dict(m)[0x19].decode() for m in dir_sections(dir_records(
        bytes(decompress_stream(bytearray(built["VBA/dir"])))))[3]]
    assert name_map(built["PROJECTwm"]) == modules_in_dir
    assert name_map(excel["PROJECTwm"]) == ["ThisWorkbook", "Sheet1", "Module1", "Sheet2"]  # the parser reads Excel's
    keys = [k for k, _ in project_lines(built["PROJECT"])]
    excel_keys = [k for k, _ in project_lines(excel["PROJECT"])]
    module_keys = ("Document", "Module", "Class")
    assert [k for k in keys if k not in module_keys] == \
        [k for k in excel_keys if k not in module_keys][:len([k for k in keys if k not in module_keys])]
    assert dict(project_lines(built["PROJECT"]))["VersionCompatible32"] == '"393222000"'
    for key in ("CMG", "DPB", "GC"):  # unprotected, no password, visible: what Excel's decrypt to
        assert MsOvbaCrypto.decrypt(bytes.fromhex(dict(project_lines(built["PROJECT"]))[key].strip('"'))) == \
            MsOvbaCrypto.decrypt(bytes.fromhex(dict(project_lines(excel["PROJECT"]))[key].strip('"')))
    # no compiled code: the _VBA_PROJECT stream MS-OVBA 2.3.4.1 asks of a writer that is not Office
    assert built["VBA/_VBA_PROJECT"] == b"\xcc\x61\xff\xff\x00\x03\x00"


def test_building_twice_gives_the_same_bytes(built, tmp_path):
    again = build.build_workbook(VBA, tmp_path / "again.xlsm")
    assert again.read_bytes() == built.read_bytes()
    names = build.code_names(len(NEW_BOOK_SHEETS) + 1)
    assert build.vba_project_bin(VBA, names) == build.vba_project_bin(VBA, names)
    with zipfile.ZipFile(built) as z, zipfile.ZipFile(COMMITTED) as committed:
        assert committed.read(build.VBA_PART) == z.read(build.VBA_PART), "workbooks/arxl.xlsm is stale: rebuild"
        assert committed.read(build.CUSTOMUI_PART) == z.read(build.CUSTOMUI_PART)


# ---- a demo to try the buttons on --------------------------------------------------------------

def test_the_demo_can_be_a_macro_enabled_copy_of_the_master_workbook(tmp_path):
    path = build.write_demo_xlsm(tmp_path / "demo.xlsm", COMMITTED, customers=40, invoices=300, payments=30)
    assert cli.main(["--quiet", "refresh", str(path)]) == 0
    check_workbook(path)  # every table, xlwings.conf, the AR tab and the macros, after a refresh
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(COMMITTED) as master:
        assert z.read(build.VBA_PART) == master.read(build.VBA_PART)
        assert z.read(build.CUSTOMUI_PART) == master.read(build.CUSTOMUI_PART)
    opened = openpyxl.load_workbook(path)
    # the demo world, refreshed: Matches holds what is left for the clerk to decide
    assert opened["Payments"].max_row > 30 and opened["Applications"].max_row > 30 and opened["Matches"].max_row > 2


def test_arxl_demo_xlsm_says_what_it_needs(tmp_path, capsys):
    assert cli.main(["demo", str(tmp_path / "demo.xlsx"), "--xlsm"]) == 2
    assert "must end in .xlsm" in capsys.readouterr().err
    assert cli.main(["demo", str(tmp_path / "demo.xlsm"), "--master", str(tmp_path / "nowhere.xlsm")]) == 1
    assert "give its path with --master" in capsys.readouterr().err
    assert not (tmp_path / "demo.xlsm").exists()
