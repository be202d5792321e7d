"""The xlwings Lite door: lite/main.py loaded with xlwings' own Lite/Office.js decorators, its
scripts run by xlwings' own script runner (``custom_scripts_call``) on a remote-engine Book (the
Book xlwings Lite hands to a script) and its functions by xlwings' own custom-function runner
(``custom_functions_call``) with the values Office.js passes: dates as serial numbers.

As in Lite, ``app.status_bar`` raises, files live in a data folder instead of beside the workbook,
and no thread or process may be started. Needs xlwings' PRO parts (noncommercial licence, tests
only), like tests/test_excel_door.py."""
from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import shutil
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from arxl.commands.registry import COMMANDS, REFRESH
from arxl.excel import build, lite

xw = pytest.importorskip("xlwings")
try:
    from xlwings.pro import udfs_officejs
except (ImportError, xw.LicenseError) as exc:
    pytest.skip(f"xlwings' remote engine is unavailable: {exc}", allow_module_level=True)

from remote_book import (  # noqa: E402
    AS_OF,
    ROWS,
    actions,
    assert_same_tables,
    book_json,
    headless,
    master_workbook,
    replay,
    tables_of,
)

ROOT = Path(__file__).resolve().parents[1]
LITE = ROOT / "lite"
BANK_FILE = ROOT / "tests" / "fixtures" / "bankfiles" / "camt" / "arxl-camt054.v08.referred-documents.xml"


