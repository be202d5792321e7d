"""A customer's statement against our ledger: what they think is open or paid, line by line,
compared with what we show open for them as of the statement's date.

Rules (a receivables clerk's), stated once:
- Whose statement: the customer it names (an ID or a name of Customers), else the customer
  whose documents its references name most often. Which date: the statement's own date, else
  its latest line's, else Settings AsOfDate. Which currency: a line's own, else the
  statement's, else the customer's. Each currency of the statement is reconciled on its own
  (currencies are never added together): our side is the Aging of that customer in that
  currency as of that date, and its payments in that currency. A line naming a document we
  hold in another currency is not that document's line.
- Their references are read as the matcher reads a remittance (``arxl.core.matching.ids``):
  separators, case, prefixes and leading zeros do not matter, and a number one keying error away
  from one of ours (two digits swapped, one digit wrong) is that document, misspelt.
- Each of their lines is:
  Matched         the same document, the same open amount (and the same date where they give one);
  Difference      the same document with a different amount or date, or a misspelt reference;
  Theirs only     a document we show settled or never issued, or a payment we cannot find open;
  and each of our open items no line of theirs names is Ours only. A payment line of theirs
  (a negative amount, or a Type saying payment) that names no document matches our unapplied
  cash of the same amount.
- The next step of each line: Send a copy (of our invoice, memo, or the record that settled it),
  Apply cash (a payment we hold on account or have not posted yet), Open a dispute (they took a
  deduction), Ask for proof of payment (they say they paid; we have no such payment), Ask for a
  copy (a document of theirs we never issued).
- A Balance line ties the two: their balance + the differences of every line = our balance.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pandas as pd

from arxl.contract import RECONCILIATION, DocType, InvoiceStatus, ReconResult, ReconStep, header_key
from arxl.core.aging import ledger_aging
from arxl.core.balances import active_applications, application_dates, resolve_currencies
from arxl.core.frames import table_frame
from arxl.core.ledger import Ledger
from arxl.core.matching.ids import FUZZY, ReferenceIndex
from arxl.core.matching.text import read_remittance
from arxl.core.money import NotAnAmount, format_amount, to_minor
from arxl.core.problems import Problems

PAYMENT_DAYS = 10  # a payment of theirs is ours when the amounts agree and the dates are this close


@dataclass(frozen=True)
class TheirLine:
    """One line of a customer's statement: ``written``, the amount as they wrote it, signed as
    they owe us (a payment or credit negative); ``paid``: the line says it is a payment;
    ``currency``: the line's own ("": the statement's); ``amount``: ``written`` in the minor unit
    of the line's currency, once that is known."""

    line: int
    reference: str
    date: dt.date | None
    written: Decimal
    paid: bool = False
    currency: str = ""
    amount: int = 0


@dataclass
class TheirStatement:
    file: str
    lines: list[TheirLine]
    customer: str = ""  # as the statement names it ("" for none)
    date: dt.date | None = None
    currency: str = ""
    problems: Problems = field(default_factory=Problems)


@dataclass
class _Ours:
    """Our side for one statement in one currency: the customer's documents (invoices and memos,
    open or not, in any currency), its open items in the currency as of the date, its payments
    in the currency."""

    customer: str
    currency: str
    as_of: dt.date
    open_items: pd.DataFrame  # Aging rows, by DocID
    documents: pd.DataFrame  # DocID, DocType, DocDate, Status, Currency (every invoice and memo of the customer)
    index: ReferenceIndex
    payments: pd.DataFrame  # the customer's Payments rows in the currency, with Posted (bool)
    settled_by: dict[str, str]  # DocID -> the payments and memos that settled it, in words
    shorted: set[str]  # invoices with a short pay on them


