"""Whether work may be shared with forked processes here: on Linux (the headless door on a
server) with two cores or more, in a run that has the machine's cores to itself. Elsewhere
(macOS, where forking a process that loaded system frameworks is unsafe; Windows, which cannot
fork; inside Excel), and in a run beside others (a batch of several workbooks at once, a cluster's
worker: the other cores are theirs, and forked helpers would only add memory), work stays in one
process. ``ARXL_FORK=0`` keeps every run in one process: a refresh of a large workbook then takes
longer but about half the memory (each helper's pages grow apart from its parent's as it works).
Threads that let go of the GIL (``threads_here``) are one per core, or one beside others.

A process about to fork keeps its large blocks apart (``before_forking``): glibc's malloc lets
the size from which a block gets fresh pages of its own float up (to 32 MB) once such a block is
freed, and the run's later arrays then reuse the heap's old pages. A child shares those pages
until they are written, and each one the run rewrites after the fork is copied: on the 100k
workbook, some 40 to 70 MB more with the children than with the size fixed at 4 MB.

A piece of work done aside (``begin``: a sheet of a save, a report drawn, an index the matcher
reads) runs in a forked child while this process goes on with the rest. The child only computes:
it takes no lock and writes nothing but its result, to a temporary file this process made for it
(unlinked from the start: no one else can open it, and it goes when both are done), and whatever
goes wrong in it, the caller does the work itself."""
from __future__ import annotations

import ctypes
import gc
import multiprocessing as mp
import os
import pickle
import signal
import sys
import tempfile
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from typing import IO, Generic, TypeVar, cast

_beside_others = 0  # runs in this process that leave the other cores to other runs
_M_MMAP_THRESHOLD = -3  # glibc's mallopt option: blocks from this size on get fresh pages (mmap)
APART_FROM = 4 << 20  # bytes
_apart = False
_frozen = 0  # how many ``left_out_of_collections`` are held
_PR_SET_PDEATHSIG = 1  # Linux's prctl option: a signal for the child when its parent ends
T = TypeVar("T")


@contextmanager
def beside_others() -> Iterator[None]:
    """While held, this process forks no helpers."""
    global _beside_others
    _beside_others += 1
    try:
        yield
    finally:
        _beside_others -= 1


def fork_workers(most: int) -> int:
    """How many processes, this one included and at most ``most``, may share work here (1: this
    one alone)."""
    if _beside_others or not sys.platform.startswith("linux") or os.environ.get("ARXL_FORK", "").strip() == "0":
        return 1
    return max(1, min(os.cpu_count() or 1, most))


def threads_here() -> int:
    """How many threads this run may keep busy with work that lets go of the GIL (compressing a
    workbook's parts): one per core, or one beside other runs, whose cores those are."""
    return 1 if _beside_others else max(1, os.cpu_count() or 1)


@contextmanager
def left_out_of_collections() -> Iterator[None]:
    """While held, the objects alive when it began are left out of garbage collections (held
    again inside, the objects alive then too, until the outermost ends). A collection walks every
    object it tracks and writes to it: a full one walks a whole workbook's cells again each time
    the run has made a quarter more objects (about a second on 100,000 invoices), and its writes
    copy every page a forked child shares with this process. Long-lived objects that become
    garbage meanwhile still go when their last reference does; only reference cycles among them
    wait for the end."""
    global _frozen
    gc.freeze()
    _frozen += 1
    try:
        yield
    finally:
        _frozen -= 1
        if not _frozen:
            gc.unfreeze()


def before_forking() -> None:
    """Keep blocks of ``APART_FROM`` bytes on in fresh pages from now on (glibc; elsewhere, and
    where it cannot be asked, nothing changes)."""
    global _apart
    if _apart:
        return
    _apart = True
    try:
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, APART_FROM)
    except (OSError, AttributeError):  # not glibc: no mallopt
        return


class Forked(Generic[T]):
    """``work()`` run in a forked child from now on; ``result()`` waits for what it returned."""

    def __init__(self, work: Callable[[], T]):
        context = mp.get_context("fork")
        before_forking()
        # The child writes what it made to a file no one else can open (unlinked from the start)
        # and ends at once, giving its memory back: no thread of this process waits on a pipe for
        # it (a thread alive when the next child is forked is what fork() warns of).
        handoff = tempfile.TemporaryFile(prefix="arxl-aside-")
        # Objects alive now are left out of the child's garbage collections, so that a collection
        # does not write to (and so copy) every page it shares with this process.
        with left_out_of_collections():
            child = context.Process(target=_work_and_write, args=(work, handoff.fileno(), os.getpid()), daemon=True)
            child.start()
        self._child, self._handoff = child, handoff
        # ``stop()``, or this object forgotten (the run ended without a save): the child ends
        self.stop = weakref.finalize(self, _stop, child, handoff)

    def at_work(self) -> bool:
        """Whether the child is still working (and holding pages of its own)."""
        return self._child.is_alive()

    def result(self) -> T | None:
        """What ``work`` returned; None when it raised, the child died or its file could not be
        written (a full disk)."""
        self._child.join()
        try:
            if self._child.exitcode != 0:
                return None
            self._handoff.seek(0)
            return cast(T, pickle.load(self._handoff))
        except (OSError, EOFError, pickle.UnpicklingError, ValueError):
            return None
        finally:
            self.stop()


def begin(work: Callable[[], T]) -> Forked[T] | None:
    """``work`` begun in a forked child, or None where no child or no file for its result could
    be made (a full disk, no memory left to fork): then the caller does the work itself."""
    try:
        return Forked(work)
    except OSError:
        return None


def _stop(child: BaseProcess, handoff: IO[bytes]) -> None:
    """End the child if its result was not taken (the run it served failed or never asked)."""
    if child.is_alive():
        child.terminate()
    child.join()
    handoff.close()


def _work_and_write(work: Callable[[], object], handoff: int, parent: int) -> None:
    _end_with(parent)
    gc.disable()  # a short life: nothing to collect
    try:
        done = work()
        with open(handoff, "wb", closefd=False) as out:
            pickle.dump(done, out, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # the caller does the work itself; nothing for the clerk to read here
        raise SystemExit(1) from None


def _end_with(parent: int) -> None:
    """The child is ended when its parent is (a run killed meanwhile), rather than finish work
    no one will read."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl: the child ends when it finds the pipe closed
        return
    if os.getppid() != parent:  # the parent was gone before that was asked for
        os._exit(1)
