"""ISO 20022 cash-management messages: camt.053 (statement), camt.054 (debit/credit
notification) and camt.052 (intraday report), any version (told apart by namespace, read by
element names, which the versions share). Elements that moved between versions (``Dbtr/Nm`` in
v02, ``Dbtr/Pty/Nm`` from v08; ``DscntApldAmt`` as an amount in v02, as typed amounts from v04)
are read in both places."""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation

from arxl.bankfiles.model import BALANCE, DEBIT, NOTHING, PENDING, RETURN, ParsedFile, Receipt, RemittanceLine, Skipped
from arxl.bankfiles.xmlsafe import BadXml, line_of, parse_xml
from arxl.core.money import NotAnAmount, format_amount, to_minor

NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.05[234]\.001\.\d+)")

# Bank transaction sub-families that bring money back rather than in (ISO external code list).
RETURN_SUBFAMILIES = {"RRTN", "ARET", "RPCR", "UPCQ", "UPDD", "PRDD", "PRCT"}
METHOD_BY_FAMILY = {"RCHQ": "Check", "ICHQ": "Check", "LBOX": "Lockbox", "CCRD": "Card",
                    "MCRD": "Card", "CNTR": "Cash", "RDDT": "ACH", "IDDT": "ACH"}
METHOD_BY_SUBFAMILY = {"ESCT": "ACH", "ACDT": "ACH", "ASET": "ACH", "SALA": "ACH"}


def message_type(root: ET.Element) -> str | None:
    """'camt.054.001.08' for a camt document, None for any other XML."""
    found = NAMESPACE.match(root.tag[1:].split("}")[0]) if root.tag.startswith("{") else None
    return found.group(1) if found else None


def _local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if element is None else [c for c in element if _local(c) == name]


def _find(element: ET.Element | None, path: str) -> ET.Element | None:
    for name in path.split("/"):
        if element is None:
            return None
        element = next((c for c in element if _local(c) == name), None)
    return element


def _text(element: ET.Element | None, path: str = "") -> str:
    found = _find(element, path) if path else element
    return (found.text or "").strip() if found is not None else ""


def _party_name(related: ET.Element | None, role: str) -> str:
    return _text(related, f"{role}/Nm") or _text(related, f"{role}/Pty/Nm")


def _amount(element: ET.Element | None, currency: str = "") -> int | None:
    """An amount element in the minor unit of its currency (its Ccy, else ``currency``): a
    direct amount, or (v04 on) typed amounts summed over their Amt."""
    if element is None:
        return None
    text = (element.text or "").strip()
    if text:
        try:
            return to_minor(Decimal(text), element.get("Ccy") or currency)
        except InvalidOperation:
            raise ValueError(f"the amount {text!r} ({_local(element)}) is not a "
                             f"number with a decimal point") from None
        except NotAnAmount as exc:
            raise ValueError(f"the amount {text!r} ({_local(element)}): {exc.problem}") from None
    parts = [p for a in element.iter() if _local(a) == "Amt" and a is not element
             if (p := _amount(a, currency)) is not None]
    return sum(parts) if parts else None


def _date(element: ET.Element | None) -> dt.date | None:
    text = _text(element, "Dt") or _text(element, "DtTm")
    return dt.date.fromisoformat(text[:10]) if text else None


def _method(entry: ET.Element, tx: ET.Element | None) -> str:
    for holder in (tx, entry):
        family = _text(holder, "BkTxCd/Domn/Fmly/Cd")
        sub = _text(holder, "BkTxCd/Domn/Fmly/SubFmlyCd")
        if family:
            return METHOD_BY_SUBFAMILY.get(sub) or METHOD_BY_FAMILY.get(family) or "Wire"
    return ""


def _documents(structured: ET.Element, currency: str) -> tuple[list[RemittanceLine], list[str]]:
    """The referred documents of one ``Strd`` block, and its other references as text."""
    numbers = [_text(d, "Nb") for d in _children(structured, "RfrdDocInf") if _text(d, "Nb")]
    creditor_refs = [_text(c, "Ref") for c in _children(structured, "CdtrRefInf") if _text(c, "Ref")]
    amounts = _find(structured, "RfrdDocAmt")
    text = [_text(a) for a in _children(structured, "AddtlRmtInf") if _text(a)]
    if not numbers and amounts is not None and len(creditor_refs) == 1:
        numbers, creditor_refs = creditor_refs, []  # the creditor's reference is the document
    text = creditor_refs + text
    if len(numbers) != 1 or amounts is None:
        return [RemittanceLine(n) for n in numbers], text
    adjustments = []
    for adj in _children(amounts, "AdjstmntAmtAndRsn"):
        cents = _amount(_find(adj, "Amt"), currency) or 0
        adjustments.append((cents if _text(adj, "CdtDbtInd") == "CRDT" else -cents,
                            _text(adj, "Rsn") or "ADJ"))
    credit_note = _amount(_find(amounts, "CdtNoteAmt"), currency)
    if credit_note:
        adjustments.append((-credit_note, "CDTNOTE"))
    return [RemittanceLine(numbers[0], paid=_amount(_find(amounts, "RmtdAmt"), currency),
                           gross=_amount(_find(amounts, "DuePyblAmt"), currency),
                           discount=_amount(_find(amounts, "DscntApldAmt"), currency),
                           adjustments=tuple(adjustments))], text


