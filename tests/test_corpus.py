"""Workbooks Excel wrote (tests/corpus, from XlsxWriter's and Apache POI's test data), each
given arxl's tables and refreshed in place twice: every part arxl does not own comes through
byte for byte, and what it wrote keeps Excel's rules (its repair triggers; the ECMA-376 schemas
where at hand)."""
from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from test_reliability_limits import check_excel_rules

from arxl.book.files import open_book, save_book
from arxl.cli import main

CORPUS = Path(__file__).resolve().parent / "corpus"
BOOKS = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".xlsx", ".xlsm"))
# What arxl edits when it adds its sheets to a workbook: the list of sheets and their
# relationships, the content types of the new parts, styles for its number formats, and the
# shared strings, to which it only appends (``clerks_strings_kept``).
SHARED_STRINGS = "xl/sharedStrings.xml"
OWNED = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", SHARED_STRINGS}


def strings(data: bytes) -> list[bytes]:
    return [etree.tostring(si, method="c14n") for si in etree.fromstring(data)]


def clerks_strings_kept(original: dict[str, bytes], now: dict[str, bytes]) -> None:
    """Every shared string the workbook held is where it was (each cell referring to one still
    does): arxl's own strings come after them."""
    if SHARED_STRINGS in original:
        before = strings(original[SHARED_STRINGS])
        assert strings(now[SHARED_STRINGS])[:len(before)] == before


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def give_arxl_tables(path: Path) -> None:
    """What a clerk does first: arxl's input tables, with a few rows, added to their workbook."""
    book = open_book(path)
    book.fill_new("Settings", [{"Setting": "BaseCurrency", "Value": "USD"}])
    book.fill_new("Customers", [{"CustomerID": "C1", "Name": "Acme Tools Inc.", "PaymentTermsDays": 30},
                                {"CustomerID": "C2", "Name": "Birch & Sons Ltd", "PaymentTermsDays": 45}])
    book.fill_new("Invoices", [
        {"InvoiceID": "INV-1", "CustomerID": "C1", "InvoiceDate": dt.datetime(2026, 9, 1), "Amount": 1200.5,
         "Currency": "USD"},
        {"InvoiceID": "INV-2", "CustomerID": "C2", "InvoiceDate": dt.datetime(2026, 10, 15), "Amount": 300,
         "Currency": "USD"},
        {"InvoiceID": "INV-3", "CustomerID": "C2", "InvoiceDate": dt.datetime(2026, 11, 2), "Amount": 75.25,
         "Currency": "USD"}])
    book.fill_new("Payments", [
        {"PaymentID": "P1", "ReceivedDate": dt.datetime(2026, 11, 18), "PayerName": "ACME TOOLS",
         "Amount": 1200.5, "Currency": "USD", "Reference": "INV-1"},
        {"PaymentID": "", "ReceivedDate": dt.datetime(2026, 11, 19), "PayerName": "Birch and Sons",
         "Amount": 300, "Currency": "USD", "Reference": "invoice INV-2"}])
    save_book(book, backup=False)


@pytest.mark.parametrize("name", BOOKS)
def test_an_excel_workbook_keeps_every_part_arxl_does_not_own(tmp_path, name):
    path = tmp_path / name
    shutil.copy(CORPUS / name, path)
    original = parts(path)
    give_arxl_tables(path)
    for run in (1, 2):  # the first refresh writes arxl's sheets, the second only what changed
        assert main(["--quiet", "refresh", str(path), "--as-of", "2026-11-20", "--no-backup"]) == 0
        now = parts(path)
        changed = sorted(p for p in original if p not in OWNED and now.get(p) != original[p])
        assert changed == [], f"refresh {run} changed {changed}"
        clerks_strings_kept(original, now)
        check_excel_rules(path)
    book = open_book(path)
    assert book.read("Aging")["DocID"].tolist() == ["INV-3"]  # INV-1 and INV-2 were paid
    assert set(book.read("Payments")["PaymentID"]) == {"P1", "P2"}  # the blank ID numbered after P1
    openpyxl.load_workbook(path)  # a second reader opens it too


def test_a_signed_macro_workbook_keeps_its_signature_and_loses_it_only_as_xlsx(tmp_path, capsys):
    path = tmp_path / "macro04.xlsm"
    shutil.copy(CORPUS / "macro04.xlsm", path)
    give_arxl_tables(path)
    signed = {n for n in parts(path) if "vbaProject" in n}
    assert signed == {"xl/vbaProject.bin", "xl/vbaProjectSignature.bin", "xl/_rels/vbaProject.bin.rels"}
    out = tmp_path / "plain.xlsx"
    assert main(["--quiet", "refresh", str(path), "--as-of", "2026-11-20", "--output", str(out)]) == 0
    assert "an .xlsx cannot carry the VBA project" in capsys.readouterr().out
    assert not {n for n in parts(out) if "vbaProject" in n}
    assert b"vbaProject" not in parts(out)["[Content_Types].xml"]
    check_excel_rules(out)
