"""Reliability: two writers, a clerk saving meanwhile, kills at any moment. Nothing is lost.

Each pairing runs 20 trials (18 of them marked slow); each trial starts the two at a random
offset, in a random order."""
from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import openpyxl
import pytest
from reliability import (
    CAMT054,
    CAMT054_IDS,
    Snapshot,
    arxl,
    clerk_save,
    finish,
    invariants,
    leftovers,
    marker_of,
    results_beside,
    small_demo,
    touch,
)

from arxl.book import lock as lock_module
from arxl.book.files import BookChanged, backup_path, open_book, save_book
from arxl.book.lock import BookLock, lock_path
from arxl.book.store import BookError
from arxl.cli import process
from arxl.commands.command import Context
from arxl.commands.runner import run_commands
from arxl.demo import write_demo
from arxl.forking import fork_workers

TRIALS = 20
FAST_TRIALS = 2


def trials():
    return [pytest.param(t, marks=() if t < FAST_TRIALS else pytest.mark.slow) for t in range(TRIALS)]


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _start_both(first_args, second_args, trial):
    """Two arxl processes, the second started 0-1.5 s after the first, in a random order."""
    rng = random.Random(trial)
    pair = [first_args, second_args]
    rng.shuffle(pair)
    one = arxl(*pair[0])
    time.sleep(rng.uniform(0, 1.5))
    two = arxl(*pair[1])
    return finish(one), finish(two)


# ---- two arxl runs on one workbook ---------------------------------------------------------------

@pytest.mark.attack("concurrent runs")
@pytest.mark.parametrize("trial", trials())
def test_refresh_and_import_at_once_lose_nothing(tmp_path, trial):
    path = small_demo(tmp_path)
    before = Snapshot.of(path)
    (rc1, out1), (rc2, out2) = _start_both(("refresh", path), ("import", path, CAMT054), trial)
    assert rc1 == 0 and rc2 == 0, out1 + out2
    book = open_book(path)
    assert CAMT054_IDS <= set(book.read("Payments")["PaymentID"])  # the import survived the refresh
    assert len(book.read("Aging")) > 0 and len(book.read("Applications")) > 0  # and the refresh the import
    assert invariants(path, before) == []
    assert not leftovers(tmp_path)


@pytest.mark.attack("concurrent runs")
@pytest.mark.parametrize("trial", trials())
def test_refresh_and_post_at_once_lose_nothing(tmp_path, trial):
    path = small_demo(tmp_path)
    assert finish(arxl("match", path))[0] == 0
    alone = small_demo(tmp_path, "alone.xlsx")
    assert finish(arxl("match", alone))[0] == 0 and finish(arxl("post", alone))[0] == 0
    posted = len(open_book(alone).read("Applications"))
    before = Snapshot.of(path)
    (rc1, out1), (rc2, out2) = _start_both(("refresh", path, "--only", "aging"), ("post", path), trial)
    assert rc1 == 0 and rc2 == 0, out1 + out2
    book = open_book(path)
    assert posted > 0 and len(book.read("Applications")) == posted  # every row post wrote is there
    assert len(book.read("Aging")) > 0
    assert invariants(path, before) == []


@pytest.mark.attack("concurrent runs")
@pytest.mark.parametrize("trial", trials())
def test_a_clerk_saving_during_a_refresh_loses_nothing(tmp_path, trial):
    path = small_demo(tmp_path)
    marker = f"clerk's edit {trial}"
    run = arxl("refresh", path)
    clerk = clerk_save(path, marker, random.Random(trial).uniform(0, 3.0))
    rc, out = finish(run)
    assert clerk.wait(60) == 0, clerk.stderr.read() if clerk.stderr else ""
    assert marker_of(path) == marker  # the clerk's version is never overwritten
    kept = results_beside(path)
    if rc == 0:  # arxl saved before the clerk opened the workbook: the clerk's version holds both
        assert len(open_book(path).read("Aging")) > 0 and not kept
    elif "is open in Excel" in out and "Nothing is lost" not in out:  # refused before doing anything
        assert not kept
    else:  # arxl's result kept beside the clerk's version, and it says so
        assert "Nothing is lost" in out and len(kept) == 1 and kept[0].name in out
        assert len(open_book(kept[0]).read("Aging")) > 0
    assert "Traceback" not in out
    assert invariants(path) == []


