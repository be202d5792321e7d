"""The pass over a batch: a proposal for every payment (shared among worker processes when the
batch is large), then, the surest first, each takes from what is still open, so that no invoice
is promised twice or beyond its open balance."""
from __future__ import annotations

import gc
import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

from arxl.core.matching.index import OpenItems
from arxl.core.matching.policy import Condition, Doubt
from arxl.core.matching.propose import Payment, Proposal, in_words, propose

Progress = Callable[[str, float | None], None]
PARALLEL_FROM = 2000  # payments; below this, starting worker processes costs more than it saves
MAX_WORKERS = 8


def match_batch(items: OpenItems, payments: list[Payment], progress: Progress | None = None) -> list[Proposal]:
    """Proposals for every payment, in the order of ``payments``; then, those reading their
    invoices exactly first and the most confident first, each takes from what is still open.
    A proposal finding an invoice already spoken for is made again against what is left, and
    doubted (``Condition.SPOKEN_FOR``)."""
    open_now = items.balance.copy()
    by_position = {pay.position: pay for pay in payments}
    proposals = _propose_all(_Work(items, payments, open_now), progress)
    taken_by: dict[int, str] = {}
    out: dict[int, Proposal] = {}
    for p in sorted(proposals, key=lambda p: (p.loose, -p.confidence)):
        spoken_for = [x.invoice for x in p.lines if x.apply + x.discount + x.write_off > open_now[x.invoice]]
        if spoken_for:
            again = propose(items, by_position[p.payment], open_now)
            taken = in_words(f"{items.invoice_ids[i]} is already being paid by {taken_by.get(i, 'another payment')}"
                             for i in spoken_for)
            p = replace(again, doubts=again.doubts + (Doubt(Condition.SPOKEN_FOR, taken),))
        for x in p.lines:
            open_now[x.invoice] -= x.apply + x.discount + x.write_off
            taken_by.setdefault(x.invoice, by_position[p.payment].payment_id)
        out[p.payment] = p
    return [out[p.payment] for p in proposals]


@contextmanager
def collections_paused() -> Iterator[None]:
    """The matcher allocates hundreds of thousands of small containers and no reference cycles:
    garbage collections meanwhile would only cost time (a full one walks every object of the
    caller, e.g. a whole workbook loaded in memory)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@dataclass(frozen=True)
class _Work:
    """What proposing reads: the open items, the payments, and the balances before the batch."""

    items: OpenItems
    payments: list[Payment]
    open_now: np.ndarray

    def propose(self, start: int, stop: int) -> list[Proposal]:
        return [propose(self.items, pay, self.open_now) for pay in self.payments[start:stop]]


def _propose_all(work: _Work, progress: Progress | None) -> list[Proposal]:
    """Each payment's proposal against the balances before the batch. Proposals are
    independent, so a large batch is shared among the machine's cores where worker processes
    can be forked safely (Linux: the headless door on a server); elsewhere (macOS, where
    forking a process that loaded system frameworks is unsafe; Windows, which cannot fork;
    inside Excel), one after the other."""
    total = len(work.payments)
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if total < PARALLEL_FROM or workers < 2 or not sys.platform.startswith("linux"):
        out = []
        for k, pay in enumerate(work.payments):
            out.append(propose(work.items, pay, work.open_now))
            if progress and k % 500 == 0:
                progress(f"Matching payment {k + 1} of {total}", 0.1 + 0.8 * k / total)
        return out
    step = -(-total // (workers * 4))
    chunks = [(a, min(a + step, total)) for a in range(0, total, step)]
    # Objects alive now are left out of the workers' garbage collections, so that a collection
    # does not write to (and so copy) every page the workers share with this process.
    gc.freeze()
    try:
        # Forked workers receive the work as the initializer's argument without pickling it:
        # they share its memory with this process, page by page, until they write to it.
        with mp.get_context("fork").Pool(workers, initializer=_start_worker, initargs=(work,)) as pool:
            out = []
            for k, part in enumerate(pool.imap(_propose_chunk, chunks)):
                out.extend(part)
                if progress:
                    progress(f"Matching payment {len(out)} of {total}", 0.1 + 0.8 * (k + 1) / len(chunks))
            return out
    finally:
        gc.unfreeze()


_worker_work: _Work | None = None  # in a worker process: the work its initializer was given


def _start_worker(work: _Work) -> None:
    global _worker_work
    _worker_work = work


def _propose_chunk(bounds: tuple[int, int]) -> list[Proposal]:
    if _worker_work is None:
        raise RuntimeError("a matcher worker started without its work")
    return _worker_work.propose(*bounds)
