"""The headless door: ``arxl`` on the command line runs the commands on workbook files.

    arxl new PATH                      a blank master workbook
    arxl demo [PATH]                   a realistic demo workbook, refreshed
    arxl refresh BOOK... [--only match,post] [--as-of DATE] [--output PATH]
    arxl match BOOK...  (and every other registered command)
    arxl import BOOK FILE...           bank and remittance files into Payments
    arxl adopt BOOK [--accept|--undo]  set arxl up in a workbook you built (a ColumnMap first)

Each workbook is opened, worked and saved on its own: one that fails is reported and the
others are still done; the exit code is 1 when any workbook failed.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from arxl import __version__
from arxl.book import adoption
from arxl.book.documents import StagedDocuments
from arxl.book.files import clean_leftovers, new_workbook, open_book, os_problem, save_book
from arxl.book.lock import BookLock
from arxl.book.port import Workbook
from arxl.book.store import BookError
from arxl.commands.adopt import COMMAND as ADOPT
from arxl.commands.command import Context
from arxl.commands.registry import COMMANDS, REFRESH
from arxl.commands.runner import RunResult, run_commands


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


Prepare = Callable[[Workbook], list[str]]


def process(book_path: Path, steps: list[str], *, as_of: dt.date | None, output: Path | None,
            files: tuple[Path, ...] = (), progress: _Progress | None = None,
            backup: bool = True, wait: float | None = None,
            prepare: Prepare | None = None) -> tuple[RunResult | None, str]:
    """Open, run ``steps``, save, holding the workbook's lock (and the output's) from reading
    to saving: a second run on the same workbook waits up to ``wait`` seconds (default:
    ``ARXL_LOCK_WAIT``), then refuses. Documents are put in place once the workbook that
    records them is saved. ``prepare`` works on the opened workbook before the steps (adopt:
    the ColumnMap); without steps, no command runs and no Exceptions are written. Returns the
    run's result (None if the workbook could not be worked) and a one-paragraph summary for the
    clerk."""
    progress = progress or _Progress(False)
    started = time.perf_counter()
    book_file = book_path.resolve()
    target = output.resolve() if output is not None else book_file
    documents = StagedDocuments(target)
    try:
        _check_output(book_path, output)
        with contextlib.ExitStack() as held:
            progress.start(f"{book_path.name}: waiting for other runs")
            book_lock = held.enter_context(BookLock(book_file, wait))
            target_lock = held.enter_context(BookLock(target, wait)) if target != book_file else book_lock
            for path in {book_file, target}:
                clean_leftovers(path)
            progress("opening", 0.0)
            book = open_book(book_path, as_of=as_of, output=output)
            prepared = prepare(book) if prepare is not None else []
            ctx = Context(progress=progress, files=files, documents=documents)
            result = run_commands(book, steps, ctx) if steps else RunResult()
            progress("saving", 0.99)
            saved = save_book(book, output=output, backup=backup, lock=target_lock, documents=documents)
            notes = documents.publish()
    except BookError as exc:
        documents.discard()
        return None, f"{book_path.name}: NOT DONE. {exc}"
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


def run_books(books: list[Path], steps: list[str], *, as_of, output, files=(), quiet=False,
              backup=True, prepare: Prepare | None = None) -> int:
    many = len(books) > 1
    if output and many and not Path(output).is_dir():
        print(f"--output {output} must be an existing folder when several workbooks are given.", file=sys.stderr)
        return 2
    failed = 0
    for book_path in tqdm(books, desc="workbooks", disable=True if quiet or not many else None, file=sys.stderr):
        try:
            result, summary = process(book_path, steps, as_of=as_of, output=_output_for(book_path, output, many),
                                      files=files, progress=_Progress(not quiet), backup=backup, prepare=prepare)
        except Exception as exc:  # a bug must not stop the other workbooks; the file was not replaced
            log = log_error(f"{' '.join(steps)} on {book_path}")
            result, summary = None, (f"{book_path.name}: NOT DONE. arxl hit an unexpected error "
                                     f"({type(exc).__name__}: {exc}); the workbook was not changed. The details "
                                     f"were written to {log}; send that file to whoever supports arxl.")
        print(summary, flush=True)
        if result is None or not result.ok:
            failed += 1
    if many:
        print(f"{len(books) - failed} of {len(books)} workbook(s) done.")
    return 1 if failed else 0


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
                                 "make memos, age receivables, import bank files.", epilog=HELP_EPILOG)
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
                           help="bank or remittance files; the format is found from each file's content")
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


def _adopt(args: argparse.Namespace) -> int:
    """``arxl adopt``: propose the ColumnMap, accept it (and run the adopt step), or undo."""
    def propose(book: Workbook) -> list[str]:
        proposal = adoption.propose(book)
        found = ", ".join(f"{t} on {w}" for t, w in proposal.found.items())
        return [f"found {found}; wrote the ColumnMap: check it, correct it, then run arxl adopt --accept"]

    prepare, steps = ((adoption.undo, []) if args.undo else (adoption.accept, [ADOPT.id]) if args.accept
                      else (propose, []))
    return run_books(args.books, steps, as_of=args.as_of, output=args.output, quiet=args.quiet,
                     backup=not args.no_backup, prepare=prepare)


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
        if macros and args.path.suffix.lower() != ".xlsm":
            print(f"{args.path}: a workbook with macros must end in .xlsm", file=sys.stderr)
            return 2
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
                         backup=not args.no_backup)
    if args.verb == ADOPT.id:
        return _adopt(args)
    cmd = COMMANDS[args.verb]
    files = tuple(getattr(args, "files", ()) or ())
    missing = [f for f in files if not f.is_file()]
    if missing:
        print(f"No such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    return run_books(args.books, [cmd.id], as_of=args.as_of, output=args.output, files=files,
                     quiet=args.quiet, backup=not args.no_backup)


if __name__ == "__main__":
    sys.exit(main())
