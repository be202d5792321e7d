"""The pass over a batch.

1. Every payment's candidate explanations (``propose``), shared among worker processes when the
   batch is large.
2. What the batch teaches: the payer accounts and names of payments that identify their customer
   unambiguously (``learning``), and the part payments of the batch that together settle one
   invoice (instalments). The payments these concern are proposed again, knowing it.
3. The model's weights, estimated over every candidate of the batch (``model.fit``); each
   payment takes its likeliest candidate, with its posterior as Confidence.
4. The surest first (exact readings before loose ones), each takes from what is still open, so
   that no invoice is promised twice or beyond its open balance; a proposal finding an invoice
   already spoken for is made again, once every first choice has taken its part, against what
   is left, and held for a clerk.
"""
from __future__ import annotations

import gc
import itertools
import multiprocessing as mp
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

from arxl.core.matching.chance import chance_rates
from arxl.core.matching.index import OpenItems
from arxl.core.matching.learning import ACCOUNT, NAME, Links, name_key
from arxl.core.matching.model import SUM_NAME, Field, Model, fit, posteriors
from arxl.core.matching.policy import STRONG_NAME, Held, Rule
from arxl.core.matching.propose import Candidate, Facts, Payment, in_words, propose
from arxl.core.matching.text import account_key
from arxl.forking import before_forking, fork_workers, left_out_of_collections

Progress = Callable[[str, float | None], None]
PARALLEL_FROM = 2000  # payments; below this, starting worker processes costs more than it saves
MAX_WORKERS = 8
CHUNKS_EACH = 16  # chunks of a batch per worker process
MAX_INSTALMENTS = 8  # part payments of one invoice in one batch searched for sets that settle it


@dataclass(frozen=True)
class Decided:
    """A payment's proposal: the candidate taken, how sure the batch's model is of it, and the
    rival it beat."""

    payment: int  # the payment's position
    candidate: Candidate
    confidence: float  # 0-100: the candidate's posterior
    margin: float | None  # bits ahead of the runner-up (None: no rival)
    rival: str  # the runner-up, in a few words
    contributions: tuple[tuple[Field | None, str, float], ...]  # what each field (None: the sum) added, in bits
    held: tuple[Held, ...]


@dataclass(frozen=True)
class Batch:
    """What the pass gives back: each payment's proposal, the payer links (the workbook's and
    those this batch taught) and the model it weighed the evidence with."""

    decided: list[Decided]
    links: Links
    model: Model


def match_batch(items: OpenItems, payments: list[Payment], links: Links,
                progress: Progress | None = None) -> Batch:
    """Proposals for every payment, in the order of ``payments``."""
    before = items.balance.copy()
    facts = Facts(links)
    proposed = _propose_all(_Work(items, payments, before, facts, teaches=True), progress)
    candidates = [found for found, _ in proposed]
    learned = links.learn([seen for _, taught in proposed for seen in taught], "this batch")
    instalments = _instalments(items, payments, candidates, before)
    facts = Facts(learned, instalments)
    again = [k for k, pay in enumerate(payments)
             if pay.payment_id in instalments or _newly_linked(pay, links, learned)]
    if again:
        redone = _propose_all(_Work(items, [payments[k] for k in again], before, facts), None)
        for k, (found, _) in zip(again, redone):
            candidates[k] = found
    if progress:
        progress("Weighing the evidence", 0.9)
    codes = np.array([c.codes for found in candidates for c in found], dtype=np.int64).reshape(-1, len(Field))
    extra = np.array([c.sum_bits for found in candidates for c in found])
    starts = np.cumsum([0] + [len(found) for found in candidates])
    # a random pair of a payment and an open invoice is right about once in as many open invoices
    prior = 1.0 / max(2, int((items.balance > 0).sum()))
    model = fit(items.scheme, codes, extra, starts, chance_rates(items, payments, learned, candidates), prior)
    decided = _decide(model, payments, candidates, codes, extra, starts)
    return Batch(_allocate(items, model, payments, _claimed(items, payments, decided), facts), learned, model)


