"""NACHA ACH files (94-character records) as a receiver sees them: each credit entry is a
payment from the batch's company (the originator), its trace number the bank reference, and its
05 addenda the remittance: one free-form line for CCD+ (often a single ``RMR*IV*...\\``
segment), or, for CTX, a whole X12 820 split across up to 9,999 addenda, joined here and read
segment by segment."""
from __future__ import annotations

import datetime as dt
import re

from arxl.bankfiles.model import DEBIT, NOTHING, RETURN, ParsedFile, Receipt, Skipped
from arxl.bankfiles.x12 import REMITTANCE_SEGMENTS, remittance, segments

CREDITS = {"22", "32", "42", "52"}
PRENOTES = {"23", "28", "33", "38", "43", "48", "53"}
DEBITS = {"27", "37", "47", "55"}
RETURNS = {"21", "26", "31", "36", "41", "46", "51", "56"}  # returns and notifications of change


def records(data: bytes) -> list[tuple[int, str]]:
    """(line, record) pairs: records one per line, or run together in 94-character blocks; a
    record whose trailing blanks an editor stripped is padded back to 94 characters."""
    text = data.decode("latin-1")
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r\n")
        for start in range(0, max(len(line), 1), 94):
            record = line[start:start + 94]
            if record.strip() and not re.fullmatch(r"9+", record):  # 9s pad the last block
                out.append((number, record.ljust(94)))
    return out


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%y%m%d").date()
    except ValueError:
        return None


def _entry(entry: tuple[int, str], addenda: list[str], batch: dict, name: str,
           result: ParsedFile) -> None:
    line, record = entry
    code, amount_text, trace = record[1:3], record[29:39], record[79:94].strip()
    if not amount_text.isdigit():
        result.problems.add(name, line, "Amount", amount_text, "an ACH entry whose amount is not a number",
                            "Check this entry with the bank; it was not imported.")
        return
    amount = int(amount_text)
    receiver = (record[58:74] if batch["sec"] == "CTX" else record[54:76]).strip()
    description = f"{batch['sec']} {batch['company']} to {receiver}, trace {trace}"
    kind = (RETURN if code in RETURNS or any(a[1:3] in ("98", "99") for a in addenda)
            else NOTHING if code in PRENOTES or amount == 0
            else DEBIT if code in DEBITS or code not in CREDITS else "")
    if kind:
        result.skipped.append(Skipped(line, kind, amount, "USD", description))
        return
    related = [a[3:83] for a in addenda if a[1:3] == "05"]  # payment-related information
    # CTX splits one 820 across its addenda at fixed width; CCD+ addenda are lines of their own.
    payload = "".join(related).strip() if batch["sec"] == "CTX" else " ".join(r.strip() for r in related)
    segs = [s for s in segments(payload, line) if s.id in REMITTANCE_SEGMENTS] if payload else []
    lines, text, _ = remittance(segs, name, result.problems, "USD")
    if not segs:
        text = payload
    received = batch["effective"] or batch["created"]
    if received is None:
        result.problems.add(name, line, "ReceivedDate", record[69:75],
                            "the batch has no readable effective entry date",
                            "Type this payment into Payments by hand with the date it arrived.")
        return
    result.receipts.append(Receipt(
        line=line, received=received, payer_name=batch["company"], amount=amount, currency="USD",
        method="ACH", payer_account=batch["company_id"], bank_reference=trace,
        text=text, remittance=lines))


def parse_nacha(data: bytes, name: str, **_options) -> ParsedFile:
    result = ParsedFile("NACHA")
    created = None
    batch: dict | None = None
    entry: tuple[int, str] | None = None
    addenda: list[str] = []
    secs = set()

    def close_entry():
        nonlocal entry, addenda
        if entry is not None and batch is not None:
            _entry(entry, addenda, batch, name, result)
        entry, addenda = None, []

    for line, record in records(data):
        kind = record[0]
        if kind == "1":
            created = _date(record[23:29])
        elif kind == "5":
            close_entry()
            batch = {"company": record[4:20].strip(), "company_id": record[40:50].strip(),
                     "sec": record[50:53], "effective": _date(record[69:75]), "created": created}
            secs.add(record[50:53])
        elif kind == "6":
            close_entry()
            entry = (line, record)
        elif kind == "7":
            if entry is None:
                result.problems.add(name, line, "", record[:20], "an addenda record with no entry before it",
                                    "Ask the bank for the file again; this addenda was skipped.")
            else:
                addenda.append(record)
        elif kind in "89":
            close_entry()
            if kind == "8":
                batch = None
        else:
            result.problems.add(name, line, "", record[:20], f"an unknown ACH record type {kind!r}",
                                "Ask the bank for the file again; this record was skipped.")
    close_entry()
    result.format = "NACHA " + "/".join(sorted(secs)) if secs else "NACHA"
    return result
