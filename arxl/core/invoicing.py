"""Invoices from the clerk's InvoiceRequests rows.

Each request row is one invoice line; rows sharing an InvoiceKey make one invoice (a blank key:
an invoice of its own). A ready group becomes one invoice:

Numbering: Settings InvoicePrefix followed by the next number after the highest in use under
that prefix, counting every InvoiceID of the Invoices table and the InvoiceLines ledger (rows a
run could not read included), zero-padded like the widest number in use (else 6 digits). Numbers
are given in sheet-row order to the groups that are made, so a run leaves no gap, and a number
once in the ledger is never given again, even if its Invoices row is deleted.

Amounts (stated once, applied everywhere):
  line net     = Quantity (blank: 1) x UnitPrice, rounded half-up to the minor unit
  line tax     = net x the rate of the line's TaxCode (TaxRates); a blank TaxCode is not taxed,
                 and nothing is taxed for a customer marked TaxExempt (with its TaxCertificate)
  rounding     Settings TaxRounding Line: each line's tax is rounded half-up to the minor unit and
               the invoice's tax is their sum. Invoice: the tax of each TaxCode is rounded once, on the
               sum of its lines' net; each line then shows its share (largest remainders), so the
               lines still add up to the invoice
  freight      the sum of the lines' Freight, not taxed (bill taxable freight as a line with its
               TaxCode)
  Amount       = net + tax + freight, exactly; it must be above zero (a credit is a credit memo)

Due date: from the customer's Terms, else Settings DefaultTerms, counted from the InvoiceDate
(blank: the run's date). A customer on Hold (or whose Status cannot be read) gets no new invoice:
the rows show "Customer on hold" and Exceptions says why. A request whose RequestID is in the
InvoiceLines ledger is never invoiced again; a new row with the InvoiceKey of an invoice already
made is refused (it would change a sent invoice). Lines of one invoice must agree on CustomerID,
and on Currency, InvoiceDate and PONumber where they give one.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

from arxl.contract import (
    CUSTOMERS,
    INVOICE_REQUESTS,
    TAX_RATES,
    CustomerStatus,
    InvoiceRequestStatus,
    read_choice,
)
from arxl.core.aging import due_on_terms
from arxl.core.balances import resolve_currencies
from arxl.core.memos import line_net, round_half_up, tax_on
from arxl.core.money import format_amount
from arxl.core.numbering import next_ids
from arxl.core.problems import Problems
from arxl.core.settings import Settings

SHEET = INVOICE_REQUESTS.name
NUMBER_DIGITS = 6
PER_LINE, PER_INVOICE = "Line", "Invoice"


@dataclass(frozen=True)
class InvoiceLine:
    line: int  # 1, 2, ... within the invoice
    request_id: str
    row: int  # the request's sheet row
    description: str
    quantity: Decimal
    unit_price: int
    net: int
    tax_code: str
    tax_rate: Fraction
    tax: int
    freight: int


@dataclass(frozen=True)
class TaxLine:
    """The tax of one TaxCode on one invoice: the net it is charged on, and the tax."""

    code: str
    description: str
    rate: Fraction
    base: int
    tax: int


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    customer_id: str
    invoice_date: dt.date
    due_date: dt.date
    terms: str
    currency: str
    po_number: str
    lines: tuple[InvoiceLine, ...]
    rounding: str  # PER_LINE or PER_INVOICE
    exempt_certificate: str = ""  # the customer's TaxCertificate when it is tax exempt
    tax_descriptions: Mapping[str, str] = field(default_factory=dict)

    @property
    def net(self) -> int:
        return sum(line.net for line in self.lines)

    @property
    def tax(self) -> int:
        return sum(line.tax for line in self.lines)

    @property
    def freight(self) -> int:
        return sum(line.freight for line in self.lines)

    @property
    def total(self) -> int:
        return self.net + self.tax + self.freight

    @property
    def taxes(self) -> list[TaxLine]:
        """The tax of each TaxCode charged, in the order the lines first name them."""
        out: dict[str, TaxLine] = {}
        for line in self.lines:
            if not line.tax_code or not line.tax_rate:
                continue
            known = out.get(line.tax_code)
            base, tax = (known.base, known.tax) if known else (0, 0)
            out[line.tax_code] = TaxLine(line.tax_code, self.tax_descriptions.get(line.tax_code, ""), line.tax_rate,
                                         base + line.net, tax + line.tax)
        return list(out.values())


@dataclass
class InvoiceRun:
    """The invoices a run made, and the InvoiceID and Status every sound request row should show."""

    invoices: list[Invoice] = field(default_factory=list)
    statuses: dict[int, tuple[str, str]] = field(default_factory=dict)  # row -> (InvoiceID, Status)


# --- plain-value rules ------------------------------------------------------------------------

def line_taxes(nets: list[int], rates: list[Fraction], rounding: str) -> list[int]:
    """The tax of each line. ``PER_LINE``: each line's net x rate rounded half-up. ``PER_INVOICE``:
    for each rate, the sum of its lines' net x rate rounded half-up once, shared among those
    lines by largest remainders (ties to the earlier line) so that they add up to it."""
    if rounding == PER_LINE:
        return [tax_on(net, rate) for net, rate in zip(nets, rates)]
    taxes = [0] * len(nets)
    for rate in dict.fromkeys(rates):
        members = [i for i, r in enumerate(rates) if r == rate]
        exact = [Fraction(nets[i]) * rate for i in members]
        total = round_half_up(sum(exact, Fraction(0)))
        shares = [math.floor(x) for x in exact]
        # total - sum(floors) lies in [0, len(members)]: the lines with the largest remainders get a minor unit each
        by_remainder = sorted(range(len(members)), key=lambda k: (-(exact[k] - shares[k]), k))
        for k in by_remainder[:total - sum(shares)]:
            shares[k] += 1
        for k, i in enumerate(members):
            taxes[i] = shares[k]
    return taxes


def next_invoice_ids(in_use: Iterable[str], prefix: str, count: int) -> list[str]:
    """``count`` invoice numbers after the highest under ``prefix`` in ``in_use``."""
    return next_ids(in_use, count, prefix, NUMBER_DIGITS)


# --- the run ----------------------------------------------------------------------------------

def _tax_table(tax_rates: pd.DataFrame, problems: Problems) -> dict[str, tuple[Fraction, str]]:
    """TaxCode (any case) -> (rate, description). Codes that differ only in case are reported and
    left out: a line naming one is not made."""
    table: dict[str, tuple[Fraction, str]] = {}
    seen: dict[str, int] = {}
    clash: set[str] = set()
    for row, r in zip(tax_rates.index, tax_rates.itertuples(index=False)):
        key = r.TaxCode.upper()
        if key in seen:
            problems.add(TAX_RATES.name, int(row), "TaxCode", r.TaxCode,
                         f"TaxCode {r.TaxCode} is also on row {seen[key]} (codes are read in any case)",
                         "Give each rate its own TaxCode; lines naming it are not invoiced until then.")
            clash.add(key)
            continue
        seen[key] = int(row)
        table[key] = (Fraction(Decimal(r.Rate)), r.Description)
    return {k: v for k, v in table.items() if k not in clash}


def _quantity(value: Any) -> Decimal | None:
    return None if value is None or pd.isna(value) else Decimal(repr(float(value)))


def _date(value: Any) -> dt.date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def _same(values: list[tuple[int, str]], column: str, what: str, problems: Problems) -> str | None:
    """The one value the given (row, value) pairs agree on ("" for none given), or None after
    reporting each row that differs from the first."""
    given = [(row, v) for row, v in values if v != ""]
    if not given:
        return ""
    first_row, first = given[0]
    differ = [(row, v) for row, v in given if v != first]
    for row, v in differ:
        problems.add(SHEET, row, column, v, f"the lines of one invoice name different {what}s ({first} on row "
                     f"{first_row}, {v} here)",
                     f"Give every line of the InvoiceKey the same {column}, or another InvoiceKey.")
    return None if differ else first


def make_invoices(requests: pd.DataFrame, customers: pd.DataFrame, tax_rates: pd.DataFrame,
                  lines_ledger: pd.DataFrame, ids_in_use: Iterable[str], settings: Settings,
                  today: dt.date) -> tuple[InvoiceRun, Problems]:
    """Invoices for the ready groups of ``requests`` (see the module docstring), numbered after
    ``ids_in_use`` (every InvoiceID of Invoices and InvoiceLines)."""
    problems = Problems()
    run = InvoiceRun()
    taxes = _tax_table(tax_rates, problems)
    customer_rows = {c.CustomerID: c for c in customers.itertuples() if c.CustomerID}
    made = {r.RequestID: r.InvoiceID for r in lines_ledger.itertuples() if r.RequestID}
    keys_made = {r.InvoiceKey: made[r.RequestID] for r in requests.itertuples()
                 if r.RequestID in made and r.InvoiceKey}
    currencies = resolve_currencies(requests["Currency"], requests["CustomerID"], customers, settings.base_currency)
    status_column, exempt_column = CUSTOMERS.column("Status"), CUSTOMERS.column("TaxExempt")

    groups: dict[str, list[int]] = {}
    for row, r in zip(requests.index, requests.itertuples(index=False)):
        row = int(row)
        if r.RequestID in made:
            run.statuses[row] = (made[r.RequestID], InvoiceRequestStatus.MADE)
            continue
        groups.setdefault(r.InvoiceKey or f"\0{r.RequestID}", []).append(row)

    pending: list[Invoice] = []
    for key, rows in groups.items():
        found = len(problems)
        reqs = {row: requests.loc[row] for row in rows}
        if key in keys_made:
            for row in rows:
                problems.add(SHEET, row, "InvoiceKey", key,
                             f"invoice {keys_made[key]} was made for InvoiceKey {key} already",
                             "A line added later cannot change an invoice already made: give it another "
                             "InvoiceKey (a new invoice), or bill it by a debit memo.")
            run.statuses.update({row: ("", InvoiceRequestStatus.NOT_MADE) for row in rows})
            continue
        quantities: dict[int, Decimal] = {}
        for row, r in reqs.items():
            if r.CustomerID not in customer_rows:
                problems.add(SHEET, row, "CustomerID", r.CustomerID, "unknown customer",
                             "Use a CustomerID from the Customers table, or add the customer there first.")
            quantity = _quantity(r.Quantity)
            if quantity is not None and quantity <= 0:
                problems.add(SHEET, row, "Quantity", r.Quantity, "the quantity is zero or negative",
                             "Type a positive quantity (blank means 1); a credit is a credit memo.")
            quantities[row] = quantity if quantity is not None else Decimal(1)
            if r.TaxCode and r.TaxCode.upper() not in taxes:
                problems.add(SHEET, row, "TaxCode", r.TaxCode, f"TaxCode {r.TaxCode} is not in TaxRates",
                             "Add the code with its Rate to the TaxRates table, or correct it; blank: not taxed.")
            if not pd.isna(r.Freight) and int(r.Freight) < 0:
                problems.add(SHEET, row, "Freight", format_amount(int(r.Freight), currencies[row]),
                             "the freight is negative",
                             "Type the freight billed as a positive amount, or leave it blank.")
        customer_id = _same([(row, r.CustomerID) for row, r in reqs.items()], "CustomerID", "customer", problems)
        currency = _same([(row, currencies[row]) for row in rows], "Currency", "currency", problems)
        dates = _same([(row, d.isoformat() if (d := _date(r.InvoiceDate)) else "") for row, r in reqs.items()],
                      "InvoiceDate", "invoice date", problems)
        po_number = _same([(row, r.PONumber) for row, r in reqs.items()], "PONumber", "PO number", problems)
        if len(problems) > found or customer_id is None or currency is None or dates is None or po_number is None:
            run.statuses.update({row: ("", InvoiceRequestStatus.NOT_MADE) for row in rows})
            continue

        customer = customer_rows[customer_id]
        standing = read_choice(status_column, customer.Status)
        if standing not in ("", CustomerStatus.ACTIVE):
            why = ("is on Hold" if standing == CustomerStatus.HOLD
                   else f"has a Status arxl cannot read ({customer.Status})")
            where = f"row {rows[0]}" if len(rows) == 1 else f"rows {', '.join(map(str, rows))}"
            problems.add(SHEET, rows[0], "CustomerID", customer_id,
                         f"customer {customer_id} {why}: no new invoice is made ({where})",
                         "Invoice the customer once the hold is lifted (Customers.Status Active or blank); "
                         "run Make invoices again then.")
            run.statuses.update({row: ("", InvoiceRequestStatus.HOLD) for row in rows})
            continue
        exempt = read_choice(exempt_column, customer.TaxExempt)
        certificate = customer.TaxCertificate.strip()
        if exempt is None or (exempt == "Yes" and not certificate):
            problem = (f"customer {customer_id} is marked tax exempt without a TaxCertificate" if exempt == "Yes"
                       else f"customer {customer_id}'s TaxExempt ({customer.TaxExempt}) is neither Yes nor No")
            problems.add(SHEET, rows[0], "CustomerID", customer_id, problem,
                         "Fill in Customers.TaxExempt (Yes or No) and, for Yes, the exemption certificate's "
                         "reference in TaxCertificate; no invoice is made until then.")
            run.statuses.update({row: ("", InvoiceRequestStatus.NOT_MADE) for row in rows})
            continue

        invoice_date = dt.date.fromisoformat(dates) if dates else today
        nets = [line_net(quantities[row], int(reqs[row].UnitPrice)) for row in rows]
        codes = [reqs[row].TaxCode.upper() for row in rows]
        rates = [Fraction(0) if exempt == "Yes" or not code else taxes[code][0] for code in codes]
        line_tax = line_taxes(nets, rates, settings.tax_rounding)
        lines = tuple(InvoiceLine(n + 1, reqs[row].RequestID, row, reqs[row].Description, quantities[row],
                                  int(reqs[row].UnitPrice), nets[n], codes[n], rates[n], line_tax[n],
                                  0 if pd.isna(reqs[row].Freight) else int(reqs[row].Freight))
                      for n, row in enumerate(rows))
        terms = customer.Terms.strip() or settings.default_terms
        due = due_on_terms(invoice_date, customer.Terms, settings.default_terms)
        invoice = Invoice("", customer_id, invoice_date, due, terms, currency, po_number, lines, settings.tax_rounding,
                          certificate if exempt == "Yes" else "", {code: taxes[code][1] for code in codes if code})
        if invoice.total <= 0:
            problems.add(SHEET, rows[0], "UnitPrice", format_amount(invoice.total, currency),
                         f"the invoice would come to {format_amount(invoice.total, currency)}: an invoice asks "
                         f"for more than zero",
                         "Check the quantities and prices; a credit to the customer is a credit memo (MemoRequests).")
            run.statuses.update({row: ("", InvoiceRequestStatus.NOT_MADE) for row in rows})
            continue
        pending.append(invoice)

    numbers = next_invoice_ids(ids_in_use, settings.invoice_prefix, len(pending))
    for number, invoice in zip(numbers, pending):
        made_invoice = replace(invoice, invoice_id=number)
        run.invoices.append(made_invoice)
        run.statuses.update({line.row: (number, InvoiceRequestStatus.MADE) for line in made_invoice.lines})
    return run, problems

