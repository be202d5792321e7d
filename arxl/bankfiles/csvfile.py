"""CSV exports of online banking, read through the column mapping in Settings
``ImportCsvColumns`` (``Amount=Credit; PayerName=Description; ReceivedDate=Booking date``).
Payments columns the mapping leaves out are found by their own name in the CSV header. Rows
with a negative or blank amount are debits; they are reported, not imported.

A file's amounts are read with one decimal separator, decided once per file like its date
order: the one its amounts show (a mark followed by one or two digits at the end, as in 12,50
or 1.234,5, or the later of two marks, as in 1,234.50), else, when they show none or both,
Settings DecimalSeparator. An amount that does not fit that separator is that row's problem,
never guessed ("50,00" in a file of points is refused, not read as 5,000.00)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable

from arxl.bankfiles.model import DEBIT, ParsedFile, Receipt, Skipped
from arxl.contract import IMPORTED_PAYMENT_COLUMNS as FIELDS
from arxl.contract import PAYMENTS, header_key
from arxl.core.money import DECIMAL_SEPARATORS, NotAnAmount, to_minor


class BadMapping(ValueError):
    """The ImportCsvColumns setting names a column that is not a Payments column."""


def parse_mapping(text: str) -> dict[str, str]:
    """``"Amount=Credit; PayerName=Description"`` as {Payments column: CSV header}."""
    mapping = {}
    for part in [p for p in re.split(r"[;\n]", text or "") if p.strip()]:
        if "=" not in part:
            raise BadMapping(f"{part.strip()!r} is not of the form PaymentsColumn=CSV header")
        column, header = (s.strip() for s in part.split("=", 1))
        if not PAYMENTS.has(column) or PAYMENTS.column(column).name not in FIELDS:
            raise BadMapping(f"{column!r} is not a Payments column an import can fill "
                             f"({', '.join(FIELDS)})")
        mapping[PAYMENTS.column(column).name] = header
    return mapping


def decimal_mark(amounts: Iterable[str], setting: str) -> str:
    """The decimal separator a file's ``amounts`` show (see the module docstring)."""
    shown = set()
    for text in amounts:
        marks = [c for c in text if c in DECIMAL_SEPARATORS]
        if not marks:
            continue
        after = text[text.rfind(marks[-1]) + 1:].strip(" )")
        if len(set(marks)) == 2 or (len(after) in (1, 2) and after.isdigit()):
            shown.add(marks[-1])
    return shown.pop() if len(shown) == 1 else setting


def _date_order(values: list[str]) -> str:
    """'dmy' or 'mdy' for slashed dates, decided once per file from the days above 12."""
    pairs = [re.match(r"^(\d{1,2})/(\d{1,2})/\d{2,4}$", v.strip()) for v in values]
    firsts = [int(p.group(1)) for p in pairs if p]
    seconds = [int(p.group(2)) for p in pairs if p]
    return "dmy" if any(f > 12 for f in firsts) else "mdy" if any(s > 12 for s in seconds) or firsts else ""


def _date(text: str, order: str) -> dt.date:
    text = text.strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text[:10])
    found = re.match(r"^(\d{1,2})[./](\d{1,2})[./](\d{2,4})$", text)
    if not found:
        raise ValueError(f"{text!r} is not a date (use 2026-11-20, 20.11.2026 or 11/20/2026)")
    a, b, year = (int(g) for g in found.groups())
    year += 2000 if year < 100 else 0
    day, month = (a, b) if "." in text or order == "dmy" else (b, a)
    return dt.date(year, month, day)


def parse_csv(data: bytes, name: str, *, currency: str = "USD", csv_columns: str = "",
              decimal_separator: str = ".", **_options) -> ParsedFile:
    result = ParsedFile("CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        result.problems.add(name, 1, "", "", f"not a CSV file arxl can read ({exc})",
                            "Export the statement again as CSV (or as camt.053, BAI2 or MT940).")
        return result
    if not rows:
        result.problems.add(name, 1, "", "", "the file is empty", "Export the statement again.")
        return result
    header = {header_key(h): i for i, h in enumerate(rows[0]) if h.strip()}
    try:
        mapping = parse_mapping(csv_columns)
    except BadMapping as exc:
        result.problems.add("Settings", None, "Value", csv_columns, f"ImportCsvColumns: {exc}",
                            "Fix the setting; until then CSV files cannot be imported.")
        return result
    where = {}
    for column in FIELDS:
        wanted = mapping.get(column, column)
        if header_key(wanted) in header:
            where[column] = header[header_key(wanted)]
        elif column in mapping:
            result.problems.add(name, 1, column, wanted, f"the CSV has no column {wanted!r} "
                                f"(ImportCsvColumns maps {column} to it)",
                                "Fix ImportCsvColumns in Settings to name the CSV's own headers.")
    missing = [c for c in ("ReceivedDate", "Amount") if c not in where]
    if missing:
        result.problems.add(name, 1, "", ", ".join(rows[0]), f"cannot tell which CSV column holds "
                            f"{' and '.join(missing)}", "Map them in Settings ImportCsvColumns, "
                            "e.g. ReceivedDate=Booking date; Amount=Credit; PayerName=Name.")
        return result
    order = _date_order([r[where["ReceivedDate"]] for r in rows[1:] if len(r) > where["ReceivedDate"]])

    def cell(row: list[str], column: str) -> str:
        at = where.get(column)
        return row[at].strip() if at is not None and at < len(row) else ""

    separator = decimal_mark((cell(r, "Amount") for r in rows[1:]), decimal_separator)

    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        try:
            amount_text = cell(row, "Amount")
            in_currency = (cell(row, "Currency") or currency).upper()
            amount = to_minor(amount_text, in_currency, separator) if amount_text else None
            if amount is None or amount <= 0:
                result.skipped.append(Skipped(line, DEBIT, None if amount is None else -amount, in_currency,
                                              cell(row, "Reference") or cell(row, "PayerName")))
                continue
            result.receipts.append(Receipt(
                line=line, received=_date(cell(row, "ReceivedDate"), order),
                payer_name=cell(row, "PayerName"), amount=amount,
                currency=in_currency, method=cell(row, "Method"),
                payer_account=cell(row, "PayerAccount"), check_number=cell(row, "CheckNumber"),
                bank_reference=cell(row, "PaymentID"), text=cell(row, "Reference")))
        except NotAnAmount as exc:
            result.problems.add(name, line, "Amount", cell(row, "Amount"), f"a CSV row whose amount cannot be read: "
                                f"{exc.problem}", "Fix the row in the file, or type the payment by hand.")
        except ValueError as exc:
            result.problems.add(name, line, "", ",".join(row)[:60], f"a CSV row that cannot be read: "
                                f"{exc}", "Fix the row in the file, or type the payment by hand.")
    return result
