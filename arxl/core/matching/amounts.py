"""How a payment's amount settles the invoices it names, and which open invoices add up to it.

``settle`` explains an amount against named invoices, in this order: exact; the early-payment
discount the terms allow; a difference within the write-off tolerance; more than is owed (the
rest stays on account); less than is owed: a discount taken after its terms lapsed, a deduction
with its reason, or a partial payment (the rest stays open). ``subsets_adding_to`` finds the
open invoices that add up to an amount when no reference says which (numpy, bounded: one, two
or three invoices, three only for customers with a few hundred open invoices), and
``sets_by_chance`` how many such sets coincidence alone would give.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from arxl.core.matching.text import TAX_WITHHELD
from arxl.core.money import percent_of
from arxl.core.settings import WriteOffTolerance

EXACT, DISCOUNT, WRITE_OFF, OVERPAID, UNEARNED, SHORT, PARTIAL = (
    "exact", "discount", "write-off", "overpaid", "unearned discount", "short pay", "partial")
FULL = (EXACT, DISCOUNT, WRITE_OFF)
COMMON_DISCOUNT_RATES = (Decimal("0.01"), Decimal("0.02"))
MAX_TRIPLE_SEARCH = 600  # open invoices of one customer beyond which only 1 or 2 are tried
# A shortfall at most this share of the largest invoice paid together with others is a deduction
# from one of them (it stays open on it), not a partial payment spread over them all.
DEDUCTION_SHARE = 0.10
UNEARNED_REASON = "Unearned discount"  # the reason of a discount taken after the terms lapsed
# Tax withheld at source is a rate of each invoice (of its amount before sales tax): up to this
# share of what is owed, spread over the invoices paid together in proportion to their balances.
WITHHELD_SHARE = 0.20


@dataclass(frozen=True)
class Line:
    invoice: int  # position in the invoices arrays
    apply: int  # cash applied, cents
    discount: int = 0
    write_off: int = 0
    short_pay: int = 0
    reason: str = ""  # why the payer deducted the short pay, as the remittance says it


@dataclass(frozen=True)
class Settlement:
    lines: tuple[Line, ...]
    on_account: int  # cash left unapplied
    how: str  # EXACT, DISCOUNT, ...
    note: str  # for the Evidence sentence
    stated: bool = False  # as the remittance states it (amounts per invoice, deductions)


def settle(amount: int, opens: list[int], discounts: list[int], invoices: list[int],
           tolerance: WriteOffTolerance, *, reason: str = "", says_partial: bool = False,
           rate: Decimal = Decimal(0), quoted: list[int | None] | None = None,
           quoted_discounts: list[int | None] | None = None,
           quoted_deductions: list[int | None] | None = None,
           deduction_reasons: list[str] | None = None) -> Settlement:
    """Spread ``amount`` over the named invoices (their open balances ``opens`` and the
    discounts their terms allow on this payment's date). ``quoted``: the amount the remittance
    pays for each, when it says; ``quoted_discounts`` and ``quoted_deductions``: the discount
    and the deductions it says were taken (``deduction_reasons``: the reasons it gives for each
    invoice's, "" for none). When the remittance gives every invoice its amount and these add
    up to the payment, each invoice gets exactly what the payer says; else deductions it states
    are taken as stated when the amount bears them out. ``reason``: a reason for a deduction
    read anywhere in the text. Each line's reason is why its short pay was taken: the reasons
    stated for its invoice, else ``reason``; a discount taken after its terms lapsed has
    ``UNEARNED_REASON``."""
    owed = sum(opens)
    n = len(opens)
    them, their = ("it", "its") if n == 1 else ("them", "their")
    deduction_reasons = deduction_reasons or [""] * n
    per_invoice = [q for q in quoted or [] if q is not None]
    if quoted and len(per_invoice) == len(quoted) and sum(per_invoice) == amount:
        return _as_quoted(opens, discounts, invoices, per_invoice, quoted_discounts or [None] * n,
                          quoted_deductions or [None] * n, deduction_reasons, tolerance, reason,
                          (rate, *COMMON_DISCOUNT_RATES))
    if amount == owed:
        return Settlement(tuple(Line(i, o) for i, o in zip(invoices, opens)), 0, EXACT, f"pays {them} in full")
    if quoted_deductions and any(quoted_deductions):
        stated = _less_stated(amount, opens, discounts, invoices, quoted_deductions, deduction_reasons, tolerance,
                              reason)
        if stated is not None:
            return stated
    allowed = sum(discounts)
    if allowed and abs(amount - (owed - allowed)) <= n:
        less = [Line(i, o - d, d) for i, o, d in zip(invoices, opens, discounts)]
        less[-1] = Line(less[-1].invoice, less[-1].apply + amount - (owed - allowed), less[-1].discount)
        return Settlement(tuple(less), 0, DISCOUNT, f"pays {them} less the discount {their} terms allow")
    if amount > owed:
        return Settlement(tuple(Line(i, o) for i, o in zip(invoices, opens)), amount - owed, OVERPAID,
                          f"pays {them} in full with money left over")
    if tolerance.allows(owed - amount, owed):
        lines = [Line(i, o) for i, o in zip(invoices, opens)]
        last = lines[-1]
        lines[-1] = Line(last.invoice, last.apply - (owed - amount), 0, owed - amount)
        if lines[-1].apply >= 0:
            return Settlement(tuple(lines), 0, WRITE_OFF,
                              f"pays {them} but for a difference within the write-off tolerance")
    for r in (rate, *COMMON_DISCOUNT_RATES):
        if r and abs(amount - sum(o - percent_of(o, r) for o in opens)) <= n:
            lines = [Line(i, o - percent_of(o, r), 0, 0, percent_of(o, r), UNEARNED_REASON)
                     for i, o in zip(invoices, opens)]
            lines[-1] = replace(lines[-1], apply=lines[-1].apply + amount - sum(x.apply for x in lines))
            return Settlement(tuple(lines), 0, UNEARNED,
                              f"pays {them} less {float(r) * 100:g}% though the terms allow no discount on this date")
    short = owed - amount
    if reason == TAX_WITHHELD and short > WITHHELD_SHARE * owed:
        reason = ""  # more than any tax withheld: a part payment
    if n > 1 and reason == TAX_WITHHELD:
        withheld = in_proportion(short, opens)
        lines = [Line(i, o - w, 0, 0, w, reason if w else "") for i, o, w in zip(invoices, opens, withheld)]
        return Settlement(tuple(lines), 0, SHORT, "pays them less the tax withheld from each")
    if n > 1 and not reason and short <= DEDUCTION_SHARE * max(opens):
        largest = max(range(n), key=lambda k: opens[k])  # the one that can bear it
        lines = [Line(i, o) for i, o in zip(invoices, opens)]
        lines[largest] = Line(invoices[largest], opens[largest] - short, 0, 0, short)
        return Settlement(tuple(lines), 0, SHORT, "pays them less a deduction from the largest (no reason given)")
    lines = []
    left = amount
    for i, o in zip(invoices, opens):
        paid = min(o, left)
        left -= paid
        lines.append(Line(i, paid))
    lines = [x for x in lines if x.apply > 0] or lines[:1]
    last = lines[-1]
    short = sum(opens[:len(lines)]) - amount
    if reason:
        lines[-1] = Line(last.invoice, last.apply, 0, 0, short, reason)
        return Settlement(tuple(lines), 0, SHORT, f"pays {them} less a deduction of the remaining balance ({reason})")
    return Settlement(tuple(lines), 0, PARTIAL,
                      "is a partial payment (instalment); the rest stays open" if says_partial
                      else "pays part of what is open; the rest stays open")


def in_proportion(total: int, weights: list[int]) -> list[int]:
    """``total`` (minor units) split in proportion to ``weights``, to the unit: each share
    rounded down, the units left given to the largest remainders."""
    whole = sum(weights)
    if whole <= 0:
        return [total] + [0] * (len(weights) - 1)
    shares = [total * w // whole for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda k: -(total * weights[k] % whole))
    for k in by_remainder[:total - sum(shares)]:
        shares[k] += 1
    return shares


def _less_stated(amount: int, opens: list[int], discounts: list[int], invoices: list[int],
                 deducted: list[int | None], reasons: list[str], tolerance: WriteOffTolerance,
                 reason: str) -> Settlement | None:
    """The invoices paid less the deductions the remittance states for them (with their
    ``reasons``, else ``reason``), when the amount bears them out: their balances less those
    deductions come to the amount exactly, or less the discount the terms allow as well, or but
    for a difference within the write-off tolerance. None when they do not (a stated amount is
    never forced)."""
    shorts = [s or 0 for s in deducted]
    if any(s > o for s, o in zip(shorts, opens)):
        return None
    n = len(opens)
    rest = sum(opens) - sum(shorts) - amount  # what the stated deductions leave unexplained
    lines = [Line(i, o - s, 0, 0, s, (r or reason) if s else "")
             for i, o, s, r in zip(invoices, opens, shorts, reasons)]
    also = ""
    allowed = sum(discounts)
    if rest and allowed and abs(rest - allowed) <= n:
        lines = [replace(x, apply=x.apply - d, discount=d) for x, d in zip(lines, discounts)]
        last = lines[-1]
        lines[-1] = replace(last, apply=last.apply + allowed - rest)
        also = " and the discount the terms allow"
    elif rest > 0 and tolerance.allows(rest, sum(opens)):
        last = lines[-1]
        lines[-1] = replace(last, apply=last.apply - rest, write_off=rest)
        also = " and a difference within the write-off tolerance"
    elif rest:
        return None
    if any(x.apply < 0 for x in lines):
        return None
    them = "it" if n == 1 else "them"
    said = "the deduction" if sum(1 for s in shorts if s) == 1 else "the deductions"
    why = ", ".join(dict.fromkeys(x.reason for x in lines if x.reason))
    return Settlement(tuple(lines), 0, SHORT,
                      f"pays {them} less {said} the remittance states" + (f" ({why})" if why else "") + also,
                      stated=True)


# From the weakest way of settling to the strongest: a payment is as sure as its weakest line.
_ORDER = (PARTIAL, SHORT, UNEARNED, OVERPAID, WRITE_OFF, DISCOUNT, EXACT)


def _as_quoted(opens: list[int], discounts: list[int], invoices: list[int], quoted: list[int],
               taken: list[int | None], deducted: list[int | None], reasons: list[str],
               tolerance: WriteOffTolerance, reason: str, rates: tuple[Decimal, ...]) -> Settlement:
    """Each invoice paid the amount the remittance gives for it (EDI RMR, "id amount" pairs);
    each difference explained on its own line. A discount or deduction the remittance states
    is taken as stated (Discount, ShortPay, with the reasons it states, else ``reason``); any
    other difference is the discount the terms allow, a discount taken though the terms do not
    allow it (a deduction), a write-off, a deduction (with ``reason``) or a partial payment."""
    lines, hows, extra, stated = [], [], 0, False
    for i, o, d, q, t, s, r in zip(invoices, opens, discounts, quoted, taken, deducted, reasons):
        diff = o - q
        if diff == 0:
            lines.append(Line(i, o))
            hows.append(EXACT)
        elif diff < 0:
            lines.append(Line(i, o))
            extra -= diff
            hows.append(OVERPAID)
        elif t or s:
            stated = True
            discount = min(t or 0, diff)
            short = min(s or 0, diff - discount)
            rest = diff - discount - short
            write_off = rest if rest and tolerance.allows(rest, o) else 0
            lines.append(Line(i, q, discount, write_off, short, (r or reason) if short else ""))
            hows.append(PARTIAL if rest - write_off else SHORT if short else WRITE_OFF if write_off else DISCOUNT)
        elif d and abs(diff - d) <= 1:
            lines.append(Line(i, q, diff))
            hows.append(DISCOUNT)
        elif any(r and abs(diff - percent_of(o, r)) <= 1 for r in rates):
            lines.append(Line(i, q, 0, 0, diff, UNEARNED_REASON))
            hows.append(UNEARNED)
        elif tolerance.allows(diff, o):
            lines.append(Line(i, q, 0, diff))
            hows.append(WRITE_OFF)
        else:
            lines.append(Line(i, q, 0, 0, diff if reason else 0, reason))
            hows.append(SHORT if reason else PARTIAL)
    how = min(hows, key=_ORDER.index)
    note = "pays the amount the remittance gives for each invoice"
    if stated:
        note += ", less the discounts and deductions it states"
    elif DISCOUNT in hows:
        note += ", less the discounts the terms allow"
    if UNEARNED in hows:
        note += ", less a discount the terms do not allow on this date (left open as a deduction)"
    if reason and SHORT in hows:
        note += f", less deductions ({reason})"
    return Settlement(tuple(lines), extra, how, note, stated=True)


def subsets_adding_to(values: np.ndarray, target: int, limit: int = 3) -> tuple[list[tuple[int, ...]], int]:
    """Up to ``limit`` sets of positions (into ``values``) of 1, 2 or 3 values adding to
    ``target``, smallest sets first, and how many such sets there are (counted up to the
    smallest size that has any)."""
    values = np.asarray(values, dtype=np.int64)
    n = len(values)
    ones = np.nonzero(values == target)[0]
    if len(ones):
        return [(int(i),) for i in ones[:limit]], len(ones)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    lo = np.searchsorted(ordered, target - ordered, "left")
    hi = np.searchsorted(ordered, target - ordered, "right")
    found: list[tuple[int, ...]] = []
    count = 0
    for a in np.nonzero(hi > np.maximum(lo, np.arange(n) + 1))[0]:
        for b in range(max(lo[a], a + 1), hi[a]):
            count += 1
            if len(found) < limit:
                found.append(tuple(sorted((int(order[a]), int(order[b])))))
    if count or n > MAX_TRIPLE_SEARCH or n < 3:
        return found, count
    # Three: for each value k (the smallest position of its set), the pairs of later positions
    # adding up to the rest. Only the pairs some value completes are kept, in the order of
    # their positions, with no table of all pairs kept between calls. Amounts all positive (open
    # balances), a value above the target less twice the smallest is in no set: the table of
    # pair sums is made of the others only (a customer with hundreds of open invoices).
    tried = np.arange(n)
    smallest = int(values.min())
    if smallest > 0:
        tried = tried[values <= target - 2 * smallest]
    kept = values[tried]
    rests = np.unique(target - kept)
    sums = kept[:, None] + kept[None, :]
    at = np.minimum(np.searchsorted(rests, sums), len(rests) - 1)
    first, second = np.nonzero(rests[at] == sums)
    by_sum: dict[int, list[tuple[int, int]]] = {}
    for x, y in zip(tried[first].tolist(), tried[second].tolist()):
        if x < y:
            by_sum.setdefault(int(values[x] + values[y]), []).append((x, y))
    for k, value in zip(tried.tolist(), kept.tolist()):
        for x, y in by_sum.get(target - value, ()):
            if x > k:
                count += 1
                if len(found) < limit:
                    found.append((k, x, y))
    return found, count


def sets_by_chance(values: np.ndarray, size: int) -> float:
    """How many sets of ``size`` of these amounts would add up to a given amount by mere
    coincidence (the number of sets over the spread of their sums, in cents)."""
    spread = max(float(np.std(values)), 1000.0) * math.sqrt(size) * 2.5
    return math.comb(len(values), size) / spread
