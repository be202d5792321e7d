"""Proposing for one payment: which customer paid and which open invoices it pays, read from
its remittance text; failing that, from its amount and its payer. A proposal carries its score
and its doubts; ``policy`` turns them into a Confidence and the Evidence's last sentences."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from arxl.core.matching.amounts import DISCOUNT as DISCOUNT_FIT
from arxl.core.matching.amounts import EXACT as EXACT_FIT
from arxl.core.matching.amounts import (
    FULL,
    OVERPAID,
    SHORT,
    UNEARNED,
    Line,
    Settlement,
    sets_by_chance,
    settle,
    subsets_adding_to,
)
from arxl.core.matching.amounts import PARTIAL as PARTIAL_FIT
from arxl.core.matching.ids import EXACT, FUZZY, Mention, ReferenceIndex, pair_quoted_amounts
from arxl.core.matching.index import OpenItems
from arxl.core.matching.payers import PayerMatch
from arxl.core.matching.policy import (
    AMBIGUOUS,
    BORNE_OUT,
    CHANCE_LIMIT,
    FAIR_NAME,
    ID_STRENGTH,
    KNOWN_PAYER_NO_SET,
    KNOWN_PAYER_NOT_OPEN,
    STRONG_NAME,
    Condition,
    Doubt,
    borne_out,
    completion_strength,
    confidence,
    doubt_sentences,
    named_score,
    settles_outright,
    unnamed_score,
    weakest_reading,
)
from arxl.core.matching.text import Remittance, read_remittance
from arxl.core.money import format_amount


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
class Proposal:
    """What one payment pays: lines per invoice, the cash left on account, and how sure we are."""

    payment: int  # the payment's position
    customer: int  # position in the customers frame, -1 for nobody known
    lines: tuple[Line, ...]
    on_account: int
    score: float  # how sure the evidence makes us, before the policy's caps
    evidence: tuple[str, ...]  # what was found where
    doubts: tuple[Doubt, ...] = ()  # conditions of the policy found true
    loose: bool = False  # an invoice read with a keying error undone: exact readings go first

    @property
    def confidence(self) -> float:
        return confidence(self.score, self.doubts)

    @property
    def evidence_text(self) -> str:
        """The Evidence sentence: what was found where, then each doubt with its cap."""
        text = "; ".join(e for e in (*self.evidence, *doubt_sentences(self.doubts)) if e) + "."
        return text[0].upper() + text[1:]


def propose(items: OpenItems, pay: Payment, open_now: np.ndarray) -> Proposal:
    """The invoices one payment pays (``open_now``: what is open of each invoice), read from
    its remittance text; failing that, from its amount and its payer."""
    if pay.amount <= 0:
        customer, fit = _best_payer(items, pay)
        return Proposal(pay.position, customer, (), pay.amount, 0.0, (
            f"An amount of {format_amount(pay.amount, pay.currency)} is not a receipt to apply",
            _payer_note(items, pay, customer, fit)))
    rem = read_remittance(pay.reference)
    mentions: list[tuple[Mention, ReferenceIndex, np.ndarray]] = []
    missing = []
    for k, (index, positions) in enumerate(items.references):
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
        return _from_mentions(items, pay, rem, mentions, unknown, open_now)
    # Invoices named in EDI segments are explicit: other invoices adding up to the amount by
    # coincidence are never proposed in their place.
    unknown = unknown or [e.reference for e in rem.edi_lines if e.qualifier == "IV" and e.reference]
    if unknown:
        return _named_but_not_open(items, pay, unknown, [])
    return _by_amount(items, pay, open_now)


def in_words(names: Iterable[str]) -> str:
    """Names as the Evidence lists them: "a, b and c" (the first eight, then how many more)."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    if len(names) > 8:
        return ", ".join(names[:8]) + f" and {len(names) - 8} more"
    return ", ".join(names[:-1]) + " and " + names[-1]


# ---- the payer ---------------------------------------------------------------------------------