def _identifying(pay: Payment, found: list[Candidate], items: OpenItems) -> list[tuple[str, str, str, int, str]]:
    """(kind, key, as written, customer, PaymentID) of the account and name of a payment that
    identifies its customer unambiguously: one customer's invoices named exactly and settled by
    the amount, and no other customer's invoice read at all."""
    none = items.scheme.no_reference
    owners = {c.customer for c in found if c.identifies}
    if len(owners) != 1:
        return []
    (customer,) = owners
    if any(c.customer != customer and c.codes[Field.REFERENCE] != none for c in found):
        return []
    out = [(ACCOUNT, account_key(pay.account), pay.account, customer, pay.payment_id)]
    # A name teaches only what it does not say already (it does not plainly fit the customer),
    # and only when it plainly fits no other customer: names are shared by sites and
    # near-namesakes as accounts are not. (One that merely resembles others, sharing a common
    # word such as ENTERPRISES with them, is no namesake: it is learned, and those others stay
    # candidates by their name.)
    if items.payers.score(pay.payer, np.array([customer]))[0] < STRONG_NAME and not any(
            m.customer != customer for m in items.payers.search(pay.payer, limit=3, floor=STRONG_NAME)):
        out.append((NAME, name_key(pay.payer), pay.payer, customer, pay.payment_id))
    return out


def _newly_linked(pay: Payment, before: Links, after: Links) -> bool:
    return any(after.get(kind, text) not in (None, before.get(kind, text))
               for kind, text in ((ACCOUNT, pay.account), (NAME, pay.payer)))


def _instalments(items: OpenItems, payments: list[Payment], candidates: list[list[Candidate]],
                 balance: np.ndarray) -> dict[str, tuple[int, tuple[str, ...], int]]:
    """Part payments of the batch naming one invoice whose amounts together settle it: exactly,
    or else, paid by one payer, short by what the write-off tolerance lets go (each instalment a
    few pence less), written off on the set's last payment: PaymentID -> (invoice, the other payments of its set,
    what it writes off). A payment belongs to one set at most; an invoice with several such sets
    (exact ones first) has none."""
    none = items.scheme.no_reference
    by_invoice: dict[int, list[int]] = {}
    for k, found in enumerate(candidates):
        for i in sorted({c.lines[0].invoice for c in found if len(c.lines) == 1 and c.codes[Field.REFERENCE] != none
                         and c.fit == "partial"}):
            by_invoice.setdefault(i, []).append(k)
    out: dict[str, tuple[int, tuple[str, ...], int]] = {}
    for invoice, ks in by_invoice.items():
        ks = [k for k in ks if payments[k].payment_id not in out][:MAX_INSTALMENTS]
        if len(ks) < 2:
            continue
        due = int(balance[invoice])
        tolerance = items.settings.write_off_tolerance.in_currency(payments[ks[0]].currency)
        short = {combo: due - sum(payments[k].amount for k in combo)
                 for size in range(2, len(ks) + 1) for combo in itertools.combinations(ks, size)}
        # short of it, the set is one payer's (by account, else by name): a sum near the balance
        # is no rare coincidence among strangers' part payments
        sets = [combo for combo, left in short.items() if left == 0] or [
            combo for combo, left in short.items() if 0 < left and tolerance.allows(left, due)
            and len({payments[k].account.strip() or payments[k].payer.strip().upper() for k in combo}) == 1]
        if len(sets) != 1:
            continue
        ids = [payments[k].payment_id for k in sets[0]]
        last = max(sets[0], key=lambda k: (payments[k].received, k))
        for k in sets[0]:
            pid = payments[k].payment_id
            out[pid] = (invoice, tuple(x for x in ids if x != pid), short[sets[0]] if k == last else 0)
    return out


