"""Disputes and deductions, to their resolution.

The Disputes table lists every invoice marked Disputed and every short pay of the Applications
ledger (a deduction the payer took, with the reason the matcher read: ``SHORTPAY:<reason>``),
each under its own DisputeID (``DI-<InvoiceID>``, ``SP-<ApplicationID>``). It is rebuilt each
run; what the clerk typed (Owner, Resolution, ResolutionAmount, Note) and when a dispute was
first listed and resolved are carried over by DisputeID.

Rules (a deductions analyst's), stated once:
- OpenAmount: what is still unresolved: for a short pay, its amount while the invoice still owes
  it (the invoice's open balance, shared among its short pays oldest first); for a disputed
  invoice, its open balance. OpenedDate: the short pay's payment date; for a disputed invoice,
  the day it was first listed. DaysOpen counts to the as-of date, or to ResolvedDate.
- A Resolution is made once, from the ledgers' own record, never from this table's:
  Credit   a MemoRequests row ``<DisputeID>-CR``: a credit memo for ResolutionAmount (blank: the
           open amount) on the invoice, taxed at 0 so that it settles the deduction to the cent,
           its Type from the reason (Price, Freight where the invoice bills that much freight,
           Product for damaged goods, shortages and returns, else Other); Make memos makes it.
  Write off  an Applications row (Source Dispute, ReasonCode ``WRITEOFF:<DisputeID>``, no cash)
           writing the amount off the invoice.
  Rebill   the credit, and a MemoRequests row ``<DisputeID>-DR``: a debit memo billing
           ResolutionAmount (blank: the open amount) again, due by the customer's terms.
  Resolved nothing is made: the clerk closes the dispute.
  A request or row already in the workbook is never made again, and a dispute resolved one way
  is not resolved another way: the clerk is told instead.
- Status: Credited once the credit memo is in the Memos ledger, Rebilled once both memos are,
  Written off once the write-off is in the ledger, Resolved when the clerk says so or when
  nothing is open any more (paid, or credited by hand); else Open.
- KPIs per currency: open deductions (short pays Open: how many, how much) and days deductions
  outstanding: open deductions / short pays taken in the KPI period x the period's days.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from arxl.contract import (
    APPLICATIONS,
    DISPUTES,
    MEMO_REQUESTS,
    DisputeKind,
    DisputeStatus,
    DocType,
    MemoKind,
    MemoType,
    ReasonCode,
    Resolution,
    Source,
    read_choice,
)
from arxl.core.balances import active_applications, application_dates, is_disputed, lookup, resolve_currencies
from arxl.core.frames import table_frame
from arxl.core.ledger import Ledger
from arxl.core.money import format_amount
from arxl.core.numbering import next_ids
from arxl.core.problems import Problems

SHORT_PREFIX, INVOICE_PREFIX = "SP-", "DI-"
CREDIT_SUFFIX, DEBIT_SUFFIX = "-CR", "-DR"
WRITEOFF_CODE = f"{ReasonCode.WRITEOFF}:"
CLERK_COLUMNS = ("Owner", "Resolution", "ResolutionAmount", "Note")
_RESOLUTION = DISPUTES.column("Resolution")
SHEET = DISPUTES.name
TYPE_OF_REASON = {"PRICING": MemoType.PRICE, "DAMAGED_GOODS": MemoType.PRODUCT, "SHORTAGE": MemoType.PRODUCT,
                  "RETURN": MemoType.PRODUCT, "FREIGHT": MemoType.FREIGHT}
APPLICATION_PREFIX, APPLICATION_DIGITS = "A", 7  # as posting numbers the ledger


def shortpay_reason(code: str) -> str:
    """The reason in a ReasonCode such as ``PARTIAL+SHORTPAY:DAMAGED_GOODS`` ("" for none)."""
    for part in str(code or "").split("+"):
        head, _, reason = part.partition(":")
        if head.strip().upper() == ReasonCode.SHORTPAY:
            return reason.strip()
    return ""


@dataclass
class DisputeRun:
    """``table``: the Disputes table; ``requests``: MemoRequests rows to append;
    ``write_offs``: Applications rows to append (without their chain)."""

    table: pd.DataFrame
    requests: pd.DataFrame
    write_offs: pd.DataFrame
    problems: Problems


@dataclass(frozen=True)
class DeductionKpis:
    currency: str
    open_count: int
    open_amount: int  # minor units
    taken_in_period: int  # minor units of short pays taken in the KPI period
    period_days: int
    days_outstanding: float | None  # None without deductions in the period
    average_days_open: float | None


def _sources(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """One row per dispute the ledgers show now: every active short pay, every invoice marked
    Disputed; with its customer, currency, invoice, amount, open amount and opened date."""
    invoices = ledger.table("Invoices")
    customers = ledger.table("Customers")
    apps = ledger.table("Applications", required=False)
    payments = ledger.table("Payments", required=False)
    base = ledger.settings.base_currency
    balances, _ = ledger.balances(as_of)
    open_by_invoice = pd.Series(balances.invoices["OpenBalance"].fillna(0).astype("int64").to_numpy(),
                                index=invoices["InvoiceID"].to_numpy())
    currencies = resolve_currencies(invoices["Currency"], invoices["CustomerID"], customers, base)
    currency_of = pd.Series(currencies.to_numpy(), index=invoices["InvoiceID"].to_numpy())

    shorts = apps.loc[active_applications(apps) & (apps["ShortPay"].fillna(0) > 0) & (apps["InvoiceID"] != "")]
    shorts = shorts.assign(Opened=application_dates(shorts, payments))
    shorts = shorts.loc[shorts["Opened"].isna() | (shorts["Opened"] <= pd.Timestamp(as_of))]
    shorts = shorts.sort_values(["Opened", "ApplicationID"], kind="stable")
    amount = shorts["ShortPay"].astype("int64")
    room = lookup(shorts["InvoiceID"], open_by_invoice).fillna(0).astype("int64").clip(lower=0)
    before = amount.groupby(shorts["InvoiceID"]).cumsum() - amount  # what older short pays of the invoice take
    open_short = np.minimum(amount, (room - before).clip(lower=0))
    short_rows = pd.DataFrame({
        "DisputeID": SHORT_PREFIX + shorts["ApplicationID"], "Kind": DisputeKind.SHORT_PAY.value,
        "CustomerID": shorts["CustomerID"], "Currency": lookup(shorts["InvoiceID"], currency_of).fillna(base),
        "InvoiceID": shorts["InvoiceID"], "ApplicationID": shorts["ApplicationID"],
        "Reason": shorts["ReasonCode"].map(shortpay_reason), "Amount": amount, "OpenAmount": open_short,
        "Opened": shorts["Opened"]})

    flagged = invoices.loc[is_disputed(invoices["Disputed"]) & invoices["InvoiceDate"].notna()
                           & (invoices["InvoiceDate"] <= pd.Timestamp(as_of))]
    open_invoice = lookup(flagged["InvoiceID"], open_by_invoice).fillna(0).astype("int64").clip(lower=0)
    invoice_rows = pd.DataFrame({
        "DisputeID": INVOICE_PREFIX + flagged["InvoiceID"], "Kind": DisputeKind.INVOICE.value,
        "CustomerID": flagged["CustomerID"], "Currency": lookup(flagged["InvoiceID"], currency_of).fillna(base),
        "InvoiceID": flagged["InvoiceID"], "ApplicationID": "", "Reason": "DISPUTED",
        "Amount": open_invoice, "OpenAmount": open_invoice, "Opened": pd.Timestamp(as_of)})
    return pd.concat([short_rows, invoice_rows], ignore_index=True)


def _made(ledger: Ledger) -> tuple[set[str], dict[str, str], dict[str, str]]:
    """What the ledgers already hold for disputes: the MemoRequests IDs (every row, unread ones
    included), the memos made per RequestID, and the write-off ApplicationID per DisputeID."""
    requested = ledger.ids("MemoRequests") | set(ledger.table("MemoRequests", required=False)["RequestID"])
    memos = ledger.table("Memos", required=False)
    memo_of = dict(zip(memos["RequestID"], memos["MemoID"]))
    apps = ledger.table("Applications", required=False)
    codes = apps.loc[active_applications(apps), ["ApplicationID", "ReasonCode"]]
    written = {}
    for application_id, code in zip(codes["ApplicationID"], codes["ReasonCode"].astype(str)):
        for part in code.split("+"):
            if part.strip().upper().startswith(WRITEOFF_CODE):
                written[part.strip()[len(WRITEOFF_CODE):]] = application_id
    return requested, memo_of, written


def _memo_type(reason: str, amount: int, freight: int | None) -> MemoType:
    chosen = TYPE_OF_REASON.get(reason.upper(), MemoType.OTHER)
    if chosen == MemoType.FREIGHT and (freight is None or freight < amount):
        return MemoType.OTHER  # a freight credit cannot exceed the freight billed
    return chosen


def resolve_disputes(ledger: Ledger, as_of: dt.date, now: dt.datetime) -> DisputeRun:
    """The Disputes table as of ``as_of``, the resolutions still to make (MemoRequests rows and
    write-off rows, the write-offs stamped ``now``), and what the clerk must be told."""
    problems = Problems()
    sources = _sources(ledger, as_of)
    previous = ledger.table(SHEET, required=False)
    before = previous.assign(SheetRow=previous.index).drop_duplicates("DisputeID").set_index("DisputeID")
    invoices = ledger.table("Invoices").drop_duplicates("InvoiceID").set_index("InvoiceID")
    customers = ledger.table("Customers").drop_duplicates("CustomerID").set_index("CustomerID")
    requested, memo_of, written = _made(ledger)
    stamp = pd.Timestamp(as_of)

    # disputed invoices no longer marked: resolved, and kept in the table; but an invoice whose row
    # could not be read this run is not known to be unmarked: its dispute waits as it was
    unlisted = before.index.str.startswith(INVOICE_PREFIX) & ~before.index.isin(sources["DisputeID"])
    unread = unlisted & before["InvoiceID"].isin(ledger.unread_ids("Invoices"))
    gone = before.loc[unlisted & ~unread]
    kept = pd.DataFrame({"DisputeID": gone.index, "Kind": gone["Kind"], "CustomerID": gone["CustomerID"],
                         "Currency": gone["Currency"], "InvoiceID": gone["InvoiceID"], "ApplicationID": "",
                         "Reason": gone["Reason"], "Amount": gone["Amount"], "OpenAmount": 0,
                         "Opened": gone["OpenedDate"]}).reset_index(drop=True)
    rows = pd.concat([sources, kept], ignore_index=True) if len(kept) else sources

    requests, write_offs, out = [], [], []
    taken = ledger.ids("Applications") | set(ledger.table("Applications", required=False)["ApplicationID"])
    for _, d in rows.iterrows():
        did = d["DisputeID"]
        prior = before.loc[did] if did in before.index else None
        clerk = {c: (prior[c] if prior is not None else None) for c in CLERK_COLUMNS}
        opened = prior["OpenedDate"] if prior is not None and pd.notna(prior["OpenedDate"]) and \
            d["Kind"] == DisputeKind.INVOICE else d["Opened"]
        amount = int(prior["Amount"]) if prior is not None and d["Kind"] == DisputeKind.INVOICE and \
            pd.notna(prior["Amount"]) else int(d["Amount"])
        open_amount = int(d["OpenAmount"])
        credit_id, debit_id = did + CREDIT_SUFFIX, did + DEBIT_SUFFIX
        resolution = (read_choice(_RESOLUTION, clerk["Resolution"]) or "") if clerk["Resolution"] else ""
        row_at = None if prior is None else int(prior["SheetRow"])
        done = [what for what, present in ((Resolution.CREDIT, credit_id in requested and debit_id not in requested),
                                           (Resolution.REBILL, debit_id in requested),
                                           (Resolution.WRITE_OFF, did in written)) if present]
        document: list[str] = []
        if resolution and resolution != Resolution.RESOLVED and not done:
            typed = clerk["ResolutionAmount"]
            chosen = int(typed) if typed is not None and pd.notna(typed) else open_amount
            refusal = _refusal(resolution, chosen, open_amount, str(d["Currency"]))
            if refusal:
                problems.add(SHEET, row_at, "ResolutionAmount" if pd.notna(clerk["ResolutionAmount"]) else
                             "Resolution", clerk["Resolution"], f"dispute {did}: {refusal}",
                             "Change ResolutionAmount, or clear Resolution until there is something to resolve.")
            else:
                invoice = invoices.loc[d["InvoiceID"]] if d["InvoiceID"] in invoices.index else None
                reason = f"{d['Reason'] or 'Dispute'} {did}" + (f": {clerk['Note']}" if clerk["Note"] else "")
                if resolution in (Resolution.CREDIT, Resolution.REBILL):
                    credit = chosen if resolution == Resolution.CREDIT else open_amount
                    billed = invoice["FreightAmount"] if invoice is not None else None
                    freight = None if billed is None or pd.isna(billed) else int(billed)
                    requests.append(_request(credit_id, d, MemoKind.CREDIT, _memo_type(d["Reason"], credit, freight),
                                             credit, reason, stamp))
                    requested.add(credit_id)
                    if resolution == Resolution.REBILL:
                        requests.append(_request(debit_id, d, MemoKind.DEBIT, MemoType.OTHER, chosen,
                                                 f"Rebilled: {reason}", stamp))
                        requested.add(debit_id)
                else:
                    application_id = next_ids(taken, 1, APPLICATION_PREFIX, APPLICATION_DIGITS)[0]
                    taken.add(application_id)
                    written[did] = application_id
                    write_offs.append({"ApplicationID": application_id, "InvoiceID": d["InvoiceID"],
                                       "CustomerID": d["CustomerID"], "WriteOff": chosen,
                                       "ReasonCode": WRITEOFF_CODE + did})
                done = [Resolution(resolution)]
        elif resolution and done and resolution not in done and resolution != Resolution.RESOLVED:
            problems.add(SHEET, row_at, "Resolution", clerk["Resolution"],
                         f"dispute {did} was resolved as {done[0].value} already; it is not resolved again",
                         f"Set Resolution back to {done[0].value}. To undo what was made, credit or bill the "
                         f"customer with a memo request of your own.")
        status = _status(did, done, resolution, open_amount, memo_of, written, credit_id, debit_id, document)
        resolved = (prior["ResolvedDate"] if prior is not None and pd.notna(prior["ResolvedDate"]) else stamp) \
            if status != DisputeStatus.OPEN else pd.NaT
        end = resolved if pd.notna(resolved) else stamp
        out.append({
            "DisputeID": did, "Kind": d["Kind"], "CustomerID": d["CustomerID"],
            "CustomerName": customers["Name"].get(d["CustomerID"], "") if len(customers) else "",
            "Currency": d["Currency"], "InvoiceID": d["InvoiceID"], "ApplicationID": d["ApplicationID"],
            "Reason": d["Reason"], "Amount": amount, "OpenAmount": 0 if status != DisputeStatus.OPEN else open_amount,
            "OpenedDate": opened, "DaysOpen": max(0, (end - opened).days) if pd.notna(opened) else None,
            "Owner": clerk["Owner"] or "", "Resolution": clerk["Resolution"] or "",
            "ResolutionAmount": clerk["ResolutionAmount"], "Note": clerk["Note"] or "",
            "Status": status.value, "Document": "; ".join(document), "ResolvedDate": resolved,
        })
    for did, prior in before.loc[unread].iterrows():
        out.append({"DisputeID": did, **{c: prior[c] for c in DISPUTES.names if c != "DisputeID"}})
        problems.add(SHEET, int(prior["SheetRow"]), "DisputeID", did,
                     f"dispute {did} waits as it was: the row of invoice {prior['InvoiceID']} in Invoices could not "
                     "be read (see that row's exception)", "Correct the invoice's row; the next run reads it again.")
    table = table_frame(DISPUTES, {c: [r[c] for r in out] for c in DISPUTES.names})
    order = table.assign(_open=table["Status"] != DisputeStatus.OPEN,
                         _when=table["ResolvedDate"].fillna(table["OpenedDate"]))
    order = order.sort_values(["_open", "OpenedDate", "DisputeID"], kind="stable")
    table = table.loc[order.index].reset_index(drop=True)
    return DisputeRun(table, _requests_frame(requests), _write_off_frame(write_offs, now), problems)


def _refusal(resolution: str, chosen: int, open_amount: int, currency: str) -> str:
    if open_amount <= 0:
        return "there is nothing open to resolve"
    if chosen <= 0:
        return "the amount to resolve must be above 0"
    if resolution in (Resolution.CREDIT, Resolution.WRITE_OFF) and chosen > open_amount:
        return (f"{format_amount(chosen, currency)} is more than the {format_amount(open_amount, currency)} still "
                f"open on it; nothing is made")
    return ""


def _status(did: str, done: list[Resolution], resolution: str, open_amount: int, memo_of: dict[str, str],
            written: dict[str, str], credit_id: str, debit_id: str, document: list[str]) -> DisputeStatus:
    """The dispute's Status, and (into ``document``) what resolved it or is on its way."""
    if Resolution.WRITE_OFF in done:
        document.append(f"write-off {written[did]}")
        return DisputeStatus.WRITTEN_OFF
    if Resolution.REBILL in done:
        made = [memo_of.get(i) for i in (credit_id, debit_id)]
        document.extend(m or f"{i} requested" for m, i in zip(made, (credit_id, debit_id)))
        return DisputeStatus.REBILLED if all(made) else DisputeStatus.OPEN
    if Resolution.CREDIT in done:
        memo = memo_of.get(credit_id)
        document.append(memo or f"{credit_id} requested")
        return DisputeStatus.CREDITED if memo else DisputeStatus.OPEN
    if resolution == Resolution.RESOLVED or open_amount <= 0:
        return DisputeStatus.RESOLVED
    return DisputeStatus.OPEN


