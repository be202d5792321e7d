"""SWIFT MT940 customer statements (and MT942 intraday reports): every ``:61:`` statement line
with the ``:86:`` information that follows it. The ``:86:`` field comes in three common shapes,
all read here: German ``GVC?20...?32payer`` subfields, the keyed SEPA layout of Dutch banks
(ING, Rabobank, ABN AMRO: ``/EREF/.../CNTP/account/BIC/name/city/REMI/USTD//text/``, or
``/ORDP//NAME/payer/``), and free text. SWIFT envelopes (``{1:...}{4:``), bank header lines and
65-character line wrapping inside words are undone before reading.

Every entry is in the currency its statement states (a statement runs from ``:20:`` to the next
``:20:`` or ``-``): that of its opening balance (``:60F:``/``:60M:``), else of its closing
balances, else of its floor limit or totals (MT942 ``:34F:``, ``:90C:``/``:90D:``), else the ISO
code ending its account (``:25:NL20INGB0001234567EUR``). Only a statement that states none is
in the currency the importer gives (Settings BaseCurrency)."""
from __future__ import annotations

import datetime as dt
import re

from arxl.bankfiles.model import BALANCE, DEBIT, NOTHING, RETURN, ParsedFile, Receipt, Skipped
from arxl.core.money import to_minor

TAG = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
STATEMENT_LINE = re.compile(
    r"^(?P<value>\d{6})(?P<entry>\d{4}|\s{4})?(?P<mark>R?[CD])(?P<funds>[A-Z])?\n?"
    r"(?P<amount>\d+,\d*)(?P<type>[NFS][A-Z0-9]{3})?"
    r"(?P<customer>(?:(?!//)[^\n])*)(?://(?P<bank>[^\n]*))?(?:\n(?P<details>.*))?$", re.S)
BALANCE_FIELD = re.compile(r"^[CD]\d{6}(?P<currency>[A-Z]{3})[\d,]+$")
# Where else a statement states its currency, in order after its balances.
STATED_CURRENCY = (("34", re.compile(r"^(?P<currency>[A-Z]{3})[CD]?[\d,]+$")),  # MT942 floor limit
                   ("90", re.compile(r"^\d+(?P<currency>[A-Z]{3})[\d,]+$")),  # MT942 totals
                   ("25", re.compile(r"\d(?P<currency>[A-Z]{3})$")))  # an account ending in its currency
RETURN_CODES = {"159"}  # German GVC: returned SEPA transfer ("Retoure")
METHODS = {"TRF": "Wire", "CHK": "Check", "CLR": "Check", "DDT": "ACH", "CMI": "Wire"}
MAX_LINE = 65  # SWIFT wraps at 65 characters, in the middle of words


def fields(text: str) -> list[tuple[int, str, str]]:
    """(line, tag, value) for every field, continuation lines joined (without a space where the
    previous line was wrapped at full width)."""
    out: list[list] = []
    previous_width = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        line = re.sub(r"^\{1:[^}]*\}(\{2:[^}]*\})?(\{3:[^}]*\})?\{4:", "", line)
        if line.startswith("-}") or line.strip() == "-":
            out.append([number, "-", ""])
            previous_width = 0
            continue
        found = TAG.match(line)
        if found:
            out.append([number, found.group(1), found.group(2)])
            previous_width = len(found.group(2))
        elif out and out[-1][1] not in ("-",):
            if line.strip():
                joiner = "" if previous_width >= MAX_LINE else "\n"
                out[-1][2] += joiner + line
            previous_width = len(line)
    return [(n, t, v) for n, t, v in out]


def _german(info: str) -> dict:
    """GVC-coded ``:86:`` (``166?00GUTSCHRIFT?20...?32NAME``) as {subfield: text}."""
    parts = {"gvc": info[:3]}
    for key, value in re.findall(r"\?(\d{2})([^?]*)", info.replace("\n", "")):
        parts[key] = parts.get(key, "") + value
    return parts


# SEPA keywords that open a new part of German remittance text (the ?2x subfields are 27-character
# chunks joined without a space, but each keyword starts afresh).
SEPA_KEYWORDS = re.compile(r"(?<!^)(?=(?:EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|MTLG)\+)")


def _keyed(info: str, key: str) -> str:
    """A value of the ``/KEY/value`` form, its own ``/``-separated parts kept in place (CNTP's
    ``account/BIC/name/city``; ``//NAME/`` nests the name inside ORDP/BENM)."""
    flat = info.replace("\n", "")
    keys = "EREF|ORDP|BENM|REMI|CSID|MARF|ISDT|RTRN|PREF|ULTD|ULTC|PURP|BUSP|TRCD|IBAN|BIC|CNTP"
    found = re.search(rf"/{key}/(.*?)(?=/(?:{keys})/|$)", flat)
    return found.group(1).rstrip("/ ") if found else ""


def _remittance_info(remi: str) -> str:
    """REMI's text: ``USTD//free text``, or ``STRD/CUR/reference`` (a structured creditor
    reference, often the invoice's payment reference); other layouts as they are."""
    kind, _, rest = remi.partition("/")
    if kind == "USTD":
        return rest.lstrip("/").strip()
    if kind == "STRD":
        issuer, _, reference = rest.partition("/")
        return reference.strip() or issuer.strip()
    return remi.strip("/ ")