def _decide(model: Model, payments: list[Payment], candidates: list[list[Candidate]], codes: np.ndarray,
            extra: np.ndarray, starts: np.ndarray) -> list[Decided]:
    """Each payment's likeliest candidate, its posterior, and how far ahead of the next it is."""
    bits = model.scores(codes, extra)
    chance = posteriors(bits, starts)
    out = []
    for k, (pay, found) in enumerate(zip(payments, candidates)):
        a, b = int(starts[k]), int(starts[k + 1])
        out.append(_decided(model, pay, found, bits[a:b], chance[a:b], codes[a:b]))
    return out


def _decided(model: Model, pay: Payment, found: list[Candidate], bits: np.ndarray, chance: np.ndarray,
             codes: np.ndarray, held: tuple[Held, ...] = ()) -> Decided:
    order = np.argsort(-bits, kind="stable")
    best = int(order[0])
    rival = next((int(j) for j in order[1:] if found[int(j)].invoices != found[best].invoices
                  or found[int(j)].customer != found[best].customer), None)
    margin = None if rival is None else float(bits[best] - bits[rival])
    candidate = found[best]
    said: list[tuple[Field | None, str, float]] = list(model.contributions(codes[best].tolist()))
    if candidate.sum_bits:
        said.append((None, SUM_NAME, candidate.sum_bits))
    return Decided(pay.position, candidate, round(100 * float(chance[best]), 1), margin,
                   found[rival].summary if rival is not None else "", tuple(said), candidate.held + held)


def _claimed(items: OpenItems, payments: list[Payment], decided: list[Decided]) -> list[Decided]:
    """Each proposal taking an invoice by the amount alone that another payment's proposal takes
    as named (read surely, and held by no rule) held for a clerk: the payment naming it is
    likelier what pays it."""
    ids = {pay.position: pay.payment_id for pay in payments}
    named_by: dict[int, list[int]] = {}  # invoice -> the payments whose proposals take it as named
    for d in decided:
        if d.held or d.candidate.loose:
            continue
        for i in set(d.candidate.invoices) - set(d.candidate.by_sum):
            named_by.setdefault(i, []).append(d.payment)
    out = []
    for d in decided:
        claims = [(i, [ids[p] for p in named_by.get(i, ()) if p != d.payment]) for i in d.candidate.by_sum]
        said = [f"{items.invoice_ids[i]}, found by the amount alone, is named by {in_words(others)} of this batch"
                for i, others in claims if others]
        out.append(replace(d, held=d.held + (Held(Rule.NAMED_ELSEWHERE, "; ".join(said)),))
                   if said else d)
    return out


def _allocate(items: OpenItems, model: Model, payments: list[Payment], decided: list[Decided],
              facts: Facts) -> list[Decided]:
    """The surest first take from what is open (a proposal held because another payment names
    an invoice it takes after every other, so that the one naming it takes it first; one held
    for a clerk that takes invoices by their sum alone, a story to confirm, after those naming
    theirs, even with a keying error); one finding an invoice spoken for is proposed again
    against what every first choice left, and held for a clerk. (Proposed again at once, its new
    and weaker choice would take balances before surer payments later in the order.)"""
    open_now = items.balance.copy()
    by_position = {pay.position: pay for pay in payments}
    taken_by: dict[int, str] = {}
    out: dict[int, Decided] = {}
    deferred: list[tuple[Decided, list[int]]] = []

    def take(d: Decided) -> None:
        for x in d.candidate.lines:
            open_now[x.invoice] -= x.apply + x.discount + x.write_off
            taken_by.setdefault(x.invoice, by_position[d.payment].payment_id)
        out[d.payment] = d

    elsewhere = {d.payment for d in decided if any(h.rule == Rule.NAMED_ELSEWHERE for h in d.held)}
    for d in sorted(decided, key=lambda d: (d.payment in elsewhere, bool(d.candidate.by_sum and d.held),
                                            d.candidate.loose, -d.confidence)):
        spoken_for = [x.invoice for x in d.candidate.lines if x.apply + x.discount + x.write_off > open_now[x.invoice]]
        if spoken_for:
            deferred.append((d, spoken_for))
        else:
            take(d)
    for d, spoken_for in deferred:
        pay = by_position[d.payment]
        found = propose(items, pay, open_now, facts)
        codes = np.array([c.codes for c in found], dtype=np.int64).reshape(-1, len(Field))
        bits = model.scores(codes, np.array([c.sum_bits for c in found]))
        chance = posteriors(bits, np.array([0, len(found)]))
        taken = in_words(f"{items.invoice_ids[i]} is already being paid by {taken_by.get(i, 'another payment')}"
                         for i in spoken_for)
        take(_decided(model, pay, found, bits, chance, codes, (Held(Rule.SPOKEN_FOR, taken),)))
    return [out[d.payment] for d in decided]


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


