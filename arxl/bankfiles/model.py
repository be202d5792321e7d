"""What every bank-file parser returns: the incoming credits (``Receipt``), the records that are
not receipts (``Skipped``: debits, returns, balances, pending entries), and the problems found,
each located by file name and line."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from arxl.core.money import minor_to_decimal
from arxl.core.problems import Problems


@dataclass(frozen=True)
class RemittanceLine:
    """One document a remittance pays: the invoice (or credit note) number and, where the payer
    said so, the amount paid, the invoice's gross amount and the discount taken (minor units of
    the receipt's currency)."""

    invoice: str
    paid: int | None = None
    gross: int | None = None
    discount: int | None = None
    adjustments: tuple[tuple[int, str], ...] = ()  # (amount, reason code) the payer deducted


@dataclass(frozen=True)
class Receipt:
    """One incoming credit as the file states it. ``line`` is where it starts in the file;
    ``bank_reference`` is the bank's own reference for it ("" when the format gives none)."""

    line: int
    received: dt.date
    payer_name: str
    amount: int  # in the currency's minor unit, positive
    currency: str
    method: str = ""
    payer_account: str = ""
    check_number: str = ""
    bank_reference: str = ""
    text: str = ""  # the free remittance text as received
    remittance: tuple[RemittanceLine, ...] = ()


# Kinds of records that are reported and not posted.
DEBIT, RETURN, BALANCE, PENDING, NOTHING = "debit", "return", "balance", "pending", "zero amount"
BANK_CREDIT = "bank credit"  # interest, sweeps: money from the bank itself, not from a customer


@dataclass(frozen=True)
class Skipped:
    line: int
    kind: str  # one of the constants above
    amount: int | None  # minor units of ``currency``, None for records without one
    currency: str
    description: str


@dataclass
class ParsedFile:
    format: str  # "camt.054.001.08", "BAI2", "MT940", "X12 820", "NACHA CTX", "Lockbox", "CSV"
    receipts: list[Receipt] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)


def remittance_segments(lines: tuple[RemittanceLine, ...], currency: str) -> str:
    """The structured remittance as EDI-style segments, one per document:
    ``RMR*IV*<invoice>*<paid>*<gross>*<discount>\\`` (blank where the payer gave no amount),
    followed by ``ADX*<amount>*<reason>*IV*<invoice>\\`` for each adjustment the payer took."""
    def amount(minor: int | None) -> str:
        return "" if minor is None else str(minor_to_decimal(minor, currency))

    out = []
    for doc in lines:
        invoice = doc.invoice.replace("*", " ").replace("\\", " ").strip()
        out.append(f"RMR*IV*{invoice}*{amount(doc.paid)}*{amount(doc.gross)}*{amount(doc.discount)}\\")
        out.extend(f"ADX*{amount(minor)}*{reason}*IV*{invoice}\\" for minor, reason in doc.adjustments)
    return "".join(out)


def reference_text(receipt: Receipt) -> str:
    """The Reference cell: the free text as received, then the structured remittance."""
    segments = remittance_segments(receipt.remittance, receipt.currency)
    return " ".join(part for part in (receipt.text.strip(), segments) if part)
