"""Reliability: a full disk, a file-size limit, read-only files and folders, wrong output paths,
permissions, a bug. Each is one line for the clerk naming the file and what to do, exit code 1,
the workbook untouched, no half-written backup, no traceback."""
from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from reliability import leftovers

from arxl.book.files import backup_path, open_book
from arxl.cli import main

ROWS = {"Customers": [{"CustomerID": "C1", "Name": "Acme"}],
        "Invoices": [{"InvoiceID": "INV-1", "CustomerID": "C1", "InvoiceDate": "2026-10-01", "Amount": 100}]}


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line_without_traceback(text: str) -> None:
    assert "Traceback" not in text
    assert len([line for line in text.splitlines() if line.strip()]) <= 3


@contextlib.contextmanager
def tiny_disk(tmp_path: Path, size_kb: int):
    """A tmpfs of ``size_kb`` (skips where this process may not mount one)."""
    where = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root, or no mount namespace)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.mark.attack("disk full and other faults")
def test_a_full_disk_is_a_message_and_the_workbook_stays_as_it_was(make_book, tmp_path, capsys):
    source = make_book(ROWS)
    size = source.stat().st_size
    with tiny_disk(tmp_path, size_kb=(size * 3 // 2) // 1024 + 4) as disk:
        path = disk / "book.xlsx"
        shutil.copy(source, path)
        backup = backup_path(path)
        backup.write_bytes(b"the backup of yesterday")
        before = _digest(path)
        filler = disk / "filler"
        with contextlib.suppress(OSError), open(filler, "wb") as f:  # fill what is left but a little
            f.write(b"\0" * max(0, shutil.disk_usage(disk).free - 20 * 1024))
        assert main(["--quiet", "refresh", str(path)]) == 1
        out = capsys.readouterr().out
        assert "book.xlsx: NOT DONE. Saving book.xlsx failed: the disk holding book.xlsx is full. Free some " \
               "space there and run again. The workbook was not changed." in out
        _one_line_without_traceback(out)
        assert _digest(path) == before and backup.read_bytes() == b"the backup of yesterday"
        assert not leftovers(disk)


@pytest.mark.attack("disk full and other faults")
def test_a_full_disk_while_writing_each_part_is_a_message(make_book, monkeypatch, capsys):
    """ENOSPC raised at the n-th write into the new file, wherever it falls (a part's header,
    its bytes, the central directory)."""
    import io
    import zipfile

    path = make_book(ROWS)
    before = _digest(path)
    real_open = io.open

    class FillingDisk:
        """The file the save writes, whose ``fail_at``-th write finds the disk full."""

        def __init__(self, file, fail_at: int, calls: dict[str, int]):
            self._file, self._fail_at, self._calls = file, fail_at, calls

        def write(self, data):
            self._calls["n"] += 1
            if self._calls["n"] == self._fail_at:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self._file.write(data)

        def __getattr__(self, name):
            return getattr(self._file, name)

    for fail_at in (1, 5, 20):
        calls = {"n": 0}

        def opened(file, mode="r", *args, fail_at=fail_at, calls=calls, **kwargs):
            found = real_open(file, mode, *args, **kwargs)
            return FillingDisk(found, fail_at, calls) if "w" in mode and "b" in mode else found

        monkeypatch.setattr(zipfile.io, "open", opened)  # the new file of the save is opened by zipfile
        assert main(["--quiet", "refresh", str(path)]) == 1
        monkeypatch.undo()
        out = capsys.readouterr().out
        assert "the disk holding book.xlsx is full" in out and "The workbook was not changed" in out
        _one_line_without_traceback(out)
        assert _digest(path) == before and not leftovers(path.parent)


FSIZE = textwrap.dedent("""
    import resource, sys
    from arxl.cli import main
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
    sys.exit(main(["--quiet", "refresh", sys.argv[1]]))
""")


@pytest.mark.attack("disk full and other faults")
def test_a_file_size_limit_is_a_message(make_book):
    path = make_book(ROWS)
    before = _digest(path)
    limit = path.stat().st_size // 2
    done = subprocess.run([sys.executable, "-c", FSIZE, str(path), str(limit)], capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "book.xlsx would be larger than this system lets a file be" in done.stdout
    _one_line_without_traceback(done.stdout + done.stderr)
    assert _digest(path) == before and not leftovers(path.parent)


@pytest.mark.attack("disk full and other faults")
def test_a_read_only_workbook_is_refused_and_output_still_works(make_book, tmp_path, capsys):
    path = make_book(ROWS)
    os.chmod(path, 0o444)
    before = _digest(path)
    assert main(["--quiet", "refresh", str(path)]) == 1
    out = capsys.readouterr().out
    assert "book.xlsx is marked read-only, so arxl does not replace it. Nothing was changed." in out
    _one_line_without_traceback(out)
    assert _digest(path) == before
    assert main(["--quiet", "refresh", str(path), "--output", str(tmp_path / "results.xlsx")]) == 0
    assert _digest(path) == before and len(open_book(tmp_path / "results.xlsx").read("Aging")) == 1


@pytest.mark.attack("disk full and other faults")
def test_a_read_only_folder_is_a_message(make_book, tmp_path, capsys):
    source = make_book(ROWS)
    with tiny_disk(tmp_path, size_kb=1024) as disk:
        shutil.copy(source, disk / "book.xlsx")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        assert main(["--quiet", "refresh", str(disk / "book.xlsx")]) == 1
        out = capsys.readouterr().out
        assert "arxl cannot write in the folder of book.xlsx (Read-only file system)" in out
        assert "Use a folder you can write to" in out
        _one_line_without_traceback(out)


@pytest.mark.attack("disk full and other faults")
def test_a_folder_arxl_may_not_write_to_is_a_message(make_book, monkeypatch, capsys):
    """Permissions (root ignores the mode bits, so the refusal is the operating system's)."""
    path = make_book(ROWS)
    before = _digest(path)
    real_open = os.open

    def refuse(file, flags, *args, **kwargs):
        if str(file).endswith(".arxl-lock"):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    assert main(["--quiet", "refresh", str(path)]) == 1
    out = capsys.readouterr().out
    assert "arxl cannot write in the folder of book.xlsx (Permission denied)" in out
    _one_line_without_traceback(out)
    assert _digest(path) == before


@pytest.mark.attack("disk full and other faults")
@pytest.mark.parametrize("output, expected", [
    ("missing/results.xlsx", "the folder {tmp}/missing does not exist. Create it first"),
    (".", "is a folder; give a file name such as"),
])
def test_a_wrong_output_path_is_a_message(make_book, tmp_path, capsys, output, expected):
    path = make_book(ROWS)
    before = _digest(path)
    target = tmp_path / output
    assert main(["--quiet", "refresh", str(path), "--output", str(target)]) == 1
    out = capsys.readouterr().out
    assert expected.format(tmp=tmp_path) in out
    _one_line_without_traceback(out)
    assert _digest(path) == before and not (tmp_path / "missing").exists()


@pytest.mark.attack("disk full and other faults")
def test_several_workbooks_need_an_existing_output_folder(make_book, tmp_path, capsys):
    one, two = make_book(ROWS, name="one.xlsx"), make_book(ROWS, name="two.xlsx")
    assert main(["--quiet", "refresh", str(one), str(two), "--output", str(tmp_path / "nowhere")]) == 2
    assert "must be an existing folder" in capsys.readouterr().err


@pytest.mark.attack("disk full and other faults")
def test_an_unexpected_error_names_the_workbook_and_the_log_never_a_traceback(make_book, monkeypatch, capsys,
                                                                              tmp_path):
    from arxl import cli
    from arxl.commands import runner

    path = make_book(ROWS)
    before = _digest(path)
    monkeypatch.setattr(cli, "ERROR_LOG", tmp_path / "arxl-errors.log")

    def bug(*args, **kwargs):
        raise KeyError("a bug in arxl")

    monkeypatch.setattr(runner.Workbook, "load", bug)
    assert main(["--quiet", "refresh", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"book.xlsx: NOT DONE. arxl hit an unexpected error (KeyError: 'a bug in arxl'); the workbook was not " \
           f"changed. The details were written to {tmp_path / 'arxl-errors.log'}" in out
    _one_line_without_traceback(out)
    assert "Traceback" in (tmp_path / "arxl-errors.log").read_text() and _digest(path) == before


@pytest.mark.attack("disk full and other faults")
def test_new_into_a_missing_folder_is_a_message(tmp_path, capsys):
    assert main(["new", str(tmp_path / "missing" / "book.xlsx")]) == 1
    err = capsys.readouterr().err
    assert f"The folder {tmp_path / 'missing'} does not exist. Create it" in err and "Traceback" not in err
