"""Many workbooks in one run (arxl/batch.py): a local process pool, a real local Dask cluster,
failures and retries gathered in one run report, and the workbook lock keeping two runs on one
workbook apart across processes."""
from __future__ import annotations

import csv
import datetime as dt
import json
import multiprocessing.pool
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from reliability import invariants, results_beside, small_demo

from arxl import batch, forking
from arxl.batch import expand
from arxl.book import package as book_package
from arxl.book import package_store
from arxl.book.files import open_book
from arxl.book.lock import BookLock, lock_path
from arxl.cli import main
from arxl.core.matching import batch as matching_batch
from arxl.demo import write_demo
from arxl.forking import beside_others, fork_workers, threads_here

ROWS = {
    "Customers": [{"CustomerID": "C001", "Name": "Acme Tools Inc.", "Terms": "Net 30"},
                  {"CustomerID": "C002", "Name": "Blue Ridge Plumbing LLC", "Terms": "Net 30"}],
    "Invoices": [
        {"InvoiceID": "INV-0101", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 9, 1), "Amount": 1200.00},
        {"InvoiceID": "INV-0102", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 10, 15), "Amount": 310.55},
        {"InvoiceID": "INV-0103", "CustomerID": "C002", "InvoiceDate": dt.date(2026, 11, 12), "Amount": 5000.00},
    ],
    "Payments": [{"PaymentID": "P1", "ReceivedDate": dt.date(2026, 11, 19), "PayerName": "ACME TOOLS",
                  "Amount": 1200.00, "Currency": "USD", "Method": "ACH", "Reference": "INV-0101"}],
}


def posted(path: Path) -> list[str]:
    return open_book(path).read("Applications")["InvoiceID"].tolist()


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return {Path(row["book"]).name: row for row in csv.DictReader(f)}


# ---- which workbooks ------------------------------------------------------------------------

def test_folders_and_patterns_name_the_workbooks_in_them_but_never_backups_or_results(tmp_path):
    folder = tmp_path / "entities"
    folder.mkdir()
    for name in ("a.xlsx", "b.xlsm", "a.bak.xlsx", "a.arxl-result-20261120-180000.xlsx", "~$a.xlsx",
                 ".~arxl-a.xlsx-123-abcd.xlsx", "notes.txt"):
        (folder / name).write_bytes(b"")
    (folder / "old").mkdir()
    (folder / "old" / "c.xlsx").write_bytes(b"")
    books, unmatched, skipped = expand([folder, folder / "*.xlsx", folder / "**" / "c.xlsx", folder / "*.csv",
                                        folder / "missing.xlsx", folder / "a.bak.xlsx"])
    assert books == [folder / "a.xlsx", folder / "b.xlsm", folder / "a.xlsx", folder / "old" / "c.xlsx",
                     folder / "missing.xlsx"]
    assert unmatched == [folder / "*.csv"] and skipped == [folder / "a.bak.xlsx"]
    # a backup named alone is worked as given: the clerk means it
    assert expand([folder / "a.bak.xlsx"]) == ([folder / "a.bak.xlsx"], [], [])