def _payer_support(items: OpenItems, pay: Payment, customers: np.ndarray) -> np.ndarray:
    """0..1 for each customer: the clerk's CustomerID, a known payer account, or the name."""
    scores = items.payers.score(pay.payer, customers)
    accounts = items.payers.by_account(pay.account)
    given = items.payers.position.get(pay.customer_id, -2)
    return np.array([1.0 if (c == given or c in accounts) else s for c, s in zip(customers, scores)])


def _best_payer(items: OpenItems, pay: Payment) -> tuple[int, float]:
    found = items.payers.identify(pay.payer, pay.account, pay.customer_id)
    return (found.customer, found.score) if found else (-1, 0.0)


def _payer_note(items: OpenItems, pay: Payment, customer: int, fit: float) -> str:
    if customer < 0:
        return f"payer {pay.payer!r} is not a customer we know"
    if pay.customer_id and items.payers.position.get(pay.customer_id) == customer:
        return f"the clerk gave CustomerID {pay.customer_id}"
    if pay.account and customer in items.payers.by_account(pay.account):
        return f"payer account {pay.account} belongs to {items.who(customer)}"
    if fit >= STRONG_NAME:
        return f"payer {pay.payer!r} matches {items.who(customer)} ({fit:.2f})"
    if fit >= FAIR_NAME:
        return f"payer {pay.payer!r} resembles {items.who(customer)} ({fit:.2f})"
    return f"payer {pay.payer!r} does not resemble {items.who(customer)}, whose invoices these are"


# ---- invoices the remittance names -------------------------------------------------------------

@dataclass(frozen=True)
class _Named:
    """An open invoice the remittance names, and how surely."""

    invoice: int
    strength: float
    note: str  # for the Evidence
    quoted: int | None  # what the remittance says it pays for it
    mention: Mention
    index: ReferenceIndex
    positions: np.ndarray  # the index's positions -> invoice positions
    loose: bool = False  # read with a keying error undone


def _resolve(items: OpenItems, pay: Payment, m: Mention, index_positions: np.ndarray, single: bool) -> list[int]:
    """The invoices a mention may name, best first: same currency; then the payer's; then the
    amount's."""
    found = [int(index_positions[p]) for p in m.positions]
    found = [i for i in found if items.invoice_currency[i] == pay.currency] or found
    if len(found) == 1:
        return found
    support = _payer_support(items, pay, np.array([items.invoice_customer[i] for i in found]))
    target = m.quoted if m.quoted is not None else (pay.amount if single else None)
    return [i for _, i in sorted(
        ((-int(items.balance[i] > 0), -int(target is not None and items.balance[i] == target), -s), i)
        for s, i in zip(support, found))]


def _billed_together(items: OpenItems, pay: Payment, m: Mention, positions: np.ndarray, open_now: np.ndarray,
                     single: bool) -> list[int]:
    """The open invoices a reference shared by several invoices (a PO billed in parts) pays:
    all of them when their balances add up to what is paid for it, else the only set of them
    that does; all of them when the remittance does not say what it pays for the reference."""
    found = [int(positions[p]) for p in m.positions]
    found = [i for i in found if open_now[i] > 0 and items.invoice_currency[i] == pay.currency]
    owners = items.invoice_customer[found]
    if len(set(owners.tolist())) > 1:  # the same PO number at two customers: the payer's
        likeliest = owners[np.argmax(_payer_support(items, pay, owners))]
        found = [i for i, c in zip(found, owners.tolist()) if c == likeliest]
    target = m.quoted if m.quoted is not None else (pay.amount if single else None)
    if len(found) < 2 or target is None or sum(int(open_now[i]) for i in found) == target:
        return found
    sets, count = subsets_adding_to(open_now[found], target, limit=1)
    return [found[k] for k in sets[0]] if count == 1 else found


