"""Candidate explanations of one payment: which customer paid, which open invoices it pays and how
the amount settles them. Each candidate is compared with the payment field by field
(``model.Field``) so that the batch's model can weigh it; ``batch`` then takes the likeliest.

Where candidates come from:
- the references the remittance names (``ids``: every reference column, however spelled): per
  customer owning a reading, the strongest readings of non-overlapping text, each invoice once
  (a reference shared by several invoices, a PO billed in parts, names those of them whose
  balances make up what is paid for it); the same with an ambiguous reading swapped for its
  rival; the subsets of them the amount settles (two invoices named, the amount paying one);
  with what the rest of an overpayment pays (a list cut off, an invoice left out: the
  customer's open invoices making up the rest exactly, or one it pays less a small deduction);
- the payer's own open invoices searched for references two keying errors from a number no
  reading explains (``ids.near``);
- with no reference settled, the open invoices of each likely customer adding up to the amount
  (``amounts.subsets_adding_to``), as many as chance allows;
- nothing found: the cash on account of the customer the remittance or the payer names.
Each candidate carries the rules that would hold it for a clerk (``policy``).

The payer: a customer is identified by the clerk's CustomerID (``fixed_customer``, the one place
where a given CustomerID fixes the customer: every candidate is then that customer's), by a payer
account on file (Customers.BankAccounts) or a link the clerk kept, by a learned link (``learning``)
that an invoice named exactly bears out, by its name, or by its invoices named exactly with an
amount that settles them.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from arxl.core.matching.amounts import (
    DEDUCTION_SHARE,
    FULL,
    OVERPAID,
    PARTIAL,
    SHORT,
    WRITE_OFF,
    Line,
    Settlement,
    sets_by_chance,
    settle,
    subsets_adding_to,
)
from arxl.core.matching.ids import CUT, FUZZY, RANGE, TWO_EDITS, Mention, pair_quoted_amounts
from arxl.core.matching.ids import EXACT as EXACT_READING
from arxl.core.matching.ids import PARTIAL as PARTIAL_READING
from arxl.core.matching.index import OpenItems
from arxl.core.matching.learning import ACCOUNT, NAME, Link, Links
from arxl.core.matching.model import (
    GIVEN,
    LEARNED,
    LOOSE,
    NO_DATE,
    NO_LINK,
    NO_OTHERS,
    NOT_OPEN,
    OPEN_UNPAID,
    OTHERS,
    TWO_KEYING_ERRORS,
    Field,
    date_level,
    keying_error_level,
    name_level,
    reference_level,
    sum_bits,
)
from arxl.core.matching.payers import PARENT
from arxl.core.matching.policy import FAIR_NAME, FAR_AHEAD_BITS, STRONG_NAME, Held, Rule
from arxl.core.matching.text import Remittance, read_remittance
from arxl.core.money import format_amount, minor_units

_LEVEL = {EXACT_READING: 0, RANGE: 1, PARTIAL_READING: 1}
_SURE = 1  # readings at least this strong (exact, partial) name their invoice surely


def _level(m: Mention) -> int:
    """A mention's reading level (model.READINGS)."""
    if m.how == TWO_EDITS:
        return TWO_KEYING_ERRORS
    return keying_error_level(m.neighbours) if m.how in (FUZZY, CUT) else _LEVEL[m.how]
_SETTLED = ("exact", "discount", "write-off", "stated", "instalments")
_UNSETTLED = ("overpaid", "overpaid much", "partial", "short pay")
MAX_CUSTOMERS = 6  # customers owning a reading whose candidates are made
MAX_SUBSET_SEARCH = 10  # named invoices up to which every subset is tried
LEFT_OUT_SCALE = 2  # an invoice left out is weighed against a deduction when no larger than this times it
ROUND_REST = 5  # whole units of the currency a rest of an overpayment is a multiple of, to be round


@dataclass(frozen=True)
class Payment:
    """A payment as the matcher reads it (amount in cents, currency resolved)."""

    position: int  # in the batch, and in the payments frame
    payment_id: str
    payer: str
    amount: int
    currency: str
    received: dt.date
    reference: str
    account: str = ""
    customer_id: str = ""


@dataclass(frozen=True)
class Candidate:
    """One explanation of a payment, compared field by field (``codes``: a level per Field)."""

    customer: int  # position in the customers frame, -1 for nobody known
    lines: tuple[Line, ...]
    on_account: int
    codes: tuple[int, ...]
    notes: tuple[str, ...]  # what was found where, for the Evidence
    summary: str  # in a few words, as a rival is named in the Evidence
    held: tuple[Held, ...] = ()  # the rules that hold it for a clerk
    loose: bool = False  # an invoice read with a keying error undone (exact readings go first)
    identifies: bool = False  # invoices named exactly, settled: it teaches who the payer is
    unfounded: bool = False  # rests on a keying error that nothing but chance bears out (never proposed)
    sum_bits: float = 0.0  # what the invoices found by the sum weigh (model.sum_bits)
    fit: str = "nothing"  # how the amount settles the invoices (a model.AMOUNT_LEVELS key)
    by_sum: tuple[int, ...] = ()  # invoices taken because the amount adds up to them, not named

    @property
    def invoices(self) -> tuple[int, ...]:
        return tuple(x.invoice for x in self.lines)