_Proposed = tuple[list[Candidate], list[tuple[str, str, str, int, str]]]  # candidates, what they teach


@dataclass(frozen=True)
class _Work:
    """What proposing reads: the open items, the payments, the balances before the batch, and
    what the batch taught so far; ``teaches``: also say what each payment teaches of its payer
    (``_identifying``, made where its candidates are)."""

    items: OpenItems
    payments: list[Payment]
    open_now: np.ndarray
    facts: Facts
    teaches: bool = False

    def propose(self, positions: Sequence[int]) -> list[_Proposed]:
        """The proposals of the payments at these positions, in their order."""
        out = []
        for k in positions:
            pay = self.payments[k]
            found = propose(self.items, pay, self.open_now, self.facts)
            out.append((found, _identifying(pay, found, self.items) if self.teaches else []))
        return out


def _propose_all(work: _Work, progress: Progress | None) -> list[_Proposed]:
    """Each payment's candidates against the balances before the batch. Proposals are
    independent, so a large batch is shared among the machine's cores where worker processes
    can be forked safely (``fork_workers``); elsewhere, one after the other."""
    total = len(work.payments)
    workers = fork_workers(MAX_WORKERS)
    if total < PARALLEL_FROM or workers < 2:
        out = []
        for k in range(total):
            out += work.propose([k])
            if progress and k % 500 == 0:
                progress(f"Matching payment {k + 1} of {total}", 0.1 + 0.75 * k / total)
        return out
    # A worker works out each payer name's fit with the customers once (PayerIndex keeps it):
    # chunks of payments in the order of their payers' names keep a name's payments together,
    # so that two workers seldom both work it out. Small chunks: at the end, one worker
    # finishing a chunk leaves the other cores idle no longer.
    by_payer = sorted(range(total), key=lambda k: work.payments[k].payer)
    step = -(-total // (workers * CHUNKS_EACH))
    chunks = [by_payer[a:a + step] for a in range(0, total, step)]
    # Objects alive now are left out of the workers' garbage collections, so that a collection
    # does not write to (and so copy) every page the workers share with this process.
    before_forking()
    # Forked workers receive the work as the initializer's argument without pickling it:
    # they share its memory with this process, page by page, until they write to it.
    with left_out_of_collections(), mp.get_context("fork").Pool(workers, initializer=_start_worker,
                                                                 initargs=(work,)) as pool:
        proposed: dict[int, _Proposed] = {}
        for k, (chunk, part) in enumerate(zip(chunks, pool.imap(_propose_chunk, chunks))):
            proposed.update(zip(chunk, part))
            if progress:
                progress(f"Matching payment {len(proposed)} of {total}", 0.1 + 0.75 * (k + 1) / len(chunks))
        return [proposed[k] for k in range(total)]


_worker_work: _Work | None = None  # in a worker process: the work its initializer was given


def _start_worker(work: _Work) -> None:
    global _worker_work
    _worker_work = work


def _propose_chunk(positions: list[int]) -> list[_Proposed]:
    if _worker_work is None:
        raise RuntimeError("a matcher worker started without its work")
    return _worker_work.propose(positions)
