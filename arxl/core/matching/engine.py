"""The matcher: one proposal per payment, then a pass over the batch so that no invoice is
promised beyond its open balance. See the package docstring for what each Matches row means."""
from __future__ import annotations

import datetime as dt
import gc
import math
import multiprocessing as mp
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from arxl.core.matching.amounts import DISCOUNT as DISCOUNT_FIT
from arxl.core.matching.amounts import EXACT as EXACT_FIT
from arxl.core.matching.amounts import FULL, OVERPAID, SHORT, UNEARNED, Line, Settlement, settle, subsets_adding_to
from arxl.core.matching.amounts import PARTIAL as PARTIAL_FIT
from arxl.core.matching.amounts import WRITE_OFF as WRITE_OFF_FIT
from arxl.core.matching.ids import EXACT, FUZZY, PARTIAL, RANGE, Mention, ReferenceIndex, pair_quoted_amounts
from arxl.core.matching.payers import PayerIndex, PayerMatch
from arxl.core.matching.text import Remittance, read_remittance
from arxl.core.money import format_cents, percent_of
from arxl.core.problems import Problems
from arxl.core.settings import Settings
from arxl.core.terms import Terms, UnknownTerms, parse_terms

DISCOUNT_GRACE_DAYS = 5  # mail and bank float: a discount taken a few days late is still earned
STRONG_NAME, FAIR_NAME = 0.8, 0.6
# How much a payment that does not settle its invoices exactly still vouches for them.
SHORTFALL_TRUST = {OVERPAID: 0.96, UNEARNED: 0.96, SHORT: 0.96, PARTIAL_FIT: 0.94}
# How surely each kind of mention names its invoice.
ID_STRENGTH = {EXACT: 1.0, RANGE: 0.97, PARTIAL: 0.96, FUZZY: 0.9}


@dataclass
class Proposal:
    payment: int  # position in the payments frame
    customer: int  # position in the customers frame, -1 for nobody known
    lines: tuple[Line, ...]
    on_account: int
    confidence: float
    evidence: list[str] = field(default_factory=list)
    loose: bool = False  # an invoice read with a keying error undone: exact readings go first


@dataclass
class Book:
    """The invoices and customers as arrays the matcher reads."""

    invoice_ids: list[str]
    invoice_customer: np.ndarray  # customer position, -1 unknown
    invoice_currency: np.ndarray
    invoice_date: np.ndarray  # datetime64[D]
    open: np.ndarray  # int64 cents
    disputed: np.ndarray
    customer_ids: list[str]
    customer_names: list[str]
    customer_currency: list[str]
    terms: list[Terms]
    payers: PayerIndex
    indexes: list[tuple[ReferenceIndex, np.ndarray]]  # index, its positions -> invoice positions
    open_by_customer: dict[int, np.ndarray]  # customer -> open invoice positions, oldest first
    by_open: tuple[np.ndarray, np.ndarray]  # open invoices by open balance, and those balances
    discount: np.ndarray  # the early-payment discount on the open balance, cents
    discount_until: np.ndarray  # the last day it may be taken (datetime64[D]; NaT for none)
    settings: Settings


def prepare(invoices: pd.DataFrame, customers: pd.DataFrame, settings: Settings,
            open_balance: pd.Series, disputed: pd.Series | None = None) -> tuple[Book, Problems]:
    """Everything the matcher reads, indexed once per batch: the learned reference grammar of
    InvoiceID, PONumber and the MatchColumns, the payer index, each customer's open invoices
    oldest first, and each invoice's early-payment discount. Problems: customers' unreadable
    Terms (the default terms are used)."""
    with collections_paused():
        return _prepare(invoices, customers, settings, open_balance, disputed)


@contextmanager
def collections_paused():
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


