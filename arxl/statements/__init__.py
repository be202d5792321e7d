"""Customers' own statements (CSV or XLSX: what they think is open or paid), read into
``arxl.core.reconcile.TheirStatement`` for ``arxl reconcile``. Like the bank-file parsers, this
knows nothing of the workbook.

Columns are found by Settings ReconcileColumns (``Reference=Invoice No; Amount=Open amount``),
else by their headers (Reference: Invoice, Invoice No, Document, Doc No, Your ref...; Amount:
Amount, Open amount, Balance, Outstanding, Amount due...; or Debit and Credit, Amount = Credit -
Debit as a customer's payables ledger keeps them; Date; Customer: Customer, Account...; Type:
Type, Status...; Currency: the line's, else the statement's). The header row is the first that
names a reference and an amount; lines above it may say ``Customer: C123``, ``Statement date:
2026-11-15``, ``Currency: EUR``.
Amounts are what the customer owes (payments and credits negative); a Type that says payment,
remittance, cheque, wire or ACH marks a payment line. Blank lines and total lines are skipped;
a line that cannot be read is reported with its line number.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

from arxl.bankfiles.csvfile import BadMapping, date_order, decimal_mark, decode_rows, parse_pairs, read_date
from arxl.contract import header_key
from arxl.core.money import NotAnAmount, to_decimal
from arxl.core.reconcile import TheirLine, TheirStatement

FIELDS = ("Reference", "Amount", "Debit", "Credit", "Date", "Customer", "Type", "Currency")
SYNONYMS: dict[str, tuple[str, ...]] = {
    "Reference": ("reference", "ref", "yourreference", "yourref", "invoice", "invoiceno", "invoicenumber", "invoice#",
                  "invoiceid", "document", "documentno", "documentnumber", "docno", "docnumber", "doc#", "number",
                  "vendorinvoice", "supplierinvoice", "billno", "billnumber"),
    "Amount": ("amount", "openamount", "amountopen", "open", "balance", "openbalance", "outstanding",
               "amountoutstanding", "amountdue", "due", "remaining"),
    "Debit": ("debit", "debits"),
    "Credit": ("credit", "credits"),
    "Date": ("date", "invoicedate", "docdate", "documentdate", "postingdate", "billdate", "transactiondate"),
    "Customer": ("customer", "customerid", "customerno", "customernumber", "account", "accountno",
                 "accountnumber", "youraccount"),
    "Type": ("type", "doctype", "documenttype", "kind", "status", "transactiontype"),
    "Currency": ("currency", "ccy", "cur", "curr"),
}
PREAMBLE = {
    "statementdate": "date", "asof": "date", "asat": "date", "date": "date", "statementasof": "date",
    "customer": "customer", "customerid": "customer", "account": "customer", "accountno": "customer",
    "customerno": "customer", "currency": "currency",
}
PAYMENT_WORDS = re.compile(r"pay|remit|receipt|cheque|check|wire|ach|transfer", re.IGNORECASE)
HEADER_ROWS = 30  # the header is looked for in the file's first rows


def _cells(path: Path, data: bytes) -> list[list[object]]:
    """The file's rows as cell values: text for a CSV; values (numbers, dates, text) for a
    workbook's first sheet."""
    if path.suffix.lower() in (".xlsx", ".xlsm") or data[:2] == b"PK":
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return [list(row) for row in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    return [list(row) for row in decode_rows(data)]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _columns(header: list[object], mapping: dict[str, str]) -> dict[str, int]:
    keys = {header_key(_text(h)): i for i, h in reversed(list(enumerate(header))) if _text(h)}
    found = {}
    for name in FIELDS:
        wanted = [header_key(mapping[name])] if name in mapping else [header_key(s) for s in SYNONYMS[name]]
        at = next((keys[w] for w in wanted if w in keys), None)
        if at is not None:
            found[name] = at
    return found


def _amount(value: object, separator: str) -> Decimal:
    """A cell's amount as written (its currency's decimals are checked once the statement's
    currency is known): a number cell as it is, text with the file's decimal separator."""
    return to_decimal(_text(value) if isinstance(value, str) else value, separator)


def _day(value: object, order: str) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    return read_date(text, order) if text else None


def read_statement(path: Path, data: bytes, columns_setting: str = "", decimal_separator: str = ".") -> TheirStatement:
    """A customer's statement file as their lines (see the module docstring); amounts written as
    text are read with the decimal separator they show, else ``decimal_separator`` (as a bank
    CSV's are)."""
    name = Path(path).name
    statement = TheirStatement(name, [])
    try:
        mapping = {}
        for field, header in parse_pairs(columns_setting, "Field=their header"):
            known = {header_key(f): f for f in FIELDS}.get(header_key(field))
            if known is None:
                raise BadMapping(f"{field!r} is not one of {', '.join(FIELDS)}")
            mapping[known] = header
    except BadMapping as exc:
        statement.problems.add("Settings", None, "Value", columns_setting, f"ReconcileColumns: {exc}",
                               "Fix the setting, e.g. Reference=Invoice No; Amount=Open amount.")
        return statement
    try:
        rows = _cells(Path(path), data)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        statement.problems.add(name, None, "", "", f"the file cannot be read ({type(exc).__name__}: {exc})",
                               "Save the statement again as CSV or XLSX.")
        return statement
    header_at, where = None, {}
    for i, row in enumerate(rows[:HEADER_ROWS]):
        found = _columns(row, mapping)
        if "Reference" in found and ("Amount" in found or {"Debit", "Credit"} <= set(found)):
            header_at, where = i, found
            break
    if header_at is None:
        statement.problems.add(name, 1, "", "", "no header row naming a reference and an amount was found",
                               "Name the columns (Invoice, Amount, Date), or map them in Settings ReconcileColumns.")
        return statement
    preamble: dict[str, str] = {}
    for row in rows[:header_at]:
        texts = [_text(c) for c in row if _text(c)]
        if not texts:
            continue
        key, _, value = texts[0].partition(":")
        value = value.strip() or (texts[1] if len(texts) > 1 else "")
        if (meaning := PREAMBLE.get(header_key(key))) and value:
            preamble[meaning] = value
    body = rows[header_at + 1:]
    date_at = where.get("Date")
    order = date_order([_text(r[date_at]) for r in body if date_at is not None and date_at < len(r)])

    def cell(row: list[object], name: str) -> object:
        at = where.get(name)
        return row[at] if at is not None and at < len(row) else None

    amount_columns = [c for c in ("Amount", "Debit", "Credit") if c in where]
    separator = decimal_mark((_text(cell(r, c)) for r in body for c in amount_columns if isinstance(cell(r, c), str)),
                             decimal_separator)
    customers, currencies = set(), set()
    for line, row in enumerate(body, start=header_at + 2):
        reference, kind = _text(cell(row, "Reference")), _text(cell(row, "Type"))
        if not any(_text(c) for c in row) or "total" in f"{reference} {kind}".lower():
            continue
        try:
            if "Amount" in where:
                amount_cell = cell(row, "Amount")
                if not _text(amount_cell):
                    continue
                amount = _amount(amount_cell, separator)
            else:
                debit, credit = cell(row, "Debit"), cell(row, "Credit")
                if not _text(debit) and not _text(credit):
                    continue
                amount = ((_amount(credit, separator) if _text(credit) else Decimal(0))
                          - (_amount(debit, separator) if _text(debit) else Decimal(0)))
            day = _day(cell(row, "Date"), order)
        except (ValueError, NotAnAmount) as exc:
            statement.problems.add(name, line, "", ", ".join(_text(c) for c in row)[:60],
                                   f"a line that cannot be read: {exc}",
                                   "Fix the line in the file and reconcile again.")
            continue
        paid = bool(PAYMENT_WORDS.search(kind))
        currency = _text(cell(row, "Currency")).upper()
        statement.lines.append(TheirLine(line, reference, day, -abs(amount) if paid else amount, paid, currency))
        if _text(cell(row, "Customer")):
            customers.add(_text(cell(row, "Customer")))
        if currency:
            currencies.add(currency)
    statement.customer = preamble.get("customer") or (customers.pop() if len(customers) == 1 else "")
    statement.currency = preamble.get("currency", "").upper() or (currencies.pop() if len(currencies) == 1 else "")
    if "date" in preamble:
        try:
            statement.date = _day(preamble["date"], "")
        except ValueError:
            statement.problems.add(name, None, "", preamble["date"], "the statement's date cannot be read",
                                   "Write it as 2026-11-15; until then the latest line's date is used.")
    return statement