def _remittance(tx: ET.Element | None, currency: str) -> tuple[str, tuple[RemittanceLine, ...]]:
    info = _find(tx, "RmtInf")
    text = [_text(u) for u in _children(info, "Ustrd") if _text(u)]
    lines: list[RemittanceLine] = []
    for structured in _children(info, "Strd"):
        docs, more = _documents(structured, currency)
        lines.extend(docs)
        text.extend(more)
    end_to_end = _text(tx, "Refs/EndToEndId")
    if end_to_end and end_to_end.upper() != "NOTPROVIDED":
        text.append(f"EndToEndId {end_to_end}")
    if _text(tx, "AddtlTxInf"):
        text.append(_text(tx, "AddtlTxInf"))
    return " ".join(text), tuple(lines)


def _tx_amount(tx: ET.Element) -> tuple[int | None, str]:
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"):
        found = _find(tx, path)
        if found is not None:
            return _amount(found), found.get("Ccy", "")
    return None, ""


def _entry(entry: ET.Element, result: ParsedFile, name: str) -> None:
    line = line_of(entry)
    amount_el = _find(entry, "Amt")
    amount, currency = _amount(amount_el), (amount_el.get("Ccy", "") if amount_el is not None else "")
    if amount is None:
        raise ValueError("the entry has no amount (Amt)")
    txs = [tx for details in _children(entry, "NtryDtls") for tx in _children(details, "TxDtls")]
    first = txs[0] if txs else None
    description = (_text(entry, "AddtlNtryInf") or _remittance(first, currency)[0]
                   or _party_name(_find(first, "RltdPties"), "Cdtr"))
    status = _text(entry, "Sts") or _text(entry, "Sts/Cd")
    sub_family = _text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd")
    if _text(entry, "CdtDbtInd") == "DBIT":
        kind = DEBIT
    elif _text(entry, "RvslInd").lower() == "true" or sub_family in RETURN_SUBFAMILIES:
        kind = RETURN
    elif status and status != "BOOK":
        kind = PENDING
    elif amount == 0:
        kind = NOTHING
    else:
        kind = ""
    if kind:
        result.skipped.append(Skipped(line, kind, amount, currency, description))
        return
    received = _date(_find(entry, "BookgDt")) or _date(_find(entry, "ValDt"))
    if received is None:
        raise ValueError("the entry has neither a booking date (BookgDt) nor a value date (ValDt)")
    entry_ref = _text(entry, "AcctSvcrRef")
    tx_amounts = [_tx_amount(tx) for tx in txs]
    known = [a for a, c in tx_amounts if a is not None and c in ("", currency)]
    split = len(txs) > 1 and len(known) == len(txs) and sum(known) == amount
    if len(txs) > 1 and not split:
        result.problems.add(name, line, "Amount", format_amount(amount, currency),
                            f"the entry holds {len(txs)} transactions whose amounts do not add up "
                            f"to the entry amount; imported as one payment",
                            "Check the payment against the bank statement before applying it.")
    groups = [[tx] for tx in txs] if split else [txs]
    for position, group in enumerate(groups, start=1):
        tx = group[0] if group else None
        related = _find(tx, "RltdPties")
        texts: list[str] = []
        lines: list[RemittanceLine] = []
        for member in group:
            text, docs = _remittance(member, currency)
            texts.append(text)
            lines.extend(docs)
        reference = _text(tx, "Refs/AcctSvcrRef") or (
            f"{entry_ref}/{position}" if split and entry_ref else entry_ref)
        account = _text(related, "DbtrAcct/Id/IBAN") or _text(related, "DbtrAcct/Id/Othr/Id")
        result.receipts.append(Receipt(
            line=line_of(tx) if split and tx is not None else line, received=received,
            payer_name=(_party_name(related, "Dbtr") or _party_name(related, "UltmtDbtr")
                        or _party_name(related, "InitgPty")),
            amount=known[position - 1] if split else amount, currency=currency,
            method=_method(entry, tx), payer_account=account,
            check_number=_text(tx, "Refs/ChqNb"), bank_reference=reference,
            text=" ".join(t for t in texts if t) or _text(entry, "AddtlNtryInf"),
            remittance=tuple(lines)))


def parse_camt(data: bytes, name: str, **_options) -> ParsedFile:
    """Every entry (``Ntry``) of every statement, notification or report in the file."""
    try:
        root = parse_xml(data)
    except BadXml as exc:
        result = ParsedFile("XML")
        result.problems.add(name, exc.line, "", "", f"cannot read the file: {exc}",
                            "Ask the bank for the file again; nothing was imported from it.")
        return result
    if message_type(root) is None:
        result = ParsedFile("XML")
        result.problems.add(name, 1, "", root.tag, "an XML file that is not an ISO 20022 camt.052, "
                            "camt.053 or camt.054 message", "Export the statement as camt.053 or "
                            "camt.054 (or BAI2, MT940, CSV) and import that.")
        return result
    result = ParsedFile(message_type(root) or "")
    for element in root.iter():
        if _local(element) == "Bal":
            code = _text(element, "Tp/CdOrPrtry/Cd") or _text(element, "Tp/CdOrPrtry/Prtry")
            amount_el = _find(element, "Amt")
            result.skipped.append(Skipped(line_of(element), BALANCE, None,
                                          amount_el.get("Ccy", "") if amount_el is not None else "",
                                          f"balance {code}"))
        elif _local(element) == "Ntry":
            try:
                _entry(element, result, name)
            except ValueError as exc:
                result.problems.add(name, line_of(element), "", "", f"a {result.format} entry that "
                                    f"cannot be read: {exc}",
                                    "Check this entry against the bank statement and type it into "
                                    "Payments by hand if it is a receipt.")
    return result