def _prepare(invoices: pd.DataFrame, customers: pd.DataFrame, settings: Settings,
             open_balance: pd.Series, disputed: pd.Series | None) -> tuple[Book, Problems]:
    problems = Problems()
    payers = PayerIndex(customers)
    base = settings.base_currency
    customer_currency = [c.strip().upper() or base for c in customers["Currency"]]
    default = parse_terms(settings.default_terms)
    terms = []
    for row, text in zip(customers.index, customers["Terms"]):
        try:
            terms.append(parse_terms(text) if str(text).strip() else default)
        except UnknownTerms as exc:
            problems.add("Customers", int(row), "Terms", text, str(exc),
                         f"Write terms such as 2/10 Net 30; {settings.default_terms} is used until then.")
            terms.append(default)
    cust = np.array([payers.position.get(c, -1) for c in invoices["CustomerID"]], dtype=np.int64)
    currency = invoices["Currency"].str.strip().str.upper().to_numpy(dtype=object).copy()
    blank = currency == ""
    currency[blank] = [customer_currency[c] if c >= 0 else base for c in cust[blank]]
    opened = open_balance.fillna(0).astype("int64").to_numpy().copy()
    dates = invoices["InvoiceDate"].to_numpy(dtype="datetime64[D]")
    ids = invoices["InvoiceID"].tolist()
    indexes = [(ReferenceIndex("InvoiceID", ids), np.arange(len(ids)))]
    for column in ("PONumber", *settings.match_columns):
        if column in invoices and column != "InvoiceID":
            values = invoices[column].astype(str).str.strip()
            keep = np.nonzero((values != "").to_numpy())[0]
            if len(keep):
                indexes.append((ReferenceIndex(column, values.iloc[keep].tolist()), keep))
    is_open = np.nonzero(opened > 0)[0]
    order = is_open[np.lexsort((is_open, dates[is_open], cust[is_open]))]
    groups = np.split(order, np.nonzero(np.diff(cust[order]))[0] + 1) if len(order) else []
    by_customer = {int(cust[g[0]]): g for g in groups if len(g) and cust[g[0]] >= 0}
    dispute = (disputed.to_numpy(dtype=bool) if disputed is not None else np.zeros(len(ids), dtype=bool))
    by_open = is_open[np.argsort(opened[is_open], kind="stable")]
    discount = np.zeros(len(ids), dtype=np.int64)
    until = np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[D]")
    invoice_terms = [terms[c] if c >= 0 else default for c in cust.tolist()]
    for i in np.nonzero([t.discount_rate > 0 for t in invoice_terms])[0].tolist():
        if opened[i] > 0 and not np.isnat(dates[i]):
            discount[i] = percent_of(int(opened[i]), invoice_terms[i].discount_rate)
            until[i] = np.datetime64(invoice_terms[i].discount_deadline(dates[i].astype(dt.date)), "D")
    return Book(ids, cust, currency, dates, opened, dispute, customers["CustomerID"].tolist(),
                customers["Name"].tolist(), customer_currency, terms, payers, indexes, by_customer,
                (by_open, opened[by_open]), discount, until, settings), problems


# ---- one payment -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Payment:
    position: int
    payment_id: str
    payer: str
    amount: int
    currency: str
    received: dt.date
    reference: str
    account: str = ""
    customer_id: str = ""


def _payer_support(book: Book, pay: Payment, customers: np.ndarray) -> np.ndarray:
    """0..1 for each customer: the clerk's CustomerID, a known payer account, or the name."""
    scores = book.payers.score(pay.payer, customers)
    accounts = book.payers.by_account(pay.account)
    given = book.payers.position.get(pay.customer_id, -2)
    return np.array([1.0 if (c == given or c in accounts) else s for c, s in zip(customers, scores)])


def _who(book: Book, c: int) -> str:
    return f"{book.customer_ids[c]} {book.customer_names[c]}"


def _discounts(book: Book, pay: Payment, invoices) -> list[int]:
    """The early-payment discount each invoice's terms allow on this payment's date (a few
    days' grace for mail and bank float)."""
    invoices = np.asarray(invoices, dtype=np.int64)
    paid_on = np.datetime64(pay.received - dt.timedelta(days=DISCOUNT_GRACE_DAYS), "D")
    return np.where(book.discount_until[invoices] >= paid_on, book.discount[invoices], 0).tolist()


def _rate(book: Book, c: int):
    return book.terms[c].discount_rate if c >= 0 else 0


def _resolve(book: Book, pay: Payment, m: Mention, index_positions: np.ndarray, single: bool) -> list[int]:
    """The invoices a mention may name, best first: same currency; then the payer's; then the
    amount's."""
    found = [int(index_positions[p]) for p in m.positions]
    found = [i for i in found if book.invoice_currency[i] == pay.currency] or found
    if len(found) == 1:
        return found
    support = _payer_support(book, pay, np.array([book.invoice_customer[i] for i in found]))
    target = m.quoted if m.quoted is not None else (pay.amount if single else None)
    return [i for _, i in sorted(
        ((-int(book.open[i] > 0), -int(target is not None and book.open[i] == target), -s), i)
        for s, i in zip(support, found))]


