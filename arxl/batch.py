"""Many workbooks in one run: the headless door's batch.

``arxl refresh BOOK...`` (and every command over several workbooks) runs each workbook exactly
as a single run does (``arxl.cli.work_book``: lock, open, run, save), in one of three places:

- ``--jobs 1``: in this process, one after the other, each with its own progress bar;
- ``--jobs N`` (default: this machine's cores): a pool of N worker processes on this machine;
- ``--cluster ADDRESS``: the workers of a Dask distributed scheduler (``tcp://host:8786``), on
  as many machines as share the workbooks' folder, mounted at the same path on each.

Every workbook's outcome (done or not, problems, seconds, attempts, which worker, and why not)
comes back here and is gathered into one run report: a table on the terminal, and a CSV or JSON
file with ``--report``. A failure that may pass is tried again, up to ``--retries`` times: the
workbook's lock held by another run past ``ARXL_LOCK_WAIT`` (``BookBusy``), or the worker
process lost (killed, out of memory, its machine gone). Every other failure is the workbook's
own and is reported at once. The lock (``arxl.book.lock``) is what keeps two runs on one
workbook apart, whether they are two tasks of this batch (a workbook named twice), two batches,
or two machines: the batch itself only schedules.
"""
from __future__ import annotations

import concurrent.futures as cf
import csv
import datetime as dt
import glob
import json
import multiprocessing
import os
import socket
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from arxl import __version__
from arxl.book.documents import TEMP_PREFIX
from arxl.book.lock import BookBusy
from arxl.book.store import BookError
from arxl.cli import DEFAULT_RETRIES, _Progress, log_error, not_done, work_book
from arxl.forking import beside_others

BOOK_SUFFIXES = (".xlsx", ".xlsm")
CONNECT_TIMEOUT = 20.0  # seconds to reach a Dask scheduler


def default_jobs() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


# ---- which workbooks --------------------------------------------------------------------------

def _arxl_own(path: Path) -> bool:
    """A file arxl or Excel keeps beside a workbook, never a workbook to work on: the backup
    (NAME.bak.xlsx), a result kept beside (NAME.arxl-result-TIME.xlsx), temporary and lock
    files, Excel's owner file (~$NAME)."""
    name = path.name
    return (name.startswith((".", "~$", TEMP_PREFIX)) or path.stem.endswith(".bak")
            or ".arxl-result-" in name)


def expand(names: Iterable[Path]) -> tuple[list[Path], list[Path], list[Path]]:
    """The workbooks ``names`` stand for, in order: a file as given; a folder as its .xlsx and
    .xlsm files; a name with ``*``, ``?`` or ``[`` that is not a file as the files it matches
    (``**`` reaches into sub-folders). Folders and patterns skip arxl's and Excel's own files
    (backups, results, temporary files), and so do several names given (a shell's ``*.xlsx``
    names the backups too); one such file named alone is worked as given. Returns (workbooks,
    names that matched no workbook, own files skipped among several names); a plain name that
    does not exist is kept, so its run says so."""
    names = list(names)
    books: list[Path] = []
    unmatched: list[Path] = []
    skipped: list[Path] = []
    for name in names:
        if name.is_file() and len(names) > 1 and _arxl_own(name):
            skipped.append(name)
            continue
        if name.is_dir():
            found = sorted(p for p in name.iterdir() if p.suffix.lower() in BOOK_SUFFIXES and p.is_file())
        elif not name.exists() and glob.has_magic(str(name)):
            found = sorted(Path(p) for p in glob.glob(str(name), recursive=True)
                           if Path(p).suffix.lower() in BOOK_SUFFIXES and Path(p).is_file())
        else:
            books.append(name)
            continue
        found = [p for p in found if not _arxl_own(p)]
        books.extend(found)
        if not found:
            unmatched.append(name)
    return books, unmatched, skipped


# ---- one workbook, on whichever worker ------------------------------------------------------

