"""The package engine edits a workbook where it changes and nowhere else: a clerk's formulas and
their sharing, pivot tables over arxl's tables, the calculation chain, a repeat run that changes
nothing, the Excel 2010 ribbon part."""
from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from functools import partial
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from conftest import NOW
from test_reliability_limits import check_excel_rules

from arxl import cli, forking
from arxl.book import package_store
from arxl.book.files import open_book, save_book
from arxl.book.package import DEFLATE_EARLY_FROM, Deflater, Package, deflated, joined
from arxl.book.sheetedit import SheetEdits
from arxl.book.store import BookError
from arxl.commands.command import Context
from arxl.commands.registry import REFRESH
from arxl.commands.runner import run_commands
from arxl.demo import write_demo
from arxl.forking import fork_workers

AS_OF = "2026-11-20"
CUSTOMERS = [{"CustomerID": "C1", "Name": "Acme Tools Inc."}]
INVOICES = [{"InvoiceID": f"INV-{i}", "CustomerID": "C1", "InvoiceDate": dt.datetime(2026, 10, i),
             "Amount": 100 * i} for i in range(1, 6)]


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def rezip(path: Path, change) -> None:
    """Rewrite the package at ``path`` with ``change(parts)``'s parts (a clerk's edit in Excel)."""
    package = parts(path)
    change(package)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in package.items():
            z.writestr(name, data)


def sheet_part(path: Path, title: str) -> str:
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{title}"[^>]*r:id="(\w+)"', workbook).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*/>', rels).group(0)
    return "xl/" + re.search(r'Target="/?(?:xl/)?([^"]+)"', target).group(1)


def test_a_clerks_shared_formula_survives_arxl_overwriting_its_first_cell(make_book, run):
    """Status is arxl's column; a clerk filled a formula down it. arxl writes its statuses, and
    the clerk's formula in their own column next to it, shared down the rows, still computes."""
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES})
    part = sheet_part(path, "Invoices")

    def shared_formula(package):
        xml = package[part].decode()
        header = re.search(r'<row r="1"[^>]*>.*?</row>', xml).group(0)
        last_col = re.findall(r'<c r="([A-Z]+)1"', header)[-1]
        col = chr(ord(last_col) + 1)  # one column right of the table
        cells = {2: f'<c r="{col}2"><f t="shared" ref="{col}2:{col}6" si="0">A2&amp;"!"</f><v>INV-1!</v></c>'}
        cells.update({r: f'<c r="{col}{r}"><f t="shared" si="0"/><v>INV-{r - 1}!</v></c>' for r in range(3, 7)})
        for r, cell in cells.items():
            xml = re.sub(rf'(<row r="{r}"[^>]*>.*?)(</row>)', lambda m, cell=cell: m.group(1) + cell + m.group(2),
                         xml, count=1, flags=re.S)
        package[part] = xml.encode()
        return col

    rezip(path, shared_formula)
    col = re.findall(r'<c r="([A-Z]+)2"><f', parts(path)[part].decode())[0]
    run(path, "match", "post", "aging")
    ws = openpyxl.load_workbook(path)["Invoices"]
    assert [ws[f"{col}{r}"].value for r in range(2, 7)] == ['=A2&"!"'] + [f'=A{r}&"!"' for r in range(3, 7)]
    check_excel_rules(path)


