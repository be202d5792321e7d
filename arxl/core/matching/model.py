"""How much each piece of evidence counts, learned from the workbook itself (Fellegi-Sunter).

Every payment gets candidate explanations (``propose``): a customer, the invoices it pays and how
the amount settles them. Each candidate is compared with the payment field by field (``Field``),
and each comparison falls into one level of its field (the reference read exactly, with a keying
error...; the amount exact, less a discount, short...). For each level, ``m`` is how often it
occurs when the explanation is right and ``u`` how often when it is wrong; the level's weight is
log2(m/u) bits. A candidate's score is its prior log-odds plus the weights of its levels.

Nothing here is set by hand but the starting point. As Splink does: u, how often a level occurs
between a payment and an explanation picked at random, is measured on the workbook's own
payments and open items (``chance.py``); m is estimated by expectation-maximisation over all
candidates of the batch, without labels. Fields that describe how a candidate was built rather
than compare it (found by the sum, other references) have no random pairs: EM estimates their u
as well. The candidates of one payment exclude one another (a payment has one explanation, or
none of those found), so each step weighs a candidate by its share of its payment's odds. The
levels' starting m and u (``Level``) act as a mild prior (``PRIOR_STRENGTH`` candidates' worth)
that keeps levels a batch hardly shows from swinging wildly; a batch of thousands outweighs it.

A candidate's posterior among its payment's candidates and "none of these" is its Confidence:
of payments proposed at Confidence 90, about 90 in 100 are right (bench/calibration.py checks
this on benchmark ledgers).
"""
from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

import numpy as np


class Field(IntEnum):
    """What a candidate explanation is compared on."""

    REFERENCE = 0  # how the weakest invoice named is read, and in which column
    AMOUNT = 1  # how the amount settles the invoices, given how they were found (``READ_AS``)
    PAYER_NAME = 2  # how well the payer's name fits the customer's
    PAYER_LINK = 3  # a payer account or name linked to the customer (on file, kept, learned)
    DATE = 4  # days from the invoices' dates to the day the money arrived
    OTHER_REFERENCES = 5  # references in the text the explanation leaves unexplained


FIELD_NAMES = {Field.REFERENCE: "reference", Field.AMOUNT: "amount", Field.PAYER_NAME: "payer name",
               Field.PAYER_LINK: "payer account", Field.DATE: "date", Field.OTHER_REFERENCES: "other references"}
# Invoices found because their balances add up to (the rest of) the amount are not compared
# field by field: such a set is evidence in proportion to how unlikely the customer's open
# invoices make it by chance (``sum_bits``).
SUM_NAME = "the sum of invoices found by it"
MAX_SUM_BITS = 20.0


@dataclass(frozen=True)
class Level:
    """One level of a field: its name in the Evidence, and where EM starts (m, u)."""

    name: str
    m: float
    u: float


# How a reference is read, strongest first (see ids.py); each is a level per reference column.
# A keying error undone counts in proportion to how unlikely it is by chance: by how many of the
# column's references lie one keying error from what was written (dense numbering: many).
NEIGHBOURHOODS = (1, 10)  # one of at most 1, of at most 10, of more
READINGS = (Level("exact", 0.85, 0.05), Level("partial", 0.08, 0.10),
            Level("keying error, the only reference that near", 0.03, 0.05),
            Level("keying error, one of a few that near", 0.015, 0.15),
            Level("keying error, one of many that near", 0.005, 0.25), Level("two keying errors", 0.02, 0.40))
LOOSE = 2  # readings from this level on are loose (keying errors)


def keying_error_level(neighbours: int) -> int:
    """The reading level of a keying error undone, with ``neighbours`` references that near."""
    return LOOSE + next((k for k, most in enumerate(NEIGHBOURHOODS) if neighbours <= most), len(NEIGHBOURHOODS))


TWO_KEYING_ERRORS = len(READINGS) - 1
NO_REFERENCE = Level("none", 0.10, 0.40)

# How the amount settles the invoices (amounts.py: EXACT ... PARTIAL; INSTALMENTS, NOTHING here).
AMOUNT_LEVELS = {
    "exact": Level("exact", 0.70, 0.05), "discount": Level("less the discount", 0.05, 0.01),
    "write-off": Level("within the write-off tolerance", 0.03, 0.02),
    "stated": Level("as the remittance states", 0.05, 0.01),
    "instalments": Level("instalments settling it", 0.04, 0.01),
    "short pay": Level("short by a deduction", 0.04, 0.08),
    "unearned discount": Level("less a lapsed discount", 0.01, 0.02),
    "overpaid": Level("overpaid", 0.02, 0.08), "overpaid much": Level("overpaid by much", 0.005, 0.10),
    "partial": Level("partial", 0.045, 0.33)}
AMOUNT_ORDER = tuple(AMOUNT_LEVELS)
# How a candidate's invoices were read. An amount that settles invoices named exactly is rarer
# among wrong candidates than one settling invoices read with keying errors, so the amount's m
# and u are estimated for each apart: P(amount | read so) (a field conditioned on another).
# Invoices found because they add up to (the rest of) the amount settle it by construction, and
# an explanation with nothing to apply has no amount to compare: one level each, weighing
# nothing (the sum's own evidence is ``sum_bits``).
READ_AS = ("named", "read with keying errors")
BY_SUM, NOTHING = "found by the sum", "nothing applied"


