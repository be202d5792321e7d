"""The confidence policy: how sure the matcher is of a proposal, as a number from 0 to 100.

A proposal's *score* says how well its evidence holds together: how surely the remittance names
each invoice (``ID_STRENGTH``), how the amount settles them (``SHORTFALL_TRUST``) and how much
the payer looks like their customer (``named_score``); or, with no reference, how well the payer
fits and how few invoices make up the amount (``unnamed_score``). Its *doubts* are the
conditions of ``CAPS`` found true of it; each holds its Confidence at or below the row's cap
and adds the row's sentence to the Evidence. ``confidence`` applies them, here and nowhere
else, so a clerk (or a test) can trace any Confidence to the score and the rows that capped it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from arxl.core.matching.amounts import DISCOUNT, EXACT, FULL, OVERPAID, PARTIAL, SHORT, UNEARNED, WRITE_OFF
from arxl.core.matching.ids import EXACT as EXACT_ID
from arxl.core.matching.ids import FUZZY, RANGE
from arxl.core.matching.ids import PARTIAL as PARTIAL_ID

# How well a payer name must fit a customer's (0..1) to plainly be it, and to resemble it.
STRONG_NAME, FAIR_NAME = 0.8, 0.6
# How surely each kind of mention names its invoice.
ID_STRENGTH = {EXACT_ID: 1.0, RANGE: 0.97, PARTIAL_ID: 0.96, FUZZY: 0.9}
AMBIGUOUS = 0.95  # a mention that could name other invoices as well
SURE = 0.96  # a reading at least this strong names its invoice surely
BORNE_OUT = 0.97  # a mention read loosely whose invoice the amount settles exactly
# How much a payment that does not settle its invoices exactly still vouches for them.
SHORTFALL_TRUST = {OVERPAID: 0.96, UNEARNED: 0.96, SHORT: 0.96, PARTIAL: 0.94}
CHANCE_LIMIT = 0.01  # expected sets adding up to an amount by coincidence, above which we doubt
# Nothing to apply, but the payer is known: the remittance names only invoices not open; or it
# names none and none of the customer's open invoices add up to the amount.
KNOWN_PAYER_NOT_OPEN, KNOWN_PAYER_NO_SET = 40.0, 30.0


def settles_outright(strength: float, how: str, payer_fit: float) -> bool:
    """Invoices named surely and settled in full: the payer only adds to the score. A write-off
    settles in full only for a payer who looks like the customer."""
    return how in FULL and strength >= SURE and (how != WRITE_OFF or payer_fit >= FAIR_NAME)


def borne_out(strength: float, how: str) -> float:
    """How surely a mention names its invoice once the amount is known: a loose reading (a
    partial key, a keying error) is borne out by an amount that settles the invoices exactly."""
    return max(strength, BORNE_OUT) if how in (EXACT, DISCOUNT) else strength


def completion_strength(sets: int, chance: float) -> float:
    """How surely the invoices completing a list cut off are the right ones: as with no
    reference at all, only the one set, of a customer with too few open invoices for such a
    sum to be chance, vouches for itself."""
    return BORNE_OUT if sets == 1 and chance < CHANCE_LIMIT else 0.6


def weakest_reading(strengths: Iterable[float], how: str) -> float:
    """How surely the remittance names the whole set: its weakest reading, weakened further
    when the amount does not settle the invoices in full either."""
    weakest = min(strengths)
    return weakest * 0.9 if weakest < SURE and how not in FULL else weakest


def named_score(strength: float, how: str, payer_fit: float) -> float:
    """The score of invoices the remittance names (``strength``) settled as ``how`` by a payer
    fitting their customer by ``payer_fit``: an amount that does not settle them outright is
    trusted less from a payer not plainly theirs."""
    if settles_outright(strength, how, payer_fit):
        return 95 + 4 * payer_fit
    score = 100 * strength * SHORTFALL_TRUST.get(how, 1.0)
    return score * 0.95 if payer_fit < STRONG_NAME else score


def unnamed_score(name_score: float, invoices: int) -> float:
    """The score of open invoices adding up to the amount with no reference: from the payer's
    name (a clerk's CustomerID or an account on file count as 1.0), less for each invoice more."""
    name = min(1.0, max(0.0, (name_score - FAIR_NAME) / (0.9 - FAIR_NAME)))
    return 88 + 10 * name - {1: 0, 2: 2, 3: 4}[invoices]


class Condition(StrEnum):
    """What may be wrong with a proposal, each a row of ``CAPS``."""

    PAYER_UNLIKE = "payer unlike the customer"
    MUCH_LEFT_OVER = "much left over"
    DISCOUNT_NOT_SHOWN = "discount not shown"
    MIXED_CUSTOMERS = "mixed customers"
    NAMES_NOT_OPEN = "names invoices not open"
    DISPUTED = "disputed"
    KEYING_ERROR_UNPROVEN = "keying error unproven"
    RIVAL_SETS = "rival sets"
    SUM_BY_CHANCE = "sum by chance"
    SPOKEN_FOR = "spoken for"


@dataclass(frozen=True)
class Cap:
    """A row of the policy: when ``condition`` holds, Confidence is at most ``cap`` and the
    Evidence says ``sentence`` (``{detail}`` filled in from the proposal)."""

    condition: Condition
    cap: float
    sentence: str


CAPS: tuple[Cap, ...] = (
    # An amount short of settling the invoices, from a payer who does not look like theirs.
    Cap(Condition.PAYER_UNLIKE, 80, "an amount that does not settle the invoices needs a payer like their customer"),
    Cap(Condition.MUCH_LEFT_OVER, 85, "the money left over is large for what the invoices owe"),
    Cap(Condition.DISCOUNT_NOT_SHOWN, 85, "the remittance speaks of a discount the amount does not show"),
    Cap(Condition.MIXED_CUSTOMERS, 70, "the invoices belong to {detail} different customers"),
    Cap(Condition.NAMES_NOT_OPEN, 75, "it also names {detail}, not open"),
    Cap(Condition.DISPUTED, 75, "an invoice named is marked Disputed"),
    # A number read with a keying error undone may be another customer's invoice: it is posted
    # only when the amount settles it and the payer is that customer on its own evidence.
    Cap(Condition.KEYING_ERROR_UNPROVEN, 75,
        "a number read with a keying error undone needs the payer and the amount to bear it out"),
    Cap(Condition.RIVAL_SETS, 60, "{detail} different sets of open invoices add up to it; the likeliest is proposed"),
    Cap(Condition.SUM_BY_CHANCE, 75, "the customer has so many open invoices that some would add up to it by chance"),
    # Proposed again, against what the batch's more confident payments left open.
    Cap(Condition.SPOKEN_FOR, 60, "{detail} in this batch"),
)
_ROW = {row.condition: row for row in CAPS}


@dataclass(frozen=True)
class Doubt:
    """A condition found true of a proposal, with what its sentence names (a count, invoices)."""

    condition: Condition
    detail: str = ""


def confidence(score: float, doubts: Iterable[Doubt]) -> float:
    """The Confidence of a proposal: its score, held at or below the cap of each doubt."""
    return round(min([score, *(_ROW[d.condition].cap for d in doubts)]), 1)


def doubt_sentences(doubts: Iterable[Doubt]) -> list[str]:
    """What each doubt adds to the Evidence, in the order of ``CAPS``, naming its cap."""
    found = {d.condition: d for d in doubts}
    return [f"{row.sentence.format(detail=found[row.condition].detail)} (Confidence at most {row.cap:g})"
            for row in CAPS if row.condition in found]
