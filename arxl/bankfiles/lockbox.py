"""Lockbox transmissions in the BAI standard lockbox layout (fixed-width records, usually 80
characters): 1 header, 2 service, 5 lockbox/batch header, 6 check (payment), 4 overflow
(the invoices a check pays), 7 batch total, 8 lockbox total, 9 trailer.

Positions read (1-based, as bank lockbox specifications print them):
  5: 2-4 batch, 5-7 item, 8-14 lockbox number, 15-20 deposit date (YYMMDD)
  6: 2-4 batch, 5-7 item, 8-17 amount (cents: minor units of the currency), 18-26 routing number, 27-36 account,
     37-46 check number, 47-80 remitter name (optional)
  4: 2-4 batch, 5-7 item of the check, 8 overflow type (4 = invoice), 9-10 sequence,
     11 last-overflow flag (9 = last), 12-26 invoice number, 27-36 amount paid (cents),
     37-46 invoice gross amount, 47-56 discount taken (both optional)
  7: 2-4 batch, 5-7 item, 8-14 lockbox, 15-20 deposit date, 21-23 checks, 24-33 total (cents)
A batch whose checks do not add up to its 7 record is reported; its checks are still imported."""
from __future__ import annotations

import datetime as dt

from arxl.bankfiles.model import ParsedFile, Receipt, RemittanceLine
from arxl.core.money import format_amount


def _cents(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"the amount {text!r} is not a whole number of cents")
    return int(text)


def _date(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%y%m%d").date()
    except ValueError:
        raise ValueError(f"the deposit date {text!r} is not a date (YYMMDD)") from None


def parse_lockbox(data: bytes, name: str, *, currency: str = "USD", **_options) -> ParsedFile:
    result = ParsedFile("Lockbox")
    lockbox, deposited = "", None
    checks: list[dict] = []  # in file order; overflow records attach to the check of their item
    batch_sum: dict[str, list[int]] = {}

    def problem(line: int, record: str, message: str) -> None:
        result.problems.add(name, line, "", record[:46], f"a lockbox record that cannot be read: {message}",
                            "Check this item on the lockbox report; type it into Payments by hand.")

    for line, raw in enumerate(data.decode("latin-1").splitlines(), start=1):
        record = raw.rstrip("\r").ljust(80)
        kind = record[0]
        try:
            if kind == "5":
                lockbox, deposited = record[7:14].strip(), _date(record[14:20])
            elif kind == "6":
                amount = _cents(record[7:17])
                if amount is None or deposited is None:
                    raise ValueError("a check with no amount, or before any lockbox header (5)")
                checks.append({"line": line, "batch": record[1:4], "item": record[4:7],
                               "amount": amount,
                               "account": "/".join(p for p in (record[17:26].strip(), record[26:36].strip()) if p),
                               "check": record[36:46].strip().lstrip("0") or record[36:46].strip(),
                               "payer": record[46:80].strip(),
                               "lockbox": lockbox, "deposited": deposited, "docs": []})
                batch_sum.setdefault(record[1:4], []).append(amount)
            elif kind == "4":
                owner = next((c for c in reversed(checks)
                              if c["batch"] == record[1:4] and c["item"] == record[4:7]), None)
                if owner is None:
                    raise ValueError("an overflow record whose batch and item match no check before it")
                if record[7] == "4" and record[11:26].strip():
                    owner["docs"].append(RemittanceLine(record[11:26].strip(), paid=_cents(record[26:36]),
                                                        gross=_cents(record[36:46]), discount=_cents(record[46:56])))
            elif kind == "7":
                count, total = int(record[20:23] or 0), _cents(record[23:33]) or 0
                found = batch_sum.get(record[1:4], [])
                if count != len(found) or total != sum(found):
                    result.problems.add(name, line, "Amount", format_amount(total, currency),
                                        f"batch {record[1:4]} holds {len(found)} check(s) for "
                                        f"{format_amount(sum(found), currency)}, "
                                        f"but its batch total says {count} for {format_amount(total, currency)}",
                                        "Compare the checks with the lockbox report; a check may be missing.")
            elif kind not in "12389 ":
                raise ValueError(f"unknown record type {kind!r}")
        except ValueError as exc:
            problem(line, record, str(exc))
    for c in checks:
        result.receipts.append(Receipt(
            line=c["line"], received=c["deposited"], payer_name=c["payer"], amount=c["amount"],
            currency=currency, method="Lockbox", payer_account=c["account"], check_number=c["check"],
            bank_reference=f"LBX{c['lockbox']}-{c['deposited']:%y%m%d}-{c['batch']}-{c['item']}",
            remittance=tuple(c["docs"])))
    return result
