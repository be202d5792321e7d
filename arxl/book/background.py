"""A piece of a save worked out in a forked child process while this process goes on with the
rest (``arxl.forking`` says where that is allowed). The child only computes: it takes no lock and
writes nothing but its result, to a temporary file this process made for it (unlinked from the
start: no one else can open it, and it goes when both are done), and whatever goes wrong in it,
the caller does the piece itself."""
from __future__ import annotations

import ctypes
import gc
import multiprocessing as mp
import os
import pickle
import signal
import tempfile
import weakref
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import IO

from arxl.forking import before_forking

_PR_SET_PDEATHSIG = 1  # Linux's prctl option: a signal for the child when its parent ends
Piece = tuple[tuple[int, ...], tuple[bytes, ...]]  # a few counts, and bytes (sent as they are)


class Forked:
    """``work()`` run in a forked child from now on; ``result()`` waits for what it returned."""

    def __init__(self, work: Callable[[], Piece]):
        context = mp.get_context("fork")
        before_forking()
        # The child writes what it made to a file no one else can open (unlinked from the start)
        # and ends at once, giving its memory back: no thread of this process waits on a pipe for
        # it (a thread alive when the next child is forked is what fork() warns of).
        handoff = tempfile.TemporaryFile(prefix="arxl-piece-")
        # Objects alive now are left out of the child's garbage collections, so that a collection
        # does not write to (and so copy) every page it shares with this process.
        gc.freeze()
        try:
            child = context.Process(target=_work_and_write, args=(work, handoff.fileno(), os.getpid()), daemon=True)
            child.start()
        finally:
            gc.unfreeze()
        self._child, self._handoff = child, handoff
        # ``stop()``, or this object forgotten (the run ended without a save): the child ends
        self.stop = weakref.finalize(self, _stop, child, handoff)

    def result(self) -> Piece | None:
        """What ``work`` returned; None when it raised, the child died or its file could not be
        written (a full disk)."""
        self._child.join()
        try:
            if self._child.exitcode != 0:
                return None
            self._handoff.seek(0)
            counts, pieces = pickle.load(self._handoff)
            return counts, pieces
        except (OSError, EOFError, pickle.UnpicklingError, ValueError):
            return None
        finally:
            self.stop()


def begin(work: Callable[[], Piece]) -> Forked | None:
    """``work`` begun in a forked child, or None where no child or no file for its result could
    be made (a full disk, no memory left to fork): then the caller does the piece itself."""
    try:
        return Forked(work)
    except OSError:
        return None


def _stop(child: BaseProcess, handoff: IO[bytes]) -> None:
    """End the child if its result was not taken (the save it served failed or never came)."""
    if child.is_alive():
        child.terminate()
    child.join()
    handoff.close()


def _work_and_write(work: Callable[[], Piece], handoff: int, parent: int) -> None:
    _end_with(parent)
    gc.disable()  # a short life: nothing to collect
    try:
        counts, pieces = work()
        with open(handoff, "wb", closefd=False) as out:
            pickle.dump((counts, pieces), out, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # the caller does the piece itself; nothing for the clerk to read here
        raise SystemExit(1) from None


def _end_with(parent: int) -> None:
    """The child is ended when its parent is (a run killed during its save), rather than finish
    a piece no one will read."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl: the child ends when it finds the pipe closed
        return
    if os.getppid() != parent:  # the parent was gone before that was asked for
        os._exit(1)
