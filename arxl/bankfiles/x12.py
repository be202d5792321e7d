"""ANSI X12 820 (payment order / remittance advice), and the X12 segments that NACHA CCD+ and
CTX entries carry in their addenda. One 820 transaction set (ST..SE) is one payment: BPR gives
amount, method and date, TRN the trace number, N1*PR the payer, and each RMR a document paid
(``RMR*IV*<invoice>*<action>*<paid>*<invoice amount>*<discount>``), with the REF, DTM and ADX
(adjustment) segments that follow it."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from arxl.bankfiles.model import DEBIT, NOTHING, ParsedFile, Receipt, RemittanceLine, Skipped
from arxl.core.money import NotAnAmount, format_amount, to_minor
from arxl.core.problems import Problems

METHODS = {"ACH": "ACH", "CHK": "Check", "FWT": "Wire", "FEW": "Wire", "BOP": "Wire",
           "SWT": "Wire", "CWT": "Wire", "NON": ""}


@dataclass(frozen=True)
class Segment:
    line: int
    elements: list[str]

    @property
    def id(self) -> str:
        return self.elements[0].upper()

    def get(self, position: int) -> str:
        return self.elements[position].strip() if position < len(self.elements) else ""


def separators(text: str) -> tuple[str, str]:
    """(element separator, segment terminator). An ISA header fixes both: the terminator is the
    character after ISA16. Without one (addenda fragments) the element separator is the
    character after the segment id, and the terminator ``~``, else ``\\``."""
    text = text.lstrip()
    if text.startswith("ISA") and len(text) > 4:
        element = text[3]
        parts = text.split(element, 16)
        if len(parts) == 17 and len(parts[16]) >= 2:
            return element, parts[16][1]
    found = re.match(r"[A-Z][A-Z0-9]{1,2}([^A-Za-z0-9\s])", text)
    element = found.group(1) if found else "*"
    return element, "~" if "~" in text else "\\"


def segments(text: str, first_line: int = 1) -> list[Segment]:
    element, terminator = separators(text)
    out, line = [], first_line
    for raw in text.split(terminator):
        stripped = raw.strip()
        if stripped:
            lead = raw[:len(raw) - len(raw.lstrip())]
            out.append(Segment(line + lead.count("\n"),
                               stripped.replace("\r", "").replace("\n", "").split(element)))
        line += raw.count("\n")
    return out


def _amount(text: str, currency: str) -> int | None:
    return to_minor(text, currency) if text.strip() else None


def _date(text: str) -> dt.date | None:
    text = text.strip()
    if re.fullmatch(r"\d{8}", text):
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if re.fullmatch(r"\d{6}", text):
        return dt.date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
    return None


def remittance(segs: list[Segment], name: str, problems: Problems, currency: str
               ) -> tuple[tuple[RemittanceLine, ...], str, int]:
    """The documents (RMR with the ADX that follow it) of a run of segments, amounts in
    ``currency``'s minor unit, the further
    references (REF, NTE) as text, and the adjustments not tied to a document (an ADX right
    after ENT), which the payment includes besides the documents' paid amounts. An unreadable
    RMR or ADX is reported and left out."""
    documents: list[dict] = []
    current: dict | None = None  # the RMR an ADX belongs to; none right after ENT
    text: list[str] = []
    unattached = 0
    for seg in segs:
        try:
            if seg.id == "ENT":
                current = None
            elif seg.id == "RMR":
                current = {"invoice": seg.get(2), "paid": _amount(seg.get(4), currency),
                           "gross": _amount(seg.get(5), currency), "discount": _amount(seg.get(6), currency),
                           "adjustments": []}
                documents.append(current)
            elif seg.id == "ADX":
                adjusted, reason = _amount(seg.get(1), currency) or 0, seg.get(2) or "ADJ"
                if seg.get(4):  # an adjustment naming its own document
                    documents.append({"invoice": seg.get(4), "paid": None, "gross": None,
                                      "discount": None, "adjustments": [(adjusted, reason)]})
                elif current is not None:
                    current["adjustments"].append((adjusted, reason))
                else:
                    unattached += adjusted
                    text.append(f"adjustment {seg.get(1)} reason {reason}")
            elif seg.id == "REF" and seg.get(2):
                text.append(f"{seg.get(1)} {seg.get(2)}".strip())
            elif seg.id == "NTE" and seg.get(2):
                text.append(seg.get(2))
        except NotAnAmount as exc:
            current = None if seg.id == "RMR" else current
            problems.add(name, seg.line, "Reference", "*".join(seg.elements),
                         f"an {seg.id} segment whose amount cannot be read ({exc.problem}); left out",
                         "Check this remittance line with the payer; the payment itself is imported.")
    lines = tuple(RemittanceLine(d["invoice"], d["paid"], d["gross"], d["discount"],
                                 tuple(d["adjustments"])) for d in documents if d["invoice"])
    return lines, " ".join(text), unattached


REMITTANCE_SEGMENTS = ("ENT", "RMR", "REF", "ADX", "NTE")


def _transaction(segs: list[Segment], group_date: dt.date | None, name: str, currency: str,
                 result: ParsedFile) -> None:
    start = segs[0].line
    bpr = next((s for s in segs if s.id == "BPR"), None)
    if bpr is None:
        result.problems.add(name, start, "", "ST*820", "an 820 without a BPR (payment) segment",
                            "Ask the payer for the remittance again; this one was not imported.")
        return
    cur = next((s for s in segs if s.id == "CUR"), None)
    currency = (cur.get(2) if cur else "") or currency
    try:
        amount = to_minor(bpr.get(2), currency)
    except NotAnAmount as exc:
        result.problems.add(name, bpr.line, "Amount", bpr.get(2), f"the BPR amount cannot be read: {exc.problem}",
                            "Ask the payer for the remittance again; this one was not imported.")
        return
    trn = next((s for s in segs if s.id == "TRN"), None)
    trace = trn.get(2) if trn else ""
    dtm = next((s for s in segs if s.id == "DTM" and s.get(1) == "097"), None)
    received = _date(bpr.get(16)) or (_date(dtm.get(2)) if dtm else None) or group_date
    payer = next((s for s in segs if s.id == "N1" and s.get(1) == "PR"), None)
    lines, text, unattached = remittance([s for s in segs if s.id in REMITTANCE_SEGMENTS], name,
                                         result.problems, currency)
    description = f"820 {trace} {payer.get(2) if payer else ''}".strip()
    if bpr.get(3) == "D":
        result.skipped.append(Skipped(bpr.line, DEBIT, amount, currency, description))
        return
    if amount == 0 or bpr.get(1) == "P":
        result.skipped.append(Skipped(bpr.line, NOTHING, amount, currency, description))
        return
    if received is None:
        result.problems.add(name, bpr.line, "ReceivedDate", bpr.get(16),
                            "the 820 gives no payment date (BPR16, DTM*097 or GS04)",
                            "Type the payment into Payments by hand with the date the money arrived.")
        return
    paid = [d.paid for d in lines if d.paid is not None]
    if paid and sum(paid) + unattached != amount:
        result.problems.add(name, bpr.line, "Amount", bpr.get(2),
                            f"the remittance adds up to {format_amount(sum(paid) + unattached, currency)}, "
                            f"not to the payment",
                            "The payment is imported as paid; check the remittance when applying it.")
    method = METHODS.get(bpr.get(4), "")
    result.receipts.append(Receipt(
        line=start, received=received, payer_name=payer.get(2) if payer else "", amount=amount,
        currency=currency, method=method, payer_account=bpr.get(9),
        check_number=trace if method == "Check" else "", bank_reference=trace,
        text=text, remittance=lines))


def parse_x12(data: bytes, name: str, *, currency: str = "USD", **_options) -> ParsedFile:
    """Every 820 transaction set of the interchange; other transaction sets are reported."""
    result = ParsedFile("X12")
    text = data.decode("latin-1")
    current: list[Segment] | None = None
    group_date = None
    for seg in segments(text):
        if seg.id == "GS":
            group_date = _date(seg.get(4))
        elif seg.id == "ST":
            if seg.get(1) != "820":
                result.problems.add(name, seg.line, "", f"ST*{seg.get(1)}",
                                    f"an X12 {seg.get(1)} transaction, not a remittance advice (820)",
                                    "Only 820 remittances are imported; this one was skipped.")
                current = None
            else:
                current = [seg]
        elif seg.id == "SE" and current is not None:
            _transaction(current, group_date, name, currency, result)
            current = None
        elif current is not None:
            current.append(seg)
    if current is not None:
        result.problems.add(name, current[0].line, "", "ST*820",
                            "the 820 ends without its SE segment (the file is cut short)",
                            "Ask the payer for the complete file; this remittance was not imported.")
    return result
