"""What the reliability suite (tests/test_reliability_*.py, summarised by bench/reliability.py)
shares: realistic workbooks, arxl and a clerk as separate processes, and the ledger invariants
checked after every attack.

Each attack is a test marked ``@pytest.mark.attack("category")``; an attack that passes held.
The categories are listed in ``CATEGORIES`` in the order the summary prints them; "bad values"
is filled by tests/test_reliability_values.py (money, dates, ledger numbering, text).
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from arxl.book.files import open_book

CATEGORIES = ("concurrent runs", "kills during a save", "disk full and other faults", "hostile files",
              "Excel's limits", "bad values", "clerk sequences")
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "bankfiles"
CAMT054 = FIXTURES / "camt" / "arxl-camt054.v08.referred-documents.xml"  # 3 receipts
EDI820 = FIXTURES / "x12" / "arxl-820-discounts-adjustments.txt"  # 2 receipts
CAMT054_IDS = {"ARXL-054-0001", "ARXL-054-0002/1", "ARXL-054-0002/2"}
LEDGERS = {"Applications": "ApplicationID", "Memos": "MemoID"}


def small_demo(folder: Path, name: str = "book.xlsx", *, cache: dict[str, Path] = {}) -> Path:  # noqa: B006
    """A copy of a small demo workbook (60 customers, 800 invoices, 80 payments, memo requests),
    not yet refreshed: built once per test session."""
    if "template" not in cache:
        from arxl.demo import write_demo

        template = Path(tempfile.gettempdir()) / f"arxl-reliability-{os.getpid()}.xlsx"
        template.unlink(missing_ok=True)
        write_demo(template, customers=60, invoices=800, payments=80)
        atexit.register(template.unlink, missing_ok=True)
        cache["template"] = template
    path = folder / name
    shutil.copy(cache["template"], path)
    return path


def arxl(*args: str | Path, wait: float = 60.0) -> subprocess.Popen[str]:
    """``arxl ARGS`` in its own process (as a clerk or a scheduler starts it)."""
    env = dict(os.environ, ARXL_LOCK_WAIT=str(wait))
    return subprocess.Popen([sys.executable, "-m", "arxl.cli", "--quiet", *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str], timeout: float = 180) -> tuple[int, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out + err


CLERK_SAVE = textwrap.dedent("""
    import os, sys, time, openpyxl
    path, marker, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
    time.sleep(delay)
    owner = os.path.join(os.path.dirname(path), "~$" + os.path.basename(path))
    open(owner, "wb").close()  # Excel's owner file while the workbook is open
    try:
        wb = openpyxl.load_workbook(path)
        wb["Settings"]["F1"] = marker
        tmp = path + ".clerk-tmp.xlsx"
        wb.save(tmp)
        os.replace(tmp, path)  # Excel saves a new file, then moves it over the old one
    finally:
        os.unlink(owner)
""")


def clerk_save(path: Path, marker: str, delay: float) -> subprocess.Popen[str]:
    """Another process writing a new version of the workbook, as a clerk's Excel does: it opens
    the workbook (Excel's ``~$`` owner file), types ``marker`` into Settings!F1, and saves."""
    return subprocess.Popen([sys.executable, "-c", CLERK_SAVE, str(path), marker, str(delay)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def marker_of(path: Path) -> object:
    import openpyxl

    return openpyxl.load_workbook(path, read_only=True)["Settings"]["F1"].value


def results_beside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.stem}.arxl-result-*{path.suffix}"))


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".~arxl-*")]


@dataclass
class Snapshot:
    """The ledgers of a workbook at one moment, to check that the next moment only added rows."""

    ledgers: dict[str, list[tuple]]

    @classmethod
    def of(cls, path: Path) -> Snapshot:
        book = open_book(path)
        return cls({name: [tuple(map(str, row)) for row in book.read(name, required=False).itertuples(index=False)]
                    for name in LEDGERS})


def invariants(path: Path, before: Snapshot | None = None) -> list[str]:
    """What must hold of a workbook after any run, whatever happened to it: every ledger row
    readable, no ID twice, no payment applied beyond its amount (nor below zero), ledgers only
    grown, every recorded document on disk."""
    broken: list[str] = []
    book = open_book(path)
    ledger = book.load()
    for name, id_column in LEDGERS.items():
        if ledger.unread.get(name):
            broken.append(f"{name} rows {sorted(ledger.unread[name])} cannot be read")
        ids = [i for i in book.read(name, required=False)[id_column] if i]
        if len(ids) != len(set(ids)):
            broken.append(f"{name}: an {id_column} appears twice")
    payments = ledger.table("Payments", required=False)
    ids = [i for i in payments["PaymentID"] if i]
    if len(ids) != len(set(ids)) or ledger.unread.get("Payments"):
        broken.append("Payments: a PaymentID appears twice or a row cannot be read")
    applications = ledger.table("Applications", required=False)
    if len(applications):
        applied = applications.groupby("PaymentID")["AppliedAmount"].sum()
        amounts = payments.set_index("PaymentID")["Amount"]
        for payment_id, cents in applied.items():
            received = amounts.get(payment_id)
            if received is None or pd.isna(received):
                broken.append(f"Applications apply {payment_id}, which is not in Payments")
            elif not 0 <= int(cents) <= int(received):
                broken.append(f"payment {payment_id}: {int(cents)} cents applied of {int(received)} received")
    memos = ledger.table("Memos", required=False)
    for document in memos["Document"] if len(memos) else []:
        if document and not (path.parent / document).is_file():
            broken.append(f"Memos records {document}, which is not on disk")
    if before is not None:
        after = Snapshot.of(path)
        for name, rows in before.ledgers.items():
            if after.ledgers[name][:len(rows)] != rows:
                broken.append(f"{name} lost or changed rows it had")
    return broken


def touch(book, text: str) -> None:
    """A change to a workbook through whichever store holds it: the first setting's Explanation
    (cell C2 of Settings) says ``text``."""
    book.store.find("Settings")
    book.store.write_column("Settings", 2, 2, [text], None, True)