@pytest.fixture(scope="module")
def main():
    """lite/main.py as xlwings Lite loads it: ``func``, ``arg`` and ``script`` are xlwings'
    Office.js decorators (elsewhere xlwings lends do-nothing stand-ins)."""
    lent = {"func": udfs_officejs.xlfunc, "arg": udfs_officejs.xlarg, "script": udfs_officejs.script}
    saved = {name: getattr(xw, name) for name in lent}
    try:
        for name, decorator in lent.items():
            setattr(xw, name, decorator)
        spec = importlib.util.spec_from_file_location("arxl_lite_main", LITE / "main.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        for name, decorator in saved.items():
            setattr(xw, name, decorator)
    return module


@pytest.fixture
def master(tmp_path) -> Path:
    return master_workbook(tmp_path / "master.xlsx")


@pytest.fixture
def data(tmp_path) -> Path:
    """xlwings Lite's /data folder."""
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def in_lite(monkeypatch, data):
    """What Pyodide forbids or lacks, made to fail loudly: threads, processes (the matcher's pool
    is taken on Linux only, Pyodide says emscripten), and the status bar (the remote engine
    raises, as Lite does). ``/data`` is the test's data folder."""
    def refuse(*args, **kwargs):
        raise AssertionError("xlwings Lite can start no thread or process")
    from arxl.core.matching import batch

    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(batch, "PARALLEL_FROM", 1)  # a pool would be taken for any batch, were it allowed
    monkeypatch.setattr(batch.mp, "get_context", refuse)
    monkeypatch.setattr(threading.Thread, "start", refuse)
    monkeypatch.setattr(lite, "DATA", data)


def run_script(main, name: str, path: Path):
    book = xw.Book(json=book_json(path))
    asyncio.run(udfs_officejs.custom_scripts_call(main, name, typehint_to_value={xw.Book: book}))
    return book


def test_the_lite_sources_are_up_to_date_with_the_registry_and_the_functions(tmp_path):
    build.write_lite_sources(tmp_path)
    for name in ("main.py", "requirements.txt"):
        assert (tmp_path / name).read_bytes() == (LITE / name).read_bytes(), f"lite/{name} is stale: rebuild"


def test_main_has_a_script_per_button_and_the_arxl_functions(main):
    scripts = {s["function_name"]: s["name"] for s in udfs_officejs.custom_scripts_meta(main)}
    assert scripts == {b.id: b.label for b in build.ribbon_buttons()}
    functions = {f["name"]: [p["name"] for p in f["parameters"]]
                 for f in udfs_officejs.custom_functions_meta(main)["functions"]}
    windows = build.udf_functions()
    assert functions == {name: [a["name"] for a in info["args"] if not a["vba"]] for name, info in windows.items()}
    for f in udfs_officejs.custom_functions_meta(main)["functions"]:
        assert f["description"] == windows[f["name"]]["ret"]["doc"]
        assert all(not p["description"].startswith("Positional argument") for p in f["parameters"])


@pytest.mark.parametrize("button", [*REFRESH, "refresh"])
def test_each_script_writes_what_the_headless_run_writes(main, master, in_lite, data, button, tmp_path, capsys):
    before = dt.datetime.now().replace(microsecond=0)
    book = run_script(main, f"arxl_{button}", master)
    ids = list(REFRESH) if button == "refresh" else [button]
    expected = tables_of(headless(master, ids, tmp_path / "headless.xlsx", folder=tmp_path / "headless"))
    got = tables_of(replay(actions(book), master))
    assert_same_tables(got, expected, since=before)
    with pytest.raises(NotImplementedError):
        book.app.status_bar = "the remote engine has none, as xlwings Lite has none"
    printed = capsys.readouterr().out
    assert "Files > Import/Export" in printed  # what Lite cannot do, said in the task pane
    for cid in ids:
        assert COMMANDS[cid].label in printed
    if "memos" in ids:
        assert not got["Memos"].empty
        pdfs = sorted(p.name for p in (data / "Memos").iterdir())
        assert pdfs and pdfs == sorted(p.name for p in (tmp_path / "headless" / "Memos").iterdir())


def test_import_reads_the_bank_files_in_the_data_folder(main, master, in_lite, data, tmp_path, capsys):
    shutil.copy(BANK_FILE, data / BANK_FILE.name)
    (data / "Memos").mkdir()
    (data / "Memos" / "CM-1.pdf").write_bytes(b"%PDF-1.4")  # memos of an earlier run are not bank files
    (data / "arxl-errors.log").write_text("")
    assert lite.bank_files(data) == (data / BANK_FILE.name,)
    book = run_script(main, "arxl_import", master)
    expected = tables_of(headless(master, ["import"], tmp_path / "headless.xlsx", files=(BANK_FILE,)))
    got = tables_of(replay(actions(book), master))
    assert len(got["Payments"]) > len(ROWS["Payments"])
    pd.testing.assert_frame_equal(got["Payments"], expected["Payments"])
    assert BANK_FILE.name in capsys.readouterr().out


def test_import_with_no_file_says_where_files_go_and_changes_nothing(main, master, in_lite, capsys):
    book = run_script(main, "arxl_import", master)
    assert [a["func"] for a in actions(book)] == ["alert"]  # the message box, nothing written
    assert "Files > Import/Export" in capsys.readouterr().out


def serial(day: dt.date) -> float:
    return float((day - dt.date(1899, 12, 30)).days)


def call_function(main, name: str, *args):
    """A custom function as xlwings Lite calls it: every argument a matrix, as Office.js gives it."""
    data = {"func_name": name, "args": list(args), "version": xw.__version__, "client": "Office.js",
            "runtime": "1.4", "culture_info_name": "en-US", "date_format": "m/d/yyyy"}
    return asyncio.run(udfs_officejs.custom_functions_call(data, main))


def test_days_past_due_of_serial_numbers_in_lite_is_the_aging_table(main, make_book, run):
    """=ARXL_DAYSPASTDUE(A2:A99, TODAY()) in xlwings Lite: the range and TODAY() as serial numbers."""
    path = make_book(rows={k: v for k, v in ROWS.items() if k in ("Customers", "Invoices")})
    result, book = run(path, "aging")
    aging = book.read("Aging")
    invoices = aging[aging["DocType"] == "Invoice"]
    assert len(invoices) >= 4
    due = [[serial(d.date())] for d in invoices["DueDate"]]
    answer = call_function(main, "ARXL_DAYSPASTDUE", due, [[serial(AS_OF)]], None)
    assert [row[0] for row in answer] == invoices["DaysPastDue"].tolist()
    buckets = call_function(main, "ARXL_BUCKET", due, [[serial(AS_OF)]], None)
    assert [row[0] for row in buckets] == invoices["Bucket"].tolist()


def test_arxl_builds_as_a_pure_python_wheel_that_pyodide_can_install(tmp_path):
    """xlwings Lite installs arxl from a wheel: it must be pure Python, hold the Lite door, and
    ask nothing of Pyodide that Pyodide cannot give (rapidfuzz is compiled and has no Pyodide
    build; the xlwings pin is for the Windows DLL)."""
    import zipfile

    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    wheel = build.build_wheel(ROOT, tmp_path)
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        metadata = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert {"arxl/excel/lite.py", "arxl/excel/udfs.py", "arxl/core/matching/similarity.py"} <= names
    assert not [n for n in names if n.endswith((".so", ".pyd", ".dylib"))]
    requires = [Requirement(line.split(":", 1)[1].strip()) for line in metadata.splitlines()
                if line.startswith("Requires-Dist:")]
    pyodide = {**default_environment(), "sys_platform": "emscripten", "platform_system": "Emscripten"}
    wanted = {r.name.lower() for r in requires if r.marker is None or r.marker.evaluate({**pyodide, "extra": ""})}
    assert "rapidfuzz" not in wanted and "xlwings" not in wanted
    # Pyodide's own builds (pandas, numpy, lxml) or pure-Python wheels on PyPI
    assert wanted == {"pandas", "openpyxl", "lxml", "defusedxml", "reportlab", "tqdm", "anyascii"}
