"""The headless door: ``arxl`` on the command line runs the commands on workbook files.

    arxl new PATH                      a blank master workbook
    arxl demo [PATH]                   a realistic demo workbook, refreshed
    arxl refresh BOOK... [--only match,post] [--as-of DATE] [--output PATH]
                 [--jobs N | --cluster ADDRESS] [--report PATH] [--retries N]
    arxl match BOOK...  (and every other registered command)
    arxl import BOOK FILE...           bank and remittance files into Payments
    arxl statements BOOK... [--from DATE] [--layout LAYOUT] [--customer ID...] [--send]
    arxl adopt BOOK... [--accept|--undo]  set arxl up in a workbook you built (a ColumnMap first)

Each workbook is opened, worked and saved on its own: one that fails is reported and the
others are still done; the exit code is 1 when any workbook failed.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from arxl import __version__
from arxl.book import adoption
from arxl.book.documents import StagedDocuments
from arxl.book.files import clean_leftovers, new_workbook, open_book, os_problem, save_book
from arxl.book.lock import BookLock, configured_wait
from arxl.book.package import MACRO_SUFFIX, check_name
from arxl.book.store import BookError
from arxl.commands.adopt import COMMAND as ADOPT
from arxl.commands.command import Context
from arxl.commands.registry import COMMANDS, REFRESH
from arxl.commands.runner import RunResult, run_commands
from arxl.forking import before_forking, fork_workers, left_out_of_collections


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-11-20") from None


class _Progress:
    """One tqdm bar per workbook step; commands report (message, fraction)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def start(self, label: str):
        if self.enabled:
            # disable=None: no bar when stderr is not a terminal (a scheduled batch's log)
            self.bar = tqdm(total=100, desc=label, leave=False, file=sys.stderr, disable=None,
                            bar_format="{desc:<40.40} {percentage:3.0f}%|{bar}| {elapsed}")

    def __call__(self, message: str, fraction: float | None = None) -> None:
        if self.bar is None:
            return
        self.bar.set_description_str(message[:40])
        if fraction is not None:
            self.bar.n = int(max(0.0, min(1.0, fraction)) * 100)
        self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _output_for(book_path: Path, output: str | None, many: bool) -> Path | None:
    if output is None:
        return None
    out = Path(output)
    if many:
        return out / book_path.name
    return out


DEFAULT_RETRIES = 2  # more attempts for a workbook whose lock was held or whose worker was lost
SKIPPED = "arxl's or Excel's own file (a backup, a kept result or a temporary file): name it alone to work on it"

ERROR_LOG = Path(tempfile.gettempdir()) / "arxl-errors.log"


def log_error(what: str) -> Path:
    """The traceback of an unexpected error, for whoever supports arxl (never shown to the clerk)."""
    try:
        with ERROR_LOG.open("a", encoding="utf-8") as log:
            log.write(f"--- {dt.datetime.now():%Y-%m-%d %H:%M:%S} {what}\n{traceback.format_exc()}\n")
    except OSError:
        return Path("(the log could not be written)")
    return ERROR_LOG


def _check_output(book_path: Path, output: Path | None) -> None:
    """Refuse an --output arxl cannot write to before any work is done."""
    if output is None:
        return
    if output.is_dir():
        raise BookError(f"--output {output} is a folder; give a file name such as {output / book_path.name}.")
    if not output.parent.is_dir():
        raise BookError(f"--output {output}: the folder {output.parent} does not exist. Create it first, or "
                        f"give a path in an existing folder.")
    check_name(output, "The output")


def process(book_path: Path, steps: list[str], *, as_of: dt.date | None, output: Path | None,
            files: tuple[Path, ...] = (), progress: _Progress | None = None,
            backup: bool = True, wait: float | None = None,
            options: dict[str, object] | None = None, prepare: str = "") -> tuple[RunResult | None, str]:
    """``work_book``, with a workbook that could not be worked told as NOT DONE and why:
    returns the run's result (None if the workbook could not be worked) and a one-paragraph
    summary for the clerk."""
    try:
        return work_book(book_path, steps, as_of=as_of, output=output, files=files, progress=progress,
                         backup=backup, wait=wait, options=options, prepare=prepare)
    except BookError as exc:
        return None, not_done(book_path, exc)