def test_a_pivot_table_over_cells_arxl_wrote_is_refreshed_on_open_and_no_other(make_book, run):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES})
    cache = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotCacheDefinition xmlns='
             '"http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.'
             'org/officeDocument/2006/relationships" r:id="rId1" recordCount="0"><cacheSource type="worksheet">'
             '<worksheetSource {source}/></cacheSource><cacheFields count="{count}">{fields}</cacheFields>'
             '</pivotCacheDefinition>')

    def definition(source: str, *fields: str) -> bytes:
        return cache.format(source=source, count=len(fields),
                            fields="".join(f'<cacheField name="{f}" numFmtId="0"/>' for f in fields)).encode()

    sources = {
        1: definition('name="Invoices"'),  # names no field: any cell arxl writes in the table counts
        2: definition('name="Customers"'),
        3: definition('name="Invoices"', "InvoiceID", "CustomerID", "Amount"),  # the clerk's columns only
        4: definition('name="Invoices"', "InvoiceID", "Amount", "OpenBalance"),
        5: definition('ref="A1:D6" sheet="Invoices"'),
        6: definition('ref="A1:Z6" sheet="Invoices"'),
        # defined names: a range, a range of the clerk's columns, a table, another sheet, a formula
        7: definition('name="InvoiceRange"'),
        8: definition('name="ClerkColumns"'),
        9: definition('name="AllInvoices"'),
        10: definition('name="CustomerList"'),
        11: definition('name="Moving"'),
    }
    defined = {"InvoiceRange": "Invoices!$A$1:$Z$6", "ClerkColumns": "'Invoices'!$A$1:$D$6",
               "AllInvoices": "Invoices[#All]", "CustomerList": "Customers!$A$1:$B$3",
               "Moving": "OFFSET(Invoices!$A$1,0,0,COUNTA(Invoices!$A:$A),4)"}

    def pivots(package):
        names = "".join(f'<definedName name="{n}">{escape(text)}</definedName>' for n, text in defined.items())
        workbook = package["xl/workbook.xml"].decode()  # the new workbook's print titles are names already
        package["xl/workbook.xml"] = workbook.replace("<definedNames>", f"<definedNames>{names}", 1).encode()
        for n, data in sources.items():
            package[f"xl/pivotCache/pivotCacheDefinition{n}.xml"] = data
        package["xl/_rels/workbook.xml.rels"] = package["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", b''.join(
                b'<Relationship Id="rIdP%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                b'relationships/pivotCacheDefinition" Target="pivotCache/pivotCacheDefinition%d.xml"/>' % (n, n)
                for n in sources) + b"</Relationships>")

    rezip(path, pivots)
    run(path, "match", "post", "aging")  # aging writes Invoices' OpenBalance, Customers stay as they were
    after = parts(path)
    refreshed = {n for n in sources if b'refreshOnLoad="1"' in after[f"xl/pivotCache/pivotCacheDefinition{n}.xml"]}
    assert refreshed == {1, 4, 6, 7, 9, 11}
    for n in set(sources) - refreshed:
        assert after[f"xl/pivotCache/pivotCacheDefinition{n}.xml"] == sources[n]


def test_the_calculation_chain_goes_only_when_a_formula_cell_is_overwritten(make_book, run):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES})
    chain = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="http://schemas.'
             b'openxmlformats.org/spreadsheetml/2006/main"><c r="A1" i="1"/></calcChain>')

    def with_chain(package):
        package["xl/calcChain.xml"] = chain
        package["xl/_rels/workbook.xml.rels"] = package["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", b'<Relationship Id="rIdC" Type="http://schemas.openxmlformats.org/officeDocument/'
                                 b'2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>')

    rezip(path, with_chain)
    run(path, "aging")
    assert parts(path)["xl/calcChain.xml"] == chain  # no formula was touched
    book = open_book(path)
    raw = book.store.find("Invoices")
    assert raw.headers[0] == "InvoiceID"
    book.store.write_column("Invoices", 0, 2, ["=1+1"], None, as_text=False)  # a formula in A2
    save_book(book)
    book = open_book(path)
    book.store.find("Invoices")
    book.store.write_column("Invoices", 0, 2, ["INV-1"], None, as_text=True)  # and overwritten by a value
    save_book(book)
    assert "xl/calcChain.xml" not in parts(path)
    assert b"calcChain" not in parts(path)["xl/_rels/workbook.xml.rels"]
    check_excel_rules(path)


def test_a_repeat_run_with_nothing_new_changes_only_the_run_stamp(make_book, run):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES})
    run(path, "match", "post", "memos", "aging")
    first = parts(path)
    run(path, "match", "post", "memos", "aging")
    second = parts(path)
    changed = {n for n in first if first[n] != second.get(n)}
    # the aging summary sheet is drawn anew (its charts and styles are found again as they were)
    assert changed <= {sheet_part(path, "AgingSummary"), "[Content_Types].xml"}
    assert sheet_part(path, "Invoices") not in changed and sheet_part(path, "Aging") not in changed


