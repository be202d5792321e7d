"""How banks and payers write a payment: payer names as bank files print them, invoice numbers
in the many spellings of customers' AP clerks and systems, EDI 820 addenda, the bank's own
description wrapped around the remittance text, and the cuts fixed-width fields make.

Every function that spoils a text appends tags to the ``tags`` list it is given, saying how
(``NOISE`` lists them all); the new batch records them as the truth of each payment.
"""
from __future__ import annotations

import datetime as dt
import random

from arxl.core.money import minor_to_decimal
from arxl.demo.world import CENTS, LEGAL_FORMS, Invoice, Line, plain_ascii, weighted

# Every tag ``truth[..]["Noise"]`` may carry: how the payer's name and the text were spoiled.
NOISE = (
    "payer_clean", "payer_upper", "payer_abbreviated", "payer_suffix_dropped", "payer_cut16",
    "payer_cut22", "payer_typo", "payer_transliterated", "payer_processor", "payer_parent",
    "payer_alias", "payer_unknown", "payer_account_on_file",
    "ref_none", "ref_exact", "ref_prefix_dropped", "ref_year_dropped", "ref_number_only",
    "ref_leading_zeros_dropped", "ref_lowercase", "ref_separator_changed", "ref_no_separator",
    "ref_short_year", "ref_keying_error", "ref_ocr_error", "ref_list", "ref_list_short_tail",
    "ref_range", "ref_edi_820", "ref_bank_prefix", "ref_wire", "ref_sepa", "ref_cut80",
    "ref_cut140", "ref_amounts", "ref_po", "ref_reason", "clerk_apply_to", "clerk_customer",
    "blank_payment_id",
)

BANKS = ["JPMORGAN CHASE", "BANK OF AMERICA", "WELLS FARGO", "US BANK", "PNC BANK", "TRUIST",
         "FIFTH THIRD", "KEYBANK"]
# What payers write beside a deduction.
SHORT_REASONS = ["DAMAGED", "PRICING", "SHORTAGE", "PROMO ALLOWANCE", "RETURN", "LATE DELIVERY",
                 "CO-OP ADVERTISING"]
# Words banks abbreviate when a name must fit a field.
ABBREVIATIONS = {"COMPANY": "CO", "CORPORATION": "CORP", "INCORPORATED": "INC", "MANUFACTURING": "MFG",
                 "INTERNATIONAL": "INTL", "SERVICES": "SVCS", "SUPPLY": "SPLY", "MARINE": "MAR",
                 "ASSOCIATES": "ASSOC", "MANAGEMENT": "MGMT", "VETERINARY": "VET", "HOSPITAL": "HOSP",
                 "DISTRIBUTORS": "DISTRIB", "ELECTRICAL": "ELEC", "CONTRACTORS": "CONTR",
                 "ENGINEERING": "ENGR", "EQUIPMENT": "EQUIP", "SAINT": "ST", "HOLDINGS": "HLDGS",
                 "PARTNERS": "PTNRS", "RESTAURANT": "REST", "GROUP": "GRP", "LABORATORY": "LAB",
                 "PROPERTY": "PROP", "CENTER": "CTR", "MEDICAL": "MED", "DENTAL": "DNTL",
                 "DIAGNOSTICS": "DIAG", "FABRICATORS": "FAB", "SOLUTIONS": "SOLNS", "&": "AND",
                 "PRECISION": "PREC", "MACHINING": "MACH", "WHOLESALE": "WHSL", "BROTHERS": "BROS"}
OCR_CONFUSIONS = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"}


def _text_amount(cents: int, rng: random.Random) -> str:
    """An amount as a payer types it: with or without thousands separators."""
    return f"{minor_to_decimal(cents, CENTS):,.2f}" if rng.random() < 0.5 else f"{minor_to_decimal(cents, CENTS):.2f}"