def _from_mentions(items: OpenItems, pay: Payment, rem: Remittance,
                   mentions: list[tuple[Mention, ReferenceIndex, np.ndarray]], unknown: list[str],
                   open_now: np.ndarray) -> Proposal:
    """The open invoices the mentions name, settled by the amount, with the policy's doubts."""
    named: list[_Named] = []
    closed: list[int] = []
    single = len(mentions) == 1
    exact_customers = set()
    for m, index, positions in sorted(mentions, key=lambda x: x[0].start):
        if m.column != "InvoiceID" and len(m.positions) > 1:
            together = [i for i in _billed_together(items, pay, m, positions, open_now, single)
                        if i not in [n.invoice for n in named]]
            if len(together) > 1:
                for i in together:
                    named.append(_Named(i, ID_STRENGTH[m.how], _note(items, i, m), None, m, index, positions))
                    if m.how == EXACT:
                        exact_customers.add(int(items.invoice_customer[i]))
                continue
        options = _resolve(items, pay, m, positions, single)
        best = options[0]
        if best in [n.invoice for n in named]:
            continue
        how = m.how
        if open_now[best] <= 0 or items.invoice_currency[best] != pay.currency:
            other = _open_instead(items, pay, m, index, positions, open_now, single)
            if other is None or other in [n.invoice for n in named]:
                closed.append(best)
                continue
            best, how, options = other, FUZZY, [other]
        strength = ID_STRENGTH[how] * (1.0 if len(options) == 1 else AMBIGUOUS)
        named.append(_Named(best, strength, _note(items, best, m, how), m.quoted, m, index, positions,
                            loose=how == FUZZY))
        if m.how == EXACT:
            exact_customers.add(int(items.invoice_customer[best]))
    # A reference read loosely (a partial key, a keying error) must be backed by the payer,
    # by an exactly named invoice of the same customer, or by the amount.
    kept = []
    for n in named:
        c = int(items.invoice_customer[n.invoice])
        if n.mention.how != EXACT and c not in exact_customers:
            fits = open_now[n.invoice] in (pay.amount, n.quoted)
            if not fits and _payer_support(items, pay, np.array([c]))[0] < FAIR_NAME:
                if n.mention.how == FUZZY and n.mention.column == "InvoiceID":
                    unknown = unknown + [n.mention.written]
                continue
        kept.append(n)
    named = kept
    if not named:
        return _named_but_not_open(items, pay, unknown, closed)
    settlement, customer, payer_fit = _settle_named(items, pay, rem, named, open_now)
    # The text's own explanation (a discount taken late, a deduction with its reason) stands,
    # unless the payer is not the invoices' customer.
    # So does a structured remittance whose amounts per invoice add up to the payment.
    quoted = [n.quoted for n in named if n.quoted is not None]
    stated = len(quoted) == len(named) and sum(quoted) == pay.amount
    explained = stated or settlement.how in FULL or (settlement.how == UNEARNED and rem.says_discount) or (
        settlement.how == SHORT and bool(rem.reason or rem.deductions))
    mixed = len({int(items.invoice_customer[n.invoice]) for n in named}) > 1
    if not explained or payer_fit < FAIR_NAME or mixed:
        swapped = _undo_keying_error(items, pay, rem, named, open_now)
        if swapped is not None:
            named = swapped
            settlement, customer, payer_fit = _settle_named(items, pay, rem, named, open_now)
    chosen = [n.invoice for n in named]
    strengths = [borne_out(n.strength, settlement.how) for n in named]
    evidence = [f"The remittance names {in_words(n.note for n in named)}"]
    if settlement.how == OVERPAID and customer >= 0 and payer_fit >= FAIR_NAME and not stated:
        completed = _complete(items, pay, customer, chosen, settlement.on_account, open_now)
        if completed:
            extra, count, chance = completed
            strengths.append(completion_strength(count, chance))
            settlement = Settlement(tuple(settlement.lines) + tuple(Line(i, int(open_now[i])) for i in extra),
                                    0, EXACT_FIT, "pays them in full")
            cut = rem.cut or (max(n.mention.end for n in named) < len(rem.text)
                              and items.references[0][0].ends_in_head_of_one(rem))
            evidence.append(("the remittance text was cut off; " if cut else "")
                            + f"the rest, {format_amount(sum(int(open_now[i]) for i in extra), pay.currency)}, "
                            f"is exactly {in_words(items.invoice_ids[i] for i in extra)} of the same customer"
                            + ("" if count == 1 else f" (one of {count} such sets)"))
            if count == 1 and chance >= CHANCE_LIMIT:
                evidence.append("the customer has so many open invoices that some would add up to the rest by chance")
            chosen = chosen + list(extra)
    strength = weakest_reading(strengths, settlement.how)
    doubts = []
    if payer_fit < FAIR_NAME and not settles_outright(strength, settlement.how, payer_fit):
        doubts.append(Doubt(Condition.PAYER_UNLIKE))
    if settlement.how == OVERPAID and settlement.on_account > sum(x.apply for x in settlement.lines) // 4:
        doubts.append(Doubt(Condition.MUCH_LEFT_OVER))
    if settlement.how == PARTIAL_FIT and rem.says_discount:
        doubts.append(Doubt(Condition.DISCOUNT_NOT_SHOWN))
    customers = {int(items.invoice_customer[i]) for i in chosen}
    if len(customers) > 1:
        doubts.append(Doubt(Condition.MIXED_CUSTOMERS, str(len(customers))))
    if closed or unknown:
        doubts.append(Doubt(Condition.NAMES_NOT_OPEN, in_words([items.invoice_ids[i] for i in closed] + unknown)))
    if items.disputed[chosen].any():
        doubts.append(Doubt(Condition.DISPUTED))
    # The payer is that customer on its own evidence: its name, alias, parent, account, the
    # clerk's CustomerID, or that customer's invoices named exactly in the same remittance.
    loose = [n.invoice for n in named if n.loose]
    if loose:
        owners = items.invoice_customer[loose]
        settles = stated or settlement.how in (*FULL, UNEARNED)
        vouched = (all(c in exact_customers for c in owners.tolist())
                   or _payer_support(items, pay, owners).min() >= FAIR_NAME)
        if not (settles and vouched):
            doubts.append(Doubt(Condition.KEYING_ERROR_UNPROVEN))
    evidence.append(_payer_note(items, pay, customer, payer_fit))
    evidence.append(f"{format_amount(pay.amount, pay.currency)} {settlement.note}"
                    + (f"; {format_amount(settlement.on_account, pay.currency)} stays on account"
                       if settlement.on_account else ""))
    return Proposal(pay.position, customer, settlement.lines, settlement.on_account,
                    named_score(strength, settlement.how, payer_fit), tuple(evidence), tuple(doubts),
                    loose=bool(loose))