# ---- the lock ------------------------------------------------------------------------------------

@pytest.mark.attack("concurrent runs")
def test_a_second_run_waits_then_refuses_naming_the_workbook_and_the_holder(make_book):
    path = make_book()
    before = _digest(path)
    with BookLock(path):
        started = time.monotonic()
        result, summary = process(path, ["aging"], as_of=None, output=None, wait=0.5)
        waited = time.monotonic() - started
    assert result is None and 0.5 <= waited < 5
    assert f"{path.name}: NOT DONE. {path.name} is being worked on by arxl process {os.getpid()}" in summary
    assert "Nothing was changed" in summary and _digest(path) == before
    result, _ = process(path, ["aging"], as_of=None, output=None, wait=0.5)  # released: runs
    assert result is not None and not lock_path(path).exists()


@pytest.mark.attack("concurrent runs")
def test_the_lock_of_a_killed_run_is_taken_over(make_book):
    path = make_book()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    holder = {"host": lock_module.socket.gethostname(), "pid": int(dead.stdout), "user": "x", "since": "then"}
    lock_path(path).write_text(json.dumps(holder))
    result, summary = process(path, ["aging"], as_of=None, output=None, wait=0)
    assert result is not None, summary


@pytest.mark.attack("concurrent runs")
def test_a_lock_from_another_machine_counts_only_while_it_is_kept_alive(make_book, monkeypatch):
    path = make_book()
    monkeypatch.setattr(lock_module, "STALE_AFTER", 0.6)
    lock_path(path).write_text(json.dumps({"host": "clerk-pc-2", "pid": 4242, "user": "ann", "since": "09:00"}))
    result, summary = process(path, ["aging"], as_of=None, output=None, wait=0.3)
    assert result is None and "arxl process 4242 of ann on clerk-pc-2" in summary  # alive as far as we know
    result, summary = process(path, ["aging"], as_of=None, output=None, wait=3)  # untouched 0.6 s: dead
    assert result is not None, summary


# ---- the file changed under a run ---------------------------------------------------------------

@pytest.mark.attack("concurrent runs")
def test_a_version_saved_meanwhile_is_kept_and_the_result_goes_beside_it(make_book):
    path = make_book()
    book = open_book(path)
    run_commands(book, ["aging"], Context())
    clerk = openpyxl.load_workbook(path)
    clerk["Settings"]["F1"] = "typed while arxl worked"
    clerk.save(path)
    clerks = _digest(path)
    with pytest.raises(BookChanged) as refused:
        save_book(book)
    assert _digest(path) == clerks  # the clerk's version stays
    kept = refused.value.kept
    assert kept.name.startswith("book.arxl-result-") and kept.exists()
    assert f"Nothing is lost: this run's result is in {kept.name}" in str(refused.value)
    assert len(open_book(kept).read("Exceptions", required=False)) >= 0
    assert not backup_path(path).exists() or _digest(backup_path(path)) == clerks