def _request(request_id: str, dispute: pd.Series, kind: MemoKind, memo_type: MemoType, cents: int, reason: str,
             day: pd.Timestamp) -> dict[str, object]:
    return {"RequestID": request_id, "CustomerID": dispute["CustomerID"], "Kind": kind.value,
            "Type": memo_type.value, "Reason": reason[:250], "Amount": cents, "InvoiceID": dispute["InvoiceID"],
            "TaxRate": None, "MemoDate": day, "Currency": dispute["Currency"]}


def _requests_frame(requests: list[dict[str, object]]) -> pd.DataFrame:
    names = ["RequestID", "CustomerID", "Kind", "Type", "Reason", "Amount", "InvoiceID", "TaxRate", "MemoDate",
             "Currency"]
    frame = table_frame(MEMO_REQUESTS, {c: [r[c] for r in requests] for c in names if c != "TaxRate"})
    frame["TaxRate"] = pd.Series([Decimal(0)] * len(frame), index=frame.index, dtype=object)
    return frame[names]


def _write_off_frame(rows: list[dict[str, object]], now: dt.datetime) -> pd.DataFrame:
    """The write-offs as Applications rows: no payment and no cash, the amount written off."""
    n = len(rows)
    values = {
        "ApplicationID": [r["ApplicationID"] for r in rows], "PostedAt": [pd.Timestamp(now)] * n,
        "PaymentID": [""] * n, "InvoiceID": [r["InvoiceID"] for r in rows],
        "CustomerID": [r["CustomerID"] for r in rows], "AppliedAmount": [0] * n, "DiscountTaken": [0] * n,
        "WriteOff": [r["WriteOff"] for r in rows], "ShortPay": [0] * n,
        "ReasonCode": [r["ReasonCode"] for r in rows], "Source": [Source.DISPUTE.value] * n,
    }
    return table_frame(APPLICATIONS, values)[list(values)]