def _open_instead(items: OpenItems, pay: Payment, m: Mention, index: ReferenceIndex, positions: np.ndarray,
                  open_now: np.ndarray, single: bool) -> int | None:
    """For a reference to an invoice that is not open: the one open invoice a keying error
    away that owes exactly what the remittance pays for it."""
    target = m.quoted if m.quoted is not None else (pay.amount if single else None)
    if target is None:
        return None
    near = [int(positions[p]) for p in index.keying_errors_undone(m.written)]
    fits = [i for i in near if open_now[i] == target and items.invoice_currency[i] == pay.currency]
    return fits[0] if len(fits) == 1 else None


def _note(items: OpenItems, invoice: int, m: Mention, how: str | None = None) -> str:
    """An invoice named, as the Evidence shows it: how it was written when not exactly so."""
    how = how or m.how
    if how == EXACT and m.column == "InvoiceID":
        return items.invoice_ids[invoice]
    where = "" if m.column == "InvoiceID" else f" {m.column}"
    return f"{items.invoice_ids[invoice]} (written {m.written!r}{where}, {how})"


def _settle_named(items: OpenItems, pay: Payment, rem: Remittance, named: list[_Named],
                  open_now: np.ndarray) -> tuple[Settlement, int, float]:
    """How the amount settles the named invoices; the customer (of theirs) the payer fits best,
    and how well."""
    chosen = [n.invoice for n in named]
    customers = np.array(sorted({int(items.invoice_customer[i]) for i in chosen}), dtype=np.int64)
    support = _payer_support(items, pay, customers)
    customer = int(customers[np.argmax(support)])
    deducted, reasons = _stated_deductions(rem, named)
    settlement = settle(pay.amount, [int(open_now[i]) for i in chosen], items.discounts(chosen, pay.received),
                        chosen, items.settings.write_off_tolerance.in_currency(pay.currency), reason=rem.reason,
                        says_partial=rem.says_partial, rate=items.discount_rate(customer),
                        quoted=[n.quoted for n in named],
                        quoted_discounts=[n.mention.quoted_discount for n in named],
                        quoted_deductions=deducted, deduction_reasons=reasons)
    return settlement, customer, float(support.max())


