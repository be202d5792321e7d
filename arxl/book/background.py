"""A piece of a save worked out in a forked child process while this process goes on with the
rest (``arxl.forking`` says where that is allowed). The child only computes: it writes no file and
takes no lock, and whatever goes wrong in it, the caller does the piece itself."""
from __future__ import annotations

import ctypes
import gc
import multiprocessing as mp
import os
import signal
import threading
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

_PR_SET_PDEATHSIG = 1  # Linux's prctl option: a signal for the child when its parent ends
Piece = tuple[tuple[int, ...], tuple[bytes, ...]]  # a few counts, and bytes (sent as they are)


class Forked:
    """``work()`` run in a forked child from now on; ``result()`` waits for what it returned."""

    def __init__(self, work: Callable[[], Piece]):
        context = mp.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        # Objects alive now are left out of the child's garbage collections, so that a collection
        # does not write to (and so copy) every page it shares with this process.
        gc.freeze()
        try:
            child = context.Process(target=_work_and_send, args=(work, send, os.getpid()), daemon=True)
            child.start()
        finally:
            gc.unfreeze()
        send.close()
        # what the child sends is taken as soon as it comes, so that the child ends (and its
        # memory is given back) then, not when its result is asked for
        self._got: list[Piece | None] = []
        self._taking = threading.Thread(target=_take, args=(receive, self._got), daemon=True,
                                        name="arxl-forked-result")
        self._taking.start()
        # ``stop()``, or this object forgotten (the run ended without a save): the child ends
        self.stop = weakref.finalize(self, _stop, child, receive, self._taking)

    def result(self) -> Piece | None:
        """What ``work`` returned; None when it raised or the child died."""
        self._taking.join()
        self.stop()
        return self._got[0] if self._got else None


def _take(receive: Connection, into: list[Piece | None]) -> None:
    try:
        head = receive.recv()
        if head is None:
            return
        counts, pieces = head
        into.append((counts, tuple(receive.recv_bytes() for _ in range(pieces))))
    except (EOFError, OSError):
        return


def _stop(child: BaseProcess, receive: Connection, taking: threading.Thread) -> None:
    """End the child if its result was not taken (the save it served failed or never came)."""
    if child.is_alive():
        child.terminate()
    child.join()
    taking.join()  # the child gone, its pipe is closed: the taking ends
    receive.close()


def _work_and_send(work: Callable[[], Piece], send: Connection, parent: int) -> None:
    _end_with(parent)
    gc.disable()  # a short life: nothing to collect
    try:
        counts, pieces = work()
    except Exception:
        send.send(None)
        return
    send.send((counts, len(pieces)))
    for piece in pieces:
        send.send_bytes(piece)


def _end_with(parent: int) -> None:
    """The child is ended when its parent is (a run killed during its save), rather than finish
    a piece no one will read."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl: the child ends when it finds the pipe closed
        return
    if os.getppid() != parent:  # the parent was gone before that was asked for
        os._exit(1)
