"""The package engine writes text as Excel does, once, in the shared strings: read back by
openpyxl and calamine as written, the clerk's own strings kept where they were (every cell of
theirs still refers to its text), and a refreshed workbook stays near its size."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import python_calamine
from lxml import etree
from test_package_store import parts, rezip, sheet_part
from test_reliability_limits import check_excel_rules

from arxl.cli import main
from arxl.demo import write_demo

SST = "xl/sharedStrings.xml"
SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
CUSTOMERS = [{"CustomerID": "C1", "Name": "Acme Tools Inc."}, {"CustomerID": "C2", "Name": "Birch & <Sons>"}]
INVOICES = [{"InvoiceID": f"INV-{i}", "CustomerID": f"C{1 + i % 2}", "InvoiceDate": dt.datetime(2026, 9, i),
             "Amount": 100 * i, "Currency": "USD"} for i in range(1, 7)]


def shared_strings(path: Path) -> list[str]:
    root = etree.fromstring(parts(path)[SST])
    return ["".join(si.itertext()) for si in root]


def calamine_rows(path: Path, sheet: str) -> list[list[object]]:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
    return [[None if v == "" else v for v in row] for row in book.get_sheet_by_name(sheet).to_python()]


def openpyxl_rows(path: Path, sheet: str) -> list[list[object]]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def data_rows(sheet: bytes) -> bytes:
    """A worksheet's rows from row 2 on."""
    return sheet[sheet.index(b'<row r="2"'):]


def refresh(path: Path) -> None:
    assert main(["--quiet", "refresh", str(path), "--as-of", "2026-11-20", "--no-backup"]) == 0


def test_text_arxl_writes_is_in_the_shared_strings_and_reads_back_as_written(make_book):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES})
    assert SST not in parts(path)  # the new workbook writes its text inline
    refresh(path)
    package = parts(path)
    assert SST_TYPE in package["[Content_Types].xml"]
    assert b'relationships/sharedStrings" Target="sharedStrings.xml"' in package["xl/_rels/workbook.xml.rels"]
    aging_rows = data_rows(package[sheet_part(path, "Aging")])  # below the headers the new workbook wrote
    assert b't="s"' in aging_rows and b"inlineStr" not in aging_rows
    strings = shared_strings(path)
    assert len(strings) == len(set(strings))  # each text once
    assert "Birch & <Sons>" in strings  # markup escaped and read back
    for sheet in ("Aging", "Invoices", "Matches", "Exceptions"):
        by_openpyxl, by_calamine = openpyxl_rows(path, sheet), calamine_rows(path, sheet)
        texts = [[v for v in row if isinstance(v, str)] for row in by_openpyxl]
        assert texts == [[v for v in row if isinstance(v, str)] for row in by_calamine], sheet
    aging = openpyxl_rows(path, "Aging")
    at = aging[0].index("CustomerName")
    assert {row[at] for row in aging[1:]} == {"Acme Tools Inc.", "Birch & <Sons>"}
    check_excel_rules(path)


def saved_as_excel_does(path: Path) -> None:
    """Every inline text of the workbook moved into shared strings, as Excel saves it."""
    strings: dict[str, int] = {}

    def shared(m: re.Match[str]) -> str:
        return f'{m.group(1)} t="s"><v>{strings.setdefault(m.group(2), len(strings))}</v></c>'

    def change(package: dict[str, bytes]) -> None:
        for name in [n for n in package if n.startswith("xl/worksheets/sheet")]:
            package[name] = re.sub(r'(<c [^>]*?) t="inlineStr"><is><t>([^<]*)</t></is></c>', shared,
                                   package[name].decode()).encode()
        package[SST] = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
                        f'openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount='
                        f'"{len(strings)}">' + "".join(f"<si><t>{t}</t></si>" for t in strings) + "</sst>").encode()
        package["xl/_rels/workbook.xml.rels"] = package["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/'
                                 b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        package["[Content_Types].xml"] = package["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + SST_TYPE + b'"/></Types>')

    rezip(path, change)


def test_a_clerks_shared_strings_stay_where_they_were_and_are_reused(make_book):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES})
    saved_as_excel_does(path)
    before = shared_strings(path)
    assert "INV-3" in before and "Acme Tools Inc." in before
    readers = (openpyxl_rows, calamine_rows)
    invoices_before = [read(path, "Invoices") for read in readers]
    refresh(path)
    after = shared_strings(path)
    assert after[:len(before)] == before  # appended to, never reordered
    assert Counter(after)["INV-3"] == Counter(after)["Acme Tools Inc."] == 1  # reused by arxl's Aging
    for read, before_rows in zip(readers, invoices_before):  # the clerk's columns read as they were
        assert [row[:5] for row in read(path, "Invoices")] == [row[:5] for row in before_rows]
    aging = openpyxl_rows(path, "Aging")
    assert {row[aging[0].index("DocID")] for row in aging[1:]} == {f"INV-{i}" for i in range(1, 7)}
    check_excel_rules(path)


def test_a_refreshed_workbook_stays_near_its_size(tmp_path):
    path = write_demo(tmp_path / "demo.xlsx", seed=4, customers=60, invoices=900, payments=60)
    refresh(path)
    first = path.stat().st_size
    refresh(path)
    assert path.stat().st_size < first * 1.05  # a repeat refresh adds no copies of its text
    strings = shared_strings(path)
    assert len(strings) == len(set(strings))
    with zipfile.ZipFile(path) as z:
        for sheet in ("Aging", "Matches", "Credit", "Collections"):
            assert b"inlineStr" not in data_rows(z.read(sheet_part(path, sheet))), sheet


def test_text_that_looks_escaped_or_holds_control_characters_reads_back_as_the_clerk_typed_it(make_book):
    """Excel writes a carriage return and other control characters in a cell's text as _xHHHH_,
    and text that reads like such an escape as _x005F_xHHHH_. A customer's name holding both,
    saved by Excel, is copied by arxl into the Aging and reads back the same, by calamine as by
    Excel; a raw carriage return would read back as a line feed, an unescaped "_x0041_" as "A"."""
    typed = "Pipe_x0041_Works\r\nDept\x01 & Co"
    saved = "Pipe_x005F_x0041_Works_x000D_\nDept_x0001_ &amp; Co"
    path = make_book({"Customers": [{"CustomerID": "C1", "Name": "NAME-AS-EXCEL-SAVES-IT"}],
                      "Invoices": [i for i in INVOICES if i["CustomerID"] == "C1"]})
    customers = sheet_part(path, "Customers")
    rezip(path, lambda package: package.__setitem__(
        customers, package[customers].replace(b"NAME-AS-EXCEL-SAVES-IT", saved.encode())))
    assert calamine_rows(path, "Customers")[1][1] == typed
    refresh(path)
    aging = calamine_rows(path, "Aging")
    assert aging[1][aging[0].index("CustomerName")] == typed
    assert saved in parts(path)[SST].decode()
    check_excel_rules(path)