def not_done(book_path: Path, exc: BookError) -> str:
    return f"{book_path.name}: NOT DONE. {exc}"


def work_book(book_path: Path, steps: list[str], *, as_of: dt.date | None, output: Path | None,
              files: tuple[Path, ...] = (), progress: _Progress | None = None,
              backup: bool = True, wait: float | None = None,
              options: dict[str, object] | None = None, prepare: str = "") -> tuple[RunResult, str]:
    """Open, run ``steps``, save, holding the workbook's lock (and the output's) from reading
    to saving: a second run on the same workbook waits up to ``wait`` seconds (default:
    ``ARXL_LOCK_WAIT``), then refuses (``BookBusy``). Documents are put in place once the
    workbook that records them is saved. ``prepare`` names a phase of ``arxl adopt``
    (``arxl.book.adoption.PHASES``) worked on the opened workbook before the steps; without
    steps, no command runs and no Exceptions are written. Returns the run's result and a
    one-paragraph summary for the clerk; a workbook that cannot be worked raises
    ``BookError``, nothing changed."""
    progress = progress or _Progress(False)
    started = time.perf_counter()
    if fork_workers(2) > 1:  # its large blocks kept apart from the start, before they are freed and reused
        before_forking()
    book_file = book_path.resolve()
    target = output.resolve() if output is not None else book_file
    documents = StagedDocuments(target)
    try:
        _check_output(book_path, output)
        with contextlib.ExitStack() as held:
            held.enter_context(left_out_of_collections())  # until saved: the run's objects, as the runner leaves them
            progress.start(f"{book_path.name}: waiting for other runs")
            book_lock = held.enter_context(BookLock(book_file, wait))
            target_lock = held.enter_context(BookLock(target, wait)) if target != book_file else book_lock
            for path in {book_file, target}:
                clean_leftovers(path)
            progress("opening", 0.0)
            book = open_book(book_path, as_of=as_of, output=output)
            prepared = adoption.PHASES[prepare](book) if prepare else []
            ctx = Context(progress=progress, files=files, documents=documents, options=options or {})
            result = run_commands(book, steps, ctx) if steps else RunResult()
            progress("saving", 0.99)
            saved = save_book(book, output=output, backup=backup, lock=target_lock, documents=documents)
            notes = [f"{saved.name}: {note}" for note in getattr(book.store, "notes", [])]
            notes += documents.publish()
    except BaseException:
        documents.discard()
        raise
    finally:
        progress.close()
    lines = [f"{book_path.name} -> {saved.name} ({time.perf_counter() - started:.1f} s)"]
    lines.extend(f"  {note}" for note in prepared)
    for cid, outcome in result.outcomes.items():
        lines.append(f"  {cid:8} {outcome.summary}")
    for cid, why in result.failures.items():
        lines.append(f"  {cid:8} COULD NOT RUN: {why}")
    lines.extend(f"  note: {note}" for note in notes)
    if steps:
        lines.append(f"  {result.problems} problem(s) listed in the Exceptions sheet" if result.problems
                     else "  no problems found")
    return result, "\n".join(lines)