# A name printed as the customer's initials (HME, A&D LTD) is a level of its own: how often such
# a name is right is not how often a name resembling by its words is.
NAME_LEVELS = (Level("matches", 0.53, 0.04), Level("resembles closely", 0.15, 0.06), Level("resembles", 0.10, 0.10),
               Level("hardly resembles", 0.08, 0.20), Level("unlike", 0.12, 0.59), Level("as initials", 0.02, 0.01))
NAME_BOUNDS = (0.9, 0.75, 0.6, 0.4)
AS_INITIALS = len(NAME_LEVELS) - 1

LINK_LEVELS = (Level("given", 0.15, 0.01), Level("learned", 0.10, 0.02), Level("another customer's", 0.005, 0.15),
               Level("none", 0.745, 0.82))
GIVEN, LEARNED, OTHERS, NO_LINK = range(4)

DATE_LEVELS = (Level("invoice dated after", 0.005, 0.10), Level("0-30 days", 0.40, 0.20),
               Level("31-60 days", 0.35, 0.20), Level("61-120 days", 0.20, 0.25), Level("over 120 days", 0.045, 0.25))
DATE_BOUNDS = (30, 60, 120)
# An explanation with no invoice (the cash on account) has no date to compare: a level of its
# own, weighing nothing.
NO_DATE = len(DATE_LEVELS)
DATE_GRACE_DAYS = 3  # an invoice dated a few days after the money arrived: entered late

OTHER_LEVELS = (Level("none", 0.95, 0.60), Level("another open invoice named, not paid", 0.03, 0.25),
                Level("names something not open", 0.02, 0.15))
NO_OTHERS, OPEN_UNPAID, NOT_OPEN = range(3)

PRIOR_STRENGTH = 25.0  # candidates' worth of the starting m and u
ITERATIONS = 40
MIN_PROBABILITY = 1e-4  # no level is ever certain either way


def reference_levels(columns: Sequence[str]) -> tuple[Level, ...]:
    """The REFERENCE field's levels: each reading in each reference column, then none."""
    return tuple(Level(f"{column} {r.name}", r.m / len(columns), r.u / len(columns))
                 for column in columns for r in READINGS) + (NO_REFERENCE,)


def reference_level(column: int, reading: int) -> int:
    return column * len(READINGS) + reading


def name_level(score: float, as_initials: bool = False) -> int:
    """The PAYER_NAME level of a name's score (``as_initials``: the score is that of the
    customer's initials)."""
    if as_initials:
        return AS_INITIALS
    return next((k for k, bound in enumerate(NAME_BOUNDS) if score >= bound), len(NAME_BOUNDS))


def date_level(days: int) -> int:
    """The DATE level of one number of days (as ``date_levels``, without an array)."""
    return 0 if days < -DATE_GRACE_DAYS else 1 + bisect.bisect_left(DATE_BOUNDS, days)


def date_levels(days: np.ndarray) -> np.ndarray:
    """The DATE level of each number of days from an invoice's date to the money's arrival."""
    out: np.ndarray = np.where(days < -DATE_GRACE_DAYS, 0, 1 + np.searchsorted(DATE_BOUNDS, days, side="left"))
    return out


def sum_bits(chance: float | None) -> float:
    """What invoices found by the sum weigh, in bits: log2(1 / how many such sets the customer's
    open invoices would give by chance); 0 when every invoice was named."""
    if chance is None:
        return 0.0
    return min(MAX_SUM_BITS, -math.log2(max(chance, 2.0 ** -MAX_SUM_BITS)))


class Scheme:
    """The fields' levels for one workbook (its reference columns). A field's levels may fall
    into groups (AMOUNT: one group per ``READ_AS``), m and u then summing to one in each."""

    def __init__(self, columns: Sequence[str]):
        self.columns = list(columns)
        amounts = tuple(Level(f"{lv.name} ({read})", lv.m, lv.u) for read in READ_AS for lv in AMOUNT_LEVELS.values())
        amounts += (Level(BY_SUM, 1.0, 1.0), Level(NOTHING, 1.0, 1.0))
        self.levels: tuple[tuple[Level, ...], ...] = (
            reference_levels(self.columns), amounts, NAME_LEVELS, LINK_LEVELS,
            DATE_LEVELS + (Level("no invoice", 1.0, 1.0),), OTHER_LEVELS)
        self.groups = [np.zeros(len(levels), dtype=np.int64) for levels in self.levels]
        self.groups[Field.DATE][NO_DATE] = 1
        self.groups[Field.AMOUNT] = np.append(np.repeat(np.arange(len(READ_AS)), len(AMOUNT_ORDER)),
                                              [len(READ_AS), len(READ_AS) + 1])

    @property
    def no_reference(self) -> int:
        return len(self.levels[Field.REFERENCE]) - 1

    @staticmethod
    def amount_code(how: str, read_as: int | None) -> int:
        """The AMOUNT level of ``how`` (an ``AMOUNT_LEVELS`` key) for invoices read as
        ``READ_AS[read_as]``; None: found by the sum (or nothing to apply)."""
        if read_as is None:
            return len(READ_AS) * len(AMOUNT_ORDER) + (how == "nothing")
        return read_as * len(AMOUNT_ORDER) + AMOUNT_ORDER.index(how)

    def normalised(self, field: int, p: np.ndarray) -> np.ndarray:
        """``p`` made a distribution within each of the field's groups."""
        p = np.maximum(p, MIN_PROBABILITY)
        groups = self.groups[field]
        out: np.ndarray = p / np.bincount(groups, weights=p)[groups]
        return out

    def start(self) -> Model:
        """The model EM starts from (and a batch too small to learn from keeps, mostly)."""
        m = [self.normalised(f, np.array([lv.m for lv in levels])) for f, levels in enumerate(self.levels)]
        u = [self.normalised(f, np.array([lv.u for lv in levels])) for f, levels in enumerate(self.levels)]
        return Model(self, m, u, 0.5)


