"""Hostile and broken files, and saving that never loses the clerk's workbook."""
from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import openpyxl
import pytest
from reliability import touch

from arxl.book.files import backup_path, open_book, save_book
from arxl.book.store import BookError


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rezip(src, dst, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = (replace or {}).get(info.filename, zin.read(info))
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)


def test_not_a_workbook(tmp_path):
    (tmp_path / "notes.xlsx").write_text("just text, renamed")
    with pytest.raises(BookError, match="not an Excel workbook"):
        open_book(tmp_path / "notes.xlsx")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(BookError, match="old .xls"):
        open_book(tmp_path / "old.xls")
    with zipfile.ZipFile(tmp_path / "other.xlsx", "w") as z:
        z.writestr("hello.txt", "a zip, not a workbook")
    with pytest.raises(BookError, match="no xl/workbook.xml"):
        open_book(tmp_path / "other.xlsx")


def test_zip_bomb_is_refused(make_book, tmp_path):
    path = make_book()
    bomb = tmp_path / "bomb.xlsx"
    _rezip(path, bomb, add={"xl/media/padding.xml": b"<a>" + b" " * (40 * 1024**2) + b"</a>"})
    with pytest.raises(BookError, match="zip bomb"):
        open_book(bomb)


def test_xml_entity_tricks_are_refused(make_book, tmp_path):
    path = make_book()
    with zipfile.ZipFile(path) as z:
        workbook_xml = z.read("xl/workbook.xml")
    evil = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            + workbook_xml.split(b"?>", 1)[-1])
    _rezip(path, tmp_path / "evil.xlsx", replace={"xl/workbook.xml": evil})
    with pytest.raises(BookError, match="XML entities"):
        open_book(tmp_path / "evil.xlsx")


def test_workbook_open_in_excel_is_refused(make_book):
    path = make_book()
    (path.parent / ("~$" + path.name)).write_bytes(b"owner")
    with pytest.raises(BookError, match="open in Excel"):
        open_book(path)


FEATURES = [
    ("xl/slicers/slicer1.xml", "slicers"),
    ("xl/timelines/timeline1.xml", "timelines"),
    ("xl/ctrlProps/ctrlProp1.xml", "form controls"),
]


@pytest.mark.parametrize("part, label", FEATURES)
def test_features_openpyxl_would_drop_are_kept_byte_for_byte(make_book, tmp_path, part, label):
    """The default engine edits only what changes: a workbook holding what an openpyxl save
    would drop is refreshed in place, and the part comes through as it was."""
    path = make_book()
    risky = tmp_path / "risky.xlsx"
    content = f"<x>{label}</x>".encode()
    _rezip(path, risky, add={part: content})
    book = open_book(risky)
    touch(book, "refreshed")
    save_book(book)
    with zipfile.ZipFile(risky) as z:
        assert z.read(part) == content
    assert openpyxl.load_workbook(risky)["Settings"]["C2"].value == "refreshed"


@pytest.mark.parametrize("part, label", FEATURES)
def test_the_openpyxl_engine_names_features_a_save_would_drop(make_book, tmp_path, monkeypatch, part, label):
    monkeypatch.setenv("ARXL_ENGINE", "openpyxl")
    path = make_book()
    risky = tmp_path / "risky.xlsx"
    _rezip(path, risky, add={part: b"<x/>"})
    before = _digest(risky)
    with pytest.raises(BookError, match=label) as caught:
        open_book(risky)
    assert "--output NEW.xlsx" in str(caught.value)
    assert _digest(risky) == before
    # with --output the original stays as it is and the results go to a new file
    book = open_book(risky, output=tmp_path / "results.xlsx")
    save_book(book, output=tmp_path / "results.xlsx")
    assert _digest(risky) == before and (tmp_path / "results.xlsx").exists()