def propose(book: Book, pay: Payment, open_now: np.ndarray) -> Proposal:
    """The invoices one payment pays, read from its remittance text; failing that, from its
    amount and its payer."""
    if pay.amount <= 0:
        customer, fit = _best_payer(book, pay)
        return Proposal(pay.position, customer, (), pay.amount, 0.0, [
            f"An amount of {format_cents(pay.amount, pay.currency)} is not a receipt to apply",
            _payer_note(book, pay, customer, fit)])
    rem = read_remittance(pay.reference)
    mentions: list[tuple[Mention, ReferenceIndex, np.ndarray]] = []
    missing = []
    for k, (index, positions) in enumerate(book.indexes):
        taken = [(m.start, m.end) for m, _, _ in mentions]
        found, not_found = index.find(rem, skip=taken)
        if k == 0:
            missing = not_found
        # A number shaped like our invoice numbers is read loosely as another column's only
        # when it names that column's reference exactly, or the text says it is one ("PO 7788").
        doubtful = [(p.start, p.end) for p in missing]
        found = [m for m in found if m.how == EXACT or not any(s <= m.start < e for s, e in doubtful)
                 or (k > 0 and index.labelled(rem, m.start))]
        mentions.extend((m, index, positions) for m in pair_quoted_amounts(found, rem))
    # A loose reading gives way to an exact one of the same text in another column.
    exact = [(m.start, m.end, m.column) for m, _, _ in mentions if m.how == EXACT]
    mentions = [x for x in mentions if x[0].how == EXACT
                or not any(s < x[0].end and x[0].start < e and c != x[0].column for s, e, c in exact)]
    # Numbers shaped like our invoice numbers that name nothing open.
    unknown = [p.text for p in missing if not any(m.start <= p.start < m.end for m, _, _ in mentions)]
    if mentions:
        return _from_mentions(book, pay, rem, mentions, unknown, open_now)
    # Invoices named in EDI segments are explicit: other invoices adding up to the amount by
    # coincidence are never proposed in their place.
    unknown = unknown or [e.reference for e in rem.edi_lines if e.qualifier == "IV" and e.reference]
    if unknown:
        return _named_but_not_open(book, pay, unknown, [])
    return _by_amount(book, pay, rem, open_now)


@dataclass
class _Named:
    invoice: int
    strength: float
    note: str
    quoted: int | None
    mention: Mention
    index: ReferenceIndex
    positions: np.ndarray
    loose: bool = False  # read with a keying error undone


def _billed_together(book: Book, pay: Payment, m: Mention, positions: np.ndarray, open_now: np.ndarray,
                     single: bool) -> list[int]:
    """The open invoices a reference shared by several invoices (a PO billed in parts) pays:
    all of them when their balances add up to what is paid for it, else the only set of them
    that does; all of them when the remittance does not say what it pays for the reference."""
    found = [int(positions[p]) for p in m.positions]
    found = [i for i in found if open_now[i] > 0 and book.invoice_currency[i] == pay.currency]
    owners = book.invoice_customer[found]
    if len(set(owners.tolist())) > 1:  # the same PO number at two customers: the payer's
        likeliest = owners[np.argmax(_payer_support(book, pay, owners))]
        found = [i for i, c in zip(found, owners.tolist()) if c == likeliest]
    target = m.quoted if m.quoted is not None else (pay.amount if single else None)
    if len(found) < 2 or target is None or sum(int(open_now[i]) for i in found) == target:
        return found
    sets, count = subsets_adding_to(open_now[found], target, limit=1)
    return [found[k] for k in sets[0]] if count == 1 else found