def test_the_backups_a_shell_pattern_names_are_skipped_not_refreshed(make_book, tmp_path, capsys):
    """``arxl refresh *.xlsx`` on a server: the shell names a.xlsx, its backup a.bak.xlsx and a
    kept result; only a.xlsx is refreshed (no a.bak.bak.xlsx), and the report says so."""
    good = make_book(ROWS, name="a.xlsx")
    assert main(["--quiet", "refresh", str(good)]) == 0  # leaves a.bak.xlsx beside it
    backup = tmp_path / "a.bak.xlsx"
    kept = tmp_path / "a.arxl-result-20261120-180000.xlsx"
    kept.write_bytes(backup.read_bytes())
    before = backup.read_bytes()
    report = tmp_path / "run.json"
    capsys.readouterr()
    assert main(["refresh", str(backup), str(good), str(kept), "--jobs", "1", "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "1 of 1 workbook(s) done" in out and "2 of arxl's or Excel's own files skipped" in out
    assert not (tmp_path / "a.bak.bak.xlsx").exists() and backup.read_bytes() != before  # a.xlsx's new backup
    rows = {Path(r["book"]).name: r for r in json.loads(report.read_text())["books"]}
    assert rows["a.bak.xlsx"]["skipped"] and rows["a.arxl-result-20261120-180000.xlsx"]["skipped"]
    assert rows["a.xlsx"]["done"] and not rows["a.xlsx"]["skipped"]


def test_a_pattern_that_matches_nothing_is_reported_and_the_others_still_done(make_book, tmp_path, capsys):
    good = make_book(ROWS, name="good.xlsx")
    report = tmp_path / "run.csv"
    assert main(["--quiet", "refresh", str(good), str(tmp_path / "nothing-*.xlsx"), "--jobs", "1",
                 "--report", str(report)]) == 1
    rows = read_csv(report)
    assert rows["good.xlsx"]["status"] == "done" and posted(good) == ["INV-0101"]
    assert rows["nothing-*.xlsx"]["status"] == "NOT DONE"
    assert rows["nothing-*.xlsx"]["message"] == "no workbook matches this name"
    assert "1 of 2 workbook(s) done" in capsys.readouterr().out


def test_two_workbooks_that_would_be_written_to_one_output_are_refused_before_any_work(make_book, tmp_path, capsys):
    (tmp_path / "north").mkdir()
    (tmp_path / "south").mkdir()
    north = make_book(ROWS, name="north/book.xlsx")
    south = make_book(ROWS, name="south/book.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    assert main(["--quiet", "refresh", str(north), str(south), "--output", str(out)]) == 2
    assert "would both be written to" in capsys.readouterr().err
    assert not list(out.iterdir())


# ---- a local process pool -------------------------------------------------------------------------

def test_a_process_pool_does_every_workbook_and_reports_the_one_that_failed(make_book, tmp_path, capsys):
    books = [make_book(ROWS, name=f"entity-{n}.xlsx") for n in range(3)]
    (tmp_path / "broken.xlsx").write_text("not a workbook")
    report = tmp_path / "run.csv"
    assert main(["--quiet", "refresh", str(tmp_path), "--jobs", "2", "--report", str(report)]) == 1
    out = capsys.readouterr().out
    rows = read_csv(report)
    assert sorted(rows) == ["broken.xlsx", "entity-0.xlsx", "entity-1.xlsx", "entity-2.xlsx"]
    assert rows["broken.xlsx"]["status"] == "NOT DONE" and "not" in rows["broken.xlsx"]["message"]
    assert rows["broken.xlsx"]["problems"] == "" and rows["broken.xlsx"]["attempts"] == "1"
    for book in books:
        row = rows[book.name]
        assert (row["status"], row["attempts"], row["message"]) == ("done", "1", "")
        assert int(row["problems"]) >= 0 and float(row["seconds"]) > 0
        assert row["worker"].split(":")[1] != str(os.getpid())  # worked in a pool process
        assert posted(book) == ["INV-0101"]
        assert set(open_book(book).read("Aging")["DocID"]) == {"INV-0102", "INV-0103"}
    assert "broken.xlsx: NOT DONE" in out and "3 of 4 workbook(s) done" in out
    table = out[out.index("workbook  "):].splitlines()[1:5]
    assert [line.split()[1] for line in table] == ["NOT", "done", "done", "done"]  # in the order named
    assert table[0].startswith(str(tmp_path / "broken.xlsx")) and "is not an Excel" in table[0]


def test_the_same_workbook_named_twice_is_worked_twice_one_after_the_other(make_book, tmp_path):
    book = make_book(ROWS)
    report = tmp_path / "run.json"
    assert main(["--quiet", "refresh", str(book), str(book), "--jobs", "2", "--report", str(report)]) == 0
    runs = json.loads(report.read_text())["books"]
    assert [r["done"] for r in runs] == [True, True]
    # the second run saw the first one's saved version: nothing posted twice, nothing lost
    assert sorted(r["outcomes"]["post"].split(" payment(s)")[0] for r in runs) == ["Posted 0", "Posted 1"]
    assert posted(book) == ["INV-0101"] and not results_beside(book) and invariants(book) == []


def test_a_held_lock_is_waited_for_then_tried_again_until_it_is_free(make_book, tmp_path, monkeypatch):
    book = make_book(ROWS)
    report = tmp_path / "run.json"
    monkeypatch.setenv("ARXL_LOCK_WAIT", "0.3")
    held = BookLock(book).acquire()
    threading.Timer(1.0, held.release).start()
    assert main(["--quiet", "refresh", str(book), "--jobs", "1", "--retries", "20", "--report", str(report)]) == 0
    [run] = json.loads(report.read_text())["books"]
    assert run["done"] and run["attempts"] > 1 and posted(book) == ["INV-0101"]


def test_a_lock_held_past_every_retry_fails_the_workbook_naming_the_holder(make_book, tmp_path, monkeypatch, capsys):
    book = make_book(ROWS)
    before = book.read_bytes()
    monkeypatch.setenv("ARXL_LOCK_WAIT", "0.2")
    report = tmp_path / "run.csv"
    with BookLock(book):
        assert main(["--quiet", "refresh", str(book), "--retries", "1", "--report", str(report)]) == 1
    row = read_csv(report)["book.xlsx"]
    assert (row["status"], row["attempts"]) == ("NOT DONE", "2")
    assert f"is being worked on by arxl process {os.getpid()}" in row["message"]
    assert "it will be tried again" in capsys.readouterr().out and book.read_bytes() == before


class _PoolKilledBy:
    """A backend of two slots whose worker pool breaks whenever ``poison`` runs in it: every run
    it holds is lost at once, as a ProcessPool reports it (together, not told apart)."""

    slots = 2

    def __init__(self, poison: str):
        self.poison, self.runs, self.together = poison, [], set()

    def submit(self, job, attempt):
        self.runs.append(job.book.name)
        return job.book.name, len(self.runs)

    def wait(self, running):
        self.together = {name for name, _ in running}  # the runs it holds all end at once
        return set(running)

    def outcome(self, future, job, attempt):
        if self.poison in self.together:
            return batch.BookReport(str(job.book), False, None, 0.0, attempt, "pool", "the worker was lost",
                                    retry=True, lost_with_others=len(self.together) > 1)
        return batch.BookReport(str(job.book), True, 0, 0.0, attempt, "pool", "")

    def close(self):
        pass


def test_a_workbook_that_kills_its_worker_never_uses_up_the_attempts_of_those_beside_it(tmp_path):
    jobs = [batch.BookJob(tmp_path / name, tmp_path / name, ("aging",)) for name in ("a.xlsx", "bad.xlsx", "c.xlsx")]
    backend = _PoolKilledBy("bad.xlsx")
    reports = batch.run_batch(jobs, backend, retries=0)
    assert [(Path(r.book).name, r.done) for r in reports] == [("a.xlsx", True), ("bad.xlsx", False), ("c.xlsx", True)]
    # a.xlsx and bad.xlsx lost together, each run again alone: only bad.xlsx is lost then
    assert [r.attempts for r in reports] == [2, 2, 1]  # the runs each took
    assert backend.runs[:3] == ["a.xlsx", "bad.xlsx", "c.xlsx"] and sorted(backend.runs[3:]) == ["a.xlsx", "bad.xlsx"]


@pytest.mark.slow  # two workbooks of 800 invoices, so the kill lands while one is being worked
def test_a_worker_killed_while_it_holds_a_workbook_is_replaced_and_the_workbook_done(tmp_path):
    book = small_demo(tmp_path)
    other = small_demo(tmp_path, "other.xlsx")
    report = tmp_path / "run.csv"
    codes: list[int] = []
    batch = threading.Thread(target=lambda: codes.append(main(["--quiet", "refresh", str(book), str(other), "--jobs",
                                                               "2", "--report", str(report)])))
    batch.start()
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:  # the pool process holding book.xlsx's lock
        try:
            holder = json.loads(lock_path(book).read_text())
        except (FileNotFoundError, ValueError):
            time.sleep(0.01)
            continue
        victim = int(holder["pid"])
    assert victim is not None and victim != os.getpid()
    os.kill(victim, signal.SIGKILL)
    batch.join(300)
    rows = read_csv(report)
    assert codes == [0], rows
    assert rows["book.xlsx"]["status"] == "done" and int(rows["book.xlsx"]["attempts"]) >= 2
    assert rows["other.xlsx"]["status"] == "done"
    for path in (book, other):
        assert len(open_book(path).read("Aging")) > 0 and invariants(path) == [] and not results_beside(path)


# ---- a real local Dask cluster --------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A `dask scheduler` and two `dask worker` processes (one thread each) on 127.0.0.1, as a
    shared-service centre would start them on its machines; stopped after the test."""
    distributed = pytest.importorskip("distributed")
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if dask is None:
        pytest.skip("the dask command is not installed")
    address = f"tcp://127.0.0.1:{_free_port()}"
    logs = (tmp_path / "dask-logs").open("w")
    started = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                 "--no-dashboard"], stdout=logs, stderr=subprocess.STDOUT)]
    try:
        started += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                                      "--no-dashboard", "--name", f"worker-{n}"], stdout=logs, stderr=subprocess.STDOUT)
                    for n in (1, 2)]
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(started):
            proc.terminate()
        for proc in started:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        logs.close()


@pytest.mark.slow  # a scheduler and two workers start, each importing arxl: over 20 s on 2 cores
def test_a_local_dask_cluster_refreshes_every_workbook_on_both_workers(dask_cluster, make_book, tmp_path, capsys):
    books = [make_book(ROWS, name=f"entity-{n}.xlsx") for n in range(4)]
    report = tmp_path / "run.json"
    # entity-0 named twice: two runs on two worker processes, kept apart by the workbook's lock
    assert main(["--quiet", "refresh", str(tmp_path / "entity-*.xlsx"), str(books[0]), "--cluster", dask_cluster,
                 "--report", str(report)]) == 0
    run = json.loads(report.read_text())
    assert run["where"] == f"Dask cluster {dask_cluster}" and (run["done"], run["not_done"]) == (5, 0)
    rows = run["books"]
    assert [Path(r["book"]).name for r in rows] == [b.name for b in books] + ["entity-0.xlsx"]
    assert len({r["worker"] for r in rows}) >= 2 and all(r["worker"].split(":")[1] != str(os.getpid()) for r in rows)
    twice = [r["outcomes"]["post"].split(" payment(s)")[0] for r in rows if r["book"].endswith("entity-0.xlsx")]
    assert sorted(twice) == ["Posted 0", "Posted 1"]
    for book in books:
        assert posted(book) == ["INV-0101"] and invariants(book) == [] and not results_beside(book)
        assert set(open_book(book).read("Aging")["DocID"]) == {"INV-0102", "INV-0103"}
    assert "5 of 5 workbook(s) done" in capsys.readouterr().out


def test_an_unreachable_scheduler_is_one_line_and_nothing_is_done(make_book, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(batch, "CONNECT_TIMEOUT", 2.0)
    book = make_book(ROWS)
    before = book.read_bytes()
    assert main(["--quiet", "refresh", str(book), "--cluster", f"tcp://127.0.0.1:{_free_port()}"]) == 1
    err = capsys.readouterr().err
    assert "could not be reached" in err and "Traceback" not in err and book.read_bytes() == before


@pytest.mark.skipif(fork_workers(2) < 2, reason="helpers are forked only where forking is allowed")
def test_a_run_beside_others_forks_no_helpers_and_a_run_alone_does(tmp_path, monkeypatch):
    """In a batch of several workbooks at once (or on a cluster's worker) the other cores run
    other workbooks: a refresh there forks no matcher workers and no save pieces, which would
    only add memory. Alone, it does. Each done and saved either way."""
    monkeypatch.setattr(matching_batch, "PARALLEL_FROM", 1)
    monkeypatch.setattr(package_store, "ASIDE_FROM", 1)
    started: list[str] = []
    forked_init = forking.Forked.__init__
    monkeypatch.setattr(forking.Forked, "__init__",
                        lambda self, work: started.append("save piece") or forked_init(self, work))
    pool = multiprocessing.pool.Pool.__init__
    monkeypatch.setattr(multiprocessing.pool.Pool, "__init__",
                        lambda self, *a, **k: started.append("matcher pool") or pool(self, *a, **k))
    executor = book_package.ThreadPoolExecutor
    threads: list[int] = []  # the threads each save compresses its parts on
    monkeypatch.setattr(book_package, "ThreadPoolExecutor",
                        lambda max_workers, **k: threads.append(max_workers) or executor(max_workers, **k))
    for alone in (False, True):
        path = write_demo(tmp_path / f"alone-{alone}.xlsx", seed=5, customers=20, invoices=150, payments=20)
        started.clear()
        threads.clear()
        report = batch.run_job(batch.BookJob(path, path, ("match", "post", "aging")), alone=alone)
        assert report.done, report.message
        assert sorted(set(started)) == ([] if not alone else ["matcher pool", "save piece"])
        assert threads and set(threads) == {os.cpu_count() if alone else 1}
        with beside_others():
            assert fork_workers(2) == 1 and threads_here() == 1


def test_arxl_fork_0_keeps_every_run_in_one_process(monkeypatch):
    monkeypatch.setenv("ARXL_FORK", "0")
    assert fork_workers(8) == 1
    monkeypatch.setenv("ARXL_FORK", "1")
    assert fork_workers(8) == (min(os.cpu_count() or 1, 8) if sys.platform.startswith("linux") else 1)
