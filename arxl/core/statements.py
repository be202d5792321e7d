"""Customer statements of account, in the two layouts customers expect, per currency (never
added together).

Open items: every item of the customer's Aging as of the date (``ledger_aging``: the same
computation as the Aging table, so the statement's total is the customer's Aging total to the
minor unit), with its age and bucket, and the totals by bucket.

Activity (balance forward): the opening balance, which is the customer's Aging total as of the
day before the period starts; every event of the period that changed what the customer owes, in
date order with the running balance; the closing balance, which is the Aging total as of the
statement's date. The events are read from the ledgers by the rules of ``arxl.core.balances``:
  invoice        + Amount, on its InvoiceDate
  debit memo     + TotalAmount, on its MemoDate
  credit memo    - TotalAmount, on its MemoDate (absorbed by its invoice or held as a credit)
  payment        - cash applied to the customer's invoices and debit memos, and cash put on its
                   account, on the day it counts (its ReceivedDate); a discount and a write-off it
                   took are lines of their own; a reversal is a line of its own on its PostedAt
                   date (the cash returned: +)
An application counts from the later of its own date and the date of the document it pays (an
item is in the aging only from its own date). A statement whose opening balance and lines do not
add up to its closing balance is not printed: it is reported (the open-item statement is exact).

Skipped: customers with nothing open as of the date and no event in the period, unless asked for
by CustomerID (then only those are made, each at least in its own currency).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from arxl.contract import MemoKind, StatementLayout
from arxl.core.aging import bucket_labels, ledger_aging
from arxl.core.balances import application_dates, is_reversal, lookup, memo_totals, resolve_currencies
from arxl.core.ledger import Ledger
from arxl.core.money import format_amount
from arxl.core.problems import Problems

# the kinds of activity line, in the order lines of one day are listed
INVOICE, DEBIT_MEMO, CREDIT_MEMO = "Invoice", "Debit memo", "Credit memo"
PAYMENT, DISCOUNT, WRITE_OFF, RETURNED = "Payment", "Discount", "Write-off", "Payment reversed"
LINE_ORDER = {INVOICE: 0, DEBIT_MEMO: 1, CREDIT_MEMO: 2, PAYMENT: 3, DISCOUNT: 4, WRITE_OFF: 5, RETURNED: 6}
ACTIVITY_COLUMNS = ("CustomerID", "Currency", "Date", "Kind", "Reference", "Detail", "Amount")
ITEM_COLUMNS = ("DocType", "DocID", "DocDate", "DueDate", "DaysPastDue", "Bucket", "OriginalAmount", "OpenAmount",
                "Disputed")


@dataclass(frozen=True)
class Section:
    """A customer's statement in one currency. ``items``: its Aging rows as of the date
    (ITEM_COLUMNS). ``lines`` (Activity): Date, Kind, Reference, Detail, Amount, Balance."""

    currency: str
    items: pd.DataFrame
    buckets: tuple[tuple[str, int], ...]
    balance: int
    opening: int | None = None
    lines: pd.DataFrame | None = None


@dataclass(frozen=True)
class Statement:
    customer_id: str
    layout: StatementLayout
    as_of: dt.date
    from_date: dt.date | None  # the first day of an Activity statement's period
    sections: tuple[Section, ...]


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def activity(invoices: pd.DataFrame, applications: pd.DataFrame, memos: pd.DataFrame, payments: pd.DataFrame,
             customers: pd.DataFrame, base_currency: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Every event from ``start`` to ``end`` (both included) that changed what a customer owes,
    one row each (ACTIVITY_COLUMNS; Amount in cents, + what the customer owes more), by the
    rules in the module docstring."""
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    frames = [_invoice_events(invoices, customers, base_currency), _memo_events(memos, customers, base_currency),
              _payment_events(invoices, applications, memos, payments, customers, base_currency)]
    events = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else None
    if events is None:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "Date" else "int64" if c == "Amount"
                                          else object) for c in ACTIVITY_COLUMNS})
    events = events.loc[events["Date"].notna() & (events["Date"] >= first) & (events["Date"] <= last)
                        & (events["CustomerID"] != "") & (events["Amount"] != 0)]
    order = events["Kind"].map(LINE_ORDER)
    events = events.assign(_order=order).sort_values(["CustomerID", "Currency", "Date", "_order", "Reference"],
                                                     kind="stable")
    return events[list(ACTIVITY_COLUMNS)].reset_index(drop=True)