@dataclass(frozen=True)
class Facts:
    """What the batch taught before this proposal: the payer links, and the payments of the batch
    that together settle one invoice (PaymentID -> (invoice, the other payments, what this one
    writes off of it))."""

    links: Links
    instalments: dict[str, tuple[int, tuple[str, ...], int]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Reading:
    """An open invoice the remittance may name, and how surely."""

    invoice: int
    level: int  # model.READINGS: 0 exact, 1 partial (or in a range), then keying errors
    column: int  # the reference column it was read in
    mention: Mention
    together: bool = False  # one of the invoices a shared reference (a PO billed in parts) names
    # open invoices one keying error from what was written that the amount settles, set aside
    # for this exact reading because nothing but the amount speaks for them
    settled_instead: tuple[int, ...] = ()
    # of a partial reading in another column than InvoiceID: the payer's customers' open invoices
    # one keying error from what was written, read as an InvoiceID
    misspelt_instead: tuple[int, ...] = ()

    @property
    def span(self) -> tuple[int, int]:
        return self.mention.start, self.mention.end


def in_words(names: Iterable[str]) -> str:
    """Names as the Evidence lists them: "a, b and c" (the first eight, then how many more)."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    if len(names) > 8:
        return ", ".join(names[:8]) + f" and {len(names) - 8} more"
    return ", ".join(names[:-1]) + " and " + names[-1]


def fixed_customer(items: OpenItems, pay: Payment) -> int | None:
    """The customer the clerk's CustomerID gives: the one place where a given CustomerID fixes
    the customer (every candidate is then that customer's). None: none typed; -1: one typed that
    is not a customer of ours (nobody else is proposed either; the matcher reports it)."""
    typed = pay.customer_id.strip()
    return items.payers.position.get(typed, -1) if typed else None


# ---- the payer ---------------------------------------------------------------------------------

class PayerView:
    """How the payment's payer fits each customer: the name's score, and the link (the clerk's
    CustomerID, an account on file, a link kept or learned) with its level."""

    def __init__(self, items: OpenItems, pay: Payment, facts: Facts):
        self.items, self.pay, self.facts = items, pay, facts
        self.fixed = fixed_customer(items, pay)
        self.on_file = items.payers.by_account(pay.account)
        self._names: dict[int, float] = {}
        self._links: dict[int, tuple[int, Link | None]] = {}
        self._candidates: list[int] | None = None
        self._likely: set[int] | None = None

    def name(self, customer: int) -> float:
        if customer < 0:  # an invoice whose customer is not in Customers (or its row unread): no name
            return 0.0
        if customer not in self._names:
            self.score_names([customer])
        return self._names[customer]

    def name_level(self, customer: int) -> int:
        """The PAYER_NAME level of the payer's name against the customer's."""
        return name_level(self.name(customer), self.items.payers.as_initials(self.pay.payer, customer))

    def score_names(self, customers: Iterable[int]) -> None:
        """Score the payer's name against these customers at once (``name`` then remembers)."""
        todo = np.array(sorted({c for c in customers if c >= 0 and c not in self._names}), dtype=np.int64)
        if len(todo):
            self._names.update(zip(todo.tolist(), self.items.payers.score(self.pay.payer, todo).tolist()))

    def link(self, customer: int) -> tuple[int, Link | None]:
        if customer not in self._links:
            if self.fixed is not None and self.fixed == customer:
                found: tuple[int, Link | None] = (GIVEN, None)
            elif customer in self.on_file:
                found = (GIVEN, None)
            else:
                found = self.facts.links.level(self.pay.account, self.pay.payer, customer, self.pay.payment_id)
                link = found[1]
                # A name says little against a customer whose name it resembles too, and a name
                # link adds nothing where the name plainly fits already: only accounts say "not".
                if link is not None and link.kind == NAME and (
                        found[0] == OTHERS or self.name(customer) >= STRONG_NAME):
                    found = (NO_LINK, None)
                if found[0] == NO_LINK and self.on_file:
                    found = (OTHERS, None)
            self._links[customer] = found
        return self._links[customer]

    def allowed(self, customer: int) -> bool:
        return self.fixed is None or customer == self.fixed

    def candidates(self) -> list[int]:
        """The customers the payer likely is, likeliest first: the clerk's CustomerID alone; else
        those an account or link names, then those the name fits."""
        if self._candidates is None:
            self._candidates = self._likely_customers()
        return self._candidates

    def likely(self, customer: int) -> bool:
        """Whether ``customer`` is among those the payer likely is (``candidates``)."""
        if self._likely is None:
            self._likely = set(self.candidates())
        return customer in self._likely

    def _likely_customers(self) -> list[int]:
        if self.fixed is not None:
            return [self.fixed] if self.fixed >= 0 else []
        out = sorted(self.on_file)
        for c, _ in self.facts.links.customers_of(self.pay.account, self.pay.payer, self.pay.payment_id):
            if c not in out:  # (the account and the name may both be linked to it: once)
                out.append(c)
        found = self.items.payers.search(self.pay.payer, limit=25, floor=FAIR_NAME)
        if found:
            top = found[0].score
            out += [m.customer for m in found if m.score >= top - 0.2 and m.customer not in out]
        return out

    def known(self, customer: int, borne_out: bool) -> bool:
        """Identified by its name, a link of the clerk's, or a learned link that independent
        evidence bears out (``borne_out``: an invoice named exactly, or invoices read with a
        keying error undone that the amount settles, or invoices found by a sum chance would
        hardly give)."""
        level, _ = self.link(customer)
        return self.name(customer) >= FAIR_NAME or level == GIVEN or (level == LEARNED and borne_out)

    def surely(self, customer: int) -> bool:
        """Identified plainly: by the clerk (an account on file, the CustomerID typed) or a name
        that plainly fits."""
        return self.link(customer)[0] == GIVEN or self.name(customer) >= STRONG_NAME

    def says_more_than(self, customer: int) -> bool:
        """Whether the payer's name holds a word the customer's names do not."""
        return self.items.payers.says_more_than(self.pay.payer, customer)

    def namesakes(self, customer: int) -> list[tuple[int, bool]]:
        """The other customers the payer's name fits as well as ``customer``'s, or plainly, each
        with whether it is found under its parent's name (one of a family)."""
        enough = min(STRONG_NAME, self.name(customer))
        return [(m.customer, m.row == PARENT) for m in self.items.payers.search(self.pay.payer, limit=25,
                                                                                 floor=FAIR_NAME)
                if m.customer != customer and m.score >= enough]

    def note(self, customer: int) -> str:
        items, pay = self.items, self.pay
        if customer < 0:
            return f"payer {pay.payer!r} is not a customer we know"
        level, link = self.link(customer)
        score = self.name(customer)
        if self.fixed == customer:
            return f"the clerk gave CustomerID {pay.customer_id}"
        if customer in self.on_file:
            return f"payer account {pay.account} belongs to {items.who(customer)}"
        said = []
        if level in (GIVEN, LEARNED) and link is not None:
            what = f"payer account {pay.account}" if link.kind == ACCOUNT else f"payer name {pay.payer!r}"
            if link.where == "kept by the clerk":
                said.append(f"{what} is {items.who(customer)}'s (kept by the clerk in LearnedPayers)")
            else:
                source = "posted payments" if link.where == "posted" else "this batch"
                said.append(f"{what} is {items.who(customer)}'s, learned from {source} "
                            f"({in_words(link.sources[:3])}; see LearnedPayers)")
        if score >= FAIR_NAME and items.payers.as_initials(pay.payer, customer):
            said.append(f"payer {pay.payer!r} is the initials of {items.who(customer)}")
        elif score >= STRONG_NAME:
            said.append(f"payer {pay.payer!r} matches {items.who(customer)} ({score:.2f})")
        elif score >= FAIR_NAME:
            said.append(f"payer {pay.payer!r} resembles {items.who(customer)} ({score:.2f})")
        elif not said:
            said.append(f"payer {pay.payer!r} does not resemble {items.who(customer)}, whose invoices these are")
        if level == OTHERS and link is not None:
            said.append(f"its {'account' if link.kind == ACCOUNT else 'name'} is linked to "
                        f"{items.who(link.customer)}")
        elif level == OTHERS:
            said.append(f"payer account {pay.account} belongs to another customer")
        return "; ".join(said)


# ---- proposing -------------------------------------------------------------------------------

def propose(items: OpenItems, pay: Payment, open_now: np.ndarray, facts: Facts) -> list[Candidate]:
    """Every candidate explanation of one payment (``open_now``: what is open of each invoice)."""
    payer = PayerView(items, pay, facts)
    if pay.amount <= 0:
        customer = _likeliest(payer)
        return [_on_account(items, pay, payer, customer, (
            f"An amount of {format_amount(pay.amount, pay.currency)} is not a receipt to apply",), ())]
    rem = read_remittance(pay.reference, pay.currency)
    readings, texts = _read(items, pay, rem, open_now, payer)
    maker = _Maker(items, pay, rem, open_now, payer, facts, texts, readings)
    out: list[Candidate] = []
    owners = _owners(items, readings, payer)
    for customer in owners:
        out += maker.named(customer, [r for r in readings if items.invoice_customer[r.invoice] == customer])
    out += maker.mixed(owners, readings)
    # with no invoice named surely, the likely customers' open invoices adding up to the amount
    settled = any(c.fit in _SETTLED for c in out)
    # invoices named that are not open (paid already), or numbers shaped like ours naming none,
    # are what the payment is for: other invoices adding up to the amount by coincidence are not
    explicit = (bool(rem.edi_lines) and not readings) or bool(texts)
    if not settled and not explicit and not any(r.level <= _SURE for r in readings):
        out += maker.by_amount()
    # the same explanation reached twice (from two readings of one number, or one subset of two
    # lists) is one candidate: two equal ones would split its Confidence between them
    kept: dict[tuple[object, ...], Candidate] = {}
    for c in out:
        if not c.unfounded:
            kept.setdefault((c.customer, c.lines, c.on_account, c.codes, c.sum_bits), c)
    out = list(kept.values())
    if not out:
        out.append(maker.nothing())
    return out


def _likeliest(payer: PayerView) -> int:
    found = payer.candidates()
    if not found:
        return -1
    c = found[0]
    return c if payer.surely(c) else -1


def _owners(items: OpenItems, readings: list[_Reading], payer: PayerView) -> list[int]:
    """The customers owning a reading, surest first (the strongest reading, then the payer)."""
    best: dict[int, int] = {}
    for r in readings:
        c = int(items.invoice_customer[r.invoice])
        if c >= 0 and payer.allowed(c):
            best[c] = min(best.get(c, 9), r.level)
    payer.score_names(best)
    ranked = sorted(best, key=lambda c: (best[c], payer.link(c)[0], -payer.name(c)))
    return ranked[:MAX_CUSTOMERS]


@dataclass(frozen=True)
class _Text:
    """Something the remittance names that no open invoice of ours explains by itself: an
    invoice not open (paid, or in another currency), or a number shaped like ours that names
    nothing or is read only with keying errors."""

    start: int
    end: int
    shown: str
    closed: bool  # an invoice of ours, not open
    near: tuple[int, ...] = ()  # of an invoice not open: the open ones one keying error from it


def _read(items: OpenItems, pay: Payment, rem: Remittance, open_now: np.ndarray, payer: PayerView
          ) -> tuple[list[_Reading], list[_Text]]:
    """The open invoices the text names (readings), and what else it names (``_Text``)."""
    found: list[tuple[int, Mention, np.ndarray]] = []
    loose_parts: list[tuple[int, str, int]] = []
    exactly = [index.read_exactly(rem) for index, _ in items.references]
    # a part one column reads is not read loosely by another
    covered = [max(c) for c in zip(*(c for _, c in exactly))] if exactly else []
    for k, (index, positions) in enumerate(items.references):
        loose, unread = index.read_loosely(rem, covered)
        found += [(k, m, positions) for m in pair_quoted_amounts(exactly[k][0] + loose, rem)]
        loose_parts += [(k, p.text, p.start) for p in unread]
    # an exact reading in one column wins over looser readings of the same text in another
    exact = [(m.start, m.end, k) for k, m, _ in found if m.how == EXACT_READING]
    found = [(k, m, p) for k, m, p in found if m.how == EXACT_READING
             or not any(s < m.end and m.start < e and k2 != k for s, e, k2 in exact)]
    readings: list[_Reading] = []
    texts: list[_Text] = []
    alone = len({(m.start, m.end) for _, m, _ in found}) == 1  # one thing named, read in one column or more
    for k, m, positions in found:
        level = _level(m)
        invoices = [int(positions[p]) for p in m.positions]
        # a reference shared by several invoices (a PO billed in parts), or a range of numbers,
        # names its invoices together
        shared = (k > 0 and len(invoices) > 1 and m.how == EXACT_READING) or m.how == RANGE
        usable = [i for i in invoices if open_now[i] > 0 and items.invoice_currency[i] == pay.currency]
        target = m.quoted if m.quoted is not None else pay.amount
        keyed_readings: list[_Reading] = []
        settled_instead: list[int] = []
        misspelt_instead: list[int] = []
        near_open: list[int] = []
        if level <= _SURE and not any(open_now[i] == target and payer.name(int(items.invoice_customer[i])) >= FAIR_NAME
                                      for i in usable):
            # read surely, but not an open invoice of the payer we know, or not what is paid:
            # one of the payer's invoices, or one the amount settles, written with a keying error
            index = items.references[k][0]
            # (an invoice named exactly that is not open is taken for another only when the
            # amount bears it out, or pays part of the other, an open invoice of a customer the
            # payer is known to be: else paid already is the likelier story)
            keyed: Mention | None = None  # what was written, read with a keying error (when one is)
            near, near_invoices = _open_near(items, k, m.written, open_now, pay.currency)
            near_open = near_invoices.tolist()
            near_owners: list[int] = items.invoice_customer[near_invoices].tolist()
            named_owners = {int(items.invoice_customer[i]) for i in usable}
            for i, owner, still_open in zip(near_open, near_owners, open_now[near_invoices].tolist()):
                settles = _settles(items, pay, i, still_open, target)
                if owner in named_owners:  # the payer never prefers it to an invoice named (``_payer_prefers``)
                    if settles:
                        settled_instead.append(i)
                    continue
                if not (settles or (usable and payer.likely(owner))
                        or (not usable and pay.amount < still_open and payer.known(owner, False))):
                    continue
                if usable and not _payer_prefers(items, payer, i, usable):
                    # An open invoice named exactly is what the remittance says; another one keying
                    # error away that only the amount speaks for does not replace it: it is the
                    # clerk's to weigh (``settled_instead``).
                    if settles:
                        settled_instead.append(i)
                    continue
                keyed = keyed or replace(m, how=FUZZY, neighbours=near)
                keyed_readings.append(_Reading(i, _payers_level(items, payer, keyed, i, near_open), k, keyed))
            if usable and (alone or m.quoted is not None) and not any(open_now[i] == target for i in usable):
                # one keying error from what was written in another column ("D004326": the
                # order SO-004326, or the invoice D0043026 misspelt), an invoice the amount settles
                # (what is paid for it: the whole amount when nothing else is named)
                for k2 in range(len(items.references)):
                    if k2 == k:
                        continue
                    near2, open2 = _open_near(items, k2, m.written, open_now, pay.currency)
                    preferred: list[int] = []
                    if k2 == 0 and m.how == PARTIAL_READING:
                        misspelt = [i for i in open2.tolist() if i not in usable
                                    and payer.known(int(items.invoice_customer[i]), False)]
                        misspelt_instead += misspelt
                        # one of them the payer speaks for, where it does not for what the part
                        # read names: as likely that invoice number written wrong (a reading of
                        # its own, which the amount need not settle)
                        preferred = [i for i in misspelt if open_now[i] != target
                                     and _payer_prefers(items, payer, i, usable)]
                    for i in preferred + open2[open_now[open2] == target].tolist():
                        if i in usable or i in settled_instead:
                            continue
                        if i in preferred or _payer_prefers(items, payer, i, usable):  # the payer speaks for it
                            other = replace(m, how=FUZZY, neighbours=near2, column=items.references[k2][0].column)
                            keyed_readings.append(_Reading(i, _payers_level(items, payer, other, i, open2.tolist()),
                                                           k2, other))
                        else:
                            settled_instead.append(i)
        readings += [_Reading(i, _payers_level(items, payer, m, i, usable), k, m, together=shared,
                              settled_instead=tuple(settled_instead), misspelt_instead=tuple(misspelt_instead))
                     for i in usable]
        readings += keyed_readings
        if not usable and level <= _SURE and len(invoices) == 1:
            texts.append(_Text(m.start, m.end, items.invoice_ids[invoices[0]], True, tuple(near_open)))
        elif level > _SURE:
            texts.append(_Text(m.start, m.end, m.written, False))
    texts += [_Text(start, start + len(text), text, False) for k, text, start in loose_parts if k == 0]
    if not found and not loose_parts:
        texts += [_Text(e.start, e.end, e.reference, False) for e in rem.edi_lines
                  if e.qualifier == "IV" and e.reference]
    # numbers no reading explains, against the likely payers' own open invoices
    readings += _near(items, pay, rem, open_now, payer, loose_parts)
    return readings, texts


def _settles(items: OpenItems, pay: Payment, invoice: int, still_open: int, target: int) -> bool:
    """Whether ``target`` pays what is open of the invoice in full, or less the early-payment
    discount its terms allow on the payment's date."""
    gap = still_open - target
    return gap == 0 or (gap > 0 and gap == items.discount_days[1][invoice]  # (the date checked only then)
                        and items.discounts([invoice], pay.received)[0] == gap)


def _open_near(items: OpenItems, column: int, written: str, open_now: np.ndarray, currency: str
               ) -> tuple[int, np.ndarray]:
    """How many references of ``column`` lie one keying error from ``written``, and the open
    invoices in ``currency`` among them (in dense numbering dozens: picked out as arrays, not one
    by one)."""
    index, positions = items.references[column]
    near = index.one_edit(written)
    invoices = positions[np.asarray(near, dtype=np.int64)]
    return len(near), invoices[(open_now[invoices] > 0) & (items.invoice_currency[invoices] == currency)]


def _payers_level(items: OpenItems, payer: PayerView, m: Mention, invoice: int, near: list[int]) -> int:
    """The reading level of ``invoice`` read by ``m``. A keying error undone counts by how
    many references lie that near what was written; for an invoice of a customer the payer is
    known to be, by how many of that customer's open invoices (``near``: the open ones that near)
    do: the payer's own open items are searched first, and among them a number is rarely near by
    chance."""
    if m.how != FUZZY:
        return _level(m)
    customer = int(items.invoice_customer[invoice])
    if customer < 0 or not payer.known(customer, False):
        return _level(m)
    return keying_error_level(sum(1 for i in near if items.invoice_customer[i] == customer))


def _payer_prefers(items: OpenItems, payer: PayerView, invoice: int, named: list[int]) -> bool:
    """Whether the payer speaks for ``invoice``'s customer and not for those of the invoices
    ``named`` exactly; or plainly for it, and for each of them only fairly ('REDWOOD MED SUPPLY'
    is Redwood Medical Supply, and resembles Maple Medical Supply Co. by two common words) or by
    a name that leaves a word of the payer's unread ("COTE D'AZUR FARMACEUTI" is Côte d'Azur
    Farmacéutica, and fits Côte d'Azur Möbelwerk GmbH by its place alone, at 0.8): evidence
    beyond the amount for reading the text with a keying error."""
    customer = int(items.invoice_customer[invoice])
    owners = {int(items.invoice_customer[i]) for i in named}
    if customer in owners or not payer.known(customer, False):
        return False
    return not any(payer.known(c, False) for c in owners) or (
        payer.surely(customer) and not payer.says_more_than(customer) and not any(
            payer.link(c)[0] == GIVEN or (payer.surely(c) and not payer.says_more_than(c)) for c in owners))


def _near(items: OpenItems, pay: Payment, rem: Remittance, open_now: np.ndarray, payer: PayerView,
          loose_parts: list[tuple[int, str, int]]) -> list[_Reading]:
    """Readings two keying errors (or one, against a distinctive core) from a number no other
    reading explains, or of it cut short, among the open invoices of the customers the payer
    likely is. A number cut short counts by how many of the customer's open invoices it may be
    (a number rarely begins or ends so by chance among them), as a keying error would."""
    texts = [(k, t, where) for k, t, where in loose_parts if len(t) >= 4]
    if not texts:
        return []
    out = []
    for customer in payer.candidates()[:3]:
        pool = items.open_of(customer, pay.currency, open_now)
        for k, text, where in texts:
            index, positions = items.references[k]
            rows = items.reference_rows[k][pool]
            rows = rows[rows >= 0].tolist()
            near = index.near(text, rows)
            keyed = {pos for pos, edits in near if edits <= 1}
            cut = {pos: many for pos, many in index.cut_short(text, rows) if pos not in keyed}
            for pos, edits in near:
                if pos not in cut:
                    m = Mention((pos,), FUZZY if edits <= 1 else TWO_EDITS, text, where, where + len(text),
                                index.column, neighbours=len(index.one_edit(text)) if edits <= 1 else 1)
                    out.append(_Reading(int(positions[pos]), _level(m), k, m))
            for pos, many in cut.items():
                m = Mention((pos,), CUT, text, where, where + len(text), index.column, neighbours=many)
                out.append(_Reading(int(positions[pos]), _level(m), k, m))
    return out


class _Maker:
    """Makes the candidates of one payment."""

    def __init__(self, items: OpenItems, pay: Payment, rem: Remittance, open_now: np.ndarray, payer: PayerView,
                 facts: Facts, texts: list[_Text], readings: list[_Reading]):
        self.items, self.pay, self.rem, self.open_now = items, pay, rem, open_now
        self.payer, self.facts, self.texts, self.readings = payer, facts, texts, readings

    # ---- named invoices -----------------------------------------------------------------------
    def named(self, customer: int, readings: list[_Reading]) -> list[Candidate]:
        base, alternatives = self._choose(readings)
        if not base:
            return []
        sets = [base] + [[alt if r.invoice == was.invoice else r for r in base] for was, alt in alternatives[:3]]
        out: list[Candidate] = []
        for chosen in sets:
            out += self._explain(customer, chosen)
        return out

    def _choose(self, readings: list[_Reading]) -> tuple[list[_Reading], list[tuple[_Reading, _Reading]]]:
        """The readings one explanation takes (strongest first, no two from overlapping text but
        the invoices a shared reference names together, each invoice once) and the rivals of
        those chosen among readings of the same text and strength: [(chosen, rival)]."""
        single = len({r.span for r in readings}) == 1
        target = None
        chosen: list[_Reading] = []
        rivals: list[tuple[_Reading, _Reading]] = []
        by_span: dict[tuple[int, int, int], list[_Reading]] = {}
        for r in readings:
            by_span.setdefault((*r.span, r.column), []).append(r)
        units: list[list[_Reading]] = []
        for group in by_span.values():
            if len(group) > 1 and all(r.together for r in group):
                units.append(self._together(group, single))
                continue
            target = group[0].mention.quoted if group[0].mention.quoted is not None else (
                self.pay.amount if single else None)
            ranked = sorted(group, key=lambda r: (
                r.level, -int(target is not None and self.open_now[r.invoice] == target),
                -self.payer.name(int(self.items.invoice_customer[r.invoice]))))
            units.append(ranked[:1])
            rivals += [(ranked[0], r) for r in ranked[1:] if r.level == ranked[0].level]
        units.sort(key=lambda u: (u[0].level, u[0].span[0] - u[0].span[1], u[0].span[0]))
        taken: list[tuple[int, int]] = []
        for unit in units:
            span = unit[0].span
            if any(s < span[1] and span[0] < e for s, e in taken):
                continue
            fresh = [r for r in unit if r.invoice not in {c.invoice for c in chosen}]
            if fresh:
                chosen += fresh
                taken.append(span)
        chosen.sort(key=lambda r: r.mention.start)
        kept = {r.invoice for r in chosen}
        return chosen, [(was, alt) for was, alt in rivals if was.invoice in kept and alt.invoice not in kept]

    def _together(self, group: list[_Reading], single: bool) -> list[_Reading]:
        """The invoices a reference shared by several invoices (a PO billed in parts) pays: all
        of them when their balances add up to what is paid for it, else the only set of them
        that does; all of them when the remittance does not say what it pays for it."""
        m = group[0].mention
        target = m.quoted if m.quoted is not None else (self.pay.amount if single else None)
        values = self.open_now[[r.invoice for r in group]]
        if target is None or int(values.sum()) == target:
            return group
        sets, count = subsets_adding_to(values, target, limit=1)
        return [group[k] for k in sets[0]] if count == 1 else group

    def _explain(self, customer: int, chosen: list[_Reading]) -> list[Candidate]:
        """The named invoices settled by the amount; the subsets of them it settles better; and
        what the rest of an overpayment pays."""
        settlement = self._settle(customer, chosen)
        out = [self._candidate(customer, chosen, settlement)]
        how = settlement.how
        if not (how in FULL or settlement.stated) and len(chosen) > 1:
            out += self._subsets(customer, chosen)
        if how == SHORT and not settlement.stated and not self.rem.reason:
            left_out = self._left_out(customer, chosen, settlement)
            if left_out:
                detail = in_words(self.items.invoice_ids[i] for i in left_out)
                out[0] = _with_held(out[0], Held(Rule.DEDUCTION_OR_LEFT_OUT, detail))
            unpaid = self._as_large_as_the_shortfall(chosen, settlement)
            if unpaid:
                detail = in_words(self.items.invoice_ids[i] for i in unpaid)
                out[0] = _with_held(out[0], Held(Rule.DEDUCTION_OR_UNPAID, detail))
        if how == OVERPAID and not settlement.stated:
            completed, less = self._completed(customer, chosen, settlement)
            out += completed
            if less:  # the rest is within a small deduction of another open invoice
                detail = in_words(self.items.invoice_ids[i] for i in less)
                out[0] = _with_held(out[0], Held(Rule.REST_NEAR_INVOICE, detail))
        return out

    def _settle(self, customer: int, chosen: list[_Reading], extra: Sequence[int] = ()) -> Settlement:
        items, pay, rem = self.items, self.pay, self.rem
        invoices = [r.invoice for r in chosen] + list(extra)
        deducted, reasons = _stated_deductions(rem, chosen)
        n = len(extra)
        return settle(pay.amount, [int(self.open_now[i]) for i in invoices], items.discounts(invoices, pay.received),
                      invoices, items.settings.write_off_tolerance.in_currency(pay.currency), reason=rem.reason,
                      says_partial=rem.says_partial,
                      rate=items.discount_rate(customer), quoted=[r.mention.quoted for r in chosen] + [None] * n,
                      quoted_discounts=[r.mention.quoted_discount for r in chosen] + [None] * n,
                      quoted_deductions=deducted + [None] * n, deduction_reasons=reasons + [""] * n)

    def _subsets(self, customer: int, chosen: list[_Reading]) -> list[Candidate]:
        """Subsets of the named invoices that the amount settles (in full, or less a small
        deduction): two invoices named, the amount paying one."""
        n = len(chosen)
        sizes = range(1, n) if n <= MAX_SUBSET_SEARCH else range(max(1, n - 2), n)
        balances = [int(self.open_now[r.invoice]) for r in chosen]
        discounts = self.items.discounts([r.invoice for r in chosen], self.pay.received)
        amount = self.pay.amount
        tolerance = self.items.settings.write_off_tolerance.in_currency(self.pay.currency)
        out = []
        for size in sizes:
            for combo in itertools.combinations(range(n), size):
                owed = sum(balances[k] for k in combo)
                less = owed - sum(discounts[k] for k in combo)
                if not (abs(owed - amount) <= max(tolerance.minor, 1)
                        or abs(less - amount) <= size or 0 <= owed - amount <= DEDUCTION_SHARE * max(
                            balances[k] for k in combo)):
                    continue
                subset = [chosen[k] for k in combo]
                settlement = self._settle(customer, subset)
                if settlement.how in FULL or settlement.how == SHORT:
                    unpaid = [self.items.invoice_ids[chosen[k].invoice] for k in range(n) if k not in combo]
                    out.append(self._candidate(customer, subset, settlement, unpaid=unpaid))
            if len(out) >= 4:
                break
        return out

    def _as_large_as_the_shortfall(self, chosen: list[_Reading], settlement: Settlement) -> list[int]:
        """The invoices named whose open balance is the shortfall, to the cent (a minor unit):
        the amount pays the others, and that one perhaps not at all (two named, the amount
        settling one of them but for a cent). (Not within the write-off tolerance: among a
        customer's small invoices one is often within a few units of a deduction by chance.)"""
        short = sum(x.short_pay for x in settlement.lines)
        return [r.invoice for r in chosen if abs(int(self.open_now[r.invoice]) - short) <= 1]

    def _left_out(self, customer: int, chosen: list[_Reading], settlement: Settlement) -> list[int]:
        """The customer's other open invoices (the first three) that, paid with those named, would
        leave a shortfall still within a small deduction of the largest, and no more than a few
        times the one read (deductions of one size are about as common as of twice or thrice it:
        the two stories are then alike, but for an invoice left out of a list, which is common)."""
        items, pay = self.items, self.pay
        pool = items.open_of(customer, pay.currency, self.open_now, besides=[r.invoice for r in chosen])
        short = sum(x.short_pay for x in settlement.lines)
        room = min(DEDUCTION_SHARE * max(int(self.open_now[r.invoice]) for r in chosen) - short,
                   LEFT_OUT_SCALE * short)
        return [int(i) for i in pool[self.open_now[pool] <= room][:3]]

    def _completed(self, customer: int, chosen: list[_Reading], settlement: Settlement
                   ) -> tuple[list[Candidate], list[int]]:
        """What the rest of an overpayment pays: the customer's other open invoices making it up
        (a list cut off, an invoice left out), exactly or but for the write-off tolerance; and
        the open invoices it may pay less a deduction, which a clerk decides."""
        items, pay = self.items, self.pay
        rest = settlement.on_account
        pool = items.open_of(customer, pay.currency, self.open_now, besides=[r.invoice for r in chosen])
        if not len(pool):
            return [], []
        values = self.open_now[pool]
        out: list[Candidate] = []
        less: list[int] = []
        sets, count = subsets_adding_to(values, rest, limit=1)
        if sets:
            extra = [int(pool[k]) for k in sets[0]]
            chance = sets_by_chance(values, len(extra)) * max(1, count)
            # a round rest (25.00, 100.00) is as likely money paid over, or kept as credit, as an
            # invoice that happens to be round: the sum says nothing, unless the remittance names
            # the invoice, misspelt (one keying error from a number of ours not open)
            round_rest = rest % (ROUND_REST * 10 ** minor_units(pay.currency)) == 0 and all(
                set(t.near).isdisjoint(extra) for t in self.texts if t.closed)
            if round_rest:
                chance = max(chance, 1.0)
            cut = self.rem.cut or (max(r.mention.end for r in chosen) < len(self.rem.text)
                                   and items.references[0][0].ends_in_head_of_one(self.rem))
            note = (("the remittance text was cut off; " if cut else "")
                    + f"the rest, {format_amount(rest, pay.currency)}, is exactly "
                    f"{in_words(items.invoice_ids[i] for i in extra)} of the same customer"
                    + ("" if count == 1 else f" (one of {count} such sets)"))
            out.append(self._candidate(customer, chosen, self._settle(customer, chosen, extra), extra=extra,
                                       chance=chance, extra_note=note,
                                       weak_sum=Held(Rule.ROUND_REST, format_amount(rest, pay.currency))
                                       if round_rest else None))
        # An invoice left out, paid less a deduction: the rest is below its balance by no more
        # than a small deduction (from it; from any of them, when a list of invoices was paid:
        # a list is more often incomplete than overpaid). Each of the two nearest such invoices
        # is proposed, as sure as chance makes an invoice that close (the nearest surest), but
        # never posted without a clerk. Within the write-off tolerance of one such invoice, and
        # no other, that is all; beyond it, or when several are that near, keeping the rest on
        # account or taking it as one of them less a deduction is for a clerk to decide
        # (``less``).
        gap = values - rest
        largest = max(int(self.open_now[r.invoice]) for r in chosen) if len(chosen) > 1 else 0
        near = np.nonzero((gap > 0) & (gap <= DEDUCTION_SHARE * np.maximum(values, largest)))[0]
        near = near[np.argsort(gap[near], kind="stable")]
        spread = max(float(np.std(values)), 1000.0) * 2.5
        tolerance = items.settings.write_off_tolerance.in_currency(pay.currency)
        # (each of these proposals says which invoices the rest could be, itself among them)
        could_be = in_words(items.invoice_ids[int(pool[k])] for k in near[:2].tolist())
        for k in near[:2].tolist():
            i = int(pool[k])
            if len(near) > 1 or not tolerance.allows(int(gap[k]), int(values[k])):
                less.append(i)
            note = (f"the rest, {format_amount(rest, pay.currency)}, is {items.invoice_ids[i]} of the same customer "
                    f"but for {format_amount(int(gap[k]), pay.currency)}")
            # an invoice the rest pays less a difference is a story, not a fact: a clerk's to confirm
            found = self._candidate(customer, chosen, self._settle(customer, chosen, [i]), extra=[i],
                                    chance=len(values) * 2 * float(gap[k]) / spread, extra_note=note,
                                    story=len(chosen) > 1 and self.payer.known(customer, False))
            out.append(_with_held(found, Held(Rule.REST_NEAR_INVOICE, could_be)))
        return out, less

    def mixed(self, owners: list[int], readings: list[_Reading]) -> list[Candidate]:
        """Invoices of several customers named surely, which the amount settles only together."""
        sure = [c for c in owners if any(r.level <= _SURE for r in readings
                                         if self.items.invoice_customer[r.invoice] == c)]
        if len(sure) < 2:
            return []
        chosen: list[_Reading] = []
        for c in sure:
            part, _ = self._choose([r for r in readings if self.items.invoice_customer[r.invoice] == c
                                    and r.level <= _SURE])
            chosen += part
        chosen.sort(key=lambda r: r.mention.start)
        customer = max(sure, key=lambda c: (self.payer.link(c)[0] == GIVEN, self.payer.name(c)))
        settlement = self._settle(customer, chosen)
        if self._amount_level(settlement) not in _SETTLED:
            return []
        candidate = self._candidate(customer, chosen, settlement)
        # the payer is compared with the customer it fits least: every customer must be it
        codes = list(candidate.codes)
        codes[Field.PAYER_NAME] = self.payer.name_level(min(sure, key=self.payer.name))
        codes[Field.PAYER_LINK] = max(self.payer.link(c)[0] for c in sure)
        held = Held(Rule.MIXED_CUSTOMERS, str(len(sure)))
        return [replace(candidate, codes=tuple(codes), held=candidate.held + (held,), identifies=False)]

    # ---- no reference -------------------------------------------------------------------------
    def by_amount(self) -> list[Candidate]:
        """The likely customers' open invoices that add up to the amount (less the discount their
        terms allow), fewest invoices first; a set is as sure as chance makes it."""
        items, pay = self.items, self.pay
        out = []
        searched = self.payer.candidates()[:MAX_CUSTOMERS]
        for customer in searched:
            pool = items.open_of(customer, pay.currency, self.open_now)
            if not len(pool):
                continue
            for discounted in (False, True):
                values = self.open_now[pool].copy()
                if discounted:
                    disc = np.array(items.discounts(pool, pay.received), dtype=np.int64)
                    if not disc.any():
                        continue
                    values -= disc
                sets, count = subsets_adding_to(values, pay.amount, limit=2)
                for s in sets:
                    chosen = [int(pool[k]) for k in s]
                    chance = sets_by_chance(values, len(s)) * count
                    out.append(self._by_amount(customer, chosen, discounted, chance, count))
                if sets:
                    break
        return [self._shared_name(c, searched, {f.customer for f in out}) for c in out]

    def _shared_name(self, found: Candidate, searched: list[int], with_sets: set[int]) -> Candidate:
        """``found`` held when its customer is known by nothing but a name that fits another as
        well, whose open invoices add up to the amount too, or were not searched (but for a
        family's sites found under their parent's name: what the family's name pays is searched
        among the parent's and the likeliest sites' invoices)."""
        if self.payer.link(found.customer)[0] in (GIVEN, LEARNED):
            return found
        alike = [c for c, family in self.payer.namesakes(found.customer)
                 if c in with_sets or (c not in searched and not family)]
        if not alike:
            return found
        return _with_held(found, Held(Rule.SHARED_NAME, in_words(self.items.who(c) for c in alike)))

    def _by_amount(self, customer: int, chosen: list[int], discounted: bool, chance: float, count: int) -> Candidate:
        items, pay = self.items, self.pay
        opens = [int(self.open_now[i]) for i in chosen]
        discounts = items.discounts(chosen, pay.received) if discounted else [0] * len(chosen)
        settlement = settle(pay.amount, opens, discounts, chosen,
                            items.settings.write_off_tolerance.in_currency(pay.currency))
        note = (f"No invoice is named; {in_words(items.invoice_ids[i] for i in chosen)} of {items.who(customer)} "
                f"add up to {format_amount(pay.amount, pay.currency)}"
                + (" after the discount their terms allow" if discounted else "")
                + ("" if count == 1 else f" ({count} different sets of its open invoices do)"))
        return self._candidate(customer, [], settlement, extra=chosen, chance=chance, extra_note=note)

    def nothing(self) -> Candidate:
        """Nothing to apply: the cash on account of the customer whose invoices (not open) the
        remittance names, or of the payer we know; else of nobody."""
        items, pay = self.items, self.pay
        shown = [name for name in dict.fromkeys(t.shown for t in self.texts) if name.strip()]
        closed = [items.invoice_ids.index(t.shown) for t in self.texts if t.closed]
        owners = sorted(c for c in {int(items.invoice_customer[i]) for i in closed} - {-1} if self.payer.allowed(c))
        if owners:
            customer = max(owners, key=lambda c: (self.payer.link(c)[0] == GIVEN, self.payer.name(c)))
        else:
            customer = _likeliest(self.payer)
        if shown:
            named = (f"names {in_words(shown)}, which {'is' if len(shown) == 1 else 'are'} not "
                     f"{'an open invoice' if len(shown) == 1 else 'open invoices'}")
            notes = (f"The remittance {named} in {pay.currency} (paid already, or not billed)",)
        elif customer >= 0:
            notes = (f"No invoice is named, and no open invoices of {items.who(customer)} add up to "
                     f"{format_amount(pay.amount, pay.currency)}",)
        else:
            notes = ("No invoice is named and the payer is not a customer we know"
                     if not self.payer.candidates() else
                     "No invoice is named and no likely customer's open invoices add up to the amount",)
        return _on_account(items, pay, self.payer, customer, notes, [t.shown for t in self.texts if t.closed])

    # ---- one candidate --------------------------------------------------------------------------
    def _candidate(self, customer: int, chosen: list[_Reading], settlement: Settlement, extra: Sequence[int] = (),
                   chance: float | None = None, extra_note: str = "", unpaid: Sequence[str] = (),
                   weak_sum: Held | None = None, story: bool = False) -> Candidate:
        """A candidate: the readings ``chosen`` (and invoices ``extra`` found by the sum, with the
        ``chance`` of such a set) settled as ``settlement``; its levels, notes and rules
        (``weak_sum``: why the sum says little, where chance is not the reason; ``story``: one a
        clerk is to confirm whatever it weighs, which a keying error beside a sum does not drop)."""
        items, pay = self.items, self.pay
        invoices = [x.invoice for x in settlement.lines]
        # a named invoice the amount does not reach (paid in the order named, it ran out before)
        # is named and not paid, as one a subset leaves out is
        unpaid = [*unpaid, *(items.invoice_ids[r.invoice] for r in chosen if r.invoice not in invoices)]
        amount = self._amount_level(settlement)
        instalment_note = ""
        if amount == "partial" and len(invoices) == 1 and chosen:
            amount, instalment_note, write_off = self._instalments(invoices[0], amount)
            if write_off:  # the set's last payment writes off what the instalments left short
                settlement = replace(settlement, lines=(replace(settlement.lines[0], write_off=write_off),))
        weakest = max(chosen, key=lambda r: (r.level, r.column), default=None)
        reference = (reference_level(weakest.column, weakest.level) if weakest is not None
                     else items.scheme.no_reference)
        link, _ = self.payer.link(customer)
        received = pay.received.toordinal()
        levels = [date_level(received - day) for day in (items.invoice_day[i] for i in invoices) if day]
        date = min(levels, key=lambda lv: (lv != 0, -lv)) if levels else NO_DATE
        used = {r.invoice for r in chosen} | set(invoices)
        spans = [r.span for r in chosen]
        left = [t for t in self.texts if not any(s < t.end and t.start < e for s, e in spans)]
        # an invoice named that is not open, one keying error from an open invoice the sum found
        # (F26-016712 written, F26-010712 the rest of the amount), is that invoice misspelt
        misspelt = [(t, next(i for i in extra if i in t.near)) for t in left
                    if t.closed and not set(t.near).isdisjoint(extra)]
        others_open = [r for r in self.readings if r.level <= _SURE and r.invoice not in used
                       and not any(s < r.span[1] and r.span[0] < e for s, e in spans)]
        other = NOT_OPEN if left else OPEN_UNPAID if (unpaid or others_open) else NO_OTHERS
        read_as = None if extra or not chosen else 1 if any(r.level > _SURE for r in chosen) else 0
        codes = (reference, items.scheme.amount_code(amount, read_as), self.payer.name_level(customer),
                 link, date, other)
        sure = bool(chosen) and all(r.level <= _SURE for r in chosen)
        settles = amount in _SETTLED
        notes = []
        if chosen:
            notes.append(f"The remittance names {in_words(_note(items, r) for r in chosen)}")
            if unpaid:
                notes[-1] += f"; the amount pays {'it' if len(invoices) == 1 else 'them'} but not {in_words(unpaid)}"
        if extra_note:
            notes.append(extra_note)
        notes += [f"{t.shown}, not open, is {items.invoice_ids[i]} written with a keying error" for t, i in misspelt]
        notes.append(self.payer.note(customer))
        notes.append(f"{format_amount(pay.amount, pay.currency)} {settlement.note}"
                     + (f"; {format_amount(settlement.on_account, pay.currency)} stays on account"
                        if settlement.on_account else ""))
        if instalment_note:
            notes.append(instalment_note)
        held = []
        # The invoices themselves identify the payer when the amount settles them all and at
        # least one is named exactly, or with a keying error where it is the only reference that
        # near (they are all the customer's: a number one keying error from no other reference,
        # whose balance is the amount to the cent, is as specific as one written right; one keying
        # error undone among dense numbers, which the amount bears out, says which invoice, not
        # who pays).
        identified = (bool(chosen) and any(r.level <= LOOSE for r in chosen)
                      and all(r.level < TWO_KEYING_ERRORS for r in chosen) and settles and not extra)
        borne_out = sure or (settles and bool(chosen) and all(r.level < TWO_KEYING_ERRORS for r in chosen)) or (
            bool(extra) and sum_bits(chance) >= FAR_AHEAD_BITS)
        if not (self.payer.known(customer, borne_out) or identified):
            held.append(Held(Rule.UNKNOWN_PAYER, items.who(customer)))
        # An invoice of ours not open (paid twice?), or a number one keying error from another
        # open invoice of the customer's; or any other number shaped like ours beside invoices
        # the amount does not settle by themselves (what else is paid?). Beside invoices the
        # amount settles, such a number is the payer's own (a receipt number; in dense numbering
        # one keying error from some invoice or other): it counts against the explanation
        # (OTHER_REFERENCES), nothing more; and so is a number read, with a keying error, as an
        # open invoice the amount leaves unpaid beside invoices named exactly that it settles: it
        # is named and not paid, as when it is named exactly ("the amount pays it but not ...").
        theirs = [(r.span, items.invoice_ids[r.invoice]) for r in self.readings if r.level > _SURE
                  and r.invoice not in used and items.invoice_customer[r.invoice] == customer]
        named_not_paid = set(unpaid) if sure and settles and not extra else set()

        def keyed_as_ours(t: _Text) -> bool:
            near = {name for (s, e), name in theirs if s < t.end and t.start < e}
            return bool(near) and near.isdisjoint(named_not_paid)

        def strangers(t: _Text) -> bool:
            """Read only as another customer's invoices with keying errors, a customer the payer
            is not likely to be: in dense numbering, what a number of the payer's own (a receipt
            number) often is."""
            near = [r for r in self.readings if r.span[0] < t.end and t.start < r.span[1]]
            return not t.closed and bool(near) and all(
                r.level > _SURE and items.invoice_customer[r.invoice] != customer
                and not self.payer.likely(int(items.invoice_customer[r.invoice])) for r in near)

        unexplained = [t for t in left if all(t is not m for m, _ in misspelt)]
        # Beside invoices the sum found that chance would hardly give, for a payer known to be
        # the customer, a number read only as a stranger's invoice asks nothing: the amount is
        # all explained, and it is not the payer's to pay.
        asking = [t for t in unexplained if not (extra and sum_bits(chance) >= FAR_AHEAD_BITS
                                                 and self.payer.known(customer, False) and strangers(t))]
        if any(t.closed or keyed_as_ours(t) for t in unexplained) or (asking and (extra or not settles)):
            shown = [t.shown for t in unexplained if t.closed] or [t.shown for t in unexplained]
            held.append(Held(Rule.NAMES_CLOSED, in_words(dict.fromkeys(shown))))
        if not items.disputed.isdisjoint(invoices):
            held.append(Held(Rule.DISPUTED))
        if self.rem.reason and settlement.how in (OVERPAID, PARTIAL) and not settlement.stated:
            held.append(Held(Rule.DEDUCTION_UNBORNE, self.rem.reason))
        if amount == PARTIAL and len(invoices) == 1 and chosen:  # (instalments that settle it are no part payment)
            others = items.open_of(customer, pay.currency, self.open_now, besides=invoices)
            settled = others[self.open_now[others] == pay.amount]
            if len(settled):
                held.append(Held(Rule.SETTLES_ANOTHER, in_words(items.invoice_ids[i] for i in settled.tolist())))
        if settlement.how == PARTIAL and len(invoices) > 1:
            held.append(Held(Rule.PARTIAL_SPREAD, str(len(invoices))))
        if extra and sum_bits(chance) < FAR_AHEAD_BITS:
            held.append(weak_sum or Held(Rule.SUM_BY_CHANCE, f"{chance:.2g}"))
        if amount in _UNSETTLED and any(r.level >= LOOSE for r in chosen):
            held.append(Held(Rule.LOOSE_UNSETTLED))
        instead = [i for r in chosen for i in r.settled_instead if i not in invoices]
        if amount not in _SETTLED and instead:
            held.append(Held(Rule.SETTLED_INSTEAD, in_words(dict.fromkeys(items.invoice_ids[i] for i in instead))))
        keyed_instead = [i for r in chosen for i in r.misspelt_instead if i not in invoices]
        if amount not in _SETTLED and keyed_instead:
            held.append(Held(Rule.MISSPELT_INSTEAD,
                             in_words(dict.fromkeys(items.invoice_ids[i] for i in keyed_instead))))
        if amount in _UNSETTLED and other != NO_OTHERS:
            besides = [t.shown for t in left] + [items.invoice_ids[r.invoice] for r in others_open] + list(unpaid)
            held.append(Held(Rule.UNEXPLAINED, in_words(dict.fromkeys(besides))))
        elif amount == "overpaid much" and (unread := self._unread_numbers()):
            # much more paid than the invoices read, beside numbers nothing reads (pieces of
            # references written so that no reading is sure): what else is paid is the clerk's
            held.append(Held(Rule.UNEXPLAINED, in_words(unread)))
        # A keying error undone, with an amount that does not settle what it reads, is borne out
        # by nothing but the payer; that is enough only where numbers are sparse (the only
        # reference that near) and the payer is the customer by its own evidence.
        loose = any(r.level >= LOOSE for r in chosen)
        unfounded = amount in _UNSETTLED and (any(r.level > LOOSE for r in chosen) or (
            loose and not self.payer.known(customer, False)))
        # nor a keying error undone together with invoices found by their sum, unless chance
        # would hardly give such a set: two coincidences make no explanation (but for a story a
        # clerk confirms: the rest of a list the payer is known to have paid, as an invoice left
        # out less a deduction, in our ledgers more often what was paid than money on account)
        unfounded = unfounded or (loose and bool(extra) and sum_bits(chance) < FAR_AHEAD_BITS and not story)
        names = in_words(items.invoice_ids[i] for i in invoices)
        # Invoices named surely and settled teach who the payer is; read in part (a number alone,
        # which in dense numbering names some invoice or other), only settled to the cent: a
        # balance within the write-off tolerance of the amount is found so by chance.
        teaches = (sure and settles and not extra and not unpaid and link != LEARNED
                   and (settlement.how != WRITE_OFF or all(r.level == 0 for r in chosen)))
        return Candidate(customer, settlement.lines, settlement.on_account, codes, tuple(notes),
                         f"{names} of {items.who(customer)}", tuple(held),
                         loose=any(r.level >= LOOSE for r in chosen),
                         identifies=teaches,
                         sum_bits=sum_bits(chance if extra else None), fit=amount, unfounded=unfounded,
                         by_sum=tuple(extra))

    def _unread_numbers(self) -> list[str]:
        """The numbers in the text that no reading covers and that may be (pieces of) our invoice
        numbers: three digits or more, and no more than they have (not a bank's transfer number)."""
        spans = [r.span for r in self.readings]
        longest = max(self.items.references[0][0].digit_lengths, default=0)
        return [p.text for p in self.rem.parts if p.digits and 3 <= len(p.text) <= longest
                and not any(s <= p.start < e for s, e in spans)]

    @staticmethod
    def _amount_level(settlement: Settlement) -> str:
        """The AMOUNT level: how the amount settles the invoices (the model's key)."""
        if settlement.stated and settlement.how not in (PARTIAL, OVERPAID):
            return "stated"
        if settlement.how == OVERPAID and settlement.on_account > sum(x.apply for x in settlement.lines) // 4:
            return "overpaid much"
        return settlement.how

    def _instalments(self, invoice: int, amount: str) -> tuple[str, str, int]:
        """A part payment of one invoice that, with other payments of the batch, settles it (and
        what it writes off of it, as the set's last); or that pays what an instalment posted
        before paid of it."""
        items, pay = self.items, self.pay
        found = self.facts.instalments.get(pay.payment_id)
        if found is not None and found[0] == invoice:
            _, others, write_off = found
            less = f", {format_amount(write_off, pay.currency)} short written off" if write_off else ""
            return "instalments", (f"with {in_words(others)} of this batch it settles "
                                   f"{items.invoice_ids[invoice]} (instalments){less}"), write_off
        earlier = items.applied.get(invoice, [])
        same = [pid for cents, pid in earlier if cents == pay.amount]
        if same:
            return "instalments", (f"the same amount as the instalment of {items.invoice_ids[invoice]} posted with "
                                   f"{same[-1]}"), 0
        return amount, "", 0


def _with_held(candidate: Candidate, held: Held) -> Candidate:
    return replace(candidate, held=candidate.held + (held,), identifies=False)


def _on_account(items: OpenItems, pay: Payment, payer: PayerView, customer: int, notes: tuple[str, ...],
                closed: Sequence[str]) -> Candidate:
    """The whole payment on account of ``customer`` (-1: nobody known)."""
    scheme = items.scheme
    codes = (scheme.no_reference, scheme.amount_code("nothing", None),
             payer.name_level(customer) if customer >= 0 else name_level(0.0),
             payer.link(customer)[0] if customer >= 0 else NO_LINK, NO_DATE,
             NOT_OPEN if closed else NO_OTHERS)
    said = (*notes, payer.note(customer), "the cash would stay on account until a clerk decides")
    held = (Held(Rule.NAMES_CLOSED, in_words(closed)),) if closed else ()
    where = f"on account of {items.who(customer)}" if customer >= 0 else "nobody we know"
    return Candidate(customer, (), pay.amount, codes, said, where, held)


def _note(items: OpenItems, r: _Reading) -> str:
    """An invoice named, as the Evidence shows it: how it was written when not exactly so."""
    how = r.mention.how
    column = items.references[r.column][0].column
    if how == EXACT_READING and column == "InvoiceID":
        return items.invoice_ids[r.invoice]
    where = "" if column == "InvoiceID" else f" {column}"
    return f"{items.invoice_ids[r.invoice]} (written {r.mention.written!r}{where}, {how})"


def _stated_deductions(rem: Remittance, named: list[_Reading]) -> tuple[list[int | None], list[str]]:
    """What the remittance says was deducted from each named invoice, and the reasons it gives:
    its EDI adjustments (with their reason codes), and each deduction written in the text
    ("LESS 120.50 CO-OP ADVERTISING") on the invoice named last before it (the first one when
    none is)."""
    cents = [r.mention.quoted_deduction for r in named]
    reasons = [[r.mention.deduction_reason] if r.mention.deduction_reason else [] for r in named]
    for d in rem.deductions:
        if not named:
            break
        before = [k for k, r in enumerate(named) if r.mention.start < d.start]
        owner = max(before, key=lambda k: named[k].mention.start) if before else 0
        cents[owner] = (cents[owner] or 0) + d.cents
        reasons[owner].append(d.reason)
    return cents, [", ".join(dict.fromkeys(r)) for r in reasons]