@pytest.mark.attack("kills during a save")
def test_a_failing_backup_leaves_the_old_backup_and_the_workbook_whole(make_book, monkeypatch):
    path = make_book()
    save_book(open_book(path))  # a first .bak
    old_backup, original = _digest(backup_path(path)), _digest(path)
    import arxl.book.files as files

    def no_room(source, target, **_):
        with open(target, "wb") as f:
            f.write(b"PK\x03\x04 half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError(1, "no links here")))
    monkeypatch.setattr(files.shutil, "copy2", no_room)
    book = open_book(path)
    touch(book, "new")
    with pytest.raises(BookError, match="Keeping the backup of book.xlsx failed: the disk holding book.bak.xlsx is "
                                        "full.*The workbook was not changed"):
        save_book(book)
    assert _digest(path) == original and _digest(backup_path(path)) == old_backup
    assert not leftovers(path.parent)


# ---- kills ---------------------------------------------------------------------------------------

@pytest.mark.attack("kills during a save")
@pytest.mark.parametrize("trial", trials()[:10])
def test_a_killed_refresh_leaves_a_whole_workbook_and_the_next_run_cleans_up(tmp_path, trial):
    path = small_demo(tmp_path)
    original = _digest(path)
    before = Snapshot.of(path)
    run = arxl("refresh", path)
    time.sleep(random.Random(trial).uniform(1.0, 3.5))  # loading, working or saving
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert _digest(path) == original or len(open_book(path).read("Aging")) > 0  # old or new, never half
    rc, out = finish(arxl("refresh", path, wait=5))
    assert rc == 0, out
    assert not leftovers(tmp_path) and not lock_path(path).exists()
    assert invariants(path, before) == []


KILL_AT = textwrap.dedent("""
    import os, sys
    import arxl.book.documents as documents, arxl.cli as cli
    where = sys.argv[1]
    if where == "before the save":
        cli.save_book = lambda *a, **k: os._exit(9)
    else:  # after the workbook was replaced, before its documents were put in place
        documents.StagedDocuments.publish = lambda self: os._exit(9)
    cli.main(["--quiet", "memos", sys.argv[2]])
""")


def _memo_book(make_book, customer="C1", name="Northwind Traders"):
    return make_book({
        "Customers": [{"CustomerID": "C1", "Name": "Northwind Traders"}, {"CustomerID": "C2", "Name": "Southern Mills"}],
        "MemoRequests": [{"RequestID": "R1", "CustomerID": customer, "Kind": "Credit", "Type": "Other",
                          "Amount": 10, "Reason": "goodwill"}]})


def _pdf_text(path):
    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.mark.attack("kills during a save")
def test_a_memo_number_is_not_taken_by_a_run_killed_before_its_workbook_was_saved(make_book):
    path = _memo_book(make_book)
    killed = subprocess.run([sys.executable, "-c", KILL_AT, "before the save", str(path)], capture_output=True)
    assert killed.returncode == 9
    assert not (path.parent / "Memos" / "book" / "CM-000001.pdf").exists()  # only a staged file
    # the clerk changes the request to the other customer before the next run
    wb = openpyxl.load_workbook(path)
    wb["MemoRequests"]["B2"] = "C2"
    wb.save(path)
    result, summary = process(path, ["memos"], as_of=None, output=None)
    assert result is not None and result.ok, summary
    memos = open_book(path).read("Memos")
    assert memos["MemoID"].tolist() == ["CM-000001"] and memos["CustomerID"].tolist() == ["C2"]
    text = _pdf_text(path.parent / memos["Document"].iloc[0])
    assert "Southern Mills" in text and "Northwind" not in text  # the PDF names the customer the ledger does
    assert not leftovers(path.parent)


@pytest.mark.attack("kills during a save")
def test_documents_of_a_run_killed_after_its_workbook_was_saved_are_put_in_place_by_the_next_run(make_book):
    path = _memo_book(make_book)
    killed = subprocess.run([sys.executable, "-c", KILL_AT, "after the save", str(path)], capture_output=True)
    assert killed.returncode == 9
    memos = open_book(path).read("Memos")
    assert memos["Document"].tolist() == ["Memos/book/CM-000001.pdf"]
    assert not (path.parent / "Memos/book/CM-000001.pdf").exists()  # recorded, not yet in place
    result, summary = process(path, ["aging"], as_of=None, output=None)
    assert result is not None, summary
    assert "Northwind Traders" in _pdf_text(path.parent / "Memos/book/CM-000001.pdf")
    assert not leftovers(path.parent)
    assert invariants(path) == []


@pytest.mark.attack("kills during a save")
def test_leftovers_of_killed_runs_are_removed_but_not_those_of_a_live_one(make_book):
    path = make_book()
    dead_pid = 2**22 + 17  # beyond Linux's pid range
    dead = path.with_name(f".~arxl-book.xlsx-{dead_pid}-0a1b2c3d.xlsx")
    legacy = path.with_name(".~arxl-book-k2j4h5g6.xlsx")  # a temp file of an arxl before the lock
    live = path.with_name(f".~arxl-book.xlsx-{os.getpid()}-feedbeef.xlsx")
    other = path.with_name(f".~arxl-other.xlsx-{dead_pid}-0a1b2c3d.xlsx")  # another workbook's
    # the documents' journal of a run killed while writing it (found by a kill in the slow suite)
    journal = path.with_name(f".~arxl-.~arxl-book.xlsx-documents-{dead_pid}-journal-7d6eb8d9.xlsx-documents")
    live_journal = path.with_name(f".~arxl-.~arxl-book.xlsx-documents-{os.getpid()}-journal-7d6eb8d9.xlsx-documents")
    for p in (dead, legacy, live, other, journal, live_journal):
        p.write_bytes(b"PK half")
    result, summary = process(path, ["aging"], as_of=None, output=None)
    assert result is not None, summary
    assert not dead.exists() and not legacy.exists() and live.exists() and other.exists()
    assert not journal.exists() and live_journal.exists()


# ---- memo documents ------------------------------------------------------------------------------

@pytest.mark.attack("concurrent runs")
def test_two_workbooks_in_one_folder_never_share_a_memo_document(make_book):
    north = make_book({"Customers": [{"CustomerID": "N1", "Name": "North Co"}], "MemoRequests": [
        {"RequestID": "R1", "CustomerID": "N1", "Kind": "Credit", "Type": "Other", "Amount": 10}]}, name="North.xlsx")
    south = make_book({"Customers": [{"CustomerID": "S1", "Name": "South Co"}], "MemoRequests": [
        {"RequestID": "R1", "CustomerID": "S1", "Kind": "Credit", "Type": "Other", "Amount": 20}]}, name="South.xlsx")
    for path in (north, south):
        result, summary = process(path, ["memos"], as_of=None, output=None)
        assert result is not None and result.ok, summary
    for path, name in ((north, "North Co"), (south, "South Co")):
        document = open_book(path).read("Memos")["Document"].iloc[0]
        assert document == f"Memos/{path.stem}/CM-000001.pdf"
        assert name in _pdf_text(path.parent / document)


@pytest.mark.attack("kills during a save")
def test_a_document_already_on_disk_is_never_overwritten(make_book):
    path = _memo_book(make_book)
    stray = path.parent / "Memos" / "book" / "CM-000001.pdf"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"%PDF a memo sent last week, whose workbook was closed without saving")
    result, summary = process(path, ["memos"], as_of=None, output=None)
    assert "COULD NOT RUN" in summary and "Memos/book/CM-000001.pdf exists already" in summary
    assert stray.read_bytes().startswith(b"%PDF a memo sent last week")
    assert open_book(path).read("Memos", required=False).empty
    assert not leftovers(path.parent)