def _invoice_events(invoices: pd.DataFrame, customers: pd.DataFrame, base_currency: str) -> pd.DataFrame:
    po = invoices["PONumber"].astype(str)
    return pd.DataFrame({
        "CustomerID": invoices["CustomerID"],
        "Currency": resolve_currencies(invoices["Currency"], invoices["CustomerID"], customers, base_currency),
        "Date": invoices["InvoiceDate"], "Kind": INVOICE, "Reference": invoices["InvoiceID"],
        "Detail": np.where(po != "", "your PO " + po, ""),
        "Amount": invoices["Amount"].fillna(0).astype("int64")})


def _memo_events(memos: pd.DataFrame, customers: pd.DataFrame, base_currency: str) -> pd.DataFrame:
    kind = memos["Kind"].astype(str).str.strip().str.lower()
    debit, credit = kind == MemoKind.DEBIT.lower(), kind == MemoKind.CREDIT.lower()
    kept = memos.loc[debit | credit]
    total = memo_totals(kept)
    on_invoice = kept["InvoiceID"].astype(str)
    reason = kept["Reason"].astype(str)
    detail = np.where(on_invoice != "", "on invoice " + on_invoice, "on account")
    detail = np.where(reason != "", detail + ": " + reason, detail)
    return pd.DataFrame({
        "CustomerID": kept["CustomerID"],
        "Currency": resolve_currencies(kept["Currency"], kept["CustomerID"], customers, base_currency),
        "Date": kept["MemoDate"], "Kind": np.where(debit[kept.index], DEBIT_MEMO, CREDIT_MEMO),
        "Reference": kept["MemoID"], "Detail": detail,
        "Amount": np.where(debit[kept.index], total, -total).astype("int64")})


