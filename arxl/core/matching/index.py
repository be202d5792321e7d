"""The open items the matcher reads: invoices and customers as arrays, indexed once per batch."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

import numpy as np
import pandas as pd

from arxl.core.matching.ids import ReferenceIndex
from arxl.core.matching.learning import History
from arxl.core.matching.model import Scheme
from arxl.core.matching.payers import PayerIndex
from arxl.core.money import percent_of_each
from arxl.core.problems import Problems
from arxl.core.settings import Settings
from arxl.core.terms import Terms, UnknownTerms, parse_terms
from arxl.forking import begin, fork_workers

_NONE = np.zeros(0, dtype=np.int64)
INDEX_ASIDE_FROM = 20_000  # invoices: from this many, the other reference columns are indexed in a child
DISCOUNT_GRACE_DAYS = 5  # mail and bank float: a discount taken a few days late is still earned


@dataclass
class OpenItems:
    """Invoices (by position in the Invoices frame) and customers (by position in the Customers
    frame) as the matcher reads them. ``balance`` is each invoice's open balance before the
    batch; the batch keeps its own copy of what is still open as payments take from it."""

    invoice_ids: list[str]
    invoice_customer: np.ndarray  # customer position, -1 unknown
    invoice_currency: np.ndarray
    invoice_date: np.ndarray  # datetime64[D]
    balance: np.ndarray  # int64 cents
    disputed: frozenset[int]  # the Disputed invoices
    customer_ids: list[str]
    customer_names: list[str]
    customer_currency: list[str]
    terms: list[Terms]
    payers: PayerIndex
    references: list[tuple[ReferenceIndex, np.ndarray]]  # InvoiceID's first; index positions -> invoices
    reference_rows: list[np.ndarray]  # per reference column: invoice -> index position (-1: none)
    # (customer, currency) -> the invoices open before the batch, oldest first: a payment's
    # customer and currency pick them out without comparing every invoice's currency text
    open_by_customer: dict[tuple[int, str], np.ndarray]
    by_balance: tuple[np.ndarray, np.ndarray]  # open invoices by open balance, and those balances
    discount: np.ndarray  # the early-payment discount on the open balance, cents
    discount_until: np.ndarray  # the last day it may be taken (datetime64[D]; NaT for none)
    settings: Settings
    scheme: Scheme  # the fields and levels candidates are compared on
    applied: dict[int, list[tuple[int, str]]]  # invoice -> [(cents applied before, PaymentID)]
    # discount_until as day numbers (date.toordinal; 0 for none) and discount, as lists: read
    # a few at a time, faster than from arrays
    discount_days: tuple[list[int], list[int]]
    invoice_day: list[int]  # invoice_date as a day number (date.toordinal; 0 for none)

    def who(self, customer: int) -> str:
        """A customer as the Evidence names it: CustomerID and Name."""
        return f"{self.customer_ids[customer]} {self.customer_names[customer]}"

    def discounts(self, invoices: Sequence[int] | np.ndarray, received: dt.date) -> list[int]:
        """The early-payment discount each invoice's terms allow on a payment received on
        ``received`` (a few days' grace for mail and bank float)."""
        paid_on = (received - dt.timedelta(days=DISCOUNT_GRACE_DAYS)).toordinal()
        until, discount = self.discount_days
        listed = invoices.tolist() if isinstance(invoices, np.ndarray) else invoices
        return [discount[i] if until[i] >= paid_on else 0 for i in listed]

    def discount_rate(self, customer: int) -> Decimal:
        """The early-payment discount rate of the customer's terms (0 for nobody known)."""
        return self.terms[customer].discount_rate if customer >= 0 else Decimal(0)

    def owing(self, cents: int) -> list[int]:
        """The invoices whose open balance before the batch is exactly ``cents``."""
        invoices, balances = self.by_balance
        owing: list[int] = invoices[np.searchsorted(balances, cents):np.searchsorted(balances, cents, "right")].tolist()
        return owing

    def open_of(self, customer: int, currency: str, open_now: np.ndarray, besides: Sequence[int] = ()) -> np.ndarray:
        """The customer's invoices still open (by ``open_now``) in the currency, oldest first;
        but for those ``besides``."""
        pool = self.open_by_customer.get((customer, currency), _NONE)
        keep = open_now[pool] > 0
        for invoice in besides:  # a few (those a remittance names): faster than np.isin
            keep &= pool != invoice
        still_open: np.ndarray = pool[keep]
        return still_open


def read_open_items(invoices: pd.DataFrame, customers: pd.DataFrame, settings: Settings,
                    open_balance: pd.Series, disputed: pd.Series | None = None,
                    history: History | None = None) -> tuple[OpenItems, Problems]:
    """Everything the matcher reads, indexed once per batch: the learned reference grammar of
    InvoiceID, PONumber and the MatchColumns, the payer index, each customer's open invoices
    oldest first, and each invoice's early-payment discount. Problems: customers' unreadable
    Terms (the default terms are used)."""
    problems = Problems()
    others = []  # PONumber and the MatchColumns: (column, its values written, their positions)
    for column in ("PONumber", *settings.match_columns):
        if column in invoices and column != "InvoiceID":
            values = invoices[column].astype(str).str.strip()
            keep = np.nonzero((values != "").to_numpy())[0]
            if len(keep):
                others.append((column, values.iloc[keep].tolist(), keep))
    # On a large ledger, their indexes are made in a forked child (where that is allowed) while
    # this process makes InvoiceID's, the payers' and the rest (about as long as the child).
    making = partial(_reference_indexes, [(column, values) for column, values, _ in others])
    aside = begin(making) if others and len(invoices) >= INDEX_ASIDE_FROM and fork_workers(2) > 1 else None
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
    balance = open_balance.fillna(0).astype("int64").to_numpy().copy()
    dates = invoices["InvoiceDate"].to_numpy(dtype="datetime64[D]")
    ids = invoices["InvoiceID"].tolist()
    first = ReferenceIndex("InvoiceID", ids)
    reference_positions = [np.arange(len(ids)), *(keep for _, _, keep in others)]
    reference_rows = []
    for positions in reference_positions:
        rows = np.full(len(ids), -1, dtype=np.int64)
        rows[positions] = np.arange(len(positions))
        reference_rows.append(rows)
    where = {inv: k for k, inv in enumerate(ids)}
    applied = {where[inv]: paid for inv, paid in (history.applied if history else {}).items() if inv in where}
    is_open = np.nonzero(balance > 0)[0]
    currency_code = pd.factorize(currency)[0]
    order = is_open[np.lexsort((is_open, dates[is_open], currency_code[is_open], cust[is_open]))]
    starts = np.flatnonzero((np.diff(cust[order]) != 0) | (np.diff(currency_code[order]) != 0)) + 1
    groups = np.split(order, starts) if len(order) else []
    by_customer = {(int(cust[g[0]]), currency[g[0]]): g for g in groups if cust[g[0]] >= 0}
    dispute = frozenset(np.flatnonzero(disputed.to_numpy(dtype=bool)).tolist() if disputed is not None else ())
    by_balance = is_open[np.argsort(balance[is_open], kind="stable")]
    discount = np.zeros(len(ids), dtype=np.int64)
    until = np.full(len(ids), np.datetime64("NaT", "D"), dtype="datetime64[D]")
    # the open, dated invoices of each terms allowing a discount (an unknown customer's: the default)
    allowing = list(dict.fromkeys(t for t in (*terms, default) if t.discount_rate > 0))
    which = {t: k for k, t in enumerate(allowing)}
    invoice_terms = np.array([which.get(t, -1) for t in (*terms, default)], dtype=np.int64)[cust]
    for k, t in enumerate(allowing):
        at = np.flatnonzero((invoice_terms == k) & (balance > 0) & ~np.isnat(dates))
        discount[at] = percent_of_each(balance[at], t.discount_rate)
        days, each = np.unique(dates[at], return_inverse=True)  # a few hundred days at most
        until[at] = np.array([t.discount_deadline(day) for day in days.astype(object)], dtype="datetime64[D]")[each]
    scheme = Scheme(["InvoiceID", *(column for column, _, _ in others)])
    made = aside.result() if aside is not None else None  # None: the child could not (it is done here)
    references = list(zip([first, *(made if made is not None else making())], reference_positions))
    return OpenItems(ids, cust, currency, dates, balance, dispute, customers["CustomerID"].tolist(),
                     customers["Name"].tolist(), customer_currency, terms, payers, references, reference_rows,
                     by_customer, (by_balance, balance[by_balance]), discount, until, settings, scheme,
                     applied, (_day_numbers(until), discount.tolist()), _day_numbers(dates)), problems


def _reference_indexes(columns: list[tuple[str, list[str]]]) -> list[ReferenceIndex]:
    return [ReferenceIndex(column, values) for column, values in columns]


def _day_numbers(days: np.ndarray) -> list[int]:
    """datetime64[D] values as date.toordinal() gives them (0 for NaT)."""
    numbers: list[int] = np.where(np.isnat(days), 0, days.astype(np.int64) + dt.date(1970, 1, 1).toordinal()).tolist()
    return numbers
