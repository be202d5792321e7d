"""Remittance text as a matcher reads it: reference parts, quoted amounts, and deduction reasons.

Nothing here knows any invoice format: the parts are runs of letters or digits with the
separators between them, and the invoice index (``ids.py``) decides which runs of parts spell
one of the workbook's own invoice numbers. What is removed first is what a bank adds to every
entry and that can never be a reference: the values of the NACHA/ACH description fields
(TRACE#, CO ID, IND ID...), check numbers, the customer numbers a payer quotes, dates, and
amounts written with cents (with a decimal point or, as much of Europe writes them, a decimal
comma).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from anyascii import anyascii

from arxl.core.money import minor_units, to_minor

# O read for 0 (OCR, typing): an O touching a digit inside a word ("1OO234": the whole run of
# O's). Applied alike to invoice numbers and remittance text, so an invoice legitimately spelled
# with an O still matches.
_O_BEFORE_DIGIT = re.compile(r"O(?=O*\d)")


def o_as_zero(text: str) -> str:
    """Every O of a run of O's touching a digit read as a zero: the runs before a digit, then
    (in the text reversed) those after one; two substitutions without a call per match."""
    if "O" not in text:
        return text
    text = _O_BEFORE_DIGIT.sub("0", text)
    return _O_BEFORE_DIGIT.sub("0", text[::-1])[::-1] if "O" in text else text


def fix_ocr(text: str) -> str:
    """Upper case, with every O that touches a digit read as a zero."""
    return o_as_zero(text.upper())


# Letters banks print without their accents (SEPA, ACH and most lockboxes carry only A-Z), as
# they spell those that are not a letter and an accent.
_SPELT_OUT = str.maketrans({"ß": "ss", "ẞ": "SS", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ø": "O", "ø": "o",
                            "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Þ": "TH", "þ": "th", "ı": "i"})
_UMLAUTS = str.maketrans({"Ä": "AE", "ä": "ae", "Ö": "OE", "ö": "oe", "Ü": "UE", "ü": "ue"})


def without_accents(text: str) -> str:
    """``text`` in the letters a bank prints: accents dropped (Société -> Societe, Müller ->
    Muller), other letters spelled out (Straße -> Strasse, Søren -> Soren), and letters of other
    scripts written in Latin ones, as banks and the payments that cross borders write them
    (``anyascii``: ООО Ромашка -> OOO Romashka, Αθηνά -> Athina). Only letters: a currency sign
    or a numero sign stays as written, for the readings of amounts and references to judge."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELT_OUT))
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    if kept.isascii():
        return kept
    return "".join(anyascii(c) if not c.isascii() and c.isalpha() else c for c in kept)


def german_spelling(text: str) -> str | None:
    """``text`` with its umlauts as German banks print them (Müller -> Mueller); None when it
    has none."""
    spelt = text.translate(_UMLAUTS)
    return spelt if spelt != text else None


# Values of the bank's own entry-description fields: identifiers of the transfer, never of an
# invoice (a 15-digit trace number, a Fedwire IMAD must not be read as one). A name field ends where the next
# field or the payer's EDI remittance (CTX addenda) begins.
_ID_LABELS = r"TRACE\s*(?:#|NO|NUMBER)?|TRN|CO\s*ID|ORIG\s*ID|IND\s*ID|EED|SEC|DESC\s*DATE|BATCH|IMAD|OMAD"
_NAME_LABELS = r"ORIG\s*CO\s*NAME|CO\s*ENTRY\s*DESCR|IND\s*NAME|CO\s*NAME"
_BANK_FIELDS = re.compile(
    rf"\b(?:{_ID_LABELS})\s*[:#]\s*\S+"
    rf"|\b(?:{_NAME_LABELS})\s*:.*?(?=\b(?:{_ID_LABELS}|{_NAME_LABELS})\s*[:#]|\b(?:RMR|ADX|REF)\*|$)")