def test_an_excel_2010_ribbon_part_and_its_relationship_are_kept(make_book, run, tmp_path):
    path = make_book(name="book.xlsm")
    ribbon = b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui"><ribbon/></customUI>'
    image_rels = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
                  b'openxmlformats.org/package/2006/relationships"><Relationship Id="logo" Type="http://schemas.'
                  b'openxmlformats.org/officeDocument/2006/relationships/image" Target="images/logo.png"/>'
                  b'</Relationships>')

    def ribbon14(package):
        package["customUI/customUI14.xml"] = ribbon
        package["customUI/_rels/customUI14.xml.rels"] = image_rels
        package["customUI/images/logo.png"] = b"\x89PNG fake"
        package["_rels/.rels"] = package["_rels/.rels"].replace(
            b"</Relationships>", b'<Relationship Id="r14" Type="http://schemas.microsoft.com/office/2007/'
                                 b'relationships/ui/extensibility" Target="customUI/customUI14.xml"/></Relationships>')

    rezip(path, ribbon14)
    before = parts(path)
    run(path, "aging")
    after = parts(path)
    for name in ("customUI/customUI14.xml", "customUI/_rels/customUI14.xml.rels", "customUI/images/logo.png",
                 "_rels/.rels", "xl/vbaProject.bin"):
        assert after[name] == before[name], name
    assert Package(path.read_bytes()).content_type("xl/workbook.xml") == \
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


@pytest.mark.skipif(fork_workers(2) < 2, reason="sheets are rewritten in child processes only where forking is allowed")
def test_sheets_rewritten_and_reports_drawn_in_child_processes_are_as_if_done_here(tmp_path, monkeypatch):
    """The largest sheets are rewritten in forked children from the step that last wrote them on
    (one at a time while the run goes on here, the rest when saved), and a large report drawn in
    one from when the aging step gives it when no sheet is large enough to go aside (otherwise
    the other core is busy already: it is drawn when saved); a sheet written again meanwhile is
    rewritten again. The refreshed workbook is byte for byte the one made here alone; so it is
    when the children's sheets need strings the workbook lacked (they give way) and when the
    children die (their work is done here). A save that fails leaves no child running."""
    demo = write_demo(tmp_path / "demo.xlsx", seed=4, customers=30, invoices=300, payments=30)
    monkeypatch.setattr(package_store, "ASIDE_FROM", 1)
    monkeypatch.setattr(package_store, "DRAW_ASIDE_FROM", 1)
    results: list[object] = []
    result = forking.Forked.result
    monkeypatch.setattr(forking.Forked, "result", lambda self: results.append(got := result(self)) or got)
    started: list[object] = []
    at_work: list[int] = []  # while the steps go on: how many children were at work, each time one was forked
    stepping = [False]
    forked_init = forking.Forked.__init__

    def fork(self, work):
        if stepping[0]:
            at_work.append(len(multiprocessing.active_children()))
        started.append(work)
        forked_init(self, work)

    monkeypatch.setattr(forking.Forked, "__init__", fork)

    def refreshed(run: str, forks: bool, draws: bool = False) -> dict[str, bytes]:
        path = tmp_path / run / "book.xlsx"  # the same name: memos' files are named after the workbook
        path.parent.mkdir()
        shutil.copy(demo, path)
        monkeypatch.setattr(package_store, "fork_workers", lambda most: most if forks else 1)
        book = open_book(path)
        started.clear()
        at_work.clear()
        stepping[0] = True
        run_commands(book, REFRESH, Context(now=NOW))
        stepping[0] = False
        drawn = [work for work in started if isinstance(work, partial)]
        assert (bool(drawn), len(started) > len(drawn)) == (forks and draws, forks and not draws)
        assert max(at_work, default=0) == 0  # one at a time while the steps go on
        # no thread waits for a child (a thread alive when the next child is forked: what fork() warns of)
        assert not [t.name for t in threading.enumerate() if t.name.startswith("arxl-")]
        save_book(book)
        return parts(path)

    alone = refreshed("alone", forks=False)
    assert not results
    assert refreshed("forked", forks=True) == alone
    taken = [r is not None for r in results]  # the sheets (one needing a style gives way)
    assert len(taken) >= 2 and sum(taken) > len(taken) / 2
    results.clear()

    with monkeypatch.context() as m:  # no sheet large enough: the report is drawn aside
        m.setattr(package_store, "ASIDE_FROM", 10**9)
        alone_drawn = refreshed("alone-drawn", forks=False)
        assert refreshed("drawn", forks=True, draws=True) == alone_drawn
        assert results and all(r is not None for r in results)
        results.clear()
        m.setattr(package_store, "_drawing", lambda sheet, report: os._exit(9))
        assert refreshed("drawn-killed", forks=True, draws=True) == alone_drawn
        assert results and all(r is None for r in results)
        results.clear()

    monkeypatch.setattr(SheetEdits, "texts", lambda self: [])  # the children's text left unnumbered
    alone = refreshed("alone-2", forks=False)
    assert refreshed("forked-2", forks=True) == alone
    assert len(results) >= 2 and not all(results)  # those with text gave way
    results.clear()

    def failing(self, sheet, drawn_book):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:  # a save that fails ends its children, even one still at work
        m.setattr(package_store.PackageStore, "_place_report", failing)
        m.setattr(package_store.PackageStore, "_rewriter", lambda self, sheet: lambda: time.sleep(600))
        with pytest.raises(BookError, match="disk holding book.xlsx is full"):
            refreshed("failed", forks=True)
    assert not multiprocessing.active_children()
    results.clear()

    with monkeypatch.context() as m:  # no room for a child's result (a full disk): the work is done here
        m.setattr(forking.tempfile, "TemporaryFile", lambda **k: (_ for _ in ()).throw(OSError(28, "No space")))
        assert refreshed("no-room", forks=True) == alone
    assert not results and not multiprocessing.active_children()

    monkeypatch.setattr(package_store.PackageStore, "_rewriter", lambda self, sheet: lambda: os._exit(9))
    assert refreshed("killed", forks=True) == alone
    assert len(results) >= 2 and all(r is None for r in results)