def run_books(books: list[Path], steps: list[str], *, as_of: dt.date | None, output: str | None,
              files: tuple[Path, ...] = (), quiet: bool = False, backup: bool = True, jobs: int = 1,
              options: dict[str, object] | None = None, prepare: str = "",
              cluster: str | None = None, report: Path | None = None, retries: int = DEFAULT_RETRIES) -> int:
    """Work each of ``books`` (files, folders, patterns) on its own, in this process, ``jobs``
    local processes or on a Dask ``cluster`` (``arxl.batch``); print each one's summary as it
    ends, then, for several, the run report (also written to ``report``). ``prepare``: a phase
    of ``arxl adopt`` (``work_book``). Returns the exit code."""
    # the batch builds on this module's single-book path (work_book), so it is imported here
    from arxl.batch import BookJob, BookReport, backend_for, expand, report_table, run_batch, write_report

    named, unmatched, skipped = expand(books)
    many = len(named) > 1 or named != list(books)
    if output and many and not Path(output).is_dir():
        print(f"--output {output} must be an existing folder when several workbooks are given.", file=sys.stderr)
        return 2
    if report is not None and not report.resolve().parent.is_dir():
        print(f"--report {report}: the folder {report.resolve().parent} does not exist.", file=sys.stderr)
        return 2
    targets: dict[Path, Path] = {}
    for book in named:
        out = _output_for(book, output, many)
        if out is not None and targets.setdefault(out.resolve(), book.resolve()) != book.resolve():
            print(f"--output {output}: {targets[out.resolve()]} and {book} would both be written to {out}; "
                  f"refresh them into different folders.", file=sys.stderr)
            return 2
    wait = configured_wait()  # every worker waits as long, wherever its ARXL_LOCK_WAIT says otherwise
    jobs_list = [BookJob(book, book.resolve(), tuple(steps), as_of,
                         None if (out := _output_for(book, output, many)) is None else out.resolve(),
                         tuple(f.resolve() for f in files), backup, wait,
                         tuple((options or {}).items()), prepare) for book in named]
    started = dt.datetime.now()
    bar = tqdm(total=len(jobs_list), desc="workbooks", unit="book", file=sys.stderr,
               disable=True if quiet or not many else None)

    shown = True  # whether the output is still read: a batch piped to `head` goes on after it closes

    def say(text: str) -> None:
        nonlocal shown
        if shown:
            with bar.external_write_mode():
                shown = _printed(text)

    def ended(done: BookReport) -> None:
        say(done.summary)
        bar.update()

    def again(failed: BookReport) -> None:
        say(f"{Path(failed.book).name}: not done on attempt {failed.attempts} ({failed.message.split('. ')[0]}); "
            f"it will be tried again.")

    try:
        backend = backend_for(jobs, cluster, len(jobs_list), progress=not quiet)
        reports = run_batch(jobs_list, backend, retries, ended, again)
    finally:
        bar.close()
    reports += [BookReport(str(name), False, None, 0.0, 0, "", "no workbook matches this name")
                for name in unmatched]
    reports += [BookReport(str(name), True, None, 0.0, 0, "", SKIPPED, skipped=True) for name in skipped]
    failed = sum(not r.done for r in reports)
    worked = len(reports) - len(skipped)
    seconds = (dt.datetime.now() - started).total_seconds()
    if many:
        say(report_table(reports, shutil.get_terminal_size().columns if sys.stdout.isatty() else None))
        say(f"{worked - failed} of {worked} workbook(s) done in {seconds:.1f} s"
            + (f"; {len(skipped)} of arxl's or Excel's own files skipped." if skipped else "."))
    if report is not None:
        where = f"Dask cluster {cluster}" if cluster else f"{min(jobs, len(jobs_list))} local process(es)"
        write_report(reports, report, {"arxl": __version__, "steps": steps, "started": started.isoformat(
            timespec="seconds"), "seconds": round(seconds, 3), "where": where, "done": worked - failed,
            "not_done": failed, "skipped": len(skipped)})
        say(f"The run report is in {report}.")
    if not shown:
        print(f"arxl's output was closed by the program reading it (as head does); every workbook was still "
              f"worked: {worked - failed} of {worked} done. Each workbook's Exceptions sheet says what its run did"
              + (f", and the run report {report} what the batch did." if report is not None else "."),
              file=sys.stderr)
    return 1 if failed else 0