def test_the_openpyxl_engine_names_sparklines_and_2010_conditional_formats(make_book, tmp_path, monkeypatch):
    monkeypatch.setenv("ARXL_ENGINE", "openpyxl")
    path = make_book()
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    marked = sheet.replace(b"</worksheet>", b"<extLst><ext><x14:sparklineGroups/><x14:conditionalFormattings/>"
                                           b"</ext></extLst></worksheet>")
    _rezip(path, tmp_path / "spark.xlsx", replace={"xl/worksheets/sheet1.xml": marked})
    with pytest.raises(BookError, match="sparklines.*|.*conditional formats"):
        open_book(tmp_path / "spark.xlsx")


def test_the_openpyxl_engine_refuses_a_macro_workbook_with_the_same_type(make_book, tmp_path, monkeypatch):
    """Its refusal points to an output of the workbook's own type, never an .xlsx for an .xlsm."""
    monkeypatch.setenv("ARXL_ENGINE", "openpyxl")
    path = make_book(name="book.xlsm")
    risky = tmp_path / "risky.xlsm"
    _rezip(path, risky, add={"xl/slicers/slicer1.xml": b"<x/>"})
    with pytest.raises(BookError, match=r"--output NEW\.xlsm"):
        open_book(risky)


def test_save_replaces_atomically_and_keeps_a_backup(make_book):
    path = make_book()
    original = _digest(path)
    book = open_book(path)
    touch(book, "touched")
    save_book(book)
    assert _digest(backup_path(path)) == original
    assert openpyxl.load_workbook(path)["Settings"]["C2"].value == "touched"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".~arxl-")]


def test_macros_are_kept_in_xlsm(make_book, tmp_path):
    path = make_book()
    xlsm = tmp_path / "book.xlsm"
    vba = b"\xd0\xcf\x11\xe0fake-vba-project" * 10
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType='
                                                 b'"application/vnd.ms-office.vbaProject"/></Types>')
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVBA" Type="http://schemas.'
                                    b'microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
                                    b"</Relationships>")
            zout.writestr(info.filename, data)
        zout.writestr("xl/vbaProject.bin", vba)
    book = open_book(xlsm)
    save_book(book)
    with zipfile.ZipFile(xlsm) as z:
        assert z.read("xl/vbaProject.bin") == vba


def test_a_failing_save_leaves_the_original_intact(make_book, monkeypatch):
    path = make_book()
    original = _digest(path)
    book = open_book(path)
    touch(book, "half-way")

    def explode(target, *_):
        with open(target, "wb") as f:
            f.write(b"PK\x03\x04 truncated")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(book.store, "save", explode)
    with pytest.raises(BookError, match="the disk holding book.xlsx is full. Free some space"):
        save_book(book)
    assert _digest(path) == original
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".~arxl-")]


def test_a_run_killed_half_way_leaves_the_original_intact(make_book, tmp_path):
    """A real process, killed at several moments while it saves a sizeable workbook."""
    rows = [{"InvoiceID": f"INV-{i:06d}", "CustomerID": "C1", "InvoiceDate": "2026-10-01", "Amount": i + 0.25}
            for i in range(30000)]
    path = make_book({"Invoices": rows})
    original = _digest(path)
    script = textwrap.dedent(f"""
        from arxl.book.files import open_book, save_book
        book = open_book({str(path)!r})
        book.store.find("Settings")
        book.store.write_column("Settings", 2, 2, ["new version"], None, True)
        print("saving", flush=True)
        save_book(book)
    """)
    for delay in (0.2, 0.8, 1.6):
        with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as proc:
            assert proc.stdout.readline().strip() == "saving"
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        digest = _digest(path)
        wb = openpyxl.load_workbook(path, read_only=True)  # whole and readable, old or new
        assert wb["Invoices"].max_row == 30001
        assert digest == original or wb["Settings"]["C2"].value == "new version"
        for leftover in path.parent.glob(".~arxl-*"):
            leftover.unlink()  # the temporary file of a killed run is the only trace


def test_saving_keeps_the_workbook_s_permissions(make_book):
    path = make_book()
    os.chmod(path, 0o664)
    save_book(open_book(path))
    assert path.stat().st_mode & 0o777 == 0o664