def _from_mentions(book: Book, pay: Payment, rem: Remittance, mentions, unknown: list[str],
                   open_now: np.ndarray) -> Proposal:
    named: list[_Named] = []
    closed: list[int] = []
    single = len(mentions) == 1
    exact_customers = set()
    for m, index, positions in sorted(mentions, key=lambda x: x[0].start):
        if m.column != "InvoiceID" and len(m.positions) > 1:
            together = [i for i in _billed_together(book, pay, m, positions, open_now, single)
                        if i not in [n.invoice for n in named]]
            if len(together) > 1:
                for i in together:
                    named.append(_Named(i, ID_STRENGTH[m.how], _note(book, i, m), None, m, index, positions))
                    if m.how == EXACT:
                        exact_customers.add(int(book.invoice_customer[i]))
                continue
        options = _resolve(book, pay, m, positions, single)
        best = options[0]
        if best in [n.invoice for n in named]:
            continue
        how = m.how
        if open_now[best] <= 0 or book.invoice_currency[best] != pay.currency:
            other = _open_instead(book, pay, m, index, positions, open_now, single)
            if other is None or other in [n.invoice for n in named]:
                closed.append(best)
                continue
            best, how, options = other, FUZZY, [other]
        strength = ID_STRENGTH[how] * (1.0 if len(options) == 1 else 0.95)
        named.append(_Named(best, strength, _note(book, best, m, how), m.quoted, m, index, positions,
                            loose=how == FUZZY))
        if m.how == EXACT:
            exact_customers.add(int(book.invoice_customer[best]))
    # A reference read loosely (a partial key, a keying error) must be backed by the payer,
    # by an exactly named invoice of the same customer, or by the amount.
    kept = []
    for n in named:
        c = int(book.invoice_customer[n.invoice])
        if n.mention.how != EXACT and c not in exact_customers:
            fits = open_now[n.invoice] in (pay.amount, n.quoted)
            if not fits and _payer_support(book, pay, np.array([c]))[0] < FAIR_NAME:
                if n.mention.how == FUZZY and n.mention.column == "InvoiceID":
                    unknown = unknown + [n.mention.written]
                continue
        kept.append(n)
    named = kept
    if not named:
        return _named_but_not_open(book, pay, unknown, closed)
    settlement, customer, payer_fit = _settle_named(book, pay, rem, named, open_now)
    # The text's own explanation (a discount taken late, a deduction with its reason) stands,
    # unless the payer is not the invoices' customer.
    # So does a structured remittance whose amounts per invoice add up to the payment.
    stated = all(n.quoted is not None for n in named) and sum(n.quoted for n in named) == pay.amount
    explained = stated or settlement.how in FULL or (settlement.how == UNEARNED and rem.says_discount) or (
        settlement.how == SHORT and bool(rem.reason or rem.deductions))
    mixed = len({int(book.invoice_customer[n.invoice]) for n in named}) > 1
    if not explained or payer_fit < FAIR_NAME or mixed:
        swapped = _undo_keying_error(book, pay, rem, named, open_now)
        if swapped is not None:
            named = swapped
            settlement, customer, payer_fit = _settle_named(book, pay, rem, named, open_now)
    chosen = [n.invoice for n in named]
    # A reference read with a keying error undone is borne out when the amount settles exactly.
    strengths = [max(n.strength, 0.97) if settlement.how in (EXACT_FIT, DISCOUNT_FIT) else n.strength
                 for n in named]
    evidence = [f"The remittance names {_join([n.note for n in named])}"]
    if settlement.how == OVERPAID and customer >= 0 and payer_fit >= FAIR_NAME and not stated:
        completed = _complete(book, pay, customer, chosen, settlement.on_account, open_now)
        if completed:
            extra, count, chance = completed
            # As with no reference at all: only the one set, of a customer with too few open
            # invoices for such a sum to be chance, vouches for itself.
            strengths.append(0.97 if count == 1 and chance < CHANCE_LIMIT else 0.6)
            settlement = Settlement(tuple(settlement.lines) + tuple(Line(i, int(open_now[i])) for i in extra),
                                    0, EXACT_FIT, "pays them in full")
            cut = rem.cut or (max(n.mention.end for n in named) < len(rem.text)
                              and book.indexes[0][0].ends_in_head_of_one(rem))
            evidence.append(("the remittance text was cut off; " if cut else "")
                            + f"the rest, {format_cents(sum(int(open_now[i]) for i in extra), pay.currency)}, "
                            f"is exactly {_join([book.invoice_ids[i] for i in extra])} of the same customer"
                            + ("" if count == 1 else f" (one of {count} such sets)"))
            if count == 1 and chance >= CHANCE_LIMIT:
                evidence.append("the customer has so many open invoices that some would add up to the rest by chance")
            chosen = chosen + list(extra)
    strength = min(strengths)
    if strength < 0.96 and settlement.how not in FULL:
        strength *= 0.9  # a loosely read reference and an amount that does not settle it
    if settlement.how in FULL and strength >= 0.96 and (settlement.how != WRITE_OFF_FIT or payer_fit >= FAIR_NAME):
        confidence = 95 + 4 * payer_fit
    else:
        # An amount that does not settle the invoices, or settles them only roughly, is
        # trusted only from a payer plainly theirs.
        confidence = 100 * strength * SHORTFALL_TRUST.get(settlement.how, 1.0)
        if payer_fit < STRONG_NAME:
            confidence *= 0.95
        if payer_fit < FAIR_NAME:
            confidence = min(confidence, 80)
    if settlement.how == OVERPAID and settlement.on_account > sum(x.apply for x in settlement.lines) // 4:
        confidence = min(confidence, 85)
        evidence.append("the money left over is large for what the invoices owe")
    if settlement.how == PARTIAL_FIT and rem.says_discount:
        confidence = min(confidence, 85)
        evidence.append("the remittance speaks of a discount the amount does not show")
    customers = {int(book.invoice_customer[i]) for i in chosen}
    if len(customers) > 1:
        confidence = min(confidence, 70)
        evidence.append(f"the invoices belong to {len(customers)} different customers")
    if closed or unknown:
        shown = [book.invoice_ids[i] for i in closed] + unknown
        evidence.append(f"it also names {_join(shown)}, not open")
        confidence = min(confidence, 75)
    if book.disputed[chosen].any():
        evidence.append("an invoice named is marked Disputed")
        confidence = min(confidence, 75)
    # A number read with a keying error undone may be another customer's invoice: it is posted
    # only when the amount settles it and the payer is that customer on its own evidence (its
    # name, alias, parent, account, the clerk's CustomerID, or that customer's invoices named
    # exactly in the same remittance).
    loose = [n.invoice for n in named if n.loose]
    if loose:
        owners = book.invoice_customer[loose]
        settles = stated or settlement.how in (*FULL, UNEARNED)
        vouched = (all(c in exact_customers for c in owners.tolist())
                   or _payer_support(book, pay, owners).min() >= FAIR_NAME)
        if not (settles and vouched):
            confidence = min(confidence, 75)
            evidence.append("a number read with a keying error undone needs the payer and the amount to bear it out")
    evidence.append(_payer_note(book, pay, customer, payer_fit))
    evidence.append(f"{format_cents(pay.amount, pay.currency)} {settlement.note}"
                    + (f"; {format_cents(settlement.on_account, pay.currency)} stays on account"
                       if settlement.on_account else ""))
    return Proposal(pay.position, customer, settlement.lines, settlement.on_account,
                    round(confidence, 1), evidence, loose=bool(loose))