def _payment_events(invoices: pd.DataFrame, applications: pd.DataFrame, memos: pd.DataFrame,
                    payments: pd.DataFrame, customers: pd.DataFrame, base_currency: str) -> pd.DataFrame:
    """Payments, discounts, write-offs and reversals, grouped per payment, customer, currency,
    day and direction."""
    if applications.empty:
        return pd.DataFrame(columns=list(ACTIVITY_COLUMNS))
    apps = applications
    dates = application_dates(apps, payments)
    by_payment = payments.loc[payments["PaymentID"] != ""].drop_duplicates("PaymentID").set_index("PaymentID")
    invoice_currency = resolve_currencies(invoices["Currency"], invoices["CustomerID"], customers, base_currency)
    debits = memos.loc[memos["Kind"].astype(str).str.strip().str.lower() == MemoKind.DEBIT.lower()]
    documents = pd.concat([
        pd.DataFrame({"CustomerID": invoices["CustomerID"].to_numpy(), "Currency": invoice_currency.to_numpy(),
                      "DocDate": invoices["InvoiceDate"].to_numpy()}, index=invoices["InvoiceID"].to_numpy()),
        pd.DataFrame({"CustomerID": debits["CustomerID"].to_numpy(),
                      "Currency": resolve_currencies(debits["Currency"], debits["CustomerID"], customers,
                                                     base_currency).to_numpy(),
                      "DocDate": debits["MemoDate"].to_numpy()}, index=debits["MemoID"].to_numpy())])
    documents = documents[~documents.index.duplicated()]

    on_account = apps["InvoiceID"] == ""
    # cash on account belongs to the first customer its on-account rows name (as balances has it)
    holder = apps.loc[on_account & (apps["CustomerID"] != "")].groupby("PaymentID")["CustomerID"].first()
    account_customer = lookup(apps["PaymentID"], holder.astype(object)).fillna("")
    account_currency = resolve_currencies(lookup(apps["PaymentID"], by_payment["Currency"]).fillna(""),
                                          account_customer, customers, base_currency)
    received = lookup(apps["PaymentID"], by_payment["ReceivedDate"])

    target = documents.reindex(apps["InvoiceID"].to_numpy())
    target.index = apps.index
    customer = target["CustomerID"].where(~on_account, account_customer)
    currency = target["Currency"].where(~on_account, account_currency)
    since = target["DocDate"].where(~on_account, received)
    day = dates.where(since.isna() | (dates >= since), since)
    counts = customer.notna() & (customer != "")  # an application naming nothing known counts nowhere
    settles = ~on_account  # discounts and write-offs settle documents; cash on account is cash alone
    rows = pd.DataFrame({
        "CustomerID": customer, "Currency": currency, "Date": day, "PaymentID": apps["PaymentID"],
        "Reversal": is_reversal(apps["Source"]), "Target": apps["InvoiceID"],
        "Cash": -apps["AppliedAmount"].fillna(0).astype("int64"),
        "Discount": -apps["DiscountTaken"].fillna(0).astype("int64").where(settles, 0),
        "WriteOff": -apps["WriteOff"].fillna(0).astype("int64").where(settles, 0),
    }).loc[counts]
    if rows.empty:
        return pd.DataFrame(columns=list(ACTIVITY_COLUMNS))
    keys = ["CustomerID", "Currency", "Date", "PaymentID", "Reversal"]
    grouped = rows.groupby(keys, sort=False, dropna=False).agg(
        Cash=("Cash", "sum"), Discount=("Discount", "sum"), WriteOff=("WriteOff", "sum"),
        Targets=("Target", lambda t: ", ".join(dict.fromkeys(x if x else "on account" for x in t))))
    grouped = grouped.reset_index()
    check = lookup(grouped["PaymentID"], by_payment["CheckNumber"]).fillna("").astype(str)
    paid_by = np.where(check != "", "check " + check + ": ", "")
    out = []
    for column, kind in (("Cash", PAYMENT), ("Discount", DISCOUNT), ("WriteOff", WRITE_OFF)):
        part = grouped.loc[grouped[column] != 0]
        reversal = part["Reversal"].to_numpy(dtype=bool)
        names = np.where(reversal, RETURNED, kind) if kind == PAYMENT else np.full(len(part), kind, dtype=object)
        detail = paid_by[part.index.to_numpy()] + part["Targets"].astype(str)
        if kind != PAYMENT:
            detail = np.where(reversal, "reversed: ", "") + part["Targets"].astype(str)
        out.append(pd.DataFrame({"CustomerID": part["CustomerID"], "Currency": part["Currency"], "Date": part["Date"],
                                 "Kind": names, "Reference": part["PaymentID"], "Detail": detail,
                                 "Amount": part[column].astype("int64")}))
    return pd.concat(out, ignore_index=True)