def _printed(text: str) -> bool:
    """Print ``text``; False, and the output sent nowhere from now on, once the program reading
    it has closed it (as head does): the work it reports on goes on."""
    try:
        print(text, flush=True)  # (flushed: a closed output is found now, not at exit)
        return True
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return False


def _count(least: int) -> Callable[[str], int]:
    """An option's whole number of at least ``least``."""

    def count(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = least - 1
        if value < least:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least {least}")
        return value
    return count


def _report_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in (".csv", ".json"):
        raise argparse.ArgumentTypeError(f"{text}: the run report is a .csv or a .json file")
    return path


def _steps(text: str) -> list[str]:
    """``--only``'s value: steps of ``arxl refresh``, separated by commas."""
    wanted = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in REFRESH]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(f"{', '.join(unknown) or 'nothing'} is not a step of refresh; "
                                         f"the steps are {', '.join(REFRESH)}")
    return wanted


HELP_EPILOG = ("Each workbook is done on its own: one that cannot be done is reported (NOT DONE, and why) "
               "and the others are still done. Exit code 0 when every workbook was done, 1 when any was "
               "not, 2 for a command line arxl cannot read. See docs/CLERK.md and docs/WORKBOOK.md.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arxl", description="Accounts receivable in your own workbook: match remittances, post payments, "
                                 "make memos, age receivables, import bank files, make invoices, statements and "
                                 "reminder letters, and send them.", epilog=HELP_EPILOG)
    parser.add_argument("--version", action="version", version=f"arxl {__version__}")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND")

    p = sub.add_parser("new", help="write a blank master workbook",
                       description="Write a blank master workbook: every table with its headers, formats and "
                                   "drop-downs, and a Settings table listing every setting with its default.")
    p.add_argument("path", type=Path, metavar="PATH", help="the workbook to write (never overwritten)")

    p = sub.add_parser("demo", help="write a realistic demo workbook and refresh it",
                       description="Write a demo workbook (300 customers, 4,000 invoices, a day's noisy "
                                   "remittances) and run refresh on it, so every sheet shows arxl at work.")
    p.add_argument("path", type=Path, nargs="?", metavar="PATH", help="default: demo.xlsx, or demo.xlsm with --xlsm")
    p.add_argument("--seed", type=int, default=7, help="another seed gives another demo world (default 7)")
    p.add_argument("--force", action="store_true", help="overwrite an existing demo workbook")
    p.add_argument("--xlsm", action="store_true",
                   help="a macro-enabled copy of the master workbook, with the AR tab, to try the buttons on "
                        "(also when PATH ends in .xlsm)")
    p.add_argument("--master", type=Path, help="the master workbook to copy (default: workbooks/arxl.xlsm)")

    def book_args(p: argparse.ArgumentParser, many: bool = True) -> None:
        p.add_argument("books", type=Path, nargs="+" if many else 1, metavar="BOOK",
                       help="the workbook(s) to work on" if many else "the workbook to import into")
        p.add_argument("--as-of", type=_date, metavar="DATE",
                       help="the run's date, e.g. 2026-11-20: aging is taken as of it and the run's postings, "
                            "memos and reversals are dated on it (default: Settings AsOfDate, else today)")
        p.add_argument("--output", metavar="PATH",
                       help="write the results here and leave the workbook as it was "
                            "(a folder when several workbooks are given)")
        p.add_argument("--no-backup", action="store_true",
                       help="do not keep the previous version as NAME.bak.xlsx")
        if many:
            batch = p.add_argument_group("many workbooks", "BOOK may also be a folder (its .xlsx and .xlsm files) or a "
                                         "quoted pattern such as 'books/*.xlsx'; backups are skipped")
            batch.add_argument("--jobs", type=_count(1), metavar="N",
                               help="work N workbooks at once in as many processes (default: the number of "
                                    "cores; 1: one after the other in this process)")
            batch.add_argument("--cluster", metavar="ADDRESS",
                               help="work them on the workers of a Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                                    "(needs arxl[cluster]; the workbooks' folder at the same path on every worker)")
            batch.add_argument("--report", type=_report_path, metavar="PATH",
                               help="write the run report (each workbook: done or not, problems, seconds, "
                                    "attempts, worker, why not) to PATH, a .csv or .json file")
            batch.add_argument("--retries", type=_count(0), default=DEFAULT_RETRIES, metavar="N",
                               help="try a workbook again up to N times when its lock was held by another run "
                                    f"or its worker was lost (default {DEFAULT_RETRIES})")

    p = sub.add_parser("refresh", help="run " + ", ".join(REFRESH) + " on workbooks", epilog=HELP_EPILOG,
                       description="Run the steps of refresh, in order, on each workbook: "
                                   + "; ".join(f"{c}: {COMMANDS[c].tooltip}" for c in REFRESH) + ".")
    book_args(p)
    p.add_argument("--only", type=_steps, metavar="STEPS",
                   help=f"comma-separated steps to run, in refresh's order; the steps are {', '.join(REFRESH)}")

    for cmd in COMMANDS.values():
        p = sub.add_parser(cmd.id, help=cmd.tooltip, description=cmd.tooltip + ".", epilog=HELP_EPILOG)
        book_args(p, many=not cmd.needs_files)
        if cmd.needs_files:
            p.add_argument("files", type=Path, nargs="+", metavar="FILE",
                           help=f"{cmd.file_kinds.description.lower()} ({', '.join(cmd.file_kinds.extensions)})")
        for option in cmd.options:
            if option.kind == "flag":
                p.add_argument(option.flag, dest=option.dest, action="store_true", help=option.help)
                continue
            kinds: dict[str, dict[str, object]] = {"date": {"type": _date}, "ids": {"nargs": "+"},
                                                   "choice": {"type": _choice(option.choices)}}
            p.add_argument(option.flag, dest=option.dest, metavar=option.metavar or None, help=option.help,
                           **kinds[option.kind])  # type: ignore[arg-type]
        if cmd.drafts_mail:
            p.add_argument("--send", action="store_true",
                           help="then send the e-mail drafts waiting in the Outbox (arxl send), through Settings "
                                "SmtpHost")
        if cmd.id == ADOPT.id:
            p.description = (ADOPT.tooltip + ". The first run writes only a ColumnMap table (where arxl found "
                             "each column, and how sure it is); correct it, then accept it with --accept.")
            which = p.add_mutually_exclusive_group()
            which.add_argument("--accept", action="store_true",
                               help="accept the ColumnMap (proposing it first if there is none), add arxl's own "
                                    "sheets and Customers from your customer names")
            which.add_argument("--undo", action="store_true",
                               help="remove what arxl added: its sheets, its [arxl] columns, the ColumnMap")
    return parser


def _choice(choices: tuple[str, ...]):
    """An option's value read as one of ``choices``, in any case and spacing."""
    def read(text: str) -> str:
        key = "".join(text.split()).lower()
        for choice in choices:
            if "".join(choice.split()).lower() == key:
                return choice
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(choices)}")
    return read


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:  # a bare `arxl`: say what it can do
        parser.print_help()
        return 0
    try:
        return _run(parser, args)
    except BookError as exc:
        print(exc, file=sys.stderr)
    except BrokenPipeError:  # the program reading arxl's output closed it, as `head` does: no disk problem
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # (nor a second error at exit)
        print("arxl's output was closed by the program reading it (as head does) before all of it was printed; "
              "each workbook's Exceptions sheet says what its run did.", file=sys.stderr)
    except OSError as exc:  # writing a new or demo workbook
        where = Path(exc.filename) if exc.filename else Path(str(getattr(args, "path", "")))
        print(os_problem(exc, where, f"Writing {where.name}"), file=sys.stderr)
    except Exception as exc:
        log = log_error(f"arxl {args.verb}")
        print(f"arxl {args.verb} could not finish: an unexpected error ({type(exc).__name__}: {exc}). No workbook "
              f"was replaced. The details were written to {log}; send that file to whoever supports arxl.",
              file=sys.stderr)
    return 1


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.verb == "new":
        check_name(args.path)
        if args.path.suffix.lower() == MACRO_SUFFIX:
            from arxl.excel.build import write_new_xlsm

            with BookLock(args.path.resolve()):
                if args.path.exists():
                    raise BookError(f"{args.path} exists already; arxl new never overwrites a workbook.")
                write_new_xlsm(args.path)
            print(f"Wrote {args.path}: the tables of the master workbook, its Settings and the AR tab "
                  f"(macros), ready to fill in.")
            return 0
        new_workbook(args.path)
        print(f"Wrote {args.path}: the tables of the master workbook and its Settings, ready to fill in.")
        return 0
    if args.verb == "demo":
        from arxl.demo import write_demo

        macros = args.xlsm or (args.path is not None and args.path.suffix.lower() == ".xlsm")
        args.path = args.path or Path("demo.xlsm" if macros else "demo.xlsx")
        if args.path.exists() and not args.force:
            print(f"{args.path} exists; use --force to replace it.", file=sys.stderr)
            return 1
        if macros and args.path.suffix.lower() != MACRO_SUFFIX:
            print(f"{args.path}: a workbook with macros must end in .xlsm", file=sys.stderr)
            return 2
        check_name(args.path)
        started = time.perf_counter()
        if macros:
            from arxl.excel.build import MASTER, write_demo_xlsm

            try:
                write_demo_xlsm(args.path, args.master or MASTER, seed=args.seed)
            except (FileNotFoundError, ValueError) as exc:
                print(f"{exc}", file=sys.stderr)
                return 1
        else:
            write_demo(args.path, seed=args.seed, overwrite=True)
        print(f"Wrote the demo workbook {args.path} in {time.perf_counter() - started:.1f} s; refreshing it:")
        return run_books([args.path], list(REFRESH), as_of=None, output=None, quiet=args.quiet, backup=False)
    if args.verb == "refresh":
        steps = [s for s in REFRESH if not args.only or s in args.only]
        return run_books(args.books, steps, as_of=args.as_of, output=args.output, quiet=args.quiet,
                         backup=not args.no_backup, **_batch(args))
    if args.verb == ADOPT.id:
        # propose the ColumnMap, accept it (then the adopt step), or undo
        phase, steps = ("undo", []) if args.undo else ("accept", [ADOPT.id]) if args.accept else ("propose", [])
        return run_books(args.books, steps, as_of=args.as_of, output=args.output, quiet=args.quiet,
                         backup=not args.no_backup, prepare=phase, **_batch(args))
    cmd = COMMANDS[args.verb]
    files = tuple(getattr(args, "files", ()) or ())
    missing = [f for f in files if not f.is_file()]
    if missing:
        print(f"No such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    options = {o.dest: getattr(args, o.dest) for o in cmd.options if getattr(args, o.dest) is not None}
    failed = run_books(args.books, [cmd.id], as_of=args.as_of, output=args.output, files=files,
                       quiet=args.quiet, backup=not args.no_backup, options=options, **_batch(args))
    if not getattr(args, "send", False):
        return failed
    # the drafts are in place only once the workbook recording them is saved: send in a run of its own,
    # on the workbooks as the first run left them
    many = len(args.books) > 1
    made = [_output_for(book, args.output, many) or book for book in args.books]
    return max(failed, run_books(made, ["send"], as_of=args.as_of, output=None, quiet=args.quiet,
                                 backup=not args.no_backup, **_batch(args)))


def _batch(args: argparse.Namespace) -> dict[str, Any]:
    """The options of a run over many workbooks (none for a command that takes one)."""
    if not hasattr(args, "jobs"):
        return {}
    from arxl.batch import default_jobs

    return {"jobs": args.jobs or default_jobs(), "cluster": args.cluster, "report": args.report,
            "retries": args.retries}


if __name__ == "__main__":
    sys.exit(main())