def whose(statement: TheirStatement, ledger: Ledger) -> tuple[str, str]:
    """(CustomerID, how it was found), "" when no customer fits."""
    customers = ledger.table("Customers")
    named = header_key(statement.customer)
    if named:
        for customer_id, name in zip(customers["CustomerID"], customers["Name"]):
            if header_key(customer_id) == named or header_key(name) == named:
                return customer_id, f"the statement names {statement.customer}"
    invoices = ledger.table("Invoices")
    memos = ledger.table("Memos", required=False)
    refs = pd.concat([invoices[["InvoiceID", "CustomerID"]].rename(columns={"InvoiceID": "DocID"}),
                      memos[["MemoID", "CustomerID"]].rename(columns={"MemoID": "DocID"})], ignore_index=True)
    index = ReferenceIndex("InvoiceID", refs["DocID"].tolist())
    votes: dict[str, int] = {}
    for line in statement.lines:
        mentions, _ = index.find(read_remittance(line.reference))
        for m in mentions[:1]:
            for customer_id in {refs["CustomerID"].iloc[p] for p in m.positions}:
                votes[customer_id] = votes.get(customer_id, 0) + 1
    if not votes:
        return "", ""
    best = max(votes, key=lambda c: (votes[c], c))
    return best, f"{votes[best]} of its references are {best}'s documents"


def _ours(ledger: Ledger, customer_id: str, currency: str, as_of: dt.date) -> _Ours:
    aging, _ = ledger_aging(ledger, as_of)
    mine = aging.loc[(aging["CustomerID"] == customer_id) & (aging["Currency"] == currency)]
    invoices = ledger.table("Invoices")
    memos = ledger.table("Memos", required=False)
    balances, _ = ledger.balances(as_of)
    theirs = invoices["CustomerID"] == customer_id
    memo_rows = memos.loc[memos["CustomerID"] == customer_id]
    memo_types = memo_rows["Kind"].map(
        lambda kind: DocType.DEBIT_MEMO.value if str(kind).strip().lower() == "debit" else DocType.CREDIT_MEMO.value)
    customers, base = ledger.table("Customers"), ledger.settings.base_currency

    def in_currency(frame: pd.DataFrame) -> pd.Series:
        """Each row's currency: its own, else the customer's, else the base currency."""
        return resolve_currencies(frame["Currency"], pd.Series(customer_id, index=frame.index, dtype=object),
                                  customers, base)
    documents = pd.concat([
        pd.DataFrame({"DocID": invoices.loc[theirs, "InvoiceID"], "DocType": DocType.INVOICE.value,
                      "DocDate": invoices.loc[theirs, "InvoiceDate"],
                      "Status": balances.invoices.loc[theirs, "Status"],
                      "Currency": in_currency(invoices.loc[theirs])}),
        pd.DataFrame({"DocID": memo_rows["MemoID"], "DocType": memo_types, "DocDate": memo_rows["MemoDate"],
                      "Status": "", "Currency": in_currency(memo_rows)}),
    ], ignore_index=True)
    apps = ledger.table("Applications", required=False)
    payments = ledger.table("Payments", required=False)
    active = apps.loc[active_applications(apps) & (apps["CustomerID"] == customer_id)]
    dated = active.assign(Date=application_dates(active, payments))
    settled_by: dict[str, str] = {}
    for doc_id, rows in dated.loc[dated["InvoiceID"] != ""].groupby("InvoiceID"):
        settled_by[str(doc_id)] = "; ".join(
            f"{p or 'a write-off'} {format_amount(int(a), currency)} on {d.date().isoformat() if pd.notna(d) else '?'}"
            for p, a, d in zip(rows["PaymentID"], rows["AppliedAmount"].fillna(0) + rows["WriteOff"].fillna(0),
                               rows["Date"]))
    for memo_id, invoice_id in zip(memos["MemoID"], memos["InvoiceID"]):
        if invoice_id:
            settled_by[invoice_id] = "; ".join(s for s in (settled_by.get(invoice_id, ""), f"credit {memo_id}") if s)
    shorted = set(active.loc[active["ShortPay"].fillna(0) > 0, "InvoiceID"])
    posted = set(active["PaymentID"]) - {""}
    paid_by = payments.loc[(payments["CustomerID"] == customer_id) | (payments["MatchedCustomerID"] == customer_id)]
    paid_by = paid_by.loc[in_currency(paid_by) == currency]
    return _Ours(customer_id, currency, as_of, mine.set_index("DocID", drop=False), documents,
                 ReferenceIndex("InvoiceID", documents["DocID"].tolist()),
                 paid_by.assign(Posted=paid_by["PaymentID"].isin(posted)), settled_by, shorted)