def _per_key(frame: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """The rows of each (CustomerID, Currency), split in one pass."""
    return {(str(k[0]), str(k[1])): g for k, g in frame.groupby(["CustomerID", "Currency"], sort=False)}


def statements(ledger: Ledger, as_of: dt.date, start: dt.date, layout: StatementLayout,
               wanted: Sequence[str] = ()) -> tuple[list[Statement], Problems]:
    """The statements as of ``as_of`` (activity from ``start``) of every customer with
    something open or an event in the period, or of the ``wanted`` customers only."""
    problems = Problems()
    closing, found = ledger_aging(ledger, as_of)
    problems.extend(found)
    customers = ledger.table("Customers")
    settings = ledger.settings
    labels = bucket_labels(settings.aging_buckets)
    known = customers.loc[customers["CustomerID"] != "", "CustomerID"]
    events = activity(ledger.table("Invoices"), ledger.table("Applications", required=False),
                      ledger.table("Memos", required=False), ledger.table("Payments", required=False),
                      customers, settings.base_currency, start, as_of)
    brought: dict[tuple[str, str], int] = {}
    if layout == StatementLayout.ACTIVITY:
        opening, _ = ledger_aging(ledger, start - dt.timedelta(days=1))  # its problems are closing's
        totals = opening["OpenAmount"].astype("int64").groupby([opening["CustomerID"], opening["Currency"]]).sum()
        brought = {(str(c), str(k)): int(v) for (c, k), v in totals.items()}
    own_currency = dict(zip(known, resolve_currencies(customers.loc[known.index, "Currency"], known, customers,
                                                      settings.base_currency)))
    for customer_id in wanted:
        if customer_id not in own_currency:
            problems.add("Customers", None, "CustomerID", customer_id,
                         f"no statement for {customer_id}: it is not a CustomerID of Customers",
                         "Check the ID given with --customer.")
    items_of, events_of = _per_key(closing[["CustomerID", "Currency", *ITEM_COLUMNS]]), _per_key(events)
    currencies: dict[str, set[str]] = {}
    for customer_id, currency in [*items_of, *events_of]:
        currencies.setdefault(customer_id, set()).add(currency)
    chosen = [c for c in wanted if c in own_currency] if wanted else sorted(set(currencies) & set(own_currency))
    in_bucket = closing["OpenAmount"].astype("int64").groupby(
        [closing["CustomerID"], closing["Currency"], closing["Bucket"]]).sum()
    bucket_totals = {(str(c), str(k), str(b)): int(v) for (c, k, b), v in in_bucket.items()}
    empty_items = closing.iloc[0:0][list(ITEM_COLUMNS)]
    no_events = events.iloc[0:0]

    made = []
    for customer_id in chosen:
        sections = []
        for currency in sorted(currencies.get(customer_id, ())) or [own_currency[customer_id]]:
            key = (customer_id, currency)
            items = items_of.get(key, empty_items)[list(ITEM_COLUMNS)].reset_index(drop=True)
            buckets = tuple((label, bucket_totals.get((*key, label), 0)) for label in labels)
            balance = sum(cents for _, cents in buckets)
            if layout != StatementLayout.ACTIVITY:
                sections.append(Section(currency, items, buckets, balance))
                continue
            opening_balance = brought.get(key, 0)
            lines = events_of.get(key, no_events)[["Date", "Kind", "Reference", "Detail", "Amount"]]
            lines = lines.reset_index(drop=True)
            lines["Balance"] = opening_balance + lines["Amount"].cumsum().astype("int64")
            moved = int(lines["Amount"].sum())
            if opening_balance + moved != balance:
                problems.add("Statements", None, "CustomerID", customer_id,
                             f"the activity of {customer_id} in {currency} from {start.isoformat()} does not add up to "
                             f"its balance as of {as_of.isoformat()} (off by "
                             f"{format_amount(balance - opening_balance - moved, currency)}): no activity statement "
                             f"is made",
                             "Make an open-item statement for the customer (--layout \"Open items\"), which is exact; "
                             "and tell whoever supports arxl, with this workbook.")
                continue
            sections.append(Section(currency, items, buckets, balance, opening_balance, lines))
        if sections:
            made.append(Statement(customer_id, layout, as_of,
                                  start if layout == StatementLayout.ACTIVITY else None, tuple(sections)))
    return made, problems


def statement_balance(aging: pd.DataFrame, customer_id: str, currency: str = "") -> dict[str, int]:
    """What a customer owes as of the aging's date, per currency (or in ``currency`` only):
    the total of its statement, and of its Aging rows."""
    mine = aging.loc[aging["CustomerID"] == customer_id]
    if currency:
        mine = mine.loc[mine["Currency"] == currency.upper()]
    return {str(k): int(v) for k, v in mine["OpenAmount"].astype("int64").groupby(mine["Currency"]).sum().items()}