def bank_name(rng: random.Random, name: str, tags: list[str], width: int | None = None) -> str:
    """A company name as a bank's file prints it."""
    plain = plain_ascii(name)
    if plain != name:
        tags.append("payer_transliterated")
    words = plain.replace(" - ", " ").replace(",", "").split()
    if rng.random() < 0.55:
        shorter = [ABBREVIATIONS.get(w.upper(), w) for w in words]
        if shorter != words:
            tags.append("payer_abbreviated")
        words = shorter
    if len(words) > 2 and words[-1].upper() in LEGAL_FORMS and rng.random() < 0.45:
        words = words[:-1]
        tags.append("payer_suffix_dropped")
    out = " ".join(words).upper()
    tags.append("payer_upper")
    if rng.random() < 0.4:
        out = out.replace(".", "").replace("'", "")
    width = width or rng.choices([16, 22, 35], [40, 25, 35])[0]
    if len(out) > width:
        out = out[:width].rstrip()
        if width in (16, 22):
            tags.append(f"payer_cut{width}")
    if rng.random() < 0.06 and len(out) > 6:
        i = rng.randrange(2, len(out) - 2)
        out = out[:i] + out[i + 1] + out[i] + out[i + 2:] if rng.random() < 0.5 else out[:i] + out[i + 1:]
        tags.append("payer_typo")
    return out


def spell(rng: random.Random, invoice_id: str, tags: list[str], ocr_rate: float = 0.03) -> str:
    """An invoice number as a customer's AP clerk or system wrote it."""
    _, year, number = invoice_id.split("-")
    short = number.lstrip("0")
    style = weighted(rng, {"exact": 34, "prefix_dropped": 9, "number_only": 8, "zeros_dropped": 12,
                           "no_separator": 8, "lowercase": 5, "separator": 7, "short_year": 5,
                           "hash": 5, "year_dropped": 7})
    text = {"exact": invoice_id, "prefix_dropped": f"{year}-{number}", "number_only": number,
            "zeros_dropped": short, "no_separator": invoice_id.replace("-", ""),
            "lowercase": invoice_id.lower(),
            "separator": invoice_id.replace("-", rng.choice([" ", "/", ".", "_"])),
            "short_year": f"INV-{year[2:]}-{short}", "hash": rng.choice(["#", "INV#", "No. "]) + short,
            "year_dropped": rng.choice(["INV-", "INV ", "IN"]) + rng.choice([number, short])}[style]
    tags.extend({"exact": ["ref_exact"], "prefix_dropped": ["ref_prefix_dropped"],
                 "number_only": ["ref_prefix_dropped", "ref_year_dropped", "ref_number_only"],
                 "zeros_dropped": ["ref_prefix_dropped", "ref_year_dropped", "ref_number_only",
                                   "ref_leading_zeros_dropped"],
                 "no_separator": ["ref_no_separator"], "lowercase": ["ref_lowercase"],
                 "separator": ["ref_separator_changed"], "short_year": ["ref_short_year"],
                 "hash": ["ref_year_dropped", "ref_leading_zeros_dropped"],
                 "year_dropped": ["ref_year_dropped"]}[style])
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if rng.random() < 0.04 and len(digits) >= 4:
        i = rng.choice(digits[-4:-1])  # keying errors hit the number, not the year
        if text[i + 1].isdigit() and text[i] != text[i + 1]:
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        else:
            text = text[:i] + str((int(text[i]) + rng.randint(1, 9)) % 10) + text[i + 1:]
        tags.append("ref_keying_error")
    confusable = [i for i in digits if text[i] in OCR_CONFUSIONS]
    if rng.random() < ocr_rate and confusable:
        i = rng.choice(confusable)
        text = text[:i] + OCR_CONFUSIONS[text[i]] + text[i + 1:]
        tags.append("ref_ocr_error")
    return text


def _id_list(rng: random.Random, invoices: list[Invoice], tags: list[str], ocr_rate: float) -> str:
    if len(invoices) > 1:
        tags.append("ref_list")
    if len(invoices) > 2 and rng.random() < 0.3:
        tags.append("ref_list_short_tail")
        tail = [inv.id.split("-")[-1].lstrip("0") for inv in invoices[1:]]
        return ", ".join([spell(rng, invoices[0].id, tags, ocr_rate)] + tail)
    joiner = rng.choice([", ", " ", "/", "; ", " & "])
    return joiner.join(spell(rng, inv.id, tags, ocr_rate) for inv in invoices)


