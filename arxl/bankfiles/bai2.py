"""BAI2 cash-management files (US banks and lockboxes), read record by record with the quirks
real banks send: several records on one physical line (``.../   02,...``), a record's text
wrapped onto a line of its own without an ``88`` code, ``88`` continuations of both text and
fields, blank or missing currencies, and keyed ``88`` lines (``DBNM: payer``) in the text.

Amounts carry no decimal point: their decimals are implied by the currency's minor units (ISO
4217, as BAI2's currency table has them), so the digits are the amount in minor units.

Detail records (16) with a credit type code (100-399) are receipts, except the returns and
reversals (250-269) and the bank's own credits (sweeps, interest); debit codes (400-699) are
reported, as are the account (03) balances."""
from __future__ import annotations

import datetime as dt
import re

from arxl.bankfiles.model import BALANCE, BANK_CREDIT, DEBIT, NOTHING, RETURN, ParsedFile, Receipt, Skipped
from arxl.core.money import check_amount

RECORD_START = re.compile(r"^\d{2},")
RECORD_BREAK = re.compile(r"/\s+(?=\d{2},)")  # "...,2/   02,..." : two records on one line


def _method(code: int) -> str:
    if 115 <= code <= 118:
        return "Lockbox"
    if 140 <= code <= 171:
        return "ACH"
    if code in (175, 176, 301):
        return "Check"
    if 191 <= code <= 208:
        return "Wire"
    return ""


# Keyed text some banks put in the 88 lines or the detail text: payer, account, check number.
PAYER_PATTERNS = (r"\bDBNM:\s*(.+?)(?=\s+[A-Z]{4}:|$)", r"\bORIG CO NAME:\s*(.+?)(?=\s+[A-Z][A-Z #]+:|$)",
                  r"\bB/O:\s*(.+?)(?=\s+[A-Z/]+:|$)", r"\bFrom:\s*([^,]+)")
ACCOUNT_PATTERN = r"\bDACT:\s*(\S+)"
CHECK_PATTERN = r"\bCHKN:\s*(\S+)"


def _search(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    return found.group(1).strip() if found else ""


def logical_records(text: str) -> list[tuple[int, str]]:
    """(line, record) pairs with continuation lines joined: an ``88`` stays its own record
    (its meaning depends on the record it continues); a line that starts with no record code
    is the wrapped end of the record before it."""
    out: list[list] = []
    for number, physical in enumerate(text.splitlines(), start=1):
        if not physical.strip():
            continue
        pieces = RECORD_BREAK.split(physical.strip())
        if not RECORD_START.match(pieces[0]) and out:
            out[-1][1] += " " + pieces.pop(0).strip()
        out.extend([number, p.strip()] for p in pieces)
    return [(n, r) for n, r in out]


def _amount(text: str, currency: str) -> int:
    text = text.strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f"the amount {text!r} is not a whole number")
    return check_amount(int(text), currency)


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text.strip(), "%y%m%d").date()


def _not_a_receipt(code: int, amount: int) -> str:
    """The kind of a detail record that is not a customer's payment ("" for a receipt)."""
    if 400 <= code <= 699 or 960 <= code <= 999:
        return DEBIT
    if 250 <= code <= 269:
        return RETURN
    if 270 <= code <= 279 or code in (346, 354, 359) or 700 <= code <= 899:
        return BANK_CREDIT  # sweeps, interest, loan and reserved codes: not a customer's money
    if code < 100:
        return BALANCE  # a status code, which belongs in an 03 record
    return NOTHING if amount <= 0 else ""


def _detail(line: int, record: str, continuation: list[str], account: dict, result: ParsedFile) -> None:
    fields = record.split(",")
    if len(fields) < 4:
        raise ValueError("a detail record (16) needs a type code, an amount and a funds type")
    code_text, amount_text, funds = fields[1].strip(), fields[2], fields[3].strip().upper()
    rest = fields[4:]
    skip = {"S": 3, "V": 2}.get(funds, 0)
    if funds == "D":
        count = int(rest[0]) if rest and rest[0].strip().isdigit() else 0
        skip = 1 + 2 * count
    rest = rest[skip:]
    bank_ref = rest[0].strip() if rest else ""
    text = ",".join(rest[2:]).strip().rstrip("/").strip()
    text = " ".join(t for t in [text, *continuation] if t and t != "-")
    if not code_text.isdigit():
        raise ValueError(f"the type code {code_text!r} is not a number")
    code = int(code_text)
    currency = account["currency"]
    amount = _amount(amount_text, currency)
    description = f"type {code} {text}".strip()
    kind = _not_a_receipt(code, amount)
    if kind:
        result.skipped.append(Skipped(line, kind, amount, currency, description))
        return
    if account["date"] is None:
        raise ValueError("the group header (02) before it has no as-of date")
    result.receipts.append(Receipt(
        line=line, received=account["date"],
        payer_name=next((p for p in (_search(pat, text) for pat in PAYER_PATTERNS) if p), "")
        or text.split(",")[0].strip(),
        amount=amount, currency=currency, method=_method(code),
        payer_account=_search(ACCOUNT_PATTERN, text),
        check_number=_search(CHECK_PATTERN, text) if _method(code) in ("Check", "Lockbox") else "",
        bank_reference=bank_ref, text=text))


def parse_bai2(data: bytes, name: str, *, currency: str = "USD", **_options) -> ParsedFile:
    result = ParsedFile("BAI2")
    group: dict = {"date": None, "currency": currency}
    account: dict = {"date": None, "currency": currency}
    pending: tuple[int, str, list[str]] | None = None  # a 16 waiting for its 88 lines

    def flush():
        nonlocal pending
        if pending is not None:
            line, record, continuation = pending
            pending = None
            try:
                _detail(line, record, continuation, account, result)
            except ValueError as exc:
                result.problems.add(name, line, "", record[:60], f"a BAI2 detail record that cannot be "
                                    f"read: {exc}", "Check this transaction on the bank's report; "
                                    "type it into Payments by hand if it is a receipt.")

    for line, record in logical_records(data.decode("latin-1")):
        code = record[:2]
        if code == "88":
            if pending is not None:
                pending[2].append(record[3:].strip().rstrip("/").strip())
            continue
        flush()
        fields = [f.strip() for f in record.rstrip("/").split(",")]
        try:
            if code == "02":
                group = {"date": _date(fields[4]) if len(fields) > 4 and fields[4] else None,
                         "currency": (fields[6] if len(fields) > 6 else "") or currency}
            elif code == "03":
                account = {"date": group["date"],
                           "currency": (fields[2] if len(fields) > 2 else "") or group["currency"]}
                result.skipped.append(Skipped(line, BALANCE, None, account["currency"],
                                              f"balances and totals of account {fields[1] if len(fields) > 1 else ''}"))
            elif code == "16":
                pending = (line, record, [])
            elif code not in ("01", "49", "98", "99"):
                result.problems.add(name, line, "", record[:60], f"an unknown BAI2 record code {code!r}",
                                    "Check the file with the bank; this record was skipped.")
        except ValueError as exc:
            result.problems.add(name, line, "", record[:60], f"a BAI2 record that cannot be read: {exc}",
                                "Check the file with the bank; this record was skipped.")
    flush()
    return result