# A check number is the payer's, never ours; so is the number a payer says we gave it as a
# customer ("CUSTOMER NO 4711", "Kd.-Nr. 19243", "Kundennummer 4711"): it names no invoice.
_PAYERS_OWN_NUMBERS = re.compile(r"\b(?:CHECK|CHEQUE|CHK|CK)\s*(?:#|NO\.?|NUMBER)?\s*:?\s*\d+"
                                 r"|\b(?:CUST(?:OMER)?|KD|KUNDEN|CLIENT|CLIENTE)\s*\.?\s*-?\s*(?:#|NO\b|NR\b|NUM(?:BER|MER)?\b)"
                                 r"\s*\.?\s*:?\s*\d+")
# The typed line of a Brazilian boleto (linha digitável: 47 digits grouped 5.5 5.6 5.6 1 14, bank,
# amount and due date in it) is the payment slip's code, never a reference: its groups of five
# and six digits would otherwise read as invoice numbers.
_BOLETO_LINE = re.compile(r"(?<!\d)\d{5}\.?\d{5}\s*\d{5}\.?\d{6}\s*\d{5}\.?\d{6}\s*\d\s*\d{14}(?!\d)")
# A date ("vom 22.04.2026", "du 04/22/2026", "22-04-2026", "2026-04-22", "vom 2.5.26") is never a
# reference: day, month and year, in either order of day and month, with dots, slashes or dashes
# (or year first); a year of two digits only with dots, for "10/12/34" or "10-12-34" may as well be
# a reference of the payer's.
_DATE = re.compile(r"(?<![\w./-])(?:(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<year>(?:19|20)?\d\d)"
                   r"|(?P<iso>(?:19|20)\d\d)-(?P<month>\d{1,2})-(?P<day>\d{1,2}))(?![\w]|[./-]\d)")


def _blank(m: re.Match[str]) -> str:
    """What is masked keeps its length: the parts after it keep their places in the text."""
    return " " * len(m.group())


def _is_date(m: re.Match[str]) -> bool:
    if m.group("iso"):
        return 1 <= int(m.group("month")) <= 12 and 1 <= int(m.group("day")) <= 31
    a, b = int(m.group("a")), int(m.group("b"))
    return 1 <= min(a, b) <= 12 and max(a, b) <= 31 and (len(m.group("year")) == 4 or m.group("sep") == ".")


# A currency's sign or abbreviation written before an amount: $ \u00a5 \u20ac \u00a3 \u20b9, the rupee as
# India and its neighbours write it (Rs. 1,234.56, RS.1234.56), the real (R$ 1.234,56).
_CURRENCY_MARK = r"(?:[$\u00a5\u20ac\u00a3\u20b9]|RS\.?\s?|R\$\s?)?"