_HEAP_PROBE = """
import ctypes, sys
from arxl import forking
if sys.argv[1] == "apart":
    forking.before_forking()
def in_heap(block):
    at = ctypes.addressof((ctypes.c_char * len(block)).from_buffer(block))
    for line in open("/proc/self/maps"):
        if line.rstrip().endswith("[heap]"):
            low, high = (int(x, 16) for x in line.split()[0].split("-"))
            return low <= at < high
    return False
big = bytearray(20 << 20)
del big  # freed: glibc would serve blocks up to 20 MB from the heap's old pages from now on
print(in_heap(bytearray(10 << 20)))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_a_process_about_to_fork_keeps_its_large_blocks_in_pages_of_their_own():
    """Once a large block is freed, glibc serves later large blocks from the heap's old pages
    (which forked children share: each one rewritten is then copied); a process about to fork
    asks for fresh pages from ``APART_FROM`` bytes on."""
    def probe(mode: str) -> str:
        return subprocess.run([sys.executable, "-c", _HEAP_PROBE, mode], capture_output=True, text=True,
                              check=True).stdout.strip()

    assert probe("plain") == "True"
    assert probe("apart") == "False"


def test_objects_left_out_of_collections_stay_out_until_the_outermost_hold_ends():
    """A hold inside another (a forked child begun, the matcher's pool, within a run's step)
    leaves out the objects alive when it began; ending it must not give the run's objects back to
    the collector, and ending the outermost gives them all back."""
    import gc

    before = gc.get_freeze_count()
    with forking.left_out_of_collections():
        loaded = [[i] for i in range(1000)]  # a run's objects: made after the outer hold began
        with forking.left_out_of_collections():
            assert gc.get_freeze_count() >= before + len(loaded)
        assert gc.get_freeze_count() >= before + len(loaded)
    assert gc.get_freeze_count() == 0


def test_a_run_leaves_its_objects_out_of_collections_while_it_runs_and_none_after(make_book, tmp_path):
    """Each step's collections walk only what that step makes (the loaded ledger and earlier
    steps' results are left out); once the run is saved, nothing stays left out: the Excel door's
    Python lives on from run to run, and a reference cycle of this run must be collected then."""
    import gc

    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES})
    frozen_at_steps: list[int] = []
    book = open_book(path)
    run_commands(book, ["match", "post", "aging"],
                 Context(now=NOW, progress=lambda message, fraction=None: frozen_at_steps.append(gc.get_freeze_count())))
    save_book(book)
    assert len(frozen_at_steps) >= 3 and min(frozen_at_steps) > 0
    assert frozen_at_steps[-1] > frozen_at_steps[0]  # the objects the steps before left, too
    assert gc.get_freeze_count() == 0
    cli.work_book(path, list(REFRESH), as_of=None, output=None, backup=False)
    assert gc.get_freeze_count() == 0


def test_a_part_compressed_in_pieces_apart_reads_and_saves_as_the_whole(tmp_path):
    """A sheet's rows compressed in a child process, as they are made, are joined with the parts
    before and after them compressed here: the member saved, and the part read back, are the
    whole, with its CRC; the part can be read before the save too."""
    source = tmp_path / "in.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("sheet.xml", b"<old/>")
    head, tail = b'<worksheet><dimension ref="A1:B40000"/>', b"<pageMargins/></worksheet>"
    rows = [b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (r, r, r * 7) for r in range(at, at + 4096))
            for at in range(1, 40000, 4096)]
    compressing = Deflater()
    for block in rows:
        compressing.add(memoryview(block))
    whole = head + b"<sheetData>" + b"".join(rows) + b"</sheetData>" + tail
    package = Package(source.read_bytes())
    package.write("sheet.xml", joined([deflated(head + b"<sheetData>", whole=False), compressing.piece(),
                                       deflated(b"</sheetData>" + tail)]))
    assert package.read("sheet.xml") == whole
    out = tmp_path / "out.zip"
    package.save(out)
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None  # the CRC combined is the whole's
        assert z.read("sheet.xml") == whole and z.getinfo("sheet.xml").file_size == len(whole)


def test_a_large_part_compressed_when_written_is_saved_as_last_written(tmp_path):
    """A part from ``DEFLATE_EARLY_FROM`` bytes on is compressed from the moment it is written;
    a part written again, or removed, meanwhile is saved as it is last (or not at all)."""
    source = tmp_path / "in.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("kept.xml", b"<kept/>")
        z.writestr("big.xml", b"<old/>")
    first, second = (b"<a>" + bytes(str(i), "ascii") * DEFLATE_EARLY_FROM + b"</a>" for i in (1, 2))
    package = Package(source.read_bytes())
    package.write("big.xml", first)
    package.write("big.xml", second)  # written over while the first was being compressed
    package.write("shrunk.xml", first)
    package.write("shrunk.xml", b"<shrunk/>")  # too small to be compressed when written
    package.write("gone.xml", first)
    package.remove("gone.xml")
    package.write("small.xml", b"<small/>")
    out = tmp_path / "out.zip"
    package.save(out)
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None
        assert sorted(z.namelist()) == ["[Content_Types].xml", "big.xml", "kept.xml", "shrunk.xml", "small.xml"]
        assert z.read("shrunk.xml") == b"<shrunk/>"
        assert z.read("big.xml") == second and z.read("kept.xml") == b"<kept/>" and z.read("small.xml") == b"<small/>"
    package.write("big.xml", first)  # the package saved again, with a part compressed anew
    package.save(out)
    with zipfile.ZipFile(out) as z:
        assert z.read("big.xml") == first


def test_a_table_grows_over_blank_rows_but_not_over_a_cell_a_clerk_filled_below_it(make_book, tmp_path):
    """A table that must grow (appended ledger rows) grows over the blank rows below it; when a
    cell in the rows it would take holds data, nothing is written and the cell is named. Cells
    further down, past the rows it takes, are no obstacle."""
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES})  # Invoices: rows 2-6
    wb = openpyxl.load_workbook(path)
    wb["Invoices"]["B20"] = "far below"
    wb.save(path)
    store = open_book(path).store
    store.resize("Invoices", 12)  # to row 13: row 20 is not taken
    assert store.find("Invoices") is not None
    wb["Invoices"]["C9"] = "a clerk's note"
    wb.save(path)
    store = open_book(path).store
    with pytest.raises(BookError, match=r"Invoices: the Invoices table must grow to row 13, but cell C9 below it holds data"):
        store.resize("Invoices", 12)
