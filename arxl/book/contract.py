"""WORKBOOK.md as data: every table, its columns, their kinds, and who owns them.

Kinds decide how a cell is read and written (``arxl.book.convert``):
  id        a key, read as trimmed text (numbers such as 100234 become "100234")
  text      text typed by the clerk
  external  text that arrived from outside (memos, payer names): always written as text
  money     an amount, exact to the cent (frames hold integer cents)
  date      a date cell or ISO text
  datetime  a timestamp written by arxl
  number    a plain number (confidence, credit of days...)
  integer   a whole number
  rate      a fraction such as a tax rate (0.08) or a percentage cell
Owners: ``clerk`` columns are never rewritten by arxl; ``arxl`` columns are rewritten each run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

CLERK, ARXL = "clerk", "arxl"
INPUT, OUTPUT, LEDGER = "input", "output", "ledger"


def header_key(name: object) -> str:
    """Headers match without regard to case, spaces and underscores."""
    return re.sub(r"[\s_]+", "", str(name or "")).lower()


@lru_cache(maxsize=None)
def _column_key(name: str) -> str:
    return header_key(name)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"
    owner: str = CLERK
    required: bool = False
    width: float = 14
    unique: bool = False

    @property
    def key(self) -> str:
        return _column_key(self.name)


@dataclass(frozen=True)
class TableSpec:
    name: str
    role: str  # INPUT, OUTPUT (rebuilt by arxl) or LEDGER (only grows)
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        key = header_key(name)
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    def has(self, name: str) -> bool:
        key = header_key(name)
        return any(c.key == key for c in self.columns)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]



def _c(name, kind="text", owner=CLERK, required=False, width=14, unique=False):
    return Column(name, kind, owner, required, width, unique)


def _a(name, kind="text", width=14):
    return Column(name, kind, ARXL, False, width)


# One row per customer: who pays, under which names and accounts, on which terms.
CUSTOMERS = TableSpec("Customers", INPUT, (
    _c("CustomerID", "id", required=True, width=12, unique=True),
    _c("Name", "text", required=True, width=34),
    _c("Aliases", "text", width=30),
    _c("ParentID", "id", width=12),
    _c("Terms", "text", width=14),
    _c("CreditLimit", "money", width=14),
    _c("Currency", "text", width=9),
    _c("BankAccounts", "text", width=30),
    _c("Email", "text", width=26),
    _c("Region", "text", width=12),
    _c("Salesperson", "text", width=16),
    _c("Status", "text", width=10),
))

# One row per invoice billed; arxl keeps the payment columns up to date.
INVOICES = TableSpec("Invoices", INPUT, (
    _c("InvoiceID", "id", required=True, width=14, unique=True),
    _c("CustomerID", "id", required=True, width=12),
    _c("InvoiceDate", "date", required=True, width=12),
    _c("Amount", "money", required=True, width=14),
    _c("DueDate", "date", width=12),
    _c("TaxAmount", "money", width=12),
    _c("FreightAmount", "money", width=12),
    _c("Currency", "text", width=9),
    _c("PONumber", "id", width=14),
    _c("Disputed", "text", width=10),
    _a("Paid", "money"),
    _a("Discounts", "money", 12),
    _a("WrittenOff", "money", 12),
    _a("Credited", "money", 12),
    _a("OpenBalance", "money"),
    _a("Status", "text", 14),
    _a("LastPaymentDate", "date", 14),
))

# One row per receipt as the bank, lockbox or mail delivered it.
PAYMENTS = TableSpec("Payments", INPUT, (
    _c("PaymentID", "id", width=12, unique=True),
    _c("ReceivedDate", "date", required=True, width=12),
    _c("PayerName", "external", required=True, width=28),
    _c("Amount", "money", required=True, width=14),
    _c("Currency", "text", width=9),
    _c("Method", "text", width=10),
    _c("CheckNumber", "id", width=12),
    _c("PayerAccount", "external", width=22),
    _c("Reference", "external", width=60),
    _c("CustomerID", "id", width=12),
    _c("ApplyTo", "text", width=24),
    _c("Action", "text", width=10),
    _a("MatchStatus", "text", 12),
    _a("MatchedCustomerID", "id", 12),
    _a("MatchedInvoices", "text", 30),
    _a("Confidence", "number", 11),
    _a("Unapplied", "money", 13),
))

# One row per credit or debit memo wanted.
MEMO_REQUESTS = TableSpec("MemoRequests", INPUT, (
    _c("RequestID", "id", required=True, width=12, unique=True),
    _c("CustomerID", "id", required=True, width=12),
    _c("Kind", "text", required=True, width=8),
    _c("Type", "text", required=True, width=10),
    _c("Reason", "external", width=34),
    _c("Amount", "money", width=12),
    _c("Quantity", "number", width=10),
    _c("UnitPrice", "money", width=12),
    _c("InvoiceID", "id", width=14),
    _c("TaxRate", "rate", width=9),
    _c("MemoDate", "date", width=12),
    _c("Currency", "text", width=9),
    _c("Approved", "text", width=10),
    _a("MemoID", "id", 12),
    _a("Status", "text", 30),
))

# How arxl works for this workbook.
SETTINGS = TableSpec("Settings", INPUT, (
    _c("Setting", "text", required=True, width=24),
    _c("Value", "text", width=22),
    _c("Explanation", "text", width=90),
))

# arxl's proposal for every payment not yet posted; type Approve or Reject in Decision.
MATCHES = TableSpec("Matches", OUTPUT, (
    _c("PaymentID", "id", width=12),
    _c("CustomerID", "id", width=12),
    _c("InvoiceID", "id", width=14),
    _c("ApplyAmount", "money", width=13),
    _c("Discount", "money", width=11),
    _c("WriteOff", "money", width=11),
    _c("ShortPay", "money", width=11),
    _c("Confidence", "number", width=11),
    _c("Decision", "text", width=11),
    _c("Evidence", "external", width=80),
))

# The posting ledger: only grows; a correction is a new reversing row.
APPLICATIONS = TableSpec("Applications", LEDGER, (
    _c("ApplicationID", "id", width=14),
    _c("PostedAt", "datetime", width=18),
    _c("PaymentID", "id", width=12),
    _c("InvoiceID", "id", width=14),
    _c("CustomerID", "id", width=12),
    _c("AppliedAmount", "money", width=14),
    _c("DiscountTaken", "money", width=13),
    _c("WriteOff", "money", width=11),
    _c("ShortPay", "money", width=11),
    _c("ReasonCode", "text", width=16),
    _c("Source", "text", width=10),
    _c("Confidence", "number", width=11),
))

# The memo ledger: only grows.
MEMOS = TableSpec("Memos", LEDGER, (
    _c("MemoID", "id", width=12),
    _c("MemoDate", "date", width=12),
    _c("RequestID", "id", width=12),
    _c("CustomerID", "id", width=12),
    _c("InvoiceID", "id", width=14),
    _c("Kind", "text", width=8),
    _c("Type", "text", width=10),
    _c("NetAmount", "money", width=13),
    _c("TaxAmount", "money", width=12),
    _c("TotalAmount", "money", width=13),
    _c("Currency", "text", width=9),
    _c("Reason", "external", width=34),
    _c("Document", "external", width=40),
))

# Pivot-ready open items as of AsOfDate: Insert > PivotTable.
AGING = TableSpec("Aging", OUTPUT, (
    _c("AsOfDate", "date", width=12),
    _c("CustomerID", "id", width=12),
    _c("CustomerName", "external", width=30),
    _c("ParentID", "id", width=12),
    _c("Region", "text", width=12),
    _c("Salesperson", "text", width=16),
    _c("Currency", "text", width=9),
    _c("DocType", "text", width=15),
    _c("DocID", "id", width=14),
    _c("DocDate", "date", width=12),
    _c("DueDate", "date", width=12),
    _c("DaysPastDue", "integer", width=12),
    _c("Bucket", "text", width=11),
    _c("BucketOrder", "integer", width=12),
    _c("OriginalAmount", "money", width=15),
    _c("OpenAmount", "money", width=14),
    _c("Disputed", "text", width=10),
    _c("CreditLimit", "money", width=13),
))

# Every problem the last run found, and what to do about it.
EXCEPTIONS = TableSpec("Exceptions", OUTPUT, (
    _c("RunAt", "datetime", width=18),
    _c("Command", "text", width=10),
    _c("Sheet", "text", width=14),
    _c("Row", "integer", width=7),
    _c("Column", "text", width=16),
    _c("Value", "external", width=24),
    _c("Problem", "external", width=50),
    _c("Hint", "external", width=60),
))

# AgingSummary is a report sheet (a grid, KPIs and a chart), not a plain table: see arxl.core.aging.

TABLES: dict[str, TableSpec] = {t.name: t for t in (
    CUSTOMERS, INVOICES, PAYMENTS, MEMO_REQUESTS, SETTINGS, MATCHES, APPLICATIONS, MEMOS, AGING,
    EXCEPTIONS)}

# The order sheets take in a new workbook.
SHEET_ORDER = ("Settings", "Customers", "Invoices", "Payments", "Matches", "Applications",
               "MemoRequests", "Memos", "Aging", "AgingSummary", "Exceptions")


def sheet_position(name: str, titles: list[str]) -> int:
    """Where a new sheet ``name`` goes among the workbook's sheet ``titles`` (0-based): before the
    first sheet that comes after it in ``SHEET_ORDER``, else at the end. Every store uses it, so
    a table arxl adds lands in the same place whatever door added it."""
    order = {n: i for i, n in enumerate(SHEET_ORDER)}
    mine = order.get(name, len(order))
    for i, title in enumerate(titles):
        if order.get(title, -1) > mine:
            return i
    return len(titles)
