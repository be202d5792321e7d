"""Payment terms: the due date they give an invoice and the early-payment discount they allow.

Understood spellings (case and spacing free): ``Net 30``, ``N30``, ``30 days``, ``2/10 Net 30``,
``2% 10 Net 30``, ``1/15 N45``, ``Due on receipt`` / ``COD`` / ``CIA`` / ``Immediate``,
``EOM`` (end of the invoice month), ``Net 30 EOM`` (30 days after that month's end),
``10th Prox`` / ``10 Prox`` (the 10th of the following month).
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from arxl.core.money import percent_of


class UnknownTerms(ValueError):
    """Terms text that does not say when an invoice is due."""


@dataclass(frozen=True)
class Terms:
    net_days: int = 30
    discount_rate: Decimal = Decimal(0)  # a fraction: 0.02 for 2%
    discount_days: int = 0
    end_of_month: bool = False  # count net_days from the end of the invoice month
    proximo_day: int | None = None  # due on this day of the following month

    def due_date(self, invoice_date: dt.date) -> dt.date:
        if self.proximo_day is not None:
            year, month = (invoice_date.year + (invoice_date.month == 12),
                           invoice_date.month % 12 + 1)
            day = min(self.proximo_day, calendar.monthrange(year, month)[1])
            return dt.date(year, month, day)
        start = invoice_date
        if self.end_of_month:
            start = invoice_date.replace(day=calendar.monthrange(invoice_date.year, invoice_date.month)[1])
        return start + dt.timedelta(days=self.net_days)

    def discount_deadline(self, invoice_date: dt.date) -> dt.date | None:
        if not self.discount_rate:
            return None
        return invoice_date + dt.timedelta(days=self.discount_days)

    def discount_on(self, gross_cents: int, invoice_date: dt.date, paid_on: dt.date) -> int:
        """The discount, in cents, a payment made on ``paid_on`` may take (0 once it lapsed)."""
        deadline = self.discount_deadline(invoice_date)
        if deadline is None or paid_on > deadline:
            return 0
        return percent_of(gross_cents, self.discount_rate)


_IMMEDIATE = re.compile(r"^(due\s*(up)?on\s*receipt|on\s*receipt|receipt|cod|cia|cash|immediate(ly)?|net\s*0)$")
_DISCOUNT = re.compile(r"^(?P<rate>\d+(?:\.\d+)?)\s*%?\s*(?:/|\s)\s*(?P<days>\d+)\s*(?:days?)?[\s,]*(?P<rest>.*)$")
_NET = re.compile(r"^(?:net|n)?\s*(?P<days>\d+)\s*(?:days?)?\s*(?P<eom>eom|end\s*of\s*month)?$")
_EOM = re.compile(r"^(?:net\s*)?(?:eom|end\s*of\s*month)$")
_PROX = re.compile(r"^(?:net\s*)?(?P<day>\d+)(?:st|nd|rd|th)?\s*(?:prox|proximo)$")


MAX_DAYS = 3650  # net or discount days beyond ten years are a typing error, not terms


@lru_cache(maxsize=512)
def parse_terms(text: str) -> Terms:
    """Terms from their usual spellings; raises UnknownTerms for anything else (days beyond
    ``MAX_DAYS`` too: "Net 300000" would put the due date past any calendar)."""
    terms = _parsed(text)
    if max(terms.net_days, terms.discount_days) > MAX_DAYS:
        raise UnknownTerms(f"terms {str(text).strip()!r} give more than {MAX_DAYS} days")
    return terms


def _parsed(text: str) -> Terms:
    raw = str(text or "").strip()
    t = re.sub(r"\s+", " ", raw.lower()).strip()
    if not t:
        raise UnknownTerms("no terms given")
    if _IMMEDIATE.match(t):
        return Terms(net_days=0)
    rate, days = Decimal(0), 0
    m = _DISCOUNT.match(t)
    if m and m.group("rest"):
        rate, days, t = Decimal(m.group("rate")) / 100, int(m.group("days")), m.group("rest").strip()
        if rate >= 1:
            raise UnknownTerms(f"a discount of {m.group('rate')}% is not a discount: {raw!r}")
    if _EOM.match(t):
        return Terms(net_days=0, discount_rate=rate, discount_days=days, end_of_month=True)
    if m := _PROX.match(t):
        return Terms(net_days=0, discount_rate=rate, discount_days=days, proximo_day=int(m.group("day")))
    if m := _NET.match(t):
        return Terms(net_days=int(m.group("days")), discount_rate=rate, discount_days=days,
                     end_of_month=bool(m.group("eom")))
    raise UnknownTerms(f"terms {raw!r} not understood")
