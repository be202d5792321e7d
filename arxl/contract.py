"""The master workbook's contract as data: every table, column, status and mark of
``docs/WORKBOOK.md``, named once. This module imports nothing of arxl; every other module spells
a table, a column list or a status through it. ``tests/test_contract.py`` keeps it and
``docs/WORKBOOK.md`` in step.

Column kinds decide how a cell is read and written (``arxl.book.convert``) and which dtype a
column has in a typed frame (``arxl.core.frames``):
  id        a key, read as trimmed text (numbers such as 100234 become "100234")
  text      text typed by the clerk
  external  text that arrived from outside (memos, payer names): always written as text
  money     an amount, exact to its currency's minor unit (frames hold integers in the minor
            unit of each row's own currency: cents for USD, fils for KWD, yen for JPY; each
            table's ``currency`` says where a row's currency comes from)
  date      a date cell or ISO text
  datetime  a timestamp written by arxl
  number    a plain number (confidence, credit of days...)
  integer   a whole number
  rate      a fraction such as a tax rate (0.08) or a percentage cell
Owners: ``clerk`` columns are never rewritten by arxl; ``arxl`` columns are rewritten each run.
Roles: ``input`` tables are the clerk's, ``output`` tables are rebuilt by arxl, ``ledger`` tables
only grow. Every ledger ends with the chain columns (``CHAIN_COLUMNS``: who posted the row, its
place in the chain, and a hash over its contents and the previous row's hash; see
``arxl.core.chain``): ``TableSpec`` adds them to any table whose role is ledger, so a ledger added
later is chained too.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TypeVar


class Kind(StrEnum):
    ID = "id"
    TEXT = "text"
    EXTERNAL = "external"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    NUMBER = "number"
    INTEGER = "integer"
    RATE = "rate"


TEXT_KINDS = frozenset({Kind.ID, Kind.TEXT, Kind.EXTERNAL})

# The number format of a cell of each kind (None: General). Money shows two decimals, and the
# third and fourth where an amount has them (KWD 12.345 is never shown as 12.35). Dates show in the clerk's regional
# format: Excel's built-in short date (number format 14) and short date with time (22), which
# follow the system's locale. A file stores them by number; openpyxl names them as below, while
# Excel's object model (xlwings) names them in US English (OBJECT_MODEL_FORMATS).
NUMBER_FORMATS: dict[Kind, str | None] = {
    Kind.MONEY: "#,##0.00##;[Red]-#,##0.00##",
    Kind.DATE: "mm-dd-yy",
    Kind.DATETIME: "m/d/yy h:mm",
    Kind.NUMBER: "0.0",
    Kind.INTEGER: "0",
    Kind.RATE: "0.00%",
    Kind.ID: "@",
    Kind.TEXT: None,
    Kind.EXTERNAL: "@",
}

OBJECT_MODEL_FORMATS = {"mm-dd-yy": "m/d/yyyy", "m/d/yy h:mm": "m/d/yyyy h:mm"}


class Owner(StrEnum):
    CLERK = "clerk"
    ARXL = "arxl"


class Role(StrEnum):
    INPUT = "input"
    OUTPUT = "output"
    LEDGER = "ledger"


# ---- the vocabulary: every value with a meaning, once ---------------------------------------

class Decision(StrEnum):
    """Matches.Decision: what arxl proposes (Auto, Review, Unmatched) and what a clerk types
    (Approve, Reject)."""

    AUTO = "Auto"
    REVIEW = "Review"
    UNMATCHED = "Unmatched"
    APPROVE = "Approve"
    REJECT = "Reject"


class LinkDecision(StrEnum):
    """LearnedPayers.Decision: what a clerk types over a learned payer link (blank: leave it to
    the matcher)."""

    KEEP = "Keep"
    REMOVE = "Remove"


class MatchStatus(StrEnum):
    """Payments.MatchStatus."""

    AUTO = "Auto"
    REVIEW = "Review"
    UNMATCHED = "Unmatched"
    POSTED = "Posted"
    REVERSED = "Reversed"
    EXCEPTION = "Exception"


class Source(StrEnum):
    """Applications.Source: what decided a ledger row."""

    AUTO = "Auto"
    APPROVED = "Approved"
    OVERRIDE = "Override"
    REVERSAL = "Reversal"
    DISPUTE = "Dispute"


class ReasonCode(StrEnum):
    """Applications.ReasonCode (SHORTPAY may carry ``:reason``; REVERSAL carries
    ``:ApplicationID``; WRITEOFF may carry ``:DisputeID``; several codes of one row are joined
    with ``+``)."""

    PAID = "PAID"
    PARTIAL = "PARTIAL"
    DISCOUNT = "DISCOUNT"
    WRITEOFF = "WRITEOFF"
    SHORTPAY = "SHORTPAY"
    OVERPAY = "OVERPAY"
    ONACCOUNT = "ONACCOUNT"
    REVERSAL = "REVERSAL"


class Action(StrEnum):
    """Payments.Action (blank, or Reverse)."""

    REVERSE = "Reverse"


class InvoiceStatus(StrEnum):
    """Invoices.Status."""

    OPEN = "Open"
    PARTIALLY_PAID = "Partially paid"
    PAID = "Paid"
    SHORT_PAID = "Short paid"
    CREDITED = "Credited"
    DISPUTED = "Disputed"


class DocType(StrEnum):
    """Aging.DocType: the kinds of open item."""

    INVOICE = "Invoice"
    DEBIT_MEMO = "Debit memo"
    CREDIT_MEMO = "Credit memo"
    UNAPPLIED_CASH = "Unapplied cash"


class MemoKind(StrEnum):
    CREDIT = "Credit"
    DEBIT = "Debit"


class MemoType(StrEnum):
    PRODUCT = "Product"
    SERVICE = "Service"
    FREIGHT = "Freight"
    TAX = "Tax"
    PRICE = "Price"
    OTHER = "Other"


class MemoStatus(StrEnum):
    """MemoRequests.Status (a made memo's status may carry a note after ``; ``)."""

    MADE = "Made"
    AWAITING = "Awaiting approval"
    NOT_MADE = "Not made: see Exceptions"


class CustomerStatus(StrEnum):
    ACTIVE = "Active"
    HOLD = "Hold"


class InvoiceRequestStatus(StrEnum):
    """InvoiceRequests.Status."""

    MADE = "Made"
    HOLD = "Customer on hold"
    NOT_MADE = "Not made: see Exceptions"


class StatementLayout(StrEnum):
    """Statements.Layout (and Settings StatementLayout)."""

    OPEN_ITEMS = "Open items"
    ACTIVITY = "Activity"


class DocumentKind(StrEnum):
    """Outbox.Kind: the documents arxl makes for a customer."""

    INVOICE = "Invoice"
    STATEMENT = "Statement"
    REMINDER = "Reminder"
    MEMO = "Memo"


class MailEvent(StrEnum):
    """Outbox.Event."""

    DRAFTED = "Drafted"
    SENT = "Sent"


class PaymentMethod(StrEnum):
    """Payments.Method: how the money came (a clerk may write another)."""

    CHECK = "Check"
    ACH = "ACH"
    WIRE = "Wire"
    CARD = "Card"
    CASH = "Cash"
    LOCKBOX = "Lockbox"


class ContactChannel(StrEnum):
    """Contacts.Channel: how the customer was reached (a clerk may write another)."""

    PHONE = "Phone"
    EMAIL = "Email"
    LETTER = "Letter"
    VISIT = "Visit"
    PORTAL = "Portal"
    OTHER = "Other"


class ContactOutcome(StrEnum):
    """Contacts.Outcome: what came of the contact (a clerk may write another)."""

    PROMISE = "Promise to pay"
    LEFT_MESSAGE = "Left message"
    NO_ANSWER = "No answer"
    DISPUTED = "Disputed"
    PAID_ALREADY = "Paid already"
    REFUSED = "Refused"
    OTHER = "Other"


class PromiseStatus(StrEnum):
    """Promises.Status: a promise to pay checked against the cash posted."""

    OPEN = "Open"
    KEPT = "Kept"
    PARTLY_KEPT = "Partly kept"
    BROKEN = "Broken"


class DisputeKind(StrEnum):
    """Disputes.Kind."""

    INVOICE = "Disputed invoice"
    SHORT_PAY = "Short pay"


class Resolution(StrEnum):
    """Disputes.Resolution: what the clerk decided."""

    CREDIT = "Credit"
    WRITE_OFF = "Write off"
    REBILL = "Rebill"
    RESOLVED = "Resolved"


class DisputeStatus(StrEnum):
    """Disputes.Status."""

    OPEN = "Open"
    CREDITED = "Credited"
    WRITTEN_OFF = "Written off"
    REBILLED = "Rebilled"
    RESOLVED = "Resolved"


class RiskClass(StrEnum):
    """Credit.RiskClass: from how the customer pays."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    NEW = "New"


class CreditAction(StrEnum):
    """Credit.Suggestion."""

    HOLD = "Hold"
    REVIEW = "Review"
    RELEASE = "Release"


class ReconResult(StrEnum):
    """Reconciliation.Result: how a line of a customer's statement compares with the ledger."""

    MATCHED = "Matched"
    DIFFERENCE = "Difference"
    THEIRS_ONLY = "Theirs only"
    OURS_ONLY = "Ours only"
    BALANCE = "Balance"


class ReconStep(StrEnum):
    """Reconciliation.NextStep."""

    SEND_COPY = "Send a copy"
    APPLY_CASH = "Apply cash"
    OPEN_DISPUTE = "Open a dispute"
    ASK_PROOF = "Ask for proof of payment"
    ASK_COPY = "Ask for a copy"


class ChainBreak(StrEnum):
    """How a ledger row left its chain (Chains, ChainAcknowledgements.Break)."""

    CHANGED = "Changed"
    INSERTED = "Inserted"
    DELETED = "Deleted"
    MOVED = "Moved"
    UNREADABLE = "Unreadable"


class ChainStatus(StrEnum):
    """Chains.Status."""

    INTACT = "Intact"
    BROKEN = "Broken"
    ACKNOWLEDGED = "Acknowledged"


class AckStatus(StrEnum):
    """ChainAcknowledgements.Status."""

    ACCEPTED = "Accepted"
    NOT_A_BREAK = "Not a break"


# ApplyTo's word for "keep the cash on the customer's account".
ON_ACCOUNT = "ON ACCOUNT"

# Dates arxl reads: a date outside this range is a typing error (and past 2262 pandas cannot hold
# it), reported, never wrapped or guessed.
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
DATE_RANGE = f"from {FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}"


def date_in_range(day: dt.date) -> bool:
    """Whether ``day`` (a date or datetime) is one arxl reads (``FIRST_DATE`` to ``LAST_DATE``)."""
    day = day.date() if isinstance(day, dt.datetime) else day
    return FIRST_DATE <= day <= LAST_DATE


# A yes in a clerk's flag column (Disputed, Approved, yes/no settings), in any case.
YES_MARKS = frozenset({"yes", "y", "true", "x", "1"})
NO_MARKS = frozenset({"no", "n", "false", "0", ""})


def read_yes_no(value: object) -> bool | None:
    """A clerk's flag cell: True for a yes mark, False for a no mark or blank, None for anything
    else (a value to report, not to guess)."""
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in YES_MARKS:
        return True
    return False if text in NO_MARKS else None


YES_NO = ("Yes", "No")


def is_yes(value: object) -> bool:
    """A clerk's flag cell read as yes (see ``YES_MARKS``); a real True counts too."""
    return read_yes_no(value) is True


# ---- tables -------------------------------------------------------------------------------

def header_key(name: object) -> str:
    """Headers and table names match without regard to case, spaces and underscores."""
    return re.sub(r"[\s_]+", "", str(name or "")).lower()


@cache
def _column_key(name: str) -> str:
    return header_key(name)


@dataclass(frozen=True)
class Column:
    """A column of a table. ``choices``: the values a clerk picks from (a drop-down in the
    workbook; typing anything else is refused by Excel where ``strict``, warned about otherwise).
    ``prompt``: the input message a clerk sees on a cell of the column. ``spellings``: other
    words that can mean only one choice (Approved for Approve). ``read_choice`` reads a cell."""

    name: str
    kind: Kind = Kind.TEXT
    owner: Owner = Owner.CLERK
    required: bool = False
    width: float = 14
    unique: bool = False
    choices: tuple[str, ...] = ()
    strict: bool = True
    prompt: str = ""
    spellings: tuple[tuple[str, str], ...] = ()  # (another spelling, the choice it means)

    @property
    def key(self) -> str:
        return _column_key(self.name)

    @property
    def is_text(self) -> bool:
        return self.kind in TEXT_KINDS


@dataclass(frozen=True)
class CurrencyFrom:
    """One place a row's currency may come from: ``column`` holds a currency code itself
    (``table`` blank), or a key into ``table``, whose row's currency (by that table's own rule)
    counts. A blank cell, or a key the other table does not hold, passes to the next place."""

    column: str
    table: str = ""


@dataclass(frozen=True)
class TableSpec:
    """A table of the contract. ``key`` names the columns that carry a clerk's own columns
    across a rebuild of an output table (a row's identity). ``currency``: where the currency of
    a row's money cells comes from, first place first; after the last, Settings BaseCurrency.
    ``appended_by``: who adds a ledger's rows (arxl, or the clerk for Contacts). A ledger gets
    the chain columns (``CHAIN_COLUMNS``) after its own, whoever declares it."""

    name: str
    role: Role
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    currency: tuple[CurrencyFrom, ...] = ()
    appended_by: Owner = Owner.ARXL

    def __post_init__(self) -> None:
        if self.role == Role.LEDGER:
            have = {c.key for c in self.columns}
            chained = self.columns + tuple(c for c in CHAIN_COLUMNS if c.key not in have)
            object.__setattr__(self, "columns", chained)

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

    def owned_by(self, owner: Owner) -> list[str]:
        return [c.name for c in self.columns if c.owner == owner]

    @property
    def id_column(self) -> str | None:
        """The column that names a row uniquely (a clerk's unique key, or a ledger's ID)."""
        unique = [c.name for c in self.columns if c.unique]
        if unique:
            return unique[0]
        first = self.columns[0]
        return first.name if self.role == Role.LEDGER and first.kind == Kind.ID else None


def _c(name: str, kind: Kind = Kind.TEXT, required: bool = False, width: float = 14,
       unique: bool = False, choices: tuple[str, ...] = (), strict: bool = True, prompt: str = "",
       spellings: tuple[tuple[str, str], ...] = ()) -> Column:
    return Column(name, kind, Owner.CLERK, required, width, unique, choices, strict, prompt, spellings)


def read_choice(column: Column, value: object) -> str | None:
    """A clerk's cell in a column with ``choices``, read as the choice it means: without regard
    to case, spaces and underscores, through the column's other spellings, and for a Yes/No
    column any yes or no mark. "" for a blank; None for anything else (a value to report, never
    to guess: the workbook port reports it when it reads the table)."""
    if value is None or not str(value).strip():
        return ""
    if column.choices == YES_NO:
        answer = read_yes_no(value)
        if answer is not None:
            return "Yes" if answer else "No"
    key = header_key(value)
    for choice in column.choices:
        if header_key(choice) == key:
            return choice
    return next((choice for spelling, choice in column.spellings if header_key(spelling) == key), None)


def _a(name: str, kind: Kind = Kind.TEXT, width: float = 14, choices: tuple[str, ...] = ()) -> Column:
    return Column(name, kind, Owner.ARXL, False, width, choices=choices, strict=False)


# The chain columns every ledger ends with (arxl.core.chain): who posted the row, its place in the
# ledger's chain, and SHA-256 over its contents and the previous row's RowHash.
CHAIN_COLUMNS: tuple[Column, ...] = (
    _a("PostedBy", Kind.TEXT, 14),
    _a("ChainNo", Kind.INTEGER, 9),
    _a("RowHash", Kind.ID, 22),
)
CHAIN_NAMES = tuple(c.name for c in CHAIN_COLUMNS)


K = Kind

# Where a row's currency comes from (see TableSpec.currency and WORKBOOK.md, Amounts).
OWN = CurrencyFrom("Currency")
BY_CUSTOMER = CurrencyFrom("CustomerID", "Customers")
BY_INVOICE = CurrencyFrom("InvoiceID", "Invoices")
BY_PAYMENT = CurrencyFrom("PaymentID", "Payments")

# One row per customer: who pays, under which names and accounts, on which terms.
CUSTOMERS = TableSpec("Customers", Role.INPUT, (
    _c("CustomerID", K.ID, required=True, width=12, unique=True),
    _c("Name", K.TEXT, required=True, width=34),
    _c("Aliases", K.TEXT, width=30),
    _c("ParentID", K.ID, width=12),
    _c("Terms", K.TEXT, width=14),
    _c("CreditLimit", K.MONEY, width=14),
    _c("Currency", K.TEXT, width=9),
    _c("BankAccounts", K.TEXT, width=30),
    _c("Email", K.TEXT, width=26),
    _c("Region", K.TEXT, width=12),
    _c("Salesperson", K.TEXT, width=16),
    _c("Status", K.TEXT, width=10, choices=tuple(CustomerStatus),
       prompt="Hold keeps the customer from new invoices."),
    _c("Address", K.TEXT, width=34, prompt="The postal address printed on documents: lines separated by ;"),
    _c("TaxExempt", K.TEXT, width=10, choices=YES_NO,
       prompt="Yes for a customer exempt from sales tax; give the certificate in TaxCertificate."),
    _c("TaxCertificate", K.TEXT, width=18),
), currency=(OWN,))

# The sales tax rates a TaxCode of InvoiceRequests names.
TAX_RATES = TableSpec("TaxRates", Role.INPUT, (
    _c("TaxCode", K.ID, required=True, width=10, unique=True),
    _c("Rate", K.RATE, required=True, width=9),
    _c("Description", K.TEXT, width=34),
))

# One row per invoice billed; arxl keeps the payment columns up to date.
INVOICES = TableSpec("Invoices", Role.INPUT, (
    _c("InvoiceID", K.ID, required=True, width=14, unique=True),
    _c("CustomerID", K.ID, required=True, width=12),
    _c("InvoiceDate", K.DATE, required=True, width=12),
    _c("Amount", K.MONEY, required=True, width=14),
    _c("DueDate", K.DATE, width=12),
    _c("TaxAmount", K.MONEY, width=12),
    _c("FreightAmount", K.MONEY, width=12),
    _c("Currency", K.TEXT, width=9),
    _c("PONumber", K.ID, width=14),
    _c("Disputed", K.TEXT, width=10, choices=YES_NO,
       prompt="Yes while the customer disputes the invoice: it is never applied automatically."),
    _c("PaidDate", K.DATE, width=12,
       prompt="The day the invoice was paid in full, where you keep no payments ledger: it counts as paid "
              "from that day."),
    _a("Paid", K.MONEY),
    _a("Discounts", K.MONEY, 12),
    _a("WrittenOff", K.MONEY, 12),
    _a("Credited", K.MONEY, 12),
    _a("OpenBalance", K.MONEY),
    _a("Status", K.TEXT, 14),
    _a("LastPaymentDate", K.DATE, 14),
), currency=(OWN, BY_CUSTOMER))

# One row per receipt as the bank, lockbox or mail delivered it.
PAYMENTS = TableSpec("Payments", Role.INPUT, (
    _c("PaymentID", K.ID, width=12, unique=True),
    _c("ReceivedDate", K.DATE, required=True, width=12),
    _c("PayerName", K.EXTERNAL, required=True, width=28),
    _c("Amount", K.MONEY, required=True, width=14),
    _c("Currency", K.TEXT, width=9),
    _c("Method", K.TEXT, width=10, choices=tuple(PaymentMethod), strict=False),
    _c("CheckNumber", K.ID, width=12),
    _c("PayerAccount", K.EXTERNAL, width=22),
    _c("Reference", K.EXTERNAL, width=60),
    _c("CustomerID", K.ID, width=12,
       prompt="The customer who paid, when you know it: matching and posting keep to it."),
    _c("ApplyTo", K.TEXT, width=24,
       prompt="Overrides any match: invoice IDs separated by ; each optionally =amount "
              "(100234; 100240=150.00), or ON ACCOUNT."),
    _c("Action", K.TEXT, width=10, choices=tuple(Action),
       spellings=(("Reversed", Action.REVERSE), ("Reversal", Action.REVERSE)),
       prompt="Reverse: a returned or bounced payment; Post reverses what it posted. Clear it to post "
              "the payment again."),
    _a("MatchStatus", K.TEXT, 12),
    _a("MatchedCustomerID", K.ID, 12),
    _a("MatchedInvoices", K.TEXT, 30),
    _a("Confidence", K.NUMBER, 11),
    _a("Unapplied", K.MONEY, 13),
), currency=(OWN,))

# The Payments columns a bank file fills (the rest is the clerk's or arxl's).
IMPORTED_PAYMENT_COLUMNS = ("PaymentID", "ReceivedDate", "PayerName", "Amount", "Currency", "Method",
                            "CheckNumber", "PayerAccount", "Reference")

# One row per credit or debit memo wanted.
MEMO_REQUESTS = TableSpec("MemoRequests", Role.INPUT, (
    _c("RequestID", K.ID, required=True, width=12, unique=True),
    _c("CustomerID", K.ID, required=True, width=12),
    _c("Kind", K.TEXT, required=True, width=8, choices=tuple(MemoKind),
       spellings=tuple((s, MemoKind.CREDIT) for s in ("CR", "CM", "Credit memo", "Credit note"))
       + tuple((s, MemoKind.DEBIT) for s in ("DR", "DM", "Debit memo", "Debit note"))),
    _c("Type", K.TEXT, required=True, width=10, choices=tuple(MemoType)),
    _c("Reason", K.EXTERNAL, width=34),
    _c("Amount", K.MONEY, width=12),
    _c("Quantity", K.NUMBER, width=10),
    _c("UnitPrice", K.MONEY, width=12),
    _c("InvoiceID", K.ID, width=14),
    _c("TaxRate", K.RATE, width=9),
    _c("MemoDate", K.DATE, width=12),
    _c("Currency", K.TEXT, width=9),
    _c("Approved", K.TEXT, width=10, choices=YES_NO, spellings=(("Approved", "Yes"), ("Not approved", "No")),
       prompt="Yes to make the memo when Settings MemoApprovalRequired is Yes."),
    _a("MemoID", K.ID, 12),
    _a("Status", K.TEXT, 30),
), currency=(OWN, BY_INVOICE, BY_CUSTOMER))

# One row per invoice line wanted; lines sharing an InvoiceKey make one invoice.
INVOICE_REQUESTS = TableSpec("InvoiceRequests", Role.INPUT, (
    _c("RequestID", K.ID, required=True, width=12, unique=True),
    _c("CustomerID", K.ID, required=True, width=12),
    _c("InvoiceKey", K.ID, width=12,
       prompt="Lines with the same InvoiceKey make one invoice; blank: a line of its own."),
    _c("Description", K.TEXT, required=True, width=34),
    _c("Quantity", K.NUMBER, width=10),
    _c("UnitPrice", K.MONEY, required=True, width=12),
    _c("TaxCode", K.ID, width=9, prompt="A TaxCode of the TaxRates table; blank: the line is not taxed."),
    _c("InvoiceDate", K.DATE, width=12),
    _c("PONumber", K.ID, width=14),
    _c("Currency", K.TEXT, width=9),
    _c("Freight", K.MONEY, width=11),
    _a("InvoiceID", K.ID, 14),
    _a("Status", K.TEXT, 24),
), currency=(OWN, BY_CUSTOMER))

# The invoice line ledger: only grows.
INVOICE_LINES = TableSpec("InvoiceLines", Role.LEDGER, (
    _c("InvoiceID", K.ID, width=14),
    _c("Line", K.INTEGER, width=6),
    _c("RequestID", K.ID, width=12),
    _c("CustomerID", K.ID, width=12),
    _c("InvoiceDate", K.DATE, width=12),
    _c("Description", K.EXTERNAL, width=34),
    _c("Quantity", K.NUMBER, width=10),
    _c("UnitPrice", K.MONEY, width=12),
    _c("NetAmount", K.MONEY, width=13),
    _c("TaxCode", K.ID, width=9),
    _c("TaxRate", K.RATE, width=9),
    _c("TaxAmount", K.MONEY, width=12),
    _c("Freight", K.MONEY, width=11),
    _c("Currency", K.TEXT, width=9),
    _c("Document", K.EXTERNAL, width=40),
), currency=(OWN, BY_INVOICE, BY_CUSTOMER))

# How arxl works for this workbook (arxl.core.settings lists every setting).
SETTINGS = TableSpec("Settings", Role.INPUT, (
    _c("Setting", K.TEXT, required=True, width=24),
    _c("Value", K.TEXT, width=22),
    _c("Explanation", K.TEXT, width=90),
))

# arxl's proposal for every payment not yet posted; type Approve or Reject in Decision.
MATCHES = TableSpec("Matches", Role.OUTPUT, (
    _c("PaymentID", K.ID, width=12),
    _c("CustomerID", K.ID, width=12, prompt="Whose account the cash goes to; you may change it on a row you approve."),
    _c("InvoiceID", K.ID, width=16, prompt="You may change the invoice on a row you approve; Post applies it."),
    _c("ApplyAmount", K.MONEY, width=13, prompt="Cash for this invoice. Change it on a row you approve: "
                                                    "Post applies what you typed, the rest goes on account."),
    _c("Discount", K.MONEY, width=11, prompt="An early-payment discount the terms allow; settles the invoice "
                                                 "without cash. You may change it on a row you approve."),
    _c("WriteOff", K.MONEY, width=11, prompt="A small difference written off. You may change it on a row you "
                                                 "approve."),
    _c("ShortPay", K.MONEY, width=11, prompt="A deduction the payer took; it stays open on the invoice. You may "
                                                 "change it on a row you approve."),
    _c("Reason", K.EXTERNAL, width=18),
    _c("Confidence", K.NUMBER, width=11),
    _c("Decision", K.TEXT, width=11, choices=tuple(Decision),
       spellings=(("Approved", Decision.APPROVE), ("Rejected", Decision.REJECT)),
       prompt="Approve or Reject each row of the payment; it posts once every row is decided."),
    _c("Evidence", K.EXTERNAL, width=80),
    _c("Proposed", K.TEXT, width=30),
), key=("PaymentID", "InvoiceID"), currency=(BY_PAYMENT, BY_INVOICE))

# Payer accounts and names the matcher learned (from posted payments and this batch), with
# where; type Keep to use a link as if it were on file, Remove to never use or learn it again.
LEARNED_PAYERS = TableSpec("LearnedPayers", Role.OUTPUT, (
    _c("PayerAccount", K.EXTERNAL, width=26),
    _c("PayerName", K.EXTERNAL, width=28),
    _c("CustomerID", K.ID, width=12),
    _c("LearnedFrom", K.EXTERNAL, width=60),
    _c("Payments", K.INTEGER, width=10),
    _c("Decision", K.TEXT, width=11),
), key=("PayerAccount", "PayerName", "CustomerID"))

# The posting ledger: only grows; a correction is a new reversing row.
APPLICATIONS = TableSpec("Applications", Role.LEDGER, (
    _c("ApplicationID", K.ID, width=14),
    _c("PostedAt", K.DATETIME, width=18),
    _c("PaymentID", K.ID, width=12),
    _c("InvoiceID", K.ID, width=14),
    _c("CustomerID", K.ID, width=12),
    _c("AppliedAmount", K.MONEY, width=14),
    _c("DiscountTaken", K.MONEY, width=13),
    _c("WriteOff", K.MONEY, width=11),
    _c("ShortPay", K.MONEY, width=11),
    _c("ReasonCode", K.TEXT, width=16),
    _c("Source", K.TEXT, width=10),
    _c("Confidence", K.NUMBER, width=11),
), currency=(BY_PAYMENT, BY_INVOICE))

# The memo ledger: only grows.
MEMOS = TableSpec("Memos", Role.LEDGER, (
    _c("MemoID", K.ID, width=12),
    _c("MemoDate", K.DATE, width=12),
    _c("RequestID", K.ID, width=12),
    _c("CustomerID", K.ID, width=12),
    _c("InvoiceID", K.ID, width=14),
    _c("Kind", K.TEXT, width=8),
    _c("Type", K.TEXT, width=10),
    _c("NetAmount", K.MONEY, width=13),
    _c("TaxAmount", K.MONEY, width=12),
    _c("TotalAmount", K.MONEY, width=13),
    _c("Currency", K.TEXT, width=9),
    _c("Reason", K.EXTERNAL, width=34),
    _c("Document", K.EXTERNAL, width=40),
), currency=(OWN, BY_CUSTOMER))

# Pivot-ready open items as of AsOfDate: Insert > PivotTable.
AGING = TableSpec("Aging", Role.OUTPUT, (
    _c("AsOfDate", K.DATE, width=12),
    _c("CustomerID", K.ID, width=12),
    _c("CustomerName", K.EXTERNAL, width=30),
    _c("ParentID", K.ID, width=12),
    _c("Region", K.TEXT, width=12),
    _c("Salesperson", K.TEXT, width=16),
    _c("Currency", K.TEXT, width=9),
    _c("DocType", K.TEXT, width=15),
    _c("DocID", K.ID, width=14),
    _c("DocDate", K.DATE, width=12),
    _c("DueDate", K.DATE, width=12),
    _c("DaysPastDue", K.INTEGER, width=12),
    _c("Bucket", K.TEXT, width=11),
    _c("BucketOrder", K.INTEGER, width=12),
    _c("OriginalAmount", K.MONEY, width=15),
    _c("OpenAmount", K.MONEY, width=14),
    _c("Disputed", K.TEXT, width=10),
    _c("CreditLimit", K.MONEY, width=13),
), key=("DocType", "DocID"), currency=(OWN, BY_CUSTOMER))

# The statements arxl made: one row per statement and currency; only grows.
STATEMENTS = TableSpec("Statements", Role.LEDGER, (
    _c("StatementID", K.ID, width=12),
    _c("MadeAt", K.DATETIME, width=18),
    _c("CustomerID", K.ID, width=12),
    _c("Currency", K.TEXT, width=9),
    _c("Layout", K.TEXT, width=11),
    _c("FromDate", K.DATE, width=12),
    _c("AsOfDate", K.DATE, width=12),
    _c("OpeningBalance", K.MONEY, width=15),
    _c("Balance", K.MONEY, width=14),
    _c("Document", K.EXTERNAL, width=40),
), currency=(OWN, BY_CUSTOMER))

# The reminder letters' levels, from the first reminder to the last.
DUNNING_LEVELS = TableSpec("DunningLevels", Role.INPUT, (
    _c("Level", K.INTEGER, required=True, width=7, unique=True),
    _c("DaysOverdue", K.INTEGER, required=True, width=12),
    _c("Title", K.TEXT, width=22),
    _c("Wording", K.TEXT, width=70),
    _c("Fee", K.MONEY, width=10),
    _c("InterestRate", K.RATE, width=12),
    _c("AttachStatement", K.TEXT, width=15, choices=YES_NO,
       prompt="Yes to send an open-item statement with the letters of this level."),
))

# The reminder letters arxl made: one row per letter; only grows.
DUNNING_LOG = TableSpec("DunningLog", Role.LEDGER, (
    _c("LetterID", K.ID, width=12),
    _c("LetterDate", K.DATE, width=12),
    _c("CustomerID", K.ID, width=12),
    _c("Currency", K.TEXT, width=9),
    _c("Level", K.INTEGER, width=7),
    _c("Items", K.EXTERNAL, width=50),
    _c("OverdueAmount", K.MONEY, width=14),
    _c("Fee", K.MONEY, width=10),
    _c("Interest", K.MONEY, width=10),
    _c("MemoID", K.ID, width=12),
    _c("Document", K.EXTERNAL, width=40),
), currency=(OWN, BY_CUSTOMER))

# Every e-mail draft arxl made and every one it sent; only grows.
OUTBOX = TableSpec("Outbox", Role.LEDGER, (
    _c("At", K.DATETIME, width=18),
    _c("Event", K.TEXT, width=9),
    _c("Kind", K.TEXT, width=10),
    _c("Reference", K.ID, width=14),
    _c("CustomerID", K.ID, width=12),
    _c("To", K.EXTERNAL, width=28),
    _c("Subject", K.EXTERNAL, width=40),
    _c("Draft", K.EXTERNAL, width=40),
    _c("Detail", K.EXTERNAL, width=40),
))

# Where arxl reads a table in a workbook the clerk built: one line per column of the contract
# (the clerk's sheet and header holding it), and one line per table arxl adds on its own sheet.
COLUMN_MAP = TableSpec("ColumnMap", Role.INPUT, (
    _c("Table", K.TEXT, required=True, width=14),
    _c("Column", K.TEXT, width=16),
    _c("Sheet", K.TEXT, width=24),
    _c("Header", K.TEXT, width=24),
    _c("Accepted", K.TEXT, width=10, choices=YES_NO,
       prompt="Yes once the line is right: arxl reads your sheet through the accepted lines."),
    _a("Confidence", K.NUMBER, 11),
    _a("Evidence", K.EXTERNAL, 70),
))

# Every problem found, by the command that found it, and what to do about it.
EXCEPTIONS = TableSpec("Exceptions", Role.OUTPUT, (
    _c("RunAt", K.DATETIME, width=18),
    _c("Command", K.TEXT, width=10),
    _c("Sheet", K.TEXT, width=14),
    _c("Row", K.INTEGER, width=7),
    _c("Column", K.TEXT, width=16),
    _c("Value", K.EXTERNAL, width=24),
    _c("Problem", K.EXTERNAL, width=50),
    _c("Hint", K.EXTERNAL, width=60),
), key=("Sheet", "Row", "Column", "Problem"))

# The clerk's log of contacts with customers: a ledger the clerk appends to (arxl seals each new
# row into the chain and never changes one).
CONTACTS = TableSpec("Contacts", Role.LEDGER, (
    _c("ContactDate", K.DATE, required=True, width=12),
    _c("CustomerID", K.ID, required=True, width=12),
    _c("Channel", K.TEXT, width=10, choices=tuple(ContactChannel), strict=False),
    _c("By", K.TEXT, width=14, prompt="Who of us made the contact."),
    _c("Who", K.TEXT, width=18, prompt="Whom you reached at the customer."),
    _c("Note", K.TEXT, width=40),
    _c("Outcome", K.TEXT, width=16, choices=tuple(ContactOutcome), strict=False),
    _c("PromisedAmount", K.MONEY, width=14,
       prompt="What the customer promised to pay; with PromisedDate, each run checks it against the cash posted."),
    _c("PromisedDate", K.DATE, width=13),
    _c("Currency", K.TEXT, width=9),
    _c("FollowUpDate", K.DATE, width=13, prompt="When to contact the customer next."),
), currency=(OWN, BY_CUSTOMER), appended_by=Owner.CLERK)

# Every promise to pay of Contacts, checked against the cash posted.
PROMISES = TableSpec("Promises", Role.OUTPUT, (
    _c("ContactNo", K.INTEGER, width=10),
    _c("ContactDate", K.DATE, width=12),
    _c("CustomerID", K.ID, width=12),
    _c("CustomerName", K.EXTERNAL, width=28),
    _c("Currency", K.TEXT, width=9),
    _c("PromisedAmount", K.MONEY, width=14),
    _c("PromisedDate", K.DATE, width=13),
    _c("Received", K.MONEY, width=13),
    _c("Status", K.TEXT, width=11),
    _c("Payments", K.TEXT, width=30),
), key=("ContactNo",), currency=(OWN,))

# Whom to call today: one row per customer and currency with anything overdue, in priority order.
COLLECTIONS = TableSpec("Collections", Role.OUTPUT, (
    _c("Rank", K.INTEGER, width=7),
    _c("CustomerID", K.ID, width=12),
    _c("CustomerName", K.EXTERNAL, width=28),
    _c("Currency", K.TEXT, width=9),
    _c("Overdue", K.MONEY, width=13),
    _c("OldestDays", K.INTEGER, width=11),
    _c("Balance", K.MONEY, width=13),
    _c("Disputed", K.MONEY, width=12),
    _c("DunningLevel", K.INTEGER, width=12),
    _c("LastContact", K.DATE, width=12),
    _c("LastOutcome", K.TEXT, width=16),
    _c("NextAction", K.DATE, width=12),
    _c("OpenPromises", K.MONEY, width=13),
    _c("BrokenPromises", K.INTEGER, width=14),
    _c("CreditUse", K.NUMBER, width=10),
    _c("AvgDaysLate", K.NUMBER, width=11),
    _c("Score", K.NUMBER, width=8),
    _c("Reasons", K.EXTERNAL, width=70),
), key=("CustomerID", "Currency"), currency=(OWN,))

# Every disputed invoice and every short pay, to its resolution; the clerk's columns are kept.
DISPUTES = TableSpec("Disputes", Role.OUTPUT, (
    _c("DisputeID", K.ID, width=14),
    _c("Kind", K.TEXT, width=15),
    _c("CustomerID", K.ID, width=12),
    _c("CustomerName", K.EXTERNAL, width=26),
    _c("Currency", K.TEXT, width=9),
    _c("InvoiceID", K.ID, width=14),
    _c("ApplicationID", K.ID, width=14),
    _c("Reason", K.EXTERNAL, width=16),
    _c("Amount", K.MONEY, width=12),
    _c("OpenAmount", K.MONEY, width=12),
    _c("OpenedDate", K.DATE, width=12),
    _c("DaysOpen", K.INTEGER, width=9),
    _c("Owner", K.TEXT, width=14, prompt="Who works the dispute."),
    _c("Resolution", K.TEXT, width=11, choices=tuple(Resolution),
       spellings=(("Writeoff", Resolution.WRITE_OFF), ("Written off", Resolution.WRITE_OFF),
                  ("Credited", Resolution.CREDIT), ("Rebilled", Resolution.REBILL)),
       prompt="Credit, Write off or Rebill: the next run makes it (once); Resolved closes it with nothing made."),
    _c("ResolutionAmount", K.MONEY, width=15, prompt="Blank: the open amount."),
    _c("Note", K.TEXT, width=30),
    _c("Status", K.TEXT, width=11),
    _c("Document", K.TEXT, width=30),
    _c("ResolvedDate", K.DATE, width=12),
), key=("DisputeID",), currency=(OWN,))

# Credit exposure per customer and currency, against the credit limit.
CREDIT = TableSpec("Credit", Role.OUTPUT, (
    _c("CustomerID", K.ID, width=12),
    _c("CustomerName", K.EXTERNAL, width=28),
    _c("Currency", K.TEXT, width=9),
    _c("Status", K.TEXT, width=9),
    _c("CreditLimit", K.MONEY, width=13),
    _c("OpenItems", K.MONEY, width=13),
    _c("UnappliedCash", K.MONEY, width=13),
    _c("Uninvoiced", K.MONEY, width=12),
    _c("Exposure", K.MONEY, width=13),
    _c("Available", K.MONEY, width=13),
    _c("CreditUse", K.NUMBER, width=10),
    _c("PastDue", K.MONEY, width=13),
    _c("OldestDays", K.INTEGER, width=11),
    _c("AvgDaysLate", K.NUMBER, width=11),
    _c("BrokenPromises", K.INTEGER, width=14),
    _c("RiskClass", K.TEXT, width=9),
    _c("Suggestion", K.TEXT, width=11),
    _c("Reasons", K.EXTERNAL, width=70),
), key=("CustomerID", "Currency"), currency=(OWN,))

# The rates of the allowance for doubtful accounts, per aging bucket and currency.
PROVISION_MATRIX = TableSpec("ProvisionMatrix", Role.INPUT, (
    _c("Currency", K.TEXT, width=9, prompt="Blank: every currency that has no rows of its own."),
    _c("Bucket", K.TEXT, required=True, width=12, prompt="An aging bucket: Current, 1-30, ..., Over 120."),
    _c("Rate", K.RATE, required=True, width=9, prompt="The share of the bucket's receivables provided for, e.g. 5%."),
))

# The allowance for doubtful accounts as of the close's last day, per currency and bucket.
ALLOWANCE = TableSpec("Allowance", Role.OUTPUT, (
    _c("AsOfDate", K.DATE, width=12),
    _c("Currency", K.TEXT, width=9),
    _c("Bucket", K.TEXT, width=11),
    _c("BucketOrder", K.INTEGER, width=12),
    _c("Receivables", K.MONEY, width=15),
    _c("Rate", K.RATE, width=9),
    _c("Allowance", K.MONEY, width=14),
), key=("Currency", "Bucket"), currency=(OWN,))

# Opening AR + the period's movements = closing AR, per currency (and customer).
ROLLFORWARD = TableSpec("Rollforward", Role.OUTPUT, (
    _c("FromDate", K.DATE, width=12),
    _c("ToDate", K.DATE, width=12),
    _c("Currency", K.TEXT, width=9),
    _c("CustomerID", K.ID, width=12),
    _c("CustomerName", K.EXTERNAL, width=26),
    _c("Opening", K.MONEY, width=15),
    _c("Invoices", K.MONEY, width=15),
    _c("DebitMemos", K.MONEY, width=13),
    _c("CashApplied", K.MONEY, width=15),
    _c("Discounts", K.MONEY, width=12),
    _c("WriteOffs", K.MONEY, width=12),
    _c("CreditMemos", K.MONEY, width=13),
    _c("Reversals", K.MONEY, width=12),
    _c("UnappliedCash", K.MONEY, width=14),
    _c("RolledForward", K.MONEY, width=15),
    _c("Closing", K.MONEY, width=15),
    _c("Difference", K.MONEY, width=12),
), key=("Currency", "CustomerID"), currency=(OWN,))

# A customer's statement compared with the ledger, line by line, with what to do next.
RECONCILIATION = TableSpec("Reconciliation", Role.OUTPUT, (
    _c("File", K.EXTERNAL, width=22),
    _c("Line", K.INTEGER, width=6),
    _c("CustomerID", K.ID, width=12),
    _c("StatementDate", K.DATE, width=13),
    _c("Currency", K.TEXT, width=9),
    _c("Result", K.TEXT, width=12),
    _c("TheirReference", K.EXTERNAL, width=16),
    _c("TheirDate", K.DATE, width=12),
    _c("TheirAmount", K.MONEY, width=13),
    _c("OurDocType", K.TEXT, width=14),
    _c("OurDocID", K.ID, width=14),
    _c("OurDate", K.DATE, width=12),
    _c("OurAmount", K.MONEY, width=13),
    _c("Difference", K.MONEY, width=12),
    _c("Explanation", K.EXTERNAL, width=60),
    _c("NextStep", K.TEXT, width=22),
), key=("File", "Line"), currency=(OWN,))

# Each ledger's chain as the last run left it: its last row, and where it is broken.
CHAINS = TableSpec("Chains", Role.OUTPUT, (
    _c("Ledger", K.TEXT, width=14),
    _c("Rows", K.INTEGER, width=8),
    _c("LastChainNo", K.INTEGER, width=12),
    _c("LastRowHash", K.ID, width=22),
    _c("Status", K.TEXT, width=13),
    _c("FirstBreak", K.EXTERNAL, width=60),
    _c("CheckedAt", K.DATETIME, width=18),
), key=("Ledger",))

# A clerk's acknowledgement of a break in a ledger's chain, so that posting can go on.
CHAIN_ACKNOWLEDGEMENTS = TableSpec("ChainAcknowledgements", Role.INPUT, (
    _c("Ledger", K.TEXT, required=True, width=14),
    _c("Row", K.INTEGER, required=True, width=7, prompt="The sheet row that arxl verify names."),
    _c("Note", K.TEXT, width=40, prompt="Why the change is right (who made it, what it corrects)."),
    _a("AcknowledgedBy", K.TEXT, 16),
    _a("AcknowledgedAt", K.DATETIME, 18),
    _a("Break", K.TEXT, 11),
    _a("ChainNo", K.INTEGER, 9),
    _a("Fingerprint", K.ID, 22),
    _a("Status", K.TEXT, 12),
))

TABLES: dict[str, TableSpec] = {t.name: t for t in (
    CUSTOMERS, TAX_RATES, INVOICES, INVOICE_REQUESTS, INVOICE_LINES, PAYMENTS, MEMO_REQUESTS, SETTINGS,
    MATCHES, LEARNED_PAYERS, APPLICATIONS, MEMOS, AGING, STATEMENTS, DUNNING_LEVELS, DUNNING_LOG, OUTBOX, EXCEPTIONS,
    CONTACTS, PROMISES, COLLECTIONS, DISPUTES, CREDIT, PROVISION_MATRIX, ALLOWANCE, ROLLFORWARD, RECONCILIATION,
    CHAINS, CHAIN_ACKNOWLEDGEMENTS, COLUMN_MAP)}

# A report sheet (a grid of blocks, key figures and a chart), not a plain table.
AGING_SUMMARY = "AgingSummary"

# The columns arxl reads a postal address from, the first that has one: Customers.Address, or a
# BillingAddress column of the clerk's.
ADDRESS_COLUMNS = ("Address", "BillingAddress")

# The Command of Exceptions rows that reading the workbook found (every run reads it).
READ_COMMAND = "read"

# The order sheets take in a new workbook.
SHEET_ORDER = ("Settings", "Customers", "TaxRates", "Invoices", "InvoiceRequests", "InvoiceLines", "Payments",
               "Matches", "LearnedPayers", "Applications", "MemoRequests", "Memos", "Disputes", "Contacts", "Promises",
               "Collections", "Credit", "Aging", AGING_SUMMARY, "Statements", "DunningLevels", "DunningLog", "Outbox",
               "ProvisionMatrix", "Allowance", "Rollforward", "Reconciliation", "Chains", "ChainAcknowledgements",
               "Exceptions", "ColumnMap")

# The sheets of a new master workbook: all but ColumnMap, which only `arxl adopt` writes into a
# workbook the clerk built.
NEW_BOOK_SHEETS = tuple(name for name in SHEET_ORDER if name != COLUMN_MAP.name)

# The mark of a column arxl adds beside a clerk's own table in an adopted workbook
# ("OpenBalance [arxl]"): read as the contract's column, removed by `arxl adopt --undo`.
ARXL_MARK = " [arxl]"


def spec(name: str) -> TableSpec:
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a table of the arxl contract") from None


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


T = TypeVar("T")


def locate_table(name: str, tables: Iterable[tuple[str, T]], sheets: Iterable[tuple[str, T]],
                 placed: Mapping[str, str] | None = None) -> T | None:
    """The table-location rule, for every store: an Excel table named ``name`` first (``tables``:
    (table name, what the store keeps of it)), else a sheet of that name (``sheets``: (sheet
    title, ...)); names match as headers do. None when there is neither. ``placed``: where an
    accepted ColumnMap puts tables (table -> the clerk's sheet or Excel table, or arxl's own
    sheet beside them); that name is looked for instead."""
    key = header_key((placed or {}).get(name, name))
    for table_name, found in tables:
        if header_key(table_name) == key:
            return found
    for title, found in sheets:
        if header_key(title) == key:
            return found
    return None
