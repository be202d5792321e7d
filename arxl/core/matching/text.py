"""Remittance text as a matcher reads it: reference parts, quoted amounts, and deduction reasons.

Nothing here knows any invoice format: the parts are runs of letters or digits with the
separators between them, and the invoice index (``ids.py``) decides which runs of parts spell
one of the workbook's own invoice numbers. What is removed first is what a bank adds to every
entry and that can never be a reference: the values of the NACHA/ACH description fields
(TRACE#, CO ID, IND ID...), and amounts written with cents.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from arxl.core.money import to_cents

# O read for 0 (OCR, typing): an O touching a digit inside a word. Applied alike to invoice
# numbers and remittance text, so an invoice legitimately spelled with an O still matches.
O_NEAR_DIGIT = re.compile(r"(?<=\d)O+|O+(?=\d)")  # "1OO234": the whole run of O's


def as_zeros(match: re.Match) -> str:
    return "0" * len(match.group())


def fix_ocr(text: str) -> str:
    """Upper case, with every O that touches a digit read as a zero."""
    return O_NEAR_DIGIT.sub(as_zeros, text.upper())


# Values of the bank's own entry-description fields: identifiers of the transfer, never of an
# invoice (a 15-digit trace number must not be read as one).
_ID_LABELS = r"TRACE\s*(?:#|NO|NUMBER)?|TRN|CO\s*ID|ORIG\s*ID|IND\s*ID|EED|SEC|DESC\s*DATE|BATCH"
_NAME_LABELS = r"ORIG\s*CO\s*NAME|CO\s*ENTRY\s*DESCR|IND\s*NAME|CO\s*NAME"
_BANK_FIELDS = re.compile(
    rf"\b(?:{_ID_LABELS})\s*[:#]\s*\S+"
    rf"|\b(?:{_NAME_LABELS})\s*:.*?(?=\b(?:{_ID_LABELS}|{_NAME_LABELS})\s*[:#]|$)")
# A check number is the payer's, never ours.
_CHECK_NUMBER = re.compile(r"\b(?:CHECK|CHEQUE|CHK|CK)\s*(?:#|NO\.?|NUMBER)?\s*:?\s*\d+")
# An amount with cents, as remittances quote them: 1,234.56 / 1234.56 / $1,234.56.
_AMOUNT = re.compile(r"(?<![\w.,])\$?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{2}(?![\w.]|,\d)")
_PART = re.compile(r"[A-Z]+|\d+")
# EDI 820 remittance segment: RMR*IV*<reference>*<amount paid>[*<amount due>*<discount>]\
_RMR = re.compile(r"RMR\*(?P<qual>[A-Z0-9]{1,3})\*(?P<ref>[^*\\~]*)(?:\*(?P<paid>-?[\d.,]*))?"
                  r"(?:\*(?P<due>-?[\d.,]*))?(?:\*(?P<disc>-?[\d.,]*))?")

# Reasons a payer gives for paying less, as remittances spell them (a word starting so).
_REASONS = (
    ("DAMAGE", "Damaged goods"), ("DEFECT", "Damaged goods"), ("BROKEN", "Damaged goods"),
    ("PRIC", "Pricing"), ("PRICE", "Pricing"), ("FREIGHT", "Freight"), ("SHIPPING", "Freight"),
    ("SHORTAGE", "Shortage"), ("SHORT SHIP", "Shortage"), ("MISSING", "Shortage"),
    ("RETURN", "Return"), ("RTN", "Return"), ("PROMO", "Promotion"), ("ALLOWANCE", "Allowance"),
    ("CHARGEBACK", "Chargeback"), ("DEDUCT", "Deduction"), ("REBATE", "Rebate"), ("TAX", "Tax"),
)
_REASON_WORDS = re.compile(r"\b(" + "|".join(word for word, _ in _REASONS) + ")")
_REASON_OF = dict(_REASONS)
_DISCOUNT_WORDS = re.compile(r"\bDISC(?:OUNT)?S?\b|\bLESS\s+\d+(?:\.\d+)?\s*%")
_PARTIAL_WORDS = re.compile(r"\bPARTIAL\b|\bINSTAL+MENT\b|\bPAYMENT\s+PLAN\b|\bPMT\s+PLAN\b|\b\d+\s+OF\s+\d+\b")


@dataclass(frozen=True)
class Part:
    """A run of letters or digits of the remittance, with the separator text before it."""

    text: str
    start: int
    end: int
    sep: str  # what stands between the previous part and this one ("" when they touch)

    @property
    def digits(self) -> bool:
        return self.text[0].isdigit()


@dataclass(frozen=True)
class Quoted:
    """An amount written in the text, at a position (for pairing with the reference before it)."""

    cents: int
    start: int


@dataclass(frozen=True)
class EdiLine:
    """One EDI 820 RMR segment: RMR*<qualifier>*<reference>*<paid>*<due>*<discount taken>."""

    qualifier: str
    reference: str
    paid: int | None
    discount: int | None
    start: int  # where it begins in the text


@dataclass(frozen=True)
class Remittance:
    text: str  # the normalised text the parts index into
    parts: tuple[Part, ...]
    amounts: tuple[Quoted, ...]
    edi_lines: tuple[EdiLine, ...]
    reason: str  # a deduction reason read from the text ("" for none)
    says_discount: bool
    says_partial: bool
    cut: bool  # the text seems cut off (at a usual field length, mid-word)

    @property
    def edi(self) -> tuple[tuple[str, str, int | None], ...]:
        """The EDI segments in short: (qualifier, reference, amount paid)."""
        return tuple((e.qualifier, e.reference, e.paid) for e in self.edi_lines)


def _cents(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return to_cents(text)
    except ValueError:
        return None


# Usual lengths at which banks and lockboxes cut remittance text (ACH addenda 80, wire 140).
CUT_LENGTHS = (80, 140)


def read_remittance(reference: str) -> Remittance:
    raw = str(reference or "")
    text = fix_ocr(raw)
    edi = tuple(EdiLine(m.group("qual"), m.group("ref").strip(), _cents(m.group("paid")),
                        _cents(m.group("disc")), m.start()) for m in _RMR.finditer(text))
    masked = _CHECK_NUMBER.sub(lambda m: " " * len(m.group()), _BANK_FIELDS.sub(lambda m: " " * len(m.group()), text))
    amounts = []

    def keep_amount(m: re.Match) -> str:
        value = _cents(m.group())
        if value is not None:
            amounts.append(Quoted(value, m.start()))
        return " " * len(m.group())

    masked = _AMOUNT.sub(keep_amount, masked)
    masked = re.sub(r"RMR\*[A-Z0-9]{1,3}\*", lambda m: " " * len(m.group()), masked)
    parts, last_end = [], 0
    for m in _PART.finditer(masked):
        parts.append(Part(m.group(), m.start(), m.end(), masked[last_end:m.start()] if parts else ""))
        last_end = m.end()
    said = _REASON_WORDS.search(masked)
    reason = _REASON_OF[said.group(1)] if said else ""
    # Cut off: the text (after the bank's own description) has a usual field length, or the
    # last EDI segment lost its terminator.
    own = _BANK_FIELDS.sub("", text).strip()
    last_rmr = text.rfind("RMR*")
    cut = len(own) in CUT_LENGTHS or (last_rmr >= 0 and not re.search(r"[\\~]", text[last_rmr:]))
    return Remittance(text, tuple(parts), tuple(amounts), edi, reason,
                      bool(_DISCOUNT_WORDS.search(masked)), bool(_PARTIAL_WORDS.search(masked)), cut)


def name_tokens(name: str) -> list[str]:
    """A company name as comparable words: upper case, '&' as AND, punctuation dropped
    ("Smith & Sons, Inc." -> SMITH AND SONS INC)."""
    text = str(name or "").upper().replace("&", " AND ")
    text = re.sub(r"[.,'`]", "", text)
    return re.findall(r"[A-Z0-9]+", text)
