"""Writing the documents a run makes (memo PDFs) so that none is ever overwritten and none
names a number its workbook does not record.

Every document is drawn into a temporary file beside its target and then put in place with
an exclusive create (a hard link, which fails if the name is taken): a document that exists is
never replaced. Two ways to put it in place:

- ``Documents`` (the Excel door): at once. The clerk saves the workbook afterwards; a document
  whose workbook was closed without saving is found by the next run as a name already taken,
  and that run refuses to number over it.
- ``StagedDocuments`` (the headless door): only once the workbook that records them is saved.
  A run killed before the save leaves only staged files, which the next run removes: their
  numbers were never taken, since no saved ledger row holds them. A run killed between the save
  and the publishing is finished by the next run from the journal (``.~arxl-NAME-documents``
  beside the workbook), which records the staged files and the digest of the workbook that
  records them.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

TEMP_PREFIX = ".~arxl-"


def temp_name(target: Path, kind: str = "") -> Path:
    """A temporary file beside ``target`` that names it and the process writing it."""
    return target.with_name(f"{TEMP_PREFIX}{target.name}-{os.getpid()}-{kind}{os.urandom(4).hex()}{target.suffix}")


def place_exclusively(source: Path, target: Path) -> None:
    """Give ``source`` the name ``target`` unless that name is taken (FileExistsError), then
    remove the name ``source``. A hard link is atomic and exclusive; where a filesystem has
    none (FAT drives, some network shares) the name is checked first and the file renamed."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
        if target.exists():
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from exc
        os.rename(source, target)
        return
    os.unlink(source)


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class DocumentExists(FileExistsError):
    """A document's name is taken already: arxl never writes over it."""


class Documents:
    """Documents written and put in place at once (see the module docstring)."""

    def write(self, target: Path, render: Callable[[Path], object]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise DocumentExists(errno.EEXIST, "exists", str(target))
        staged = temp_name(target, "doc-")
        try:
            render(staged)
        except BaseException:
            with contextlib.suppress(OSError):
                staged.unlink()
            raise
        self._placed(staged, target)

    def withdraw(self, target: Path) -> None:
        """A document this writer just put in place, for a step that was not recorded."""
        with contextlib.suppress(FileNotFoundError):
            target.unlink()

    def _placed(self, staged: Path, target: Path) -> None:
        try:
            place_exclusively(staged, target)
        except FileExistsError:
            with contextlib.suppress(OSError):
                staged.unlink()
            raise DocumentExists(errno.EEXIST, "exists", str(target)) from None


def journal_path(book: Path) -> Path:
    return book.with_name(f"{TEMP_PREFIX}{book.name}-documents")


class StagedDocuments(Documents):
    """Documents drawn now and put in place once the workbook that records them is saved."""

    def __init__(self, book: Path):
        self.book = book
        self.staged: list[tuple[Path, Path]] = []  # (staged file, target)
        self._journaled = False  # only this run's journal is ever removed by it
        self._committed = False  # the journal names the new workbook: only the next run may decide

    def write(self, target: Path, render: Callable[[Path], object]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or any(t == target for _, t in self.staged):
            raise DocumentExists(errno.EEXIST, "exists", str(target))
        staged = temp_name(target, "doc-")
        self.staged.append((staged, target))
        self._journal(None)  # before the file exists: a run killed from here on leaves nothing unknown
        try:
            render(staged)
        except BaseException:
            self.withdraw(target)
            raise

    def withdraw(self, target: Path) -> None:
        for pair in [p for p in self.staged if p[1] == target]:
            self.staged.remove(pair)
            with contextlib.suppress(FileNotFoundError):
                pair[0].unlink()
        if self._journaled:
            self._journal(None)

    def _journal(self, workbook_digest: str | None) -> None:
        path = journal_path(self.book)
        tmp = temp_name(path, "journal-")
        body = {"workbook": workbook_digest, "documents": [[str(s), str(t)] for s, t in self.staged]}
        tmp.write_text(json.dumps(body), encoding="utf-8")
        os.replace(tmp, path)
        self._journaled = True

    def _forget_journal(self) -> None:
        if self._journaled:
            with contextlib.suppress(OSError):
                journal_path(self.book).unlink()
            self._journaled = False

    def commit(self, new_version: Path) -> None:
        """Called with the new version of the workbook just before it replaces the old one."""
        if self.staged:
            self._journal(digest(new_version))
            self._committed = True

    def publish(self) -> list[str]:
        """Put every staged document in place (the workbook recording them is saved); returns
        sentences for the clerk about any that could not be."""
        notes = _publish(self.staged)
        self.staged = []
        self._forget_journal()
        return notes

    def keep_aside(self, tag: str) -> list[Path]:
        """The workbook was not replaced (someone saved it meanwhile): keep each document
        beside where it would have gone, as ``NAME.<tag>.pdf``, never taking its name."""
        kept = []
        for staged, target in self.staged:
            aside = target.with_name(f"{target.stem}.{tag}{target.suffix}")
            try:
                place_exclusively(staged, aside)
                kept.append(aside)
            except OSError:
                kept.append(staged)
        self.staged = []
        self._forget_journal()
        return kept

    def discard(self) -> None:
        """Remove the staged documents of a run that stops; once the new workbook may be in
        place (an interruption during the save), they are left to the next run's ``recover``."""
        if self._committed:
            return
        for staged, _ in self.staged:
            with contextlib.suppress(OSError):
                staged.unlink()
        self.staged = []
        self._forget_journal()


def _publish(pairs: list[tuple[Path, Path]]) -> list[str]:
    notes = []
    for staged, target in pairs:
        if not staged.exists():
            continue
        try:
            place_exclusively(staged, target)
        except FileExistsError:
            aside = target.with_name(f"{target.stem}.arxl-{os.getpid()}{target.suffix}")
            with contextlib.suppress(OSError):
                shutil.move(str(staged), aside)
            notes.append(f"{target.name} appeared while arxl worked; this run's document is {aside.name}")
        except OSError as exc:
            notes.append(f"{target.name} could not be put in place ({exc.strerror or exc}); it is {staged}")
    return notes


def recover(book: Path) -> list[str]:
    """Finish or undo the documents of a run on ``book`` that was killed (see the module
    docstring). Call while holding the workbook's lock, before reading it."""
    path = journal_path(book)
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        pairs = [(Path(s), Path(t)) for s, t in body.get("documents", [])]
    except FileNotFoundError:
        return []
    except (ValueError, TypeError, OSError):
        pairs, body = [], {}
    notes: list[str] = []
    saved = body.get("workbook")
    if saved and book.exists() and digest(book) == saved:
        notes = _publish(pairs)
    else:
        for staged, _ in pairs:
            with contextlib.suppress(OSError):
                staged.unlink()
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return notes