@pytest.mark.parametrize("folder, inside", [("Memos", True), ("letters/credit", True), ("../elsewhere", False),
                                            ("Memos/../../up", False)])
def test_memo_folder_stays_inside_the_workbook_s_folder_unless_absolute(make_book, tmp_path, folder, inside):
    path = make_book({"Customers": [{"CustomerID": "C1", "Name": "Acme"}], "MemoRequests": [
        {"RequestID": "R1", "CustomerID": "C1", "Kind": "Credit", "Type": "Other", "Amount": 10}]},
        settings={"MemoFolder": folder})
    result, summary = process(path, ["memos"], as_of=None, output=None)
    if inside:
        assert result.ok and (path.parent / folder / "book" / "CM-000001.pdf").is_file()
    else:
        assert "leads outside the workbook's folder" in summary
        assert not (path.parent / folder).exists() and not list(tmp_path.rglob("*.pdf"))


def test_an_absolute_memo_folder_is_the_clerk_s_choice(make_book, tmp_path):
    elsewhere = tmp_path / "shared drive" / "memos"
    path = make_book({"Customers": [{"CustomerID": "C1", "Name": "Acme"}], "MemoRequests": [
        {"RequestID": "R1", "CustomerID": "C1", "Kind": "Credit", "Type": "Other", "Amount": 10}]},
        settings={"MemoFolder": str(elsewhere)})
    result, summary = process(path, ["memos"], as_of=None, output=None)
    assert result.ok, summary
    assert (elsewhere / "book" / "CM-000001.pdf").is_file()
    assert open_book(path).read("Memos")["Document"].tolist() == [f"{elsewhere.as_posix()}/book/CM-000001.pdf"]


