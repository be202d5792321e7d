"""Reminder letters by level (dunning), from the Aging as of the run's date.

Levels (DunningLevels): each has the days past due at which an item reaches it; each level needs
more days than the one before, and the first at least 1. An item reaches the highest level whose
DaysOverdue it has (an item 30 days past due has reached a level of 30 days, not one of 31).

What is dunned, per customer and currency (never mixed): its invoices and debit memos with a
positive open amount that have reached a level. Disputed invoices, and the part of an invoice
a short pay open in Disputes holds (``arxl.core.disputes.hold_open_deductions``), are listed
apart and never asked for. Open credits (credit memos, unapplied cash, overpaid invoices) are listed and
deducted; a customer whose credits cover what is overdue gets no letter. The letter is at the
highest level any of its items reached, and lists every item it asks for.

When no letter goes (the log decides, so a run repeated on the same day makes nothing): the
DunningLog has a letter to the customer in that currency dated the run's date, or one at the
letter's level or higher within Settings DunningIntervalDays before it.

Fee and interest (amounts exact to the letter currency's minor unit): the level's Fee once per
letter, the number typed taken in the letter's currency (a Fee of 25 is 25.00 EUR on a EUR
letter and 25 JPY on a JPY one; half-up to the minor unit where it has more decimals than the
currency); interest on each item = open amount x InterestRate x days / 365, rounded half-up to
the minor unit, the days counted
from the later of the item's due date and the date of the last letter to the customer in that
currency that charged interest, to the letter's date. Both are billed by a debit memo, so they
remain owed after the items themselves are paid.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from arxl.contract import DUNNING_LEVELS, DocType, read_choice
from arxl.core.memos import round_half_up
from arxl.core.money import format_amount, minor_to_decimal, minor_units
from arxl.core.problems import Problems

SHEET = DUNNING_LEVELS.name
LETTER_PREFIX, LETTER_DIGITS = "DL-", 6
DAYS_A_YEAR = 365
DUNNED_TYPES = (DocType.INVOICE, DocType.DEBIT_MEMO)

# The levels a new workbook starts with: no fee and no interest until the clerk sets them.
DEFAULT_LEVELS: tuple[dict[str, object], ...] = (
    {"Level": 1, "DaysOverdue": 7, "Title": "Payment reminder",
     "Wording": "Our records show the items below as overdue. Perhaps this has escaped your attention; "
                "please arrange payment, or let us know if you have already paid."},
    {"Level": 2, "DaysOverdue": 30, "Title": "Second reminder",
     "Wording": "Despite our reminder, the items below are still unpaid. Please pay the amount due within "
                "ten days, or call us if there is a problem with any of them."},
    {"Level": 3, "DaysOverdue": 60, "Title": "Final notice",
     "Wording": "The items below are now more than two months overdue. Unless we receive payment within "
                "seven days we will suspend deliveries to your account. Your statement of account is attached.",
     "AttachStatement": "Yes"},
)


@dataclass(frozen=True)
class Level:
    number: int
    days: int
    title: str
    wording: str
    fee: Decimal  # the number typed, charged in each letter's own currency
    interest_rate: Fraction  # a year
    attach_statement: bool

    @property
    def heading(self) -> str:
        return self.title or f"Reminder {self.number}"


@dataclass(frozen=True)
class Letter:
    """One letter to plan. ``items``: the Aging rows asked for, with the columns Level and
    Interest added; ``disputed``: overdue disputed items (listed apart); ``credits``: open
    credits (negative OpenAmount)."""

    customer_id: str
    currency: str
    letter_date: dt.date
    level: Level
    items: pd.DataFrame
    disputed: pd.DataFrame
    credits: pd.DataFrame
    fee: int
    interest: int

    @property
    def overdue(self) -> int:
        return int(self.items["OpenAmount"].astype("int64").sum())

    @property
    def credit(self) -> int:
        """The open credits, as a negative amount."""
        return int(self.credits["OpenAmount"].astype("int64").sum())

    @property
    def total(self) -> int:
        """What the letter asks for: the overdue items, fee and interest, less the credits."""
        return self.overdue + self.fee + self.interest + self.credit

    @property
    def items_text(self) -> str:
        return "; ".join(f"{doc} {format_amount(int(amount), self.currency, code=False)}"
                         for doc, amount in zip(self.items["DocID"], self.items["OpenAmount"]))


def read_levels(frame: pd.DataFrame, base_currency: str) -> tuple[list[Level], Problems]:
    """The levels in order, from the typed DunningLevels frame (its Fee in ``base_currency``'s
    minor units, as the port reads a table without a currency of its own). Rows with a Level below 1,
    DaysOverdue below 1, a negative Fee, or days not above the level before are reported and
    left out; a level left out stops the levels above it from being used (none is skipped)."""
    problems = Problems()
    attach = DUNNING_LEVELS.column("AttachStatement")
    levels: list[Level] = []
    for row, r in frame.sort_values("Level", kind="stable").iterrows():
        row = int(row)
        number, days = int(r["Level"]), int(r["DaysOverdue"])
        expected = levels[-1].number + 1 if levels else 1
        if number != expected:
            problems.add(SHEET, row, "Level", number, f"level {number} follows level {expected - 1}: the levels must "
                         f"run 1, 2, 3, ... without a gap", "Number the levels 1, 2, 3, ...; until then the levels "
                         "from this one up are not used.")
            break
        if days < 1 or (levels and days <= levels[-1].days):
            need = f"more than the {levels[-1].days} days of level {levels[-1].number}" if levels else "at least 1"
            problems.add(SHEET, row, "DaysOverdue", days, f"level {number} needs {need} days overdue",
                         "Give each level more days than the one before; until then the levels from this one up "
                         "are not used.")
            break
        fee = Decimal(0) if pd.isna(r["Fee"]) else minor_to_decimal(int(r["Fee"]), base_currency)
        if fee < 0:
            problems.add(SHEET, row, "Fee", str(fee), "the fee is negative",
                         "Type the fee as a positive amount, or leave it blank; until then the levels from this one "
                         "up are not used.")
            break
        rate = Fraction(Decimal(r["InterestRate"])) if r["InterestRate"] is not None and not pd.isna(
            r["InterestRate"]) else Fraction(0)
        levels.append(Level(number, days, r["Title"], r["Wording"], fee, rate,
                            read_choice(attach, r["AttachStatement"]) == "Yes"))
    return levels, problems


def level_of(days_past_due: int, levels: list[Level]) -> Level | None:
    """The highest level an item ``days_past_due`` days overdue has reached (None: none)."""
    reached = [level for level in levels if days_past_due >= level.days]
    return reached[-1] if reached else None


def reached_levels(aging: pd.DataFrame, levels: list[Level]) -> pd.Series:
    """The level each customer has reached in each currency as of the aging's date, indexed by
    (CustomerID, Currency): the highest any of its items asked for (``dunnable``) reached (0:
    overdue, short of the first level). Customers and currencies with nothing overdue are not
    in it."""
    items = aging.loc[dunnable(aging)]
    ordered = sorted(levels, key=lambda level: level.days)
    # the number of levels whose days an item has reached picks the highest of them
    count = np.searchsorted(np.array([level.days for level in ordered], dtype="int64"),
                            items["DaysPastDue"].astype("int64").to_numpy(), side="right")
    numbers = np.array([0, *(level.number for level in ordered)], dtype="int64")
    reached = pd.Series(numbers[count], index=items.index, dtype="int64")
    return reached.groupby([items["CustomerID"], items["Currency"]]).max().rename_axis(["CustomerID", "Currency"])


def customer_level(aging: pd.DataFrame, levels: list[Level], customer_id: str, currency: str = "") -> int:
    """The level a customer has reached as of the aging's date (0: none), in ``currency`` or
    any (``reached_levels``)."""
    reached = reached_levels(aging.loc[aging["CustomerID"] == customer_id], levels)
    if currency:
        reached = reached.loc[reached.index.get_level_values("Currency") == currency.upper()]
    return int(reached.max()) if len(reached) else 0


def fee_in(fee: Decimal, currency: str) -> int:
    """A level's Fee in ``currency``'s minor units (see the module docstring)."""
    return int(fee.scaleb(minor_units(currency)).to_integral_value(rounding=ROUND_HALF_UP))


def dunnable(aging: pd.DataFrame) -> pd.Series:
    """Which Aging rows a reminder asks for (overdue, in the worklist's words): invoices and
    debit memos with a positive open amount past their due date, not disputed."""
    return (aging["DocType"].isin(DUNNED_TYPES) & (aging["OpenAmount"].astype("int64") > 0)
            & (aging["DaysPastDue"].astype("int64") > 0) & (aging["Disputed"] != "Yes"))


def _interest(items: pd.DataFrame, rate: Fraction, since: dt.date | None, on: dt.date) -> list[int]:
    out = []
    for due, cents in zip(items["DueDate"], items["OpenAmount"]):
        start = pd.Timestamp(due).date()
        if since is not None and since > start:
            start = since
        days = max(0, (on - start).days)
        out.append(round_half_up(Fraction(int(cents)) * rate * days / DAYS_A_YEAR))
    return out


def plan_letters(aging: pd.DataFrame, levels: list[Level], log: pd.DataFrame, on: dt.date,
                 interval_days: int) -> tuple[list[Letter], dict[str, int]]:
    """The letters due ``on`` the aging's date, by the rules of the module docstring, and how
    many customer-currencies were left out and why ("reminded recently", "credits cover it")."""
    skipped = {"reminded recently": 0, "credits cover it": 0}
    if not levels:
        return [], skipped
    stamp = pd.Timestamp(on)
    letters: list[Letter] = []
    amounts = aging["OpenAmount"].astype("int64")
    for (customer_id, currency), rows in aging.loc[aging["CustomerID"] != ""].groupby(
            ["CustomerID", "Currency"], sort=True):
        due = rows.loc[dunnable(rows)]
        reached = [level_of(int(days), levels) for days in due["DaysPastDue"]]
        if not any(reached):
            continue
        items = due.assign(Level=[level.number if level else 0 for level in reached])
        items = items.loc[items["Level"] > 0]
        level = levels[int(items["Level"].max()) - 1]
        sent = log.loc[(log["CustomerID"] == customer_id) & (log["Currency"] == currency)]
        age = (stamp - sent["LetterDate"]).dt.days
        if ((sent["LetterDate"] == stamp).any()
                or ((sent["Level"].astype("Int64") >= level.number).fillna(False) & (age < interval_days)).any()):
            skipped["reminded recently"] += 1
            continue
        credits = rows.loc[amounts.loc[rows.index] < 0]
        disputed = rows.loc[(rows["Disputed"] == "Yes") & (rows["DaysPastDue"].astype("int64") > 0)
                            & (amounts.loc[rows.index] > 0)]
        if int(items["OpenAmount"].astype("int64").sum()) + int(credits["OpenAmount"].astype("int64").sum()) <= 0:
            skipped["credits cover it"] += 1
            continue
        charged = sent.loc[(sent["Interest"].fillna(0).astype("int64") > 0) & (sent["LetterDate"] <= stamp),
                           "LetterDate"]
        since = charged.max().date() if len(charged) else None
        interest = _interest(items, level.interest_rate, since, on) if level.interest_rate else [0] * len(items)
        items = items.assign(Interest=interest)
        letters.append(Letter(str(customer_id), str(currency), on, level, items.reset_index(drop=True),
                              disputed.reset_index(drop=True), credits.reset_index(drop=True),
                              fee_in(level.fee, str(currency)),
                              sum(interest)))
    return letters, skipped