def _open_instead(book: Book, pay: Payment, m: Mention, index: ReferenceIndex, positions: np.ndarray,
                  open_now: np.ndarray, single: bool) -> int | None:
    """For a reference to an invoice that is not open: the one open invoice a keying error
    away that owes exactly what the remittance pays for it."""
    target = m.quoted if m.quoted is not None else (pay.amount if single else None)
    if target is None:
        return None
    near = [int(positions[p]) for p in index.keying_errors_undone(m.written)]
    fits = [i for i in near if open_now[i] == target and book.invoice_currency[i] == pay.currency]
    return fits[0] if len(fits) == 1 else None


def _note(book: Book, invoice: int, m: Mention, how: str | None = None) -> str:
    how = how or m.how
    if how == EXACT and m.column == "InvoiceID":
        return book.invoice_ids[invoice]
    where = "" if m.column == "InvoiceID" else f" {m.column}"
    return f"{book.invoice_ids[invoice]} (written {m.written!r}{where}, {how})"


def _settle_named(book: Book, pay: Payment, rem: Remittance, named: list[_Named], open_now: np.ndarray):
    chosen = [n.invoice for n in named]
    customers = np.array(sorted({int(book.invoice_customer[i]) for i in chosen}), dtype=np.int64)
    support = _payer_support(book, pay, customers)
    customer = int(customers[np.argmax(support)])
    settlement = settle(pay.amount, [int(open_now[i]) for i in chosen], _discounts(book, pay, chosen),
                        chosen, book.settings.write_off_tolerance, reason=rem.reason,
                        says_partial=rem.says_partial, rate=_rate(book, customer),
                        quoted=[n.quoted for n in named],
                        quoted_discounts=[n.mention.quoted_discount for n in named],
                        quoted_deductions=_stated_deductions(rem, named),
                        deduction_reason=", ".join(dict.fromkeys(d.reason for d in rem.deductions)))
    return settlement, customer, float(support.max())