def hold_open_deductions(aging: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The Aging as reminders and the worklist see it: the part of an invoice an open short pay
    holds (Disputes, Kind Short pay, Status Open, its OpenAmount) is split off as a disputed item
    of its own, so that no reminder asks for a deduction under investigation; the rest of the
    invoice is asked for as before. Rows are renumbered from 0."""
    shorts = table.loc[(table["Kind"] == DisputeKind.SHORT_PAY) & (table["Status"] == DisputeStatus.OPEN)]
    held_by_invoice = shorts["OpenAmount"].astype("int64").groupby(shorts["InvoiceID"]).sum()
    cents = aging["OpenAmount"].astype("int64")
    split = ((aging["DocType"] == DocType.INVOICE) & (aging["Disputed"] != "Yes") & (cents > 0)
             & aging["DocID"].isin(held_by_invoice.index))
    if not split.any():
        return aging.reset_index(drop=True)
    held = np.minimum(lookup(aging.loc[split, "DocID"], held_by_invoice).astype("int64"), cents[split])
    rest = aging.loc[split].assign(OpenAmount=(cents[split] - held).astype("Int64"))
    disputed = aging.loc[split].assign(OpenAmount=held.astype("Int64"), Disputed="Yes")
    # each invoice's rest, then its held part, where the invoice stood
    parts = pd.concat([aging.loc[~split], rest.loc[rest["OpenAmount"] > 0], disputed])
    order = np.argsort(parts.index.to_numpy(), kind="stable")
    return parts.iloc[order].reset_index(drop=True)


def open_by_customer(table: pd.DataFrame) -> pd.Series:
    """The open disputed amount per (CustomerID, Currency)."""
    open_rows = table.loc[table["Status"] == DisputeStatus.OPEN]
    return open_rows["OpenAmount"].astype("int64").groupby([open_rows["CustomerID"], open_rows["Currency"]]).sum()


def deduction_kpis(ledger: Ledger, table: pd.DataFrame, as_of: dt.date, period_days: int) -> dict[str, DeductionKpis]:
    """Open deductions and days deductions outstanding per currency (see the module docstring)."""
    stamp = pd.Timestamp(as_of)
    shorts = table.loc[table["Kind"] == DisputeKind.SHORT_PAY]
    open_rows = shorts.loc[shorts["Status"] == DisputeStatus.OPEN]
    opened = shorts["OpenedDate"]
    taken = shorts.loc[(opened > stamp - pd.Timedelta(days=period_days)) & (opened <= stamp)]
    result = {}
    for currency in sorted(set(open_rows["Currency"]) | set(taken["Currency"])):
        mine = open_rows.loc[open_rows["Currency"] == currency]
        amount = int(mine["OpenAmount"].astype("int64").sum())
        period = int(taken.loc[taken["Currency"] == currency, "Amount"].astype("int64").sum())
        result[currency] = DeductionKpis(
            currency, len(mine), amount, period, period_days,
            amount / period * period_days if period > 0 else None,
            float(mine["DaysOpen"].astype("float64").mean()) if len(mine) else None)
    return result
