"""Credit and debit memos from the clerk's MemoRequests rows.

Each ready request becomes one memo: numbered from the Settings prefix with no gap and no reuse
(the next number follows the highest already in the Memos ledger for that prefix, so a deleted
request never frees its number), dated, linked to its customer and invoice, with net, tax and
total exact to the cent. A request whose RequestID is already in the ledger is never made again.

Amounts and rounding (stated once, applied everywhere):
  net   = Amount, or Quantity x UnitPrice rounded half-up to the cent (both given: they must agree)
  tax   = net x rate rounded half-up to the cent, the rate being the request's TaxRate, else the
          invoice's own ratio TaxAmount / (Amount - TaxAmount) taken exactly, else zero;
          a Tax-type memo adjusts tax alone: its amount is the tax and its net is zero
  total = net + tax, exactly

Limits on a credit against an invoice (an AR clerk's rules):
  - hard: all credits on the invoice together cannot exceed what was billed on it (the invoice
    plus the debit memos that adjust it); their tax cannot exceed the tax billed (when the
    invoice records its TaxAmount); Freight credits cannot exceed the freight billed (a blank
    FreightAmount bills none). Such a request makes no memo.
  - a credit taxed at the invoice's own ratio never takes back more tax than the invoice has
    left: crediting an invoice in parts, the last part absorbs the rounding of the others.
  - soft: a credit beyond what is still open on the invoice is made, with a warning: the excess
    is a credit the customer holds (aging shows it as an open credit on the account).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

from arxl.contract import MEMO_REQUESTS, MemoKind, MemoStatus, MemoType, read_choice
from arxl.core.balances import resolve_currencies
from arxl.core.money import NotAnAmount, check_amount, format_amount
from arxl.core.problems import Problems
from arxl.core.settings import Settings

SHEET = MEMO_REQUESTS.name
CREDIT, DEBIT = MemoKind.CREDIT, MemoKind.DEBIT
TYPES = tuple(MemoType)
NUMBER_DIGITS = 6  # CM-000042

_KIND, _TYPE = MEMO_REQUESTS.column("Kind"), MEMO_REQUESTS.column("Type")

STATUS_MADE = MemoStatus.MADE
STATUS_AWAITING = MemoStatus.AWAITING
STATUS_NOT_MADE = MemoStatus.NOT_MADE


@dataclass(frozen=True)
class Memo:
    """One memo as made: what the ledger records, plus what its printed document shows."""

    memo_id: str
    memo_date: dt.date
    request_id: str
    request_row: int
    customer_id: str
    invoice_id: str  # "" for a memo on account
    kind: MemoKind
    type: MemoType
    quantity: Decimal | None  # None when the request gave an Amount
    unit_price: int | None  # cents
    net: int
    tax: int
    total: int
    tax_rate: Fraction | None  # the rate applied to net; None for a Tax-type memo
    currency: str
    reason: str
    beyond_open: int = 0  # the part of a credit that exceeds the invoice's open balance


@dataclass
class MemoRun:
    """What a run made, and the MemoID and Status every sound request row should now show."""

    memos: list[Memo] = field(default_factory=list)
    statuses: dict[int, tuple[str, str]] = field(default_factory=dict)  # row -> (MemoID, Status)


# --- plain-value rules (also what a UDF calls) ------------------------------------------------

def round_half_up(value: Fraction) -> int:
    """The nearest whole number of cents, halves away from zero."""
    magnitude = (abs(value.numerator) * 2 + value.denominator) // (2 * value.denominator)
    return magnitude if value >= 0 else -magnitude


def tax_on(net_cents: int, rate: Fraction | Decimal | str) -> int:
    """Tax on ``net_cents`` at ``rate`` (a fraction: 0.08 for 8%), rounded half-up to the cent."""
    return round_half_up(Fraction(net_cents) * Fraction(rate))


def invoice_tax_ratio(amount_cents: int, tax_cents: int) -> Fraction:
    """An invoice's own tax rate, exactly: its tax over its amount before tax (zero when the
    invoice shows no tax, or shows nothing but tax)."""
    base = amount_cents - tax_cents
    if tax_cents <= 0 or base <= 0:
        return Fraction(0)
    return Fraction(tax_cents, base)


def line_net(quantity: Decimal | float | str, unit_price_cents: int) -> int:
    """Quantity x unit price, rounded half-up to the cent."""
    return round_half_up(Fraction(Decimal(str(quantity))) * unit_price_cents)


def memo_number(prefix: str, number: int) -> str:
    return f"{prefix}{number:0{NUMBER_DIGITS}d}"


def highest_numbers(memo_ids: list[str], prefixes: set[str]) -> dict[str, int]:
    """The highest number already used under each prefix (0 for none)."""
    highest = dict.fromkeys(prefixes, 0)
    for memo_id in memo_ids:
        for prefix in prefixes:
            rest = memo_id[len(prefix):] if memo_id.startswith(prefix) else ""
            if rest.isdigit():
                highest[prefix] = max(highest[prefix], int(rest))
    return highest


# --- reading one request ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Draft:
    """A request that passed every check of its own row (caps come later, in order)."""

    row: int
    request_id: str
    customer_id: str
    invoice_id: str
    kind: MemoKind
    type: MemoType
    quantity: Decimal | None
    unit_price: int | None
    net: int
    tax: int
    tax_rate: Fraction | None
    tax_from_invoice: bool  # the rate is the invoice's own ratio
    currency: str
    reason: str
    memo_date: dt.date

    @property
    def total(self) -> int:
        return self.net + self.tax


def _cents(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)


def _quantity(value: Any) -> Decimal | None:
    if value is None or pd.isna(value):
        return None
    return Decimal(repr(float(value)))


def _date(value: Any) -> dt.date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def _read_request(row: int, r: Any, customers: Mapping[str, Any], invoices: Mapping[str, Any],
                  invoice_currency: Mapping[str, str], own_currency: str, today: dt.date,
                  problems: Problems) -> _Draft | None:
    """The request as a draft memo, or None after reporting every problem of its row.
    ``own_currency``: the request's Currency, else its customer's, else the base currency."""
    found = len(problems)

    def bad(column: str, value: object, problem: str, hint: str) -> None:
        problems.add(SHEET, row, column, value, problem, hint)

    # a Kind or Type arxl cannot read was reported when MemoRequests was read: no memo is made
    kind = MemoKind(k) if (k := read_choice(_KIND, r.Kind)) else None
    memo_type = MemoType(t) if (t := read_choice(_TYPE, r.Type)) else None

    customer = customers.get(r.CustomerID)
    if customer is None:
        bad("CustomerID", r.CustomerID, "unknown customer",
            "Use a CustomerID from the Customers table, or add the customer there first.")

    invoice = None
    if r.InvoiceID:
        invoice = invoices.get(r.InvoiceID)
        if invoice is None:
            bad("InvoiceID", r.InvoiceID, "unknown invoice",
                "Use an InvoiceID from the Invoices table (if that row is listed in Exceptions, "
                "fix it there), or leave InvoiceID blank for a memo on account.")
        elif customer is not None and invoice.CustomerID != r.CustomerID:
            bad("InvoiceID", r.InvoiceID,
                f"invoice {r.InvoiceID} belongs to customer {invoice.CustomerID}, not {r.CustomerID}",
                "Correct the CustomerID or the InvoiceID so that both name the same customer.")
    elif memo_type == "Tax" or (memo_type == "Freight" and kind == CREDIT):
        what = "tax" if memo_type == "Tax" else "freight"
        bad("InvoiceID", "", f"a {what} {(kind or 'memo').lower()} needs the invoice whose {what} it corrects",
            "Fill in InvoiceID.")

    currency = own_currency
    if invoice is not None:
        currency = invoice_currency[r.InvoiceID]
        if r.Currency and r.Currency.strip().upper() != currency:
            bad("Currency", r.Currency, f"currency {r.Currency.strip().upper()} is not the currency of "
                f"invoice {r.InvoiceID} ({currency})",
                "A memo is in its invoice's currency: correct the Currency or leave it blank.")

    amount, unit_price = _cents(r.Amount), _cents(r.UnitPrice)
    quantity = _quantity(r.Quantity)
    net = None
    if amount is not None and amount <= 0:
        bad("Amount", format_amount(amount, currency), "the amount is zero or negative",
            "Type the memo's amount as a positive number; Kind (Credit or Debit) gives its direction.")
    if quantity is not None and quantity <= 0:
        bad("Quantity", r.Quantity, "the quantity is zero or negative",
            "Type a positive quantity; Kind (Credit or Debit) gives the direction.")
    if unit_price is not None and unit_price <= 0:
        bad("UnitPrice", format_amount(unit_price, currency), "the unit price is zero or negative",
            "Type a positive unit price; Kind (Credit or Debit) gives the direction.")
    if (quantity is None) != (unit_price is None):
        missing = "UnitPrice" if unit_price is None else "Quantity"
        bad(missing, "", f"{missing} is blank while {'Quantity' if missing == 'UnitPrice' else 'UnitPrice'} is given",
            "Give both Quantity and UnitPrice, or neither and an Amount.")
    elif quantity is not None and unit_price is not None and quantity > 0 and unit_price > 0:
        net = line_net(quantity, unit_price)
        try:
            check_amount(net, currency)
        except NotAnAmount as exc:
            bad("Quantity", r.Quantity, f"Quantity x UnitPrice is {exc.problem}", exc.hint)
        else:
            if amount is not None and amount > 0 and amount != net:
                bad("Amount", format_amount(amount, currency),
                    f"Amount {format_amount(amount, currency)} disagrees with Quantity x UnitPrice "
                    f"({quantity.normalize():f} x {format_amount(unit_price, currency, code=False)} = "
                    f"{format_amount(net, currency, code=False)})",
                    "Correct one of them, or clear Amount and let arxl compute it.")
    if amount is None and quantity is None and unit_price is None:
        bad("Amount", "", "no amount", "Give an Amount (net of tax), or a Quantity and a UnitPrice.")
    elif net is None and amount is not None:
        net = amount

    if len(problems) > found or kind is None or memo_type is None or net is None:
        return None

    from_invoice = False
    if memo_type == "Tax":
        # A tax correction: the amount the clerk typed is the tax itself.
        tax, net, rate = net, 0, None
    else:
        if r.TaxRate is not None and not pd.isna(r.TaxRate):
            rate = Fraction(Decimal(r.TaxRate))
        elif invoice is not None and not pd.isna(invoice.TaxAmount):
            rate, from_invoice = invoice_tax_ratio(int(invoice.Amount), int(invoice.TaxAmount)), True
        else:
            rate = Fraction(0)
        tax = tax_on(net, rate)
    return _Draft(row, r.RequestID, r.CustomerID, r.InvoiceID if invoice is not None else "", kind,
                  memo_type, quantity, unit_price, net, tax, rate, from_invoice, currency, r.Reason,
                  _date(r.MemoDate) or today)


# --- what each invoice can still take ---------------------------------------------------------

@dataclass
class _InvoiceRoom:
    billed: int  # the invoice's amount plus the debit memos adjusting it
    billed_tax: int | None  # None: the invoice does not record its tax
    billed_freight: int
    open: int  # still open on the invoice
    credited: int = 0
    credited_tax: int = 0
    credited_freight: int = 0

    def take(self, kind: str, memo_type: str, net: int, tax: int) -> None:
        """Count a memo on this invoice in what was billed or credited (not in ``open``:
        the open balance comes from the books)."""
        freight = net if memo_type == "Freight" else 0
        if kind == DEBIT:
            self.billed += net + tax
            self.billed_tax = None if self.billed_tax is None else self.billed_tax + tax
            self.billed_freight += freight
        else:
            self.credited, self.credited_tax = self.credited + net + tax, self.credited_tax + tax
            self.credited_freight += freight


def _rooms(invoices: pd.DataFrame, ledger: pd.DataFrame, open_balances: Mapping[str, int]) -> dict[str, _InvoiceRoom]:
    rooms = {}
    for inv in invoices.itertuples():
        rooms[inv.InvoiceID] = _InvoiceRoom(
            billed=int(inv.Amount),
            billed_tax=None if pd.isna(inv.TaxAmount) else int(inv.TaxAmount),
            billed_freight=0 if pd.isna(inv.FreightAmount) else int(inv.FreightAmount),
            open=int(open_balances.get(inv.InvoiceID, inv.Amount)))
    for memo in ledger.itertuples():
        room = rooms.get(memo.InvoiceID)
        if room is None:
            continue
        kind = read_choice(_KIND, memo.Kind)
        net = _cents(memo.NetAmount) or 0
        tax = _cents(memo.TaxAmount) or 0
        if kind:
            room.take(MemoKind(kind), read_choice(_TYPE, memo.Type) or "", net, tax)
    return rooms


def _over_billed(draft: _Draft, room: _InvoiceRoom, problems: Problems) -> bool:
    """Report a credit that would take back more than was billed; True if it must not be made."""
    ccy = draft.currency
    checks = [("Amount", format_amount(draft.total, ccy), room.credited + draft.total, room.billed,
               f"the credits on invoice {draft.invoice_id} would come to "
               f"{format_amount(room.credited + draft.total, ccy)}, more than the "
               f"{format_amount(room.billed, ccy)} billed",
               "A credit cannot take back more than was billed. Check the amount; a refund beyond "
               "the invoice belongs on account (leave InvoiceID blank).")]
    if draft.tax and room.billed_tax is not None:
        checks.append(("Amount" if draft.type == "Tax" else "TaxRate",
                       format_amount(draft.tax, ccy), room.credited_tax + draft.tax, room.billed_tax,
                       f"the tax credited on invoice {draft.invoice_id} would come to "
                       f"{format_amount(room.credited_tax + draft.tax, ccy)}, more than the "
                       f"{format_amount(room.billed_tax, ccy)} of tax billed",
                       "Check the amount or the TaxRate against the invoice's TaxAmount."))
    if draft.type == "Freight":
        checks.append(("Amount", format_amount(draft.net, ccy), room.credited_freight + draft.net, room.billed_freight,
                       f"the freight credited on invoice {draft.invoice_id} would come to "
                       f"{format_amount(room.credited_freight + draft.net, ccy)}, more than the "
                       f"{format_amount(room.billed_freight, ccy)} of freight billed",
                       "A freight credit cannot exceed the invoice's FreightAmount (fill it in if "
                       "the invoice did bill freight); use Type Price or Other for anything else."))
    over = False
    for column, value, credited, billed, problem, hint in checks:
        if credited > billed:
            problems.add(SHEET, draft.row, column, value, problem, hint)
            over = True
    return over


# --- the run ----------------------------------------------------------------------------------

def make_memos(requests: pd.DataFrame, customers: pd.DataFrame, invoices: pd.DataFrame,
               ledger: pd.DataFrame, open_balances: Mapping[str, int], settings: Settings,
               today: dt.date) -> tuple[MemoRun, Problems]:
    """Memos for the ready rows of ``requests``, in sheet-row order.

    ``ledger`` is the Memos ledger as it stands; ``open_balances`` what is still open on each
    invoice counting that ledger (``arxl.core.balances``). Requests already in the ledger get
    their MemoID back and are not made again; unapproved ones (when approval is required) wait.
    """
    problems = Problems()
    run = MemoRun()
    made = {r.RequestID: r.MemoID for r in ledger.itertuples() if r.RequestID}
    prefixes = {CREDIT: settings.memo_prefix_credit, DEBIT: settings.memo_prefix_debit}
    last = highest_numbers([m for m in ledger["MemoID"] if m], set(prefixes.values()))
    customer_rows = {c.CustomerID: c for c in customers.itertuples()}
    invoice_rows = {i.InvoiceID: i for i in invoices.itertuples()}
    invoice_currency = dict(zip(invoices["InvoiceID"], resolve_currencies(
        invoices["Currency"], invoices["CustomerID"], customers, settings.base_currency)))
    own_currency = resolve_currencies(requests["Currency"], requests["CustomerID"], customers,
                                      settings.base_currency)
    rooms = _rooms(invoices, ledger, open_balances)

    for row, r in zip(requests.index, requests.itertuples(index=False)):
        row = int(row)
        if r.RequestID in made:
            run.statuses[row] = (made[r.RequestID], STATUS_MADE)
            continue
        draft = _read_request(row, r, customer_rows, invoice_rows, invoice_currency,
                              own_currency[row], today, problems)
        if draft is None:
            run.statuses[row] = ("", STATUS_NOT_MADE)
            continue
        room = rooms.get(draft.invoice_id) if draft.kind == CREDIT else None
        if room is not None and draft.tax_from_invoice and room.billed_tax is not None:
            tax_left = max(0, room.billed_tax - room.credited_tax)
            draft = replace(draft, tax=min(draft.tax, tax_left))
        if room is not None and _over_billed(draft, room, problems):
            run.statuses[row] = ("", STATUS_NOT_MADE)
            continue
        if settings.memo_approval_required and read_choice(MEMO_REQUESTS.column("Approved"), r.Approved) != "Yes":
            run.statuses[row] = ("", STATUS_AWAITING)
            continue

        beyond_open = max(0, draft.total - max(room.open, 0)) if room is not None else 0
        if draft.invoice_id in rooms:
            rooms[draft.invoice_id].take(draft.kind, draft.type, draft.net, draft.tax)
        if room is not None:
            room.open -= draft.total
        prefix = prefixes[draft.kind]
        last[prefix] += 1
        memo = Memo(memo_number(prefix, last[prefix]), draft.memo_date, draft.request_id, row,
                    draft.customer_id, draft.invoice_id, draft.kind, draft.type, draft.quantity,
                    draft.unit_price, draft.net, draft.tax, draft.total, draft.tax_rate,
                    draft.currency, draft.reason, beyond_open)
        run.memos.append(memo)
        status: str = STATUS_MADE
        if beyond_open:
            excess = format_amount(beyond_open, memo.currency)
            status = f"Made; {excess} is left as a credit on account"
            problems.add(SHEET, row, "Amount", format_amount(memo.total, memo.currency),
                         f"credit memo {memo.memo_id} exceeds what was open on invoice "
                         f"{memo.invoice_id} by {excess}: the customer now holds that credit",
                         "Nothing to fix if the credit is owed: apply it to another invoice or "
                         "refund it. Aging shows it as an open credit on the account.")
        run.statuses[row] = (memo.memo_id, status)
    return run, problems