def _stated_deductions(rem: Remittance, named: list[_Named]) -> list[int | None]:
    """What the remittance says was deducted from each named invoice: its EDI adjustments, and
    each deduction written in the text ("LESS 120.50 CO-OP ADVERTISING") on the invoice named
    last before it (the first one when none is)."""
    out = [n.mention.quoted_deduction for n in named]
    for d in rem.deductions:
        before = [k for k, n in enumerate(named) if n.mention.start < d.start]
        owner = max(before, key=lambda k: named[k].mention.start) if before else 0
        out[owner] = (out[owner] or 0) + d.cents
    return out


def _undo_keying_error(book: Book, pay: Payment, rem: Remittance, named: list[_Named],
                       open_now: np.ndarray) -> list[_Named] | None:
    """A number keyed wrong can spell another real invoice. Reading one reference with a keying
    error undone wins if the amount then settles exactly; or if that invoice's customer is
    plainly the payer (and the first reading's is not) and the amount is then explained."""
    owed = sum(int(open_now[n.invoice]) for n in named)
    taken = {x.invoice for x in named}
    best = None
    for k, n in enumerate(named):
        stated = (n.mention.quoted_discount or 0) + (n.mention.quoted_deduction or 0)
        if n.quoted is not None and open_now[n.invoice] - n.quoted in (0, stated):
            continue  # the remittance's own amounts for it bear the reading out
        was = _payer_support(book, pay, book.invoice_customer[[n.invoice]])[0]
        need = pay.amount - (owed - int(open_now[n.invoice]))
        settles = [i for i in _owing(book, need) if i not in taken]
        if not settles and was >= FAIR_NAME and not (rem.says_discount or rem.reason):
            continue  # only the costlier search below could help, and the payer fits already
        near = {int(n.positions[p]) for p in n.index.keying_errors_undone(n.mention.written)} - taken
        near = [i for i in near if open_now[i] > 0 and book.invoice_currency[i] == pay.currency]
        if not near:
            continue
        support = _payer_support(book, pay, book.invoice_customer[near])
        for i, s in zip(near, support.tolist()):
            if s < max(FAIR_NAME, was) or (best is not None and s <= best[0]):
                continue
            reading = replace(n, invoice=i, strength=0.97, note=_note(book, i, n.mention, FUZZY), loose=True)
            trial = named[:k] + [reading] + named[k + 1:]
            if open_now[i] != need:
                settlement, _, _ = _settle_named(book, pay, rem, trial, open_now)
                plain = s >= STRONG_NAME and was < FAIR_NAME and settlement.how in (*FULL, UNEARNED)
                said = rem.says_discount and settlement.how == UNEARNED
                if settlement.how not in (EXACT_FIT, DISCOUNT_FIT) and not plain and not said:
                    continue
            best = (s, trial)
    return best[1] if best else None


def _owing(book: Book, cents: int) -> list[int]:
    """The invoices whose open balance before the batch is exactly ``cents``."""
    invoices, balances = book.by_open
    return invoices[np.searchsorted(balances, cents):np.searchsorted(balances, cents, "right")].tolist()


def _complete(book: Book, pay: Payment, customer: int, chosen: list[int], rest: int, open_now: np.ndarray):
    """Other open invoices of the customer that the rest of the payment pays exactly (a list of
    references cut off): the first such set, how many there are, and how many would add up to
    the rest by chance."""
    pool = _open_of(book, customer, pay.currency, open_now)
    pool = pool[~np.isin(pool, chosen)]
    if not len(pool):
        return None
    values = open_now[pool]
    sets, count = subsets_adding_to(values, rest, limit=1)
    if not sets:
        return None
    return [int(pool[k]) for k in sets[0]], count, _chance(values, len(sets[0]))


def _open_of(book: Book, customer: int, currency: str, open_now: np.ndarray) -> np.ndarray:
    """The customer's invoices still open in the currency, oldest first."""
    pool = book.open_by_customer.get(customer, np.zeros(0, dtype=np.int64))
    return pool[(open_now[pool] > 0) & (book.invoice_currency[pool] == currency)]


def _named_but_not_open(book: Book, pay: Payment, unknown: list[str], closed: list[int]) -> Proposal:
    shown = [book.invoice_ids[i] for i in closed] + unknown
    customers = np.array(sorted({int(book.invoice_customer[i]) for i in closed} - {-1}), dtype=np.int64)
    if len(customers):
        support = _payer_support(book, pay, customers)
        customer, fit = int(customers[np.argmax(support)]), float(support.max())
    else:
        customer, fit = _best_payer(book, pay)
    evidence = [f"The remittance names {_join(shown)}, which is not an open invoice in "
                f"{pay.currency} (paid already, or not billed)", _payer_note(book, pay, customer, fit),
                "the cash would stay on account until a clerk decides"]
    return Proposal(pay.position, customer, (), pay.amount, 40.0 if customer >= 0 else 0.0, evidence)


