"""Bank and remittance files: find out what a file is, and read its incoming credits.

``read_bank_file(name, data, currency=..., csv_columns=...)`` detects the format from the
content (not the file name) and returns a ``ParsedFile``: receipts, skipped records (debits,
returns, balances) and problems located by file name and line. Nothing here knows about
workbooks; ``arxl.commands.importer`` turns receipts into Payments rows."""
from __future__ import annotations

import re

from arxl.bankfiles.bai2 import parse_bai2
from arxl.bankfiles.camt import parse_camt
from arxl.bankfiles.csvfile import parse_csv
from arxl.bankfiles.lockbox import parse_lockbox
from arxl.bankfiles.model import ParsedFile, Receipt, RemittanceLine, Skipped, reference_text, remittance_segments
from arxl.bankfiles.mt940 import parse_mt940
from arxl.bankfiles.nacha import parse_nacha
from arxl.bankfiles.x12 import parse_x12

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


def read_bank_file(name: str, data: bytes, *, currency: str = "USD", csv_columns: str = "") -> ParsedFile:
    """Every incoming credit of one file, with what was skipped and what went wrong."""
    kind = detect_format(data)
    if kind is None:
        result = ParsedFile("unknown")
        result.problems.add(name, 1, "", "", "not a bank file arxl can read",
                            "Import camt.053/054, BAI2, MT940, X12 820, NACHA, BAI lockbox or CSV files.")
        return result
    return PARSERS[kind](data, name, currency=currency, csv_columns=csv_columns)