@dataclass(frozen=True)
class BookJob:
    """One workbook's run, as sent to a worker. ``path`` is absolute as seen where the batch
    started: a worker on another machine must see the shared folder at the same path."""

    book: Path  # as the clerk named it
    path: Path
    steps: tuple[str, ...]
    as_of: dt.date | None = None
    output: Path | None = None
    files: tuple[Path, ...] = ()
    backup: bool = True
    wait: float | None = None  # seconds to wait for the workbook's lock; None: ARXL_LOCK_WAIT
    options: tuple[tuple[str, object], ...] = ()  # the command's own options (--from, --customer...)
    prepare: str = ""  # a phase of arxl adopt worked before the steps (arxl.book.adoption.PHASES)


@dataclass
class BookReport:
    """What one workbook's run came to: a row of the run report."""

    book: str
    done: bool
    problems: int | None
    seconds: float
    attempts: int
    worker: str
    message: str  # why it was not done, or which command could not run; "" when all went well
    outcomes: dict[str, str] = field(default_factory=dict)  # command -> its one-sentence outcome
    summary: str = ""  # what a single run prints
    retry: bool = False  # the failure may pass (a held lock, a lost worker): worth another attempt
    skipped: bool = False  # arxl's or Excel's own file among the names given: not worked, not a failure
    # lost with a worker pool that held other runs too: which of them broke it is not known
    lost_with_others: bool = False

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else "done" if self.done else "NOT DONE"

    def row(self) -> dict[str, Any]:
        row = asdict(self)
        del row["summary"], row["retry"]
        return row


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(job: BookJob, attempt: int = 1, progress: bool = False, alone: bool = True) -> BookReport:
    """Work one workbook as a single ``arxl`` run does, and say how it went; never raises for
    the workbook's sake (an unexpected error is logged on the worker's machine). ``alone``: no
    other run shares the machine's cores (else the run forks no helpers: ``arxl.forking``)."""
    started = time.perf_counter()

    def failed(summary: str, message: str, retry: bool = False) -> BookReport:
        return BookReport(str(job.book), False, None, round(time.perf_counter() - started, 3), attempt, _worker(),
                          message, summary=summary, retry=retry)

    try:
        with nullcontext() if alone else beside_others():
            result, summary = work_book(job.path, list(job.steps), as_of=job.as_of, output=job.output,
                                        files=job.files, progress=_Progress(progress), backup=job.backup,
                                        wait=job.wait, options=dict(job.options), prepare=job.prepare)
    except BookBusy as exc:
        return failed(not_done(job.book, exc), str(exc), retry=True)
    except BookError as exc:
        return failed(not_done(job.book, exc), str(exc))
    except Exception as exc:  # a bug must not stop the other workbooks; the file was not replaced
        log = log_error(f"{' '.join(job.steps)} on {job.path}")
        message = (f"arxl hit an unexpected error ({type(exc).__name__}: {exc}); the workbook was not changed. "
                   f"The details were written to {log} on {socket.gethostname()}; send that file to whoever "
                   f"supports arxl.")
        return failed(f"{job.book.name}: NOT DONE. {message}", message)
    return BookReport(str(job.book), result.ok, result.problems, round(time.perf_counter() - started, 3), attempt,
                      _worker(), "; ".join(f"{cid} could not run: {why}" for cid, why in result.failures.items()),
                      {cid: outcome.summary for cid, outcome in result.outcomes.items()}, summary)


def _lost(job: BookJob, attempt: int, exc: BaseException, where: str) -> BookReport:
    """The report of a run whose worker was lost before it could say how it went."""
    return BookReport(str(job.book), False, None, 0.0, attempt, where,
                      f"the worker running it was lost ({type(exc).__name__}: {exc}); the workbook is as it was "
                      f"or as that run saved it, never half-written", retry=True)


# ---- where the runs happen ----------------------------------------------------------------------

class Backend(Protocol):
    slots: int  # runs given out at once

    def submit(self, job: BookJob, attempt: int) -> Any: ...
    def wait(self, running: set[Any]) -> set[Any]: ...
    def outcome(self, future: Any, job: BookJob, attempt: int) -> BookReport: ...
    def close(self) -> None: ...