def _best_payer(book: Book, pay: Payment) -> tuple[int, float]:
    found = book.payers.identify(pay.payer, pay.account, pay.customer_id)
    return (found.customer, found.score) if found else (-1, 0.0)


def _by_amount(book: Book, pay: Payment, rem: Remittance, open_now: np.ndarray) -> Proposal:
    """No reference: the likely customers' open invoices that add up to the amount."""
    candidates: list[PayerMatch] = []
    given = book.payers.position.get(pay.customer_id)
    if given is not None:
        candidates.append(PayerMatch(given, 1.0, "CustomerID given by the clerk"))
    candidates.extend(PayerMatch(c, 1.0, "payer account on file") for c in sorted(book.payers.by_account(pay.account)))
    if not candidates:
        found = book.payers.search(pay.payer, limit=25, floor=FAIR_NAME)
        if found:
            top = found[0].score
            candidates = [m for m in found if m.score >= top - 0.2]
    solutions = []
    for m in candidates:
        pool = _open_of(book, m.customer, pay.currency, open_now)
        if not len(pool):
            continue
        for discounted in (False, True):
            values = open_now[pool].copy()
            if discounted:
                disc = np.array(_discounts(book, pay, pool), dtype=np.int64)
                if not disc.any():
                    continue
                values -= disc
            sets, count = subsets_adding_to(values, pay.amount, limit=2)
            for s in sets:
                solutions.append((m, [int(pool[k]) for k in s], count, discounted,
                                  _chance(values, len(s))))
            if sets:
                break
    if not solutions:
        if candidates and candidates[0].score >= STRONG_NAME:
            best = candidates[0]
            return Proposal(pay.position, best.customer, (), pay.amount, 30.0, [
                f"No invoice is named, and no open invoices of {_who(book, best.customer)} add up to "
                f"{format_cents(pay.amount, pay.currency)}", f"{best.how} ({best.score:.2f})",
                "the cash would stay on account until a clerk decides"])
        return Proposal(pay.position, -1, (), pay.amount, 0.0, [
            "No invoice is named and the payer is not a customer we know"
            if not candidates else "No invoice is named and no likely customer's open invoices add up to the amount",
            f"payer {pay.payer!r}"])
    # Fewest invoices first, then the likelier customer. Another set as small, or one barely
    # larger from a customer named as well, leaves the choice to a clerk.
    ranked = sorted(((len(chosen), -m.score, k) for k, (m, chosen, *_) in enumerate(solutions)))
    size, score, first = ranked[0]
    m, chosen, count, discounted, chance = solutions[first]
    rivals = (count - 1) + sum(1 for n, sc, k in ranked[1:] if solutions[k][0].customer != m.customer
                               and (n <= size or (-sc >= -score - 0.02 and n <= size + 1)))
    opens = [int(open_now[i]) for i in chosen]
    settlement = settle(pay.amount, opens, _discounts(book, pay, chosen) if discounted else [0] * len(chosen),
                        chosen, book.settings.write_off_tolerance)
    size_penalty = {1: 0, 2: 2, 3: 4}[len(chosen)]
    name = min(1.0, max(0.0, (m.score - FAIR_NAME) / (0.9 - FAIR_NAME)))
    confidence = 88 + 10 * name - size_penalty
    evidence = [f"No invoice is named; {_join([book.invoice_ids[i] for i in chosen])} of "
                f"{_who(book, m.customer)} add up to {format_cents(pay.amount, pay.currency)}"
                + (" after the discount their terms allow" if discounted else ""),
                f"{m.how} ({m.score:.2f})"]
    if rivals:
        confidence = 60.0
        evidence.append(f"{rivals + 1} different sets of open invoices add up to it; the likeliest is proposed")
    elif chance >= CHANCE_LIMIT:
        confidence = min(confidence, 75.0)
        evidence.append("the customer has so many open invoices that some would add up to it by chance")
    return Proposal(pay.position, m.customer, settlement.lines, 0, round(confidence, 1), evidence)


CHANCE_LIMIT = 0.01  # expected sets adding up to an amount by coincidence, above which we doubt