@pytest.mark.attack("kills during a save")
def test_an_interrupt_after_the_save_leaves_the_documents_to_the_next_run(make_book, monkeypatch):
    """Ctrl+C between replacing the workbook and putting its PDFs in place."""
    from arxl.book.documents import StagedDocuments

    path = _memo_book(make_book)
    real_publish = StagedDocuments.publish

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(StagedDocuments, "publish", interrupted)
    with pytest.raises(KeyboardInterrupt):
        process(path, ["memos"], as_of=None, output=None)
    assert open_book(path).read("Memos")["Document"].tolist() == ["Memos/book/CM-000001.pdf"]
    monkeypatch.setattr(StagedDocuments, "publish", real_publish)
    result, summary = process(path, ["aging"], as_of=None, output=None)
    assert result is not None, summary
    assert "Northwind Traders" in _pdf_text(path.parent / "Memos/book/CM-000001.pdf")
    assert not leftovers(path.parent) and invariants(path) == []


@pytest.mark.attack("kills during a save")
@pytest.mark.skipif(fork_workers(2) < 2, reason="save pieces are forked only where forking is allowed")
def test_a_run_killed_during_its_save_leaves_no_child_and_the_workbook_as_it_was(tmp_path):
    """A refresh whose save has pieces at work in forked children is killed (SIGKILL, as an
    out-of-memory killer or a clerk's kill would). The children end with it rather than work on
    for no one (each one's pipe stays open in its siblings, so it would never be told), and the
    workbook is byte for byte what it was."""
    path = write_demo(tmp_path / "demo.xlsx", seed=4, customers=30, invoices=300, payments=30)
    before = _digest(path)
    script = textwrap.dedent(f"""
        import time
        from arxl.book import package_store
        from arxl.cli import main
        package_store.ASIDE_FROM = 1
        package_store.PackageStore._rewriter = lambda self, sheet: lambda: time.sleep(600)
        main(["--quiet", "refresh", {str(path)!r}, "--no-backup"])
    """)
    run = subprocess.Popen([sys.executable, "-c", script])
    children: list[int] = []
    deadline = time.monotonic() + 120
    while len(children) < 2 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
        children = [int(c) for task in os.listdir(f"/proc/{run.pid}/task")
                    for c in open(f"/proc/{run.pid}/task/{task}/children").read().split()]
    assert len(children) >= 2, "the save's children never started"
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{c}") and "Z" not in open(f"/proc/{c}/stat").read().split()[2]
              for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [c for c in children if os.path.exists(f"/proc/{c}") and open(f"/proc/{c}/stat").read().split()[2] != "Z"]
    assert not alive
    assert _digest(path) == before