def _stated_deductions(rem: Remittance, named: list[_Named]) -> tuple[list[int | None], list[str]]:
    """What the remittance says was deducted from each named invoice, and the reasons it gives:
    its EDI adjustments (with their reason codes), and each deduction written in the text
    ("LESS 120.50 CO-OP ADVERTISING") on the invoice named last before it (the first one when
    none is)."""
    cents = [n.mention.quoted_deduction for n in named]
    reasons = [[n.mention.deduction_reason] if n.mention.deduction_reason else [] for n in named]
    for d in rem.deductions:
        before = [k for k, n in enumerate(named) if n.mention.start < d.start]
        owner = max(before, key=lambda k: named[k].mention.start) if before else 0
        cents[owner] = (cents[owner] or 0) + d.cents
        reasons[owner].append(d.reason)
    return cents, [", ".join(dict.fromkeys(r)) for r in reasons]


def _undo_keying_error(items: OpenItems, pay: Payment, rem: Remittance, named: list[_Named],
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
        was = _payer_support(items, pay, items.invoice_customer[[n.invoice]])[0]
        need = pay.amount - (owed - int(open_now[n.invoice]))
        settles = [i for i in items.owing(need) if i not in taken]
        if not settles and was >= FAIR_NAME and not (rem.says_discount or rem.reason):
            continue  # only the costlier search below could help, and the payer fits already
        undone = {int(n.positions[p]) for p in n.index.keying_errors_undone(n.mention.written)} - taken
        near = [i for i in undone if open_now[i] > 0 and items.invoice_currency[i] == pay.currency]
        if not near:
            continue
        support = _payer_support(items, pay, items.invoice_customer[near])
        for i, s in zip(near, support.tolist()):
            if s < max(FAIR_NAME, was) or (best is not None and s <= best[0]):
                continue
            reading = replace(n, invoice=i, strength=BORNE_OUT, note=_note(items, i, n.mention, FUZZY), loose=True)
            trial = named[:k] + [reading] + named[k + 1:]
            if open_now[i] != need:
                settlement, _, _ = _settle_named(items, pay, rem, trial, open_now)
                plain = s >= STRONG_NAME and was < FAIR_NAME and settlement.how in (*FULL, UNEARNED)
                said = rem.says_discount and settlement.how == UNEARNED
                if settlement.how not in (EXACT_FIT, DISCOUNT_FIT) and not plain and not said:
                    continue
            best = (s, trial)
    return best[1] if best else None


def _complete(items: OpenItems, pay: Payment, customer: int, chosen: list[int], rest: int,
              open_now: np.ndarray) -> tuple[list[int], int, float] | None:
    """Other open invoices of the customer that the rest of the payment pays exactly (a list of
    references cut off): the first such set, how many there are, and how many would add up to
    the rest by chance."""
    pool = items.open_of(customer, pay.currency, open_now)
    pool = pool[~np.isin(pool, chosen)]
    if not len(pool):
        return None
    values = open_now[pool]
    sets, count = subsets_adding_to(values, rest, limit=1)
    if not sets:
        return None
    return [int(pool[k]) for k in sets[0]], count, sets_by_chance(values, len(sets[0]))


def _named_but_not_open(items: OpenItems, pay: Payment, unknown: list[str], closed: list[int]) -> Proposal:
    """The remittance names only invoices that are not open: the cash stays on account."""
    shown = [name for name in [items.invoice_ids[i] for i in closed] + unknown if name.strip()]
    customers = np.array(sorted({int(items.invoice_customer[i]) for i in closed} - {-1}), dtype=np.int64)
    if len(customers):
        support = _payer_support(items, pay, customers)
        customer, fit = int(customers[np.argmax(support)]), float(support.max())
    else:
        customer, fit = _best_payer(items, pay)
    named = (f"names {in_words(shown)}, which {'is' if len(shown) == 1 else 'are'} not "
             f"{'an open invoice' if len(shown) == 1 else 'open invoices'}" if shown else "names no open invoice")
    evidence = (f"The remittance {named} in {pay.currency} (paid already, or not billed)",
                _payer_note(items, pay, customer, fit),
                "the cash would stay on account until a clerk decides")
    return Proposal(pay.position, customer, (), pay.amount, KNOWN_PAYER_NOT_OPEN if customer >= 0 else 0.0,
                    evidence)


# ---- no reference ------------------------------------------------------------------------------

def _by_amount(items: OpenItems, pay: Payment, open_now: np.ndarray) -> Proposal:
    """No reference: the likely customers' open invoices that add up to the amount."""
    candidates: list[PayerMatch] = []
    given = items.payers.position.get(pay.customer_id)
    if given is not None:
        candidates.append(PayerMatch(given, 1.0, "CustomerID given by the clerk"))
    candidates.extend(PayerMatch(c, 1.0, "payer account on file") for c in sorted(items.payers.by_account(pay.account)))
    if not candidates:
        found = items.payers.search(pay.payer, limit=25, floor=FAIR_NAME)
        if found:
            top = found[0].score
            candidates = [m for m in found if m.score >= top - 0.2]
    solutions = []
    for m in candidates:
        pool = items.open_of(m.customer, pay.currency, open_now)
        if not len(pool):
            continue
        for discounted in (False, True):
            values = open_now[pool].copy()
            if discounted:
                disc = np.array(items.discounts(pool, pay.received), dtype=np.int64)
                if not disc.any():
                    continue
                values -= disc
            sets, count = subsets_adding_to(values, pay.amount, limit=2)
            for s in sets:
                solutions.append((m, [int(pool[k]) for k in s], count, discounted, sets_by_chance(values, len(s))))
            if sets:
                break
    if not solutions:
        if candidates and candidates[0].score >= STRONG_NAME:
            best = candidates[0]
            return Proposal(pay.position, best.customer, (), pay.amount, KNOWN_PAYER_NO_SET, (
                f"No invoice is named, and no open invoices of {items.who(best.customer)} add up to "
                f"{format_amount(pay.amount, pay.currency)}", f"{best.how} ({best.score:.2f})",
                "the cash would stay on account until a clerk decides"))
        return Proposal(pay.position, -1, (), pay.amount, 0.0, (
            "No invoice is named and the payer is not a customer we know"
            if not candidates else "No invoice is named and no likely customer's open invoices add up to the amount",
            f"payer {pay.payer!r}"))
    # Fewest invoices first, then the likelier customer. Another set as small, or one barely
    # larger from a customer named as well, leaves the choice to a clerk.
    ranked = sorted(((len(chosen), -m.score, k) for k, (m, chosen, *_) in enumerate(solutions)))
    size, score, first = ranked[0]
    m, chosen, count, discounted, chance = solutions[first]
    rivals = (count - 1) + sum(1 for n, sc, k in ranked[1:] if solutions[k][0].customer != m.customer
                               and (n <= size or (-sc >= -score - 0.02 and n <= size + 1)))
    opens = [int(open_now[i]) for i in chosen]
    discounts = items.discounts(chosen, pay.received) if discounted else [0] * len(chosen)
    settlement = settle(pay.amount, opens, discounts, chosen,
                        items.settings.write_off_tolerance.in_currency(pay.currency))
    evidence = (f"No invoice is named; {in_words(items.invoice_ids[i] for i in chosen)} of "
                f"{items.who(m.customer)} add up to {format_amount(pay.amount, pay.currency)}"
                + (" after the discount their terms allow" if discounted else ""),
                f"{m.how} ({m.score:.2f})")
    doubts = []
    if rivals:
        doubts.append(Doubt(Condition.RIVAL_SETS, str(rivals + 1)))
    if chance >= CHANCE_LIMIT:
        doubts.append(Doubt(Condition.SUM_BY_CHANCE))
    return Proposal(pay.position, m.customer, settlement.lines, 0, unnamed_score(m.score, len(chosen)),
                    evidence, tuple(doubts))