def range_text(rng: random.Random, invoices: list[Invoice], tags: list[str]) -> str:
    """Consecutive invoices quoted as a range ("INV-2026-004512 THRU 004515")."""
    tags.append("ref_range")
    first, last = invoices[0].id, invoices[-1].id
    lo, hi = first.split("-")[-1], last.split("-")[-1]
    return rng.choice([f"{first} THRU {hi}", f"{lo.lstrip('0')}-{hi.lstrip('0')}",
                       f"INV {lo} TO {hi}", f"{first} - {last}"])


def edi_820(rng: random.Random, lines: list[Line], tags: list[str]) -> str:
    """ACH CTX addenda: one RMR segment per invoice (paid, invoice and discount amounts), an ADX
    segment for a deduction."""
    tags.append("ref_edi_820")
    parts = []
    for line in lines:
        inv_id = spell(rng, line.billed.id, tags, 0)
        seg = f"RMR*IV*{inv_id}**{minor_to_decimal(line.applied, CENTS)}*{minor_to_decimal(line.billed.open, CENTS)}"
        if line.discount:
            seg += f"*{minor_to_decimal(line.discount, CENTS)}"
        parts.append(seg + "\\")
        if line.short:
            parts.append(f"ADX*-{minor_to_decimal(line.short, CENTS)}*{rng.choice(['01', '04', '05', '12', 'AJ'])}\\")
    return "".join(parts)


def bank_wrap(rng: random.Random, payer: str, text: str, method: str, currency: str, day: dt.date,
              tags: list[str], ctx: bool = False) -> str:
    """The bank's own description around the customer's remittance text. An ACH CCD+ entry
    carries one 80-character addenda record (a CTX entry carries many); a wire's remittance
    field holds 140 characters."""
    if method == "ACH":
        if len(text) > 80 and not ctx:
            text = text[:80]
            tags.append("ref_cut80")
        if rng.random() < 0.45 or ctx:
            tags.append("ref_bank_prefix")
            return (f"ORIG CO NAME:{payer[:16]} ORIG ID:{rng.randint(10**9, 10**10 - 1)} "
                    f"DESC DATE:{day:%y%m%d} CO ENTRY DESCR:{rng.choice(['PAYMENTS', 'ACH PMT', 'VENDOR PAY'])} "
                    f"SEC:{'CTX' if ctx else 'CCD'} TRACE#:{rng.randint(10**14, 10**15 - 1)} "
                    f"EED:{day:%y%m%d} IND NAME:HARBORLINE INDUSTRIAL {text}")
        return text
    if method == "Wire":
        if len(text) > 140:
            text = text[:140]
            tags.append("ref_cut140")
        if currency == "EUR":
            tags.append("ref_sepa")
            return f"SEPA CT {payer} EREF {rng.randint(10**11, 10**12 - 1)} REMI {text}"
        tags.append("ref_wire")
        if currency == "CAD":
            return f"INCOMING WIRE ORD CUST: {payer} RMT INFO: {text}"
        return (f"FEDWIRE CREDIT VIA: {rng.choice(BANKS)} B/O: {payer} "
                f"IMAD: {day:%Y%m%d}QMGFT{rng.randint(100000, 999999)} OBI: {text}")
    if method == "Lockbox" and len(text) > 80:  # the lockbox keys 80 characters of the stub
        tags.append("ref_cut80")
        return text[:80]
    return text


def remittance(rng: random.Random, lines: list[Line], tags: list[str], ocr_rate: float,
               note: str = "") -> str:
    """The payer's own remittance text for ``lines`` (each naming an invoice), with ``note``
    (a deduction's reason, "PARTIAL PMT") after it."""
    invoices = [line.billed for line in lines]
    ids = _id_list(rng, invoices, tags, ocr_rate)
    style = rng.random()
    if style < 0.12:
        tags.append("ref_amounts")
        text = "; ".join(f"{spell(rng, line.billed.id, tags, ocr_rate)} {_text_amount(line.applied, rng)}"
                         for line in lines)
    elif style < 0.6:
        label = rng.choice(["INV ", "INVOICE ", "INVOICES ", "Inv# ", "PMT INV ", "PAYMENT FOR ",
                            "RE: ", "REMIT ", "AP PMT "])
        text = label + ids
    else:
        text = ids
    return f"{text} {note}".strip()
