"""One arxl writer at a time on a workbook file.

Every headless run takes a lock on the workbook before it reads it and keeps it until the new
version is saved and its documents are in place: a lock file beside the workbook,
``.NAME.arxl-lock``, created with ``O_CREAT | O_EXCL`` (atomic on local disks, NFS v3 and later,
and SMB shares), holding who took it (host, process, user, time). While held, a thread touches
the file every ``HEARTBEAT`` seconds. A second run waits up to ``ARXL_LOCK_WAIT`` seconds
(default ``DEFAULT_WAIT``) for it, then refuses with a message naming the workbook and the holder.

A lock left by a run that died is taken over: on the same host when its process is gone; from
another host when the lock file has not been touched for ``STALE_AFTER`` seconds of watching (no
clock comparison between machines is needed). Limits: a filesystem that does not honour
``O_EXCL`` (some old NFS v2 mounts, a few synced-folder clients such as OneDrive or Dropbox,
which copy files between machines after the fact) cannot give one-writer-at-a-time across
machines; on them each machine's runs are still serialised, and the check before replacing the
file (see ``arxl.book.files``) still refuses to overwrite a version someone else saved.
Excel does not know this lock; arxl respects Excel's own ``~$`` owner file instead.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import socket
import threading
import time
from pathlib import Path

from arxl.book.store import BookError

DEFAULT_WAIT = 30.0  # seconds a second run waits for the first
HEARTBEAT = 2.0  # seconds between touches of a held lock
STALE_AFTER = 10.0  # seconds a lock from another host may stay untouched before it counts as dead


class BookBusy(BookError):
    """Another arxl run holds the workbook."""


def lock_path(book: Path) -> Path:
    return book.with_name(f".{book.name}.arxl-lock")


def configured_wait() -> float:
    """Seconds to wait for another run: ``ARXL_LOCK_WAIT`` if set, else ``DEFAULT_WAIT``."""
    text = os.environ.get("ARXL_LOCK_WAIT", "").strip()
    try:
        return max(0.0, float(text)) if text else DEFAULT_WAIT
    except ValueError:
        return DEFAULT_WAIT


def _me() -> dict[str, object]:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment (a service account without one)
        user = "?"
    return {"host": socket.gethostname(), "pid": os.getpid(), "user": user,
            "since": dt.datetime.now().isoformat(timespec="seconds"), "token": os.urandom(8).hex()}


def _read(path: Path) -> tuple[dict[str, object], int] | None:
    """The holder written in a lock file and the file's mtime; None if there is none. A lock
    file being written (empty or half) reads as a holder of unknown identity."""
    try:
        with open(path, "rb") as f:
            stamp = os.fstat(f.fileno()).st_mtime_ns
            data = f.read(4096)
    except FileNotFoundError:
        return None
    try:
        holder = json.loads(data.decode("utf-8"))
        if not isinstance(holder, dict):
            raise ValueError
    except ValueError:
        holder = {}
    return holder, stamp


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OSError:
        return True
    return True


def describe(holder: dict[str, object]) -> str:
    if not holder:
        return "another arxl run (it is still writing its lock)"
    return (f"arxl process {holder.get('pid', '?')} of {holder.get('user', '?')} on {holder.get('host', '?')}, "
            f"since {str(holder.get('since', '?')).replace('T', ' ')}")


class BookLock:
    """The lock on one workbook file; a context manager. ``still_held()`` tells, before the
    file is replaced, that no one took the lock over meanwhile."""

    def __init__(self, book: Path, wait: float | None = None):
        self.book = Path(book)
        self.path = lock_path(self.book)
        self.wait = configured_wait() if wait is None else wait
        self._me = _me()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self.held = False

    # ---- taking --------------------------------------------------------------------------
    def acquire(self) -> BookLock:
        deadline = time.monotonic() + self.wait
        watched: tuple[int, float] | None = None  # (mtime seen, when first seen) of a foreign lock
        while True:
            if self._create():
                return self
            found = _read(self.path)
            if found is None:
                continue  # released between our try and our look: try again at once
            holder, stamp = found
            now = time.monotonic()
            if watched is None or watched[0] != stamp:
                watched = (stamp, now)
            if self._dead(holder, now - watched[1]):
                self._break(holder)
                watched = None
                continue
            if now >= deadline:
                raise BookBusy(f"{self.book.name} is being worked on by {describe(holder)}. Nothing was changed. "
                               f"Run again when it is done. If no arxl runs there any more, delete "
                               f"{self.path.name} beside the workbook.")
            time.sleep(min(0.2, max(0.0, deadline - now)))

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        except FileNotFoundError:
            raise BookError(f"The folder {self.book.parent} does not exist. Create it, or give a path in an "
                            f"existing folder. Nothing was changed.") from None
        except OSError as exc:
            raise BookError(f"arxl cannot write in the folder of {self.book.name} ({exc.strerror or exc}), so it "
                            f"cannot lock the workbook or save it. Nothing was changed. Use a folder you can "
                            f"write to, or copy the workbook there.") from exc
        try:
            os.write(fd, json.dumps(self._me).encode("utf-8"))
            os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            raise BookError(f"arxl cannot write its lock beside {self.book.name} ({exc.strerror or exc}). Nothing "
                            f"was changed. Free some disk space and run again.") from exc
        os.close(fd)
        self.held = True
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, name=f"arxl-lock {self.book.name}", daemon=True)
        self._beat.start()
        return True

    def _dead(self, holder: dict[str, object], untouched_for: float) -> bool:
        if holder.get("host") == self._me["host"] and isinstance(holder.get("pid"), int):
            return not process_alive(int(holder["pid"]))  # type: ignore[call-overload]
        return untouched_for >= STALE_AFTER

    def _break(self, holder: dict[str, object]) -> None:
        """Remove a dead run's lock, and only that one: it is renamed aside first and checked,
        so a lock a live run took meanwhile is put back."""
        aside = self.path.with_name(f"{self.path.name}.stale-{os.getpid()}-{os.urandom(4).hex()}")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return
        found = _read(aside)
        if found is not None and found[0] != holder:  # not the dead lock: give it back
            with contextlib.suppress(OSError):
                os.link(aside, self.path)
        with contextlib.suppress(OSError):
            os.unlink(aside)

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            with contextlib.suppress(OSError):
                os.utime(self.path)

    # ---- holding and giving back ----------------------------------------------------------
    def still_held(self) -> bool:
        found = _read(self.path)
        return self.held and found is not None and found[0].get("token") == self._me["token"]

    def release(self) -> None:
        if not self.held:
            return
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        if self.still_held():
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        self.held = False

    def __enter__(self) -> BookLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