def _row(statement: TheirStatement, ours: _Ours, line: int, result: ReconResult, step: ReconStep | None,
         explanation: str, their: TheirLine | None = None, doc: pd.Series | None = None,
         our_cents: int | None = None) -> dict[str, Any]:
    """One Reconciliation row; ``our_cents`` (else the document's OpenAmount) is our side."""
    if our_cents is None and doc is not None and pd.notna(doc.get("OpenAmount")):
        our_cents = int(doc["OpenAmount"])
    their_cents = their.amount if their is not None else None
    return {
        "File": statement.file, "Line": line, "CustomerID": ours.customer, "StatementDate": pd.Timestamp(ours.as_of),
        "Currency": ours.currency, "Result": result.value,
        "TheirReference": their.reference if their else "",
        "TheirDate": pd.Timestamp(their.date) if their and their.date else pd.NaT, "TheirAmount": their_cents,
        "OurDocType": doc["DocType"] if doc is not None else "", "OurDocID": doc["DocID"] if doc is not None else "",
        "OurDate": doc["DocDate"] if doc is not None else pd.NaT, "OurAmount": our_cents,
        "Difference": (our_cents or 0) - (their_cents or 0), "Explanation": explanation,
        "NextStep": step.value if step else "",
    }


def _their_payment(their: TheirLine) -> bool:
    return their.paid or their.amount < 0


def _find_payment(ours: _Ours, their: TheirLine) -> pd.Series | None:
    """Our Payments row for a payment line of theirs: the same amount, received within
    PAYMENT_DAYS of their date."""
    amount = abs(their.amount)
    candidates = ours.payments.loc[ours.payments["Amount"].fillna(0) == amount]
    if their.date is not None and len(candidates):
        gap = (candidates["ReceivedDate"] - pd.Timestamp(their.date)).abs()
        candidates = candidates.loc[gap <= pd.Timedelta(days=PAYMENT_DAYS)]
    return None if candidates.empty else candidates.iloc[0]


def reconcile_statement(ledger: Ledger, statement: TheirStatement) -> tuple[list[dict[str, Any]], Problems]:
    """The Reconciliation rows of one statement (see the module docstring): each currency's
    lines, its open items no line names, and its Balance line, the statement's own currency
    first."""
    problems = Problems(statement.problems)
    customer_id, how = whose(statement, ledger)
    if not customer_id:
        problems.add(statement.file, None, "", statement.customer,
                     "cannot tell whose statement this is: it names no customer of ours and none of our documents",
                     "Add a Customer column or a 'Customer: C123' line above the header, or set ReconcileColumns.")
        return [], problems
    customers = ledger.table("Customers").set_index("CustomerID")
    own = str(customers["Currency"].get(customer_id, "") or "").upper() if customer_id in customers.index else ""
    default = (statement.currency or own or ledger.settings.base_currency).upper()
    lines = []
    for their in statement.lines:
        currency = (their.currency or default).upper()
        try:
            lines.append(replace(their, currency=currency, amount=to_minor(their.written, currency)))
        except NotAnAmount as exc:
            problems.add(statement.file, their.line, "", str(their.written), f"a line whose amount cannot be read "
                         f"in {currency}: {exc.problem}", exc.hint)
    dates = [line.date for line in lines if line.date is not None]
    as_of = statement.date or (max(dates) if dates else ledger.settings.as_of)
    currencies = sorted({line.currency for line in lines}, key=lambda c: (c != default, c)) or [default]
    rows: list[dict[str, Any]] = []
    next_line = max((t.line for t in lines), default=0)
    for currency in currencies:
        ours = _ours(ledger, customer_id, currency, as_of)
        found = _reconcile_currency(statement, ours, [t for t in lines if t.currency == currency], how, next_line)
        rows += found
        next_line = int(found[-1]["Line"])
    return rows, problems