@dataclass
class Model:
    """Fitted m and u for every level of every field, and the prior odds of a candidate."""

    scheme: Scheme
    m: list[np.ndarray]
    u: list[np.ndarray]
    prior: float  # the share of candidates that are right

    def weights(self) -> list[np.ndarray]:
        """Each level's weight, in bits."""
        return self._weights

    @cached_property
    def _weights(self) -> list[np.ndarray]:  # a model is never changed: its weights are worked out once
        return [np.log2(m / u) for m, u in zip(self.m, self.u)]

    @property
    def prior_bits(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    def scores(self, codes: np.ndarray, extra: np.ndarray) -> np.ndarray:
        """Each candidate's log-odds of being right, in bits (``codes``: one row per candidate,
        one level per field; ``extra``: the bits of its sum, if found by one)."""
        total = self.prior_bits + extra
        for f, w in enumerate(self.weights()):
            total += w[codes[:, f]]
        return total

    def contributions(self, codes: Sequence[int]) -> list[tuple[Field, str, float]]:
        """What each field's level adds to a candidate's score, in bits."""
        weights = self.weights()
        return [(Field(f), self.scheme.levels[f][c].name, float(weights[f][c])) for f, c in enumerate(codes)]

    def table(self) -> list[tuple[str, str, float, float, float]]:
        """(field, level, m, u, weight) for every level: what the batch taught."""
        weights = self.weights()
        return [(FIELD_NAMES[Field(f)], lv.name, float(self.m[f][k]), float(self.u[f][k]), float(weights[f][k]))
                for f, levels in enumerate(self.scheme.levels) for k, lv in enumerate(levels)]


def posteriors(bits: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each candidate's probability of being its payment's explanation, the candidates of one
    payment (rows starts[k]:starts[k+1]) excluding one another and "none of these" (odds 1)."""
    if not len(bits):
        return bits
    logodds = bits * math.log(2)
    group = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    top = np.maximum(np.maximum.reduceat(logodds, starts[:-1]), 0.0)
    shifted = np.exp(logodds - top[group])
    total = np.add.reduceat(shifted, starts[:-1]) + np.exp(-top)
    out: np.ndarray = shifted / total[group]
    return out


def fit(scheme: Scheme, codes: np.ndarray, extra: np.ndarray, starts: np.ndarray,
        chance: Sequence[np.ndarray | None], prior: float) -> Model:
    """m (and the u that chance pairs cannot give) estimated by EM over every candidate of the
    batch (``codes``: one row per candidate, one level per field; a payment's candidates are
    rows starts[k]:starts[k+1]; ``extra``: each one's ``sum_bits``). ``chance``: each field's u
    from random pairs (``chance.py``), None (or NaN for a group of levels) where EM estimates it
    too; ``prior``: the probability that a random pair of a payment and an invoice is right."""
    start = scheme.start()
    u0 = [start.u[f] if c is None else np.where(np.isnan(c), start.u[f], c) for f, c in enumerate(chance)]
    model = Model(scheme, start.m, u0, prior)
    if not len(codes):
        return model
    prior_m = [m * PRIOR_STRENGTH for m in start.m]
    prior_u = [u * PRIOR_STRENGTH for u in start.u]
    for _ in range(ITERATIONS):
        right = posteriors(model.scores(codes, extra), starts)
        wrong = 1.0 - right
        m, u = [], []
        for f, levels in enumerate(scheme.levels):
            n = len(levels)
            m.append(scheme.normalised(f, np.bincount(codes[:, f], weights=right, minlength=n) + prior_m[f]))
            fixed = chance[f]
            learned = scheme.normalised(f, np.bincount(codes[:, f], weights=wrong, minlength=n) + prior_u[f])
            u.append(learned if fixed is None else np.where(np.isnan(fixed), learned, fixed))
        moved = max(float(np.abs(a - b).max()) for a, b in zip(m + u, model.m + model.u))
        model = Model(scheme, m, u, prior)
        if moved < 1e-4:
            break
    return model
