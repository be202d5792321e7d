"""Bank and remittance files: find out what a file is, and read its incoming credits.

``read_bank_file(name, data, currency=..., csv_columns=..., decimal_separator=...)`` reads
the bytes as text whatever their encoding and line ends (UTF-8 with or without a BOM, UTF-16 as
Excel's "Unicode Text" writes it, Latin-1; LF, CRLF or the CR of Excel for Mac), detects the
format from the content (not the file name) and returns a ``ParsedFile``: receipts, skipped
records (debits, returns, balances) and problems located by file name and line. Amounts are in
the minor unit of each receipt's currency; a receipt dated outside the range arxl reads is a
problem, not a receipt. Nothing here knows about workbooks; ``arxl.commands.importer`` turns
receipts into Payments rows."""
from __future__ import annotations

import codecs
import re

from arxl.bankfiles.bai2 import parse_bai2
from arxl.bankfiles.camt import parse_camt
from arxl.bankfiles.csvfile import parse_csv
from arxl.bankfiles.lockbox import parse_lockbox
from arxl.bankfiles.model import ParsedFile, Receipt, RemittanceLine, Skipped, reference_text, remittance_segments
from arxl.bankfiles.mt940 import parse_mt940
from arxl.bankfiles.nacha import parse_nacha
from arxl.bankfiles.x12 import parse_x12
from arxl.contract import DATE_RANGE, date_in_range

__all__ = ["ParsedFile", "Receipt", "RemittanceLine", "Skipped", "detect_format", "read_bank_file",
           "reference_text", "remittance_segments"]

ACH_SEC_CODES = {"CCD", "CTX", "PPD", "CIE", "WEB", "TEL", "IAT", "ARC", "BOC", "POP", "RCK", "COR", "ENR"}


def detect_format(data: bytes) -> str | None:
    """'camt', 'X12', 'BAI2', 'MT940', 'NACHA', 'Lockbox' or 'CSV'; None if none fits."""
    head = data[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "camt"
    text = head.decode("latin-1")
    if text.startswith("ISA"):
        return "X12"
    if re.match(r"01,", text):
        return "BAI2"
    lines = text.splitlines()
    if re.search(r"^(\{1:[^}]*\}.*\{4:)?:20:", text, re.M) and re.search(r"^:(60[FM]|61):", text, re.M):
        return "MT940"
    if text.startswith("1") and any(len(line) >= 53 and line[0] == "5" and line[50:53] in ACH_SEC_CODES
                                    for line in _94(lines)):
        return "NACHA"
    if text.startswith("1") and any(line.startswith("6") for line in lines) and \
            all(re.match(r"^[1-9 ]", line) for line in lines if line.strip()):
        return "Lockbox"
    if len(lines) > 1 and re.search(r"[,;\t]", lines[0]):
        return "CSV"
    return None


def _94(lines: list[str]) -> list[str]:
    """NACHA records, whether one per line or run together."""
    return [line[i:i + 94] for line in lines for i in range(0, len(line), 94)]


PARSERS = {"camt": parse_camt, "X12": parse_x12, "BAI2": parse_bai2, "MT940": parse_mt940,
           "NACHA": parse_nacha, "Lockbox": parse_lockbox, "CSV": parse_csv}


def as_text_bytes(data: bytes) -> bytes:
    """The file as UTF-8 (or its own single-byte encoding) with LF line ends: UTF-16, with or
    without its byte-order mark, is decoded; CRLF and CR line ends become LF."""
    utf16 = None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        utf16 = "utf-16"
    elif len(data) >= 4:
        head = data[:512]
        # ASCII text as UTF-16 without a BOM: every other byte is NUL
        if head[1::2].count(0) > 0.9 * len(head[1::2]) and head[0::2].count(0) < 0.1 * len(head[0::2]):
            utf16 = "utf-16-le"
        elif head[0::2].count(0) > 0.9 * len(head[0::2]) and head[1::2].count(0) < 0.1 * len(head[1::2]):
            utf16 = "utf-16-be"
    if utf16:
        try:
            data = data.decode(utf16).encode("utf-8")
        except UnicodeDecodeError:
            pass  # not text after all: the format check says so
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def read_bank_file(name: str, data: bytes, *, currency: str = "USD", csv_columns: str = "",
                   decimal_separator: str = ".") -> ParsedFile:
    """Every incoming credit of one file, with what was skipped and what went wrong."""
    data = as_text_bytes(data)
    kind = detect_format(data)
    if kind is None:
        result = ParsedFile("unknown")
        result.problems.add(name, 1, "", "", "not a bank file arxl can read",
                            "Import camt.053/054, BAI2, MT940, X12 820, NACHA, BAI lockbox or CSV files.")
        return result
    result = PARSERS[kind](data, name, currency=currency, csv_columns=csv_columns,
                           decimal_separator=decimal_separator)
    for receipt in [r for r in result.receipts if not date_in_range(r.received)]:
        result.receipts.remove(receipt)
        result.problems.add(name, receipt.line, "ReceivedDate", receipt.received.isoformat(),
                            f"a payment dated outside the range arxl reads ({DATE_RANGE})",
                            "Check the date with the bank; type the payment into Payments by hand with "
                            "the date it arrived.")
    return result