def _reconcile_currency(statement: TheirStatement, ours: _Ours, lines: list[TheirLine], how: str,
                        next_line: int) -> list[dict[str, Any]]:
    """The rows of one currency of a statement: ``lines`` (theirs, in ``ours.currency``), our
    open items none of them names (numbered after ``next_line``), and the Balance line."""
    customer_id, currency, as_of = ours.customer, ours.currency, ours.as_of
    docs = ours.documents.set_index("DocID", drop=False)
    rows: list[dict[str, Any]] = []
    named: set[str] = set()
    payment_lines: list[TheirLine] = []
    step: ReconStep | None
    for their in lines:
        mentions, _ = ours.index.find(read_remittance(their.reference)) if their.reference else ([], [])
        if not mentions:
            if _their_payment(their):
                payment_lines.append(their)
            else:
                rows.append(_row(statement, ours, their.line, ReconResult.THEIRS_ONLY, ReconStep.ASK_COPY,
                                 f"{their.reference or 'a line without a reference'} is no document of ours for "
                                 f"{customer_id}", their))
            continue
        mention = mentions[0]
        named_docs = [ours.documents["DocID"].iloc[p] for p in mention.positions]
        candidates = [d for d in named_docs if docs.at[d, "Currency"] == currency]
        if not candidates:
            elsewhere = ", ".join(f"{d} in {docs.at[d, 'Currency']}" for d in named_docs)
            rows.append(_row(statement, ours, their.line, ReconResult.THEIRS_ONLY, ReconStep.SEND_COPY,
                             f"we hold {elsewhere}, not in {currency}: send them a copy", their, our_cents=0))
            continue
        open_ones = [d for d in candidates if d in ours.open_items.index and d not in named]
        chosen = next((d for d in open_ones if int(ours.open_items.at[d, "OpenAmount"]) == their.amount),
                      open_ones[0] if open_ones else candidates[0])
        misspelt = mention.how == FUZZY
        if chosen not in ours.open_items.index or chosen in named:
            doc = docs.loc[chosen]
            if pd.notna(doc["DocDate"]) and doc["DocDate"] > pd.Timestamp(as_of):
                why = f"we date {chosen} {doc['DocDate'].date().isoformat()}, after the statement"
                step = ReconStep.SEND_COPY
            elif _their_payment(their):
                why, step = f"their payment quotes {chosen}, which we show settled", ReconStep.SEND_COPY

            else:
                settled = ours.settled_by.get(chosen, "")
                why = (f"we show {chosen} settled as of {as_of.isoformat()}" + (f" ({settled})" if settled else "")
                       + ": send them the payment or credit that settled it")
                step = ReconStep.SEND_COPY
            rows.append(_row(statement, ours, their.line, ReconResult.THEIRS_ONLY, step, why, their, doc, our_cents=0))
            continue
        named.add(chosen)
        doc = ours.open_items.loc[chosen]
        mine = int(doc["OpenAmount"])
        notes: list[str] = []
        step = None
        if misspelt:
            notes.append(f"they wrote {their.reference!r} for {chosen}")
            step = ReconStep.SEND_COPY
        if their.date is not None and pd.notna(doc["DocDate"]) and doc["DocDate"].date() != their.date:
            notes.append(f"they date it {their.date.isoformat()}, we {doc['DocDate'].date().isoformat()}")
            step = step or ReconStep.SEND_COPY
        if mine != their.amount:
            gap = mine - their.amount
            if gap > 0:
                held = _cash_held(ours, gap)
                if held:
                    notes.append(f"they think {format_amount(gap, currency)} less is open; {held}")
                    step = ReconStep.APPLY_CASH
                elif chosen in ours.shorted or docs.at[chosen, "Status"] == InvoiceStatus.SHORT_PAID:
                    notes.append(f"they deducted {format_amount(gap, currency)} (see Disputes)")
                    step = ReconStep.OPEN_DISPUTE
                else:
                    notes.append(f"they think {format_amount(gap, currency)} less is open, and we received no "
                                 f"such payment")
                    step = ReconStep.ASK_PROOF
            else:
                paid = ours.settled_by.get(chosen, "")
                notes.append(f"we show {format_amount(-gap, currency)} less open" + (f" ({paid})" if paid else "")
                             + ": send them our record")
                step = ReconStep.SEND_COPY
        result = ReconResult.DIFFERENCE if notes else ReconResult.MATCHED
        rows.append(_row(statement, ours, their.line, result, step, "; ".join(notes) or "the same", their, doc))

    # their payments that name no document: our unapplied cash of the same amount, else our payment
    cash = ours.open_items.loc[(ours.open_items["DocType"] == DocType.UNAPPLIED_CASH)
                               & ~ours.open_items["DocID"].isin(named)]
    for their in payment_lines:
        same = cash.loc[(cash["OpenAmount"].astype("int64") == their.amount) & ~cash["DocID"].isin(named)]
        if len(same):
            doc = same.iloc[0]
            named.add(doc["DocID"])
            rows.append(_row(statement, ours, their.line, ReconResult.MATCHED, None,
                             f"their payment is our unapplied cash {doc['DocID']}", their, doc))
            continue
        payment = _find_payment(ours, their)
        if payment is None:
            why, step = "we have no payment of that amount near that date", ReconStep.ASK_PROOF
        elif payment["Posted"]:
            why = (f"we received it as {payment['PaymentID']} on {payment['ReceivedDate'].date().isoformat()} and "
                   f"applied it ({payment['MatchedInvoices'] or 'on account'}): send them the application")
            step = ReconStep.SEND_COPY
        else:
            why = (f"we received it as {payment['PaymentID']} on {payment['ReceivedDate'].date().isoformat()}, "
                   f"not posted yet")
            step = ReconStep.APPLY_CASH
        rows.append(_row(statement, ours, their.line, ReconResult.THEIRS_ONLY, step, why, their))

    for doc_id, doc in ours.open_items.iterrows():
        if doc_id in named:
            continue
        next_line += 1
        if doc["DocType"] == DocType.UNAPPLIED_CASH:
            step, why = ReconStep.APPLY_CASH, "we hold this cash on account: ask which invoices it pays"
        elif doc["DocType"] == DocType.CREDIT_MEMO:
            step, why = ReconStep.SEND_COPY, "a credit they do not list"
        else:
            step, why = ReconStep.SEND_COPY, "open with us, not on their list: they may not have it"
        rows.append(_row(statement, ours, next_line, ReconResult.OURS_ONLY, step, why, None, doc))

    theirs_total = sum(t.amount for t in lines)
    ours_total = int(ours.open_items["OpenAmount"].astype("int64").sum())
    explained = sum(int(r["Difference"]) for r in rows)
    rows.append(_row(statement, ours, next_line + 1, ReconResult.BALANCE, None,
                     f"their balance {format_amount(theirs_total, currency)} + the differences above "
                     f"{format_amount(explained, currency)} = "
                     f"our balance {format_amount(ours_total, currency)} ({how}); unexplained "
                     f"{format_amount(ours_total - theirs_total - explained, currency)}",
                     TheirLine(0, "", None, Decimal(0), amount=theirs_total), our_cents=ours_total))
    return rows


def _cash_held(ours: _Ours, cents: int) -> str:
    """Words for cash of the customer's that could close a gap: unapplied cash, or a payment not
    posted yet ("" for none)."""
    unapplied = -int(ours.open_items.loc[ours.open_items["DocType"] == DocType.UNAPPLIED_CASH, "OpenAmount"]
                     .astype("int64").sum())
    if unapplied >= cents:
        return f"we hold {format_amount(unapplied, ours.currency)} of theirs on account"
    waiting = ours.payments.loc[~ours.payments["Posted"] & (ours.payments["Amount"].fillna(0) >= cents)]
    if len(waiting):
        return f"their payment {waiting['PaymentID'].iloc[0]} waits to be posted"
    return ""


def reconciliation_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return table_frame(RECONCILIATION, {c: [r[c] for r in rows] for c in RECONCILIATION.names})