def _details(info: str, supplementary: str, customer: str) -> tuple[str, str, str, str]:
    """(payer name, payer account, remittance text, GVC code) from ``:86:`` and ``:61:``."""
    iban = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
    info = info.strip()
    if re.match(r"^\d{3}\?", info):
        parts = _german(info)
        remittance = "".join(parts.get(f"{i}", "") for i in list(range(20, 30)) + list(range(60, 64)))
        payer = re.sub(r"\s+", " ", parts.get("32", "") + parts.get("33", "")).strip()
        return (payer, parts.get("31", "").strip(), SEPA_KEYWORDS.sub(" ", remittance).strip(),
                parts["gvc"])
    if info.startswith("/") and "/" in info[1:]:
        counterparty = _keyed(info, "CNTP").split("/")  # account/BIC/name/city
        ordering = _keyed(info, "ORDP").strip("/")
        named = re.search(r"NAME/([^/]*)", ordering)
        numbered = re.search(r"^([A-Z]{2}\d{2}[A-Z0-9]+)", ordering)
        payer = (counterparty[2].strip() if len(counterparty) > 2 else "") or (named.group(1).strip() if named else "")
        account = (counterparty[0].strip() or (numbered.group(1) if numbered else "")
                   or (supplementary if iban.match(supplementary) else ""))
        end_to_end = _keyed(info, "EREF").strip("/ ")
        remittance = " ".join(p for p in (_remittance_info(_keyed(info, "REMI")),
                                          "" if end_to_end.upper() == "NOTPROVIDED" else end_to_end) if p)
        return payer, account, remittance or info, ""
    text = re.sub(r"\s+", " ", info).strip()
    account = next((c for c in (customer.strip(), supplementary.strip(), text.split(" ")[0]) if iban.match(c)), "")
    plain = supplementary.strip()
    name = plain if plain and not iban.match(plain) and not supplementary.startswith("/") else ""
    first_line = info.split("\n")[0].strip()
    leading = re.match(r"^([A-Z]{2}\d{2}[A-Z0-9]{10,30}|\d{7,18})\s+(.+)$", first_line)
    if not name and leading:  # "NL56ASNB9999999999 paulissen g j l m": the payer's account, then name
        account = account or (leading.group(1) if iban.match(leading.group(1)) else "")
        name = re.split(r"\s{2,}", leading.group(2))[0]
    return name, account, text, ""


def _booking_date(value: dt.date, entry: str | None) -> dt.date:
    if not entry or not entry.strip():
        return value
    month, day = int(entry[:2]), int(entry[2:])
    candidates = [dt.date(value.year + k, month, day) for k in (-1, 0, 1)]
    return min(candidates, key=lambda d: abs((d - value).days))


def _entry(line: int, value: str, info: str, currency: str, result: ParsedFile) -> None:
    found = STATEMENT_LINE.match(value)
    if not found:
        raise ValueError("the :61: statement line does not follow the MT940 layout")
    value_date = dt.datetime.strptime(found["value"], "%y%m%d").date()
    received = _booking_date(value_date, found["entry"])
    amount = to_minor(found["amount"], currency, ",")
    mark, kind_code = found["mark"], (found["type"] or "")[1:]
    supplementary = (found["details"] or "").strip()
    payer, account, text, gvc = _details(info, supplementary, found["customer"] or "")
    bank_ref = (found["bank"] or "").strip()
    description = (text or supplementary or found["customer"] or "").strip()[:120]
    if mark.startswith("R") or kind_code == "RTI" or gvc in RETURN_CODES:
        kind = RETURN
    elif mark == "D":
        kind = DEBIT
    elif amount == 0:
        kind = NOTHING
    else:
        kind = ""
    if kind:
        result.skipped.append(Skipped(line, kind, amount, currency, description))
        return
    result.receipts.append(Receipt(
        line=line, received=received, payer_name=payer or description[:60], amount=amount,
        currency=currency, method=METHODS.get(kind_code, ""), payer_account=account,
        check_number=(found["customer"].strip() if kind_code in ("CHK", "CLR")
                      and re.search(r"\d", found["customer"]) else ""),
        bank_reference="" if bank_ref.upper() in ("", "NONREF") else bank_ref, text=text))


def parse_mt940(data: bytes, name: str, *, currency: str = "USD", **_options) -> ParsedFile:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    result = ParsedFile("MT940")
    for items in _statements(fields(text)):
        stated = _stated_currency(items) or currency
        for i, (line, tag, value) in enumerate(items):
            if tag[:2] in ("60", "62", "64", "65"):
                result.skipped.append(Skipped(line, BALANCE, None, stated, f":{tag}: {value.strip()}"))
            elif tag == "61":
                info = items[i + 1][2] if i + 1 < len(items) and items[i + 1][1] == "86" else ""
                try:
                    _entry(line, value, info, stated, result)
                except ValueError as exc:
                    result.problems.add(name, line, "", value[:60],
                                        f"an MT940 statement line that cannot be read: {exc}",
                                        "Check this transaction on the bank statement; type it into Payments "
                                        "by hand if it is a receipt.")
    return result


def _statements(items: list[tuple[int, str, str]]) -> list[list[tuple[int, str, str]]]:
    """The fields of each statement: from a ``:20:`` to the next ``:20:`` or ``-``."""
    statements: list[list[tuple[int, str, str]]] = [[]]
    for item in items:
        if item[1] in ("20", "-") and statements[-1]:
            statements.append([])
        if item[1] != "-":
            statements[-1].append(item)
    return [s for s in statements if s]


def _stated_currency(items: list[tuple[int, str, str]]) -> str:
    """The currency a statement states (see the module docstring); "" when it states none."""
    opening = [v for _, t, v in items if t[:2] == "60"]
    closing = [v for _, t, v in items if t[:2] in ("62", "64", "65")]
    for value in opening + closing:
        balance = BALANCE_FIELD.match(value.strip())
        if balance:
            return balance["currency"]
    for prefix, pattern in STATED_CURRENCY:
        for _, tag, value in items:
            found = pattern.search(value.strip()) if tag[:2] == prefix else None
            if found:
                return found["currency"]
    return ""