@cache
def _amount_pattern(decimals: int) -> re.Pattern[str]:
    """An amount as remittances quote them, with the decimals of the payment's currency:
    1,234.56 / 1234.56 / $1,234.56 (2); 1,234.567 (3); with none (JPY), only grouped by
    thousands ("1,234,000", "1,234,000.00"), for a bare number may be a reference."""
    if decimals == 0:
        body = r"\d{1,3}(?:,\d{3})+(?:\.0{1,2})?|\d+\.00"
        return re.compile(rf"(?<![\w.,]){_CURRENCY_MARK}(?P<number>{body})(?![\w.]|,\d)")
    # with a decimal point (1,234.56; in Switzerland 1'234.56), or as much of Europe writes it,
    # with a decimal comma (1.234,56 / 1 234,56 / 50,00): the two are told apart by the decimals
    # that end them. Thousands grouped by a space are read only before a decimal comma: "100234
    # 1,234.56" is a reference and an amount, "1 234,56" one amount (never 234,56).
    # India groups by lakhs and crores before a decimal point (1,23,456.78).
    point = (rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d{{1,2}}(?:,\d{{2}})+,\d{{3}}|\d{{1,3}}(?:['\u00a0\u202f]\d{{3}})+|\d+)"
             rf"\.\d{{{decimals}}}(?![\w.]|,\d)")
    comma = rf"(?:\d{{1,3}}(?:\.\d{{3}})+|\d{{1,3}}(?:[ '\u00a0\u202f]\d{{3}})+|\d+),\d{{{decimals}}}(?![\w,]|\.\d)"
    return re.compile(rf"(?<![\w.,]){_CURRENCY_MARK}(?P<number>{point}|(?P<comma>{comma}))")

_PART = re.compile(r"[A-Z]+|\d+")
# EDI 820 remittance segments, as banks and bank-file importers pass them on: RMR*<qualifier>*
# <reference>[*<action code>]*<paid>*<gross>*<discount>\ for each document, and ADX*<amount>*
# <reason code>[*<qualifier>*<reference>]\ for an adjustment the payer took (of the document
# named, else of the RMR before it).
_RMR = re.compile(r"RMR\*(?P<qual>[A-Z0-9]{1,3})\*(?P<ref>[^*\\~]*)(?P<rest>(?:\*[^*\\~]*){0,4})")
_ADX = re.compile(r"ADX\*(?P<amount>-?[\d.,]+)\*(?P<code>[^*\\~]*)(?:\*(?P<qual>[A-Z0-9]{1,3})\*(?P<ref>[^*\\~]*))?")
_ACTION_CODE = re.compile(r"[A-Z]{1,2}")

TAX_WITHHELD = "Tax withheld"  # a share of each invoice paid, withheld at source
# Reasons a payer gives for paying less, as remittances spell them (a word starting so).
_REASONS = (
    ("DAMAGE", "Damaged goods"), ("DEFECT", "Damaged goods"), ("BROKEN", "Damaged goods"),
    ("PRIC", "Pricing"), ("PRICE", "Pricing"), ("FREIGHT", "Freight"), ("SHIPPING", "Freight"),
    ("SHORTAGE", "Shortage"), ("SHORT SHIP", "Shortage"), ("MISSING", "Shortage"),
    ("RETURN", "Return"), ("RTN", "Return"), ("PROMO", "Promotion"), ("ALLOWANCE", "Allowance"),
    ("CHARGEBACK", "Chargeback"), ("DEDUCT", "Deduction"), ("REBATE", "Rebate"), ("TAX", "Tax"),
    # tax the payer withholds at source and pays to the state for us (India's TDS, WHT elsewhere)
    ("TDS", TAX_WITHHELD), ("WHT", TAX_WITHHELD), ("WITHHOLD", TAX_WITHHELD), ("RETENC", TAX_WITHHELD),
)
_REASON_WORDS = re.compile(r"\b(" + "|".join(word for word, _ in _REASONS) + ")")
_REASON_OF = dict(_REASONS)
# a cash discount, in English and as much of Europe writes it (Skonto, escompte, descuento, sconto, korting)
_DISCOUNT_WORD = r"DISC(?:OUNT)?S?\b|SKONTO|ESCOMPTE|DESCUENTO|SCONTO|KORTING"
_DISCOUNT_WORDS = re.compile(rf"\b(?:{_DISCOUNT_WORD})|\bLESS\s+\d+(?:\.\d+)?\s*%")
# An amount the payer says it took off: a word of deducting before it ("LESS 120.50", "DEDUCT
# 75.00", "SHORT PAID 12.00"), a minus sign touching it ("-40.00"), brackets ("(40.00)"), or a
# word after it ("75.00 DEDUCTED"); never a discount ("LESS 20.00 DISC"), which the terms decide.
# The words in German, French, Spanish and Italian too ("abzgl. 12,50", "moins 10,00", "menos 5,00").
_DEDUCTED_BEFORE = re.compile(
    r"(?:\b(?:LESS|MINUS|DEDUCT\w*|DED|SHORT(?:\s*PA(?:Y|ID))?|ADJ(?:USTMENT)?|CHARGE\s*BACK|CB"
    r"|ABZGL|ABZU?E?GLICH|ABZUG|KU?E?RZUNG|MOINS|RETENUE|MENOS|DEDUCCION|MENO|TRATTENUTA)\.?\s*[:#]?\s*"
    r"|(?:^|\s)-|\(\s*)$")
_DEDUCTED_AFTER = re.compile(r"\s*\)?\s*(?:DEDUCT\w*|DED\b|SHORT\s*PA(?:Y|ID)\b|CHARGE\s*BACK)")
_DISCOUNT_AFTER = re.compile(rf"\s*\)?\s*(?:%|{_DISCOUNT_WORD})")
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
class Deduction:
    """An amount the text says the payer took off, with the reason it gives ("LESS 120.50
    CO-OP ADVERTISING": 12050, "CO-OP ADVERTISING"; "DEDUCT 75.00 DAMAGED": Damaged goods)."""

    cents: int
    reason: str
    start: int


@dataclass(frozen=True)
class EdiLine:
    """One document of a structured remittance (an EDI RMR segment with its ADX adjustments):
    what the payer says it paid for the reference, the document's gross amount, the discount
    taken and the deductions (adjustments) taken, in cents (None where it does not say)."""

    qualifier: str
    reference: str
    paid: int | None
    gross: int | None
    discount: int | None
    start: int  # where the reference begins in the text
    end: int  # where it ends
    adjustments: tuple[tuple[int, str], ...] = ()  # (cents deducted, reason code)

    @property
    def deduction(self) -> int | None:
        """What the payer deducted besides the discount: its adjustments, or else what the gross
        amount less the paid amount and the discount leaves."""
        if self.adjustments:
            return sum(cents for cents, _ in self.adjustments)
        if self.gross is not None and self.paid is not None:
            left = self.gross - self.paid - (self.discount or 0)
            return left if left > 0 else None
        return None

    @property
    def deduction_reason(self) -> str:
        """The reason codes its adjustments give ("" for none)."""
        return ", ".join(dict.fromkeys(code for _, code in self.adjustments if code))


@dataclass(frozen=True)
class Remittance:
    text: str  # the normalised text the parts index into
    parts: tuple[Part, ...]
    amounts: tuple[Quoted, ...]  # amounts paid, as far as the text says (deductions apart)
    deductions: tuple[Deduction, ...]
    edi_lines: tuple[EdiLine, ...]
    reason: str  # a deduction reason read from the text ("" for none)
    says_discount: bool
    says_partial: bool
    cut: bool  # the text seems cut off (at a usual field length, mid-word)

    @property
    def edi(self) -> tuple[tuple[str, str, int | None], ...]:
        """The EDI segments in short: (qualifier, reference, amount paid)."""
        return tuple((e.qualifier, e.reference, e.paid) for e in self.edi_lines)


def _minor(text: str | None, currency: str, decimal_separator: str = ".") -> int | None:
    """An amount written in the text, in the payment's currency's minor unit (None: not one)."""
    if not text:
        return None
    try:
        return to_minor(text, currency, decimal_separator)
    except ValueError:
        return None


def _edi_lines(text: str, currency: str) -> tuple[EdiLine, ...]:
    """The RMR segments of the text with the ADX adjustments that belong to each. After the
    reference, X12 puts an action code (often blank) before the amounts; a bank-file importer
    writes paid, gross and discount straight after it (always all three)."""
    lines: list[EdiLine] = []
    for m in _RMR.finditer(text):
        rest = m.group("rest").split("*")[1:]
        if rest and (_ACTION_CODE.fullmatch(rest[0]) or (rest[0] == "" and not (
                len(rest) == 3 and (rest[2] == ""
                                    or (_minor(rest[1], currency) or 0) > (_minor(rest[2], currency) or 0))))):
            rest = rest[1:]
        paid, gross, discount = (_minor(rest[k], currency) if k < len(rest) else None for k in range(3))
        lines.append(EdiLine(m.group("qual"), m.group("ref").strip(), paid, gross, discount or None,
                             m.start("ref"), m.end("ref")))
    for m in _ADX.finditer(text):
        cents = _minor(m.group("amount"), currency)
        if not cents or cents > 0:
            continue  # only what the payer took off is a deduction
        ref = (m.group("ref") or "").strip()
        owner = next((k for k, e in enumerate(lines) if ref and e.reference == ref), None)
        if owner is None and not ref:
            owner = next((k for k in range(len(lines) - 1, -1, -1) if lines[k].start < m.start()), None)
        if owner is not None:
            e = lines[owner]
            lines[owner] = replace(e, adjustments=e.adjustments + ((-cents, m.group("code").strip()),))
    return tuple(lines)


def _stated_reason(after: str) -> str:
    """The reason given right after a deducted amount: a reason word read as the others are
    ("DAMAGED" -> Damaged goods), else the words themselves up to the next number or list
    separator, leaving out a reference's prefix ("CO-OP ADVERTISING INV 100235")."""
    clause = re.match(r"[^;,\\~*\d]*", after).group()  # type: ignore[union-attr]  # matches "" at least
    said = [_REASON_OF[w] for w in _REASON_WORDS.findall(clause)]
    if said:
        return next((r for r in said if r != "Deduction"), said[0])
    if after[len(clause):][:1].isdigit():
        clause = re.sub(r"\b[A-Z]+\W{0,2}$", "", clause)
    words = re.findall(r"[A-Z][A-Z&'/-]*", clause)
    words = [w for w in words if not _DEDUCTED_AFTER.match(w)]
    return " ".join(words[:4])


# Belgium's structured communication (+++123/4567/89012+++, or ***...***): ten digits and their
# mod-97 check (97 for 0). Companies make it of their invoice number; banks pass it on as typed.
_STRUCTURED = re.compile(r"(?:\+{3}|\*{3})\s*(\d{3})\s*/\s*(\d{4})\s*/\s*(\d{5})\s*(?:\+{3}|\*{3})")


def _structured_number(m: re.Match[str]) -> str:
    """A structured communication whose check holds, read as the number it carries (its ten
    digits without their leading zeros), in as many characters; else as written."""
    digits = "".join(m.groups())
    if (int(digits[:10]) % 97 or 97) != int(digits[10:]):
        return m.group()
    return (digits[:10].lstrip("0") or "0").ljust(len(m.group()))


# Usual lengths at which banks and lockboxes cut remittance text (ACH addenda 80, wire 140).
CUT_LENGTHS = (80, 140)


def read_remittance(reference: str, currency: str = "") -> Remittance:
    """The remittance text read: its parts, the amounts it quotes (in ``currency``'s minor unit:
    2 decimals when blank), deductions, EDI segments and the words that say what it is."""
    raw = str(reference or "")
    text = _STRUCTURED.sub(_structured_number, fix_ocr(without_accents(raw)))
    edi = _edi_lines(text, currency)
    masked = _BOLETO_LINE.sub(_blank, _PAYERS_OWN_NUMBERS.sub(_blank, _BANK_FIELDS.sub(_blank, text)))
    masked = _DATE.sub(lambda m: _blank(m) if _is_date(m) else m.group(), masked)
    amounts, deductions = [], []

    def keep_amount(m: re.Match[str]) -> str:
        # (with a decimal point, commas only group digits: by thousands, or by lakhs)
        value = (_minor(m.group("number"), currency, ",") if m.groupdict().get("comma")
                 else _minor(m.group("number").replace(",", ""), currency))
        before, after = m.string[max(0, m.start() - 24):m.start()], m.string[m.end():]
        deducted = ((_DEDUCTED_BEFORE.search(before) or _DEDUCTED_AFTER.match(after))
                    and not _DISCOUNT_AFTER.match(after))
        if value is not None and deducted:
            deductions.append(Deduction(value, _stated_reason(after), m.start()))
        elif value is not None:
            amounts.append(Quoted(value, m.start()))
        return _blank(m)

    masked = _amount_pattern(minor_units(currency)).sub(keep_amount, masked)
    # What an EDI segment holds besides its reference (codes, amounts) is never a reference.
    for m in (*_RMR.finditer(text), *_ADX.finditer(text)):
        ref = m.span("ref") if m.group("ref") is not None else (m.end(), m.end())
        masked = (masked[:m.start()] + " " * (ref[0] - m.start()) + masked[ref[0]:ref[1]]
                  + " " * (m.end() - ref[1]) + masked[m.end():])
    parts: list[Part] = []
    last_end = 0
    for m in _PART.finditer(masked):
        parts.append(Part(m.group(), m.start(), m.end(), masked[last_end:m.start()] if parts else ""))
        last_end = m.end()
    said = _REASON_WORDS.search(masked)
    reason = _REASON_OF[said.group(1)] if said else ""
    deductions = [d if d.reason else replace(d, reason=reason or "Deduction") for d in deductions]
    # Cut off: the whole text, or what follows the bank's own description, has a usual field
    # length; or the last EDI segment lost its terminator.
    fields = list(_BANK_FIELDS.finditer(text))
    after_bank = text[fields[-1].end():] if fields else text
    lengths = {len(text), len(_BANK_FIELDS.sub("", text).strip()), len(after_bank), len(after_bank.lstrip())}
    last_rmr = text.rfind("RMR*")
    cut = bool(lengths & set(CUT_LENGTHS)) or (last_rmr >= 0 and not re.search(r"[\\~]", text[last_rmr:]))
    return Remittance(text, tuple(parts), tuple(amounts), tuple(deductions), edi, reason,
                      bool(_DISCOUNT_WORDS.search(masked)), bool(_PARTIAL_WORDS.search(masked)), cut)


# Legal forms of companies, international: each spelled one way ("Limited" is LTD). A name
# differing from another only in its legal form names the same company (payers.py gives them no
# weight).
_AND = {"UND": "AND", "ET": "AND"}  # "Müller und Söhne", "Dubois et Fils": as "&" is
_LEGAL_SPELLINGS = {"LIMITED": "LTD", "INCORPORATED": "INC", "CORPORATION": "CORP", "COMPANY": "CO",
                    "BERHAD": "BHD", "SENDIRIAN": "SDN"}
LEGAL_FORMS = frozenset({*_LEGAL_SPELLINGS.values(), "LLC", "LLP", "LP", "PLC", "PTY", "GMBH", "AG", "KG", "SA",
                         "SAS", "SARL", "SRL", "SPA", "BV", "NV", "OY", "AB", "ASA", "KK", "PVT",
                         # Europe's others: s.r.o., S.L., A/S, ApS, Oyj, Kft., d.o.o., UAB, SIA, OÜ, UG...
                         "SRO", "SL", "SLU", "SAU", "AS", "APS", "OYJ", "KFT", "ZRT", "DOO", "UAB", "SIA", "OU",
                         "UG", "OHG", "BVBA", "SPRL", "EURL", "SASU", "LDA", "LTDA", "EOOD", "SPZOO",
                         # Asia's: Pte. Ltd., Sdn. Bhd., Indonesia's PT, CV and Tbk, Japan's GK, JSC, OOO
                         "PTE", "SDN", "BHD", "PT", "CV", "TBK", "GK", "JSC", "OOO",
                         # written in Cyrillic or Greek letters (ЗАО, ПАО, ЕПЕ, ΙΚΕ), as ``without_accents`` spells them
                         "ZAO", "OAO", "PAO", "EPE", "IKE"})
_SP_Z_OO = re.compile(r"\bSP\s*Z\s*O\s*O\b")  # Poland's sp. z o.o., however spaced
_PRIVATE_LIMITED = re.compile(r"\bPRIVATE(?=\s+(?:LIMITED|LTD)\b)")  # India's Private Limited: Pvt. Ltd.
# Russia's and Kazakhstan's legal forms as banks spell them out (Общество с ограниченной
# ответственностью: OOO), in the Latin letters ``without_accents`` gives, whichever table
# (OGRANICHENNOY, OGRANICHENNOI), the longer first
_SPELLED_FORMS = tuple((re.compile(pattern), f" {form} ") for pattern, form in (
    (r"\bOBSHCHESTVO S OGRANICHENN[A-Z]* OTVETSTVENNOST[A-Z]*", "OOO"),
    (r"\bTOVARISHCHESTVO S OGRANICHENN[A-Z]* OTVETSTVENNOST[A-Z]*", "TOO"),
    (r"\bZAKRYT[A-Z]* AKTSIONERN[A-Z]* OBSHCHESTV[A-Z]*", "ZAO"),
    (r"\bOTKRYT[A-Z]* AKTSIONERN[A-Z]* OBSHCHESTV[A-Z]*", "OAO"),
    (r"\bPUBLICHN[A-Z]* AKTSIONERN[A-Z]* OBSHCHESTV[A-Z]*", "PAO"),
    (r"\bAKTSIONERN[A-Z]* OBSHCHESTV[A-Z]*", "AO"),
    (r"\bINDIVIDUALN[A-Z]* PREDPRINIMATEL[A-Z]*", "IP")))


def cut_legal_form(word: str) -> bool:
    """A legal form cut short where a bank's field ended ("ZELLER & SONS LIMI", "... INCORP")."""
    return len(word) >= 2 and word not in LEGAL_FORMS and any(
        form.startswith(word) for form in (*_LEGAL_SPELLINGS, *LEGAL_FORMS))


_NOT_ACCOUNT = re.compile(r"[^A-Z0-9]")


# Each payment's account is looked up many times while its candidates are made: its key is
# worked out once.
@lru_cache(maxsize=1 << 16)
def account_key(text: object) -> str:
    """A payer account as compared: letters and digits, upper case ("gb12 abcd-0001" -> GB12ABCD0001);
    "" for a blank one."""
    return _NOT_ACCOUNT.sub("", str(text or "").upper())


def name_tokens(name: str) -> list[str]:
    """A company name as comparable words: upper case, '&', UND and ET as AND, punctuation dropped, each
    legal form spelled one way ("Smith & Sons, Limited" -> SMITH AND SONS LTD; "S R O" and "s.r.o."
    -> SRO; "Private Limited" -> PVT LTD; "Общество с ограниченной ответственностью" -> OOO),
    accents dropped and other scripts in Latin letters (``without_accents``: "Société Générale" ->
    SOCIETE GENERALE)."""
    text = without_accents(str(name or "")).upper().replace("&", " AND ")
    text = _PRIVATE_LIMITED.sub("PVT", _SP_Z_OO.sub(" SPZOO ", re.sub(r"[.,'`]", "", text)))
    if "OTVETSTVENNOST" in text or "AKTSIONERN" in text or "PREDPRINIMATEL" in text:
        for spelled, form in _SPELLED_FORMS:
            text = spelled.sub(form, text)
    words = [_LEGAL_SPELLINGS.get(w, _AND.get(w, w)) for w in re.findall(r"[A-Z0-9]+", text)]
    # a legal form whose dots a bank printed as spaces, or written A/S: "NOVAK & PARTNER S R O"
    letters = len(words)
    while letters > 1 and len(words[letters - 1]) == 1 and words[letters - 1].isalpha():
        letters -= 1
    if len(words) - letters >= 2 and "".join(words[letters:]) in LEGAL_FORMS:
        words[letters:] = ["".join(words[letters:])]
    return words