class InProcess:
    """``--jobs 1``: each workbook in this process, with its own progress bar."""

    slots = 1

    def __init__(self, progress: bool):
        self.progress = progress

    def submit(self, job: BookJob, attempt: int) -> cf.Future[BookReport]:
        future: cf.Future[BookReport] = cf.Future()
        future.set_result(run_job(job, attempt, self.progress))
        return future

    def wait(self, running: set[Any]) -> set[Any]:
        return set(running)

    def outcome(self, future: Any, job: BookJob, attempt: int) -> BookReport:
        return future.result()

    def close(self) -> None:
        pass


class ProcessPool:
    """``--jobs N``: N worker processes on this machine. They are started fresh ("spawn", as on
    Windows), so every platform runs the same way. A pool whose worker died is replaced; the
    runs it held are tried again."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.slots = 2 * jobs  # a run queued behind each busy worker, so none waits for the next
        self.pool = self._start()
        self.given: dict[cf.Future[BookReport], cf.ProcessPoolExecutor] = {}
        self.lost_at_once: dict[cf.ProcessPoolExecutor, int] = {}  # a broken pool -> the runs it held

    def _start(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, job: BookJob, attempt: int) -> cf.Future[BookReport]:
        future = self.pool.submit(run_job, job, attempt, False, False)  # beside the pool's other runs
        self.given[future] = self.pool
        return future

    def wait(self, running: set[Any]) -> set[Any]:
        return cf.wait(running, return_when=cf.FIRST_COMPLETED).done

    def outcome(self, future: Any, job: BookJob, attempt: int) -> BookReport:
        pool = self.given.pop(future)
        try:
            return future.result()
        except cf.process.BrokenProcessPool as exc:
            if pool is self.pool:  # the first of its runs to tell: start a new pool for the retries
                self.lost_at_once[pool] = 1 + sum(1 for given in self.given.values() if given is pool)
                pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._start()
            return replace(_lost(job, attempt, exc, "a local worker process"),
                           lost_with_others=self.lost_at_once[pool] > 1)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class Cluster:
    """``--cluster ADDRESS``: the workers of a Dask distributed scheduler. Each needs arxl (the
    same version) installed and the workbooks' folder at the same path; start them with one
    thread each (``dask worker ADDRESS --nthreads 1``), since a run is Python-bound."""

    def __init__(self, address: str, timeout: float | None = None):
        try:
            from distributed import Client
        except ImportError:
            raise BookError("--cluster needs Dask: pip install 'arxl[cluster]' (on this machine and every "
                            "worker's).") from None
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT if timeout is None else timeout)
        except (OSError, TimeoutError) as exc:
            raise BookError(f"The Dask scheduler at {address} could not be reached ({exc}). Start it "
                            f"(dask scheduler) or check the address; nothing was done.") from None
        versions = self.client.run(_arxl_version)
        wrong = {worker: version for worker, version in versions.items() if version != __version__}
        if not versions or wrong:
            self.client.close()
            raise BookError(f"The Dask cluster at {address} " + (
                "has no workers" if not versions else
                "has workers with another arxl: " + ", ".join(f"{w} has {v}" for w, v in wrong.items()))
                + f"; this is arxl {__version__}. Nothing was done.")
        self.slots = sys.maxsize  # the scheduler queues and balances them

    def submit(self, job: BookJob, attempt: int) -> Any:
        # a key of its own: the same workbook named twice is two runs, not one shared result
        # beside the cluster's other runs (and a Dask worker's threads are no place to fork)
        return self.client.submit(run_job, job, attempt, False, False, key=f"arxl-{job.path.name}-{uuid.uuid4().hex}",
                                  pure=False)

    def wait(self, running: set[Any]) -> set[Any]:
        from distributed import wait

        return set(wait(list(running), return_when="FIRST_COMPLETED").done)

    def outcome(self, future: Any, job: BookJob, attempt: int) -> BookReport:
        from distributed import KilledWorker

        try:
            return future.result()
        except KilledWorker as exc:
            return _lost(job, attempt, exc, "a Dask worker")
        except Exception as exc:  # the cluster could not run it (arxl missing there, unpicklable, ...)
            return BookReport(str(job.book), False, None, 0.0, attempt, "the Dask cluster",
                              f"the cluster could not run it ({type(exc).__name__}: {exc})")
        finally:
            future.release()

    def close(self) -> None:
        self.client.close()


def _arxl_version() -> str:
    return __version__


# ---- the batch --------------------------------------------------------------------------------

def run_batch(jobs: list[BookJob], backend: Backend, retries: int = DEFAULT_RETRIES,
              on_report: Callable[[BookReport], None] = lambda report: None,
              on_retry: Callable[[BookReport], None] = lambda report: None) -> list[BookReport]:
    """Run every job on ``backend``; a failure that may pass is tried again (up to ``retries``
    more attempts, after the runs already queued). A run lost with others when a worker died
    (which of them killed it is not known) is tried again alone, without using up an attempt:
    one workbook that kills its worker never uses up the attempts of those beside it. Returns
    one report per job, in the jobs' order; ``on_report`` hears of each as it ends,
    ``on_retry`` of each failure tried again."""
    # (job's index, job, this run's number, attempts used up before it, to run alone)
    queue = deque((index, job, 1, 0, False) for index, job in enumerate(jobs))
    running: dict[Any, tuple[int, BookJob, int, int, bool]] = {}
    reports: list[BookReport | None] = [None] * len(jobs)
    try:
        while queue or running:
            while (queue and len(running) < backend.slots and not any(alone for *_, alone in running.values())
                   and not (queue[0][4] and running)):
                index, job, run, spent, alone = queue.popleft()
                running[backend.submit(job, run)] = (index, job, run, spent, alone)
            for future in backend.wait(set(running)):
                index, job, run, spent, alone = running.pop(future)
                report = backend.outcome(future, job, run)
                if report.retry and report.lost_with_others:
                    on_retry(report)
                    queue.append((index, job, run + 1, spent, True))
                    continue
                if report.retry and spent + 1 <= retries:
                    on_retry(report)
                    queue.append((index, job, run + 1, spent + 1, alone))
                    continue
                reports[index] = report
                on_report(report)
    finally:
        backend.close()
    return [report for report in reports if report is not None]


def write_report(reports: list[BookReport], path: Path, about: dict[str, Any]) -> None:
    """The run report as CSV (one row per workbook) or JSON (``about`` the run, and the rows
    with each command's outcome), chosen by ``path``'s suffix."""
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps({**about, "books": [r.row() for r in reports]}, indent=2, default=str) + "\n",
                        encoding="utf-8")
        return
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["book", "status", "problems", "seconds", "attempts", "worker", "message"])
        for r in reports:
            writer.writerow([r.book, r.status, "" if r.problems is None else r.problems,
                             f"{r.seconds:.2f}", r.attempts, r.worker, r.message])


def report_table(reports: list[BookReport], width: int | None = None) -> str:
    """The run report as a table for the terminal, a workbook per line; the why is cut to
    ``width`` characters of line (a terminal's), or kept whole (a log)."""
    head = ("workbook", "result", "problems", "seconds", "tries", "why not / what could not run")
    rows = [(r.book, r.status, "" if r.problems is None else str(r.problems),
             f"{r.seconds:.1f}", str(r.attempts), " ".join(r.message.split())) for r in reports]
    widths = [max(len(head[i]), *(len(row[i]) for row in rows)) for i in range(5)]
    room = max(30, width - sum(widths) - 2 * 5) if width else None
    lines = []
    for row in (head, *rows):
        why = row[5] if room is None or len(row[5]) <= room else row[5][:room - 3] + "..."
        lines.append("  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1]),
                                *(cell.rjust(w) for cell, w in zip(row[2:5], widths[2:5])), why]).rstrip())
    return "\n".join(lines)


def backend_for(jobs: int, cluster: str | None, books: int, progress: bool) -> Backend:
    """Where the batch runs: the cluster if one is given, else ``jobs`` local processes (this
    process itself for one job or one workbook)."""
    if cluster:
        return Cluster(cluster)
    if jobs <= 1 or books <= 1:
        return InProcess(progress)
    return ProcessPool(min(jobs, books))