def _chance(values: np.ndarray, size: int) -> float:
    """How many sets of ``size`` of these amounts would add up to a given amount by mere
    coincidence (the number of sets over the spread of their sums, in cents)."""
    spread = max(float(np.std(values)), 1000.0) * math.sqrt(size) * 2.5
    return math.comb(len(values), size) / spread


def _payer_note(book: Book, pay: Payment, customer: int, fit: float) -> str:
    if customer < 0:
        return f"payer {pay.payer!r} is not a customer we know"
    if pay.customer_id and book.payers.position.get(pay.customer_id) == customer:
        return f"the clerk gave CustomerID {pay.customer_id}"
    if pay.account and customer in book.payers.by_account(pay.account):
        return f"payer account {pay.account} belongs to {_who(book, customer)}"
    if fit >= STRONG_NAME:
        return f"payer {pay.payer!r} matches {_who(book, customer)} ({fit:.2f})"
    if fit >= FAIR_NAME:
        return f"payer {pay.payer!r} resembles {_who(book, customer)} ({fit:.2f})"
    return f"payer {pay.payer!r} does not resemble {_who(book, customer)}, whose invoices these are"


def _join(items: list[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if len(items) > 8:
        return ", ".join(items[:8]) + f" and {len(items) - 8} more"
    return ", ".join(items[:-1]) + " and " + items[-1]


# ---- the batch ---------------------------------------------------------------------------------

PARALLEL_FROM = 2000  # payments; below this, starting worker processes costs more than it saves
_SHARED: tuple | None = None  # what forked workers read: (book, payments, open balances)


def _propose_slice(bounds: tuple[int, int]) -> list[Proposal]:
    book, payments, open_now = _SHARED
    return [propose(book, pay, open_now) for pay in payments[bounds[0]:bounds[1]]]


def _propose_all(book: Book, payments: list[Payment], open_now: np.ndarray, progress) -> list[Proposal]:
    """Each payment's proposal against the balances before the batch. Proposals are
    independent, so a large batch is shared among the machine's cores where worker processes
    can be forked safely (Linux: the headless door on a server); elsewhere, and inside Excel,
    one after the other."""
    global _SHARED
    workers = min(os.cpu_count() or 1, 8)
    if len(payments) < PARALLEL_FROM or workers < 2 or not sys.platform.startswith("linux"):
        out = []
        for k, pay in enumerate(payments):
            out.append(propose(book, pay, open_now))
            if progress and k % 500 == 0:
                progress(f"Matching payment {k + 1} of {len(payments)}", 0.1 + 0.8 * k / len(payments))
        return out
    step = -(-len(payments) // (workers * 4))
    chunks = [(a, min(a + step, len(payments))) for a in range(0, len(payments), step)]
    _SHARED = (book, payments, open_now)
    # Objects alive now are left out of the workers' garbage collections, so that a collection
    # does not write to (and so copy) every page the workers share with this process.
    gc.freeze()
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            out = []
            for k, part in enumerate(pool.imap(_propose_slice, chunks)):
                out.extend(part)
                if progress:
                    progress(f"Matching payment {len(out)} of {len(payments)}", 0.1 + 0.8 * (k + 1) / len(chunks))
            return out
    finally:
        _SHARED = None
        gc.unfreeze()


def match_batch(book: Book, payments: list[Payment], progress=None) -> list[Proposal]:
    """Proposals for every payment; then, those reading their invoices exactly first and the
    most confident first, each takes from what is still open, so that no invoice is promised
    twice or beyond its balance."""
    open_now = book.open.copy()
    by_position = {pay.position: pay for pay in payments}
    proposals = _propose_all(book, payments, open_now, progress)
    taken_by: dict[int, str] = {}
    out: dict[int, Proposal] = {}
    for p in sorted(proposals, key=lambda p: (p.loose, -p.confidence)):
        spoken_for = [x.invoice for x in p.lines if x.apply + x.discount + x.write_off > open_now[x.invoice]]
        if spoken_for:
            # Proposed again against what earlier payments of the batch left open, for review.
            notes = [f"{book.invoice_ids[i]} is already being paid by {taken_by.get(i, 'another payment')} "
                     f"in this batch" for i in spoken_for]
            again = propose(book, by_position[p.payment], open_now)
            p = replace(again, confidence=min(again.confidence, 60.0), evidence=again.evidence + notes)
        for x in p.lines:
            open_now[x.invoice] -= x.apply + x.discount + x.write_off
            taken_by.setdefault(x.invoice, by_position[p.payment].payment_id)
        out[p.payment] = p
    return [out[p.payment] for p in proposals]
