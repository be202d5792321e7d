"""Aging: every open item as of a date, in its bucket, and the per-customer summary.

Open balances come from ``arxl.core.balances`` (the one implementation that posting and
matching use too); this module only dates, buckets and summarises them.

Rules (an AR clerk's), stated once:
- As of a date, only what happened on or before it counts: invoices dated after it do not exist
  yet, and ``compute_balances(as_of=...)`` ignores later payments and memos.
- An invoice is due on its DueDate; without one, on the date its customer's Terms give, else the
  Settings DefaultTerms. A debit memo is a new bill: due by its customer's terms from its
  MemoDate.
- A credit memo or unapplied cash has no due date: it is "due" on its own date, so it is aged
  from that date and sits, negative, in the bucket of its own age. It reduces that bucket; it is
  never shown as a positive amount, nor moved to another customer's or currency's line.
- DaysPastDue is always counted from the due date (negative: not yet due). The bucket follows
  Settings AgingBasis: days from the due date, or from the document date.
- Buckets: Current (0 days or fewer), then 1-30, 31-60, ... up to the last limit of Settings
  AgingBuckets, then "Over N".
- PastDue is what is past its due date (DaysPastDue > 0), whatever the aging basis.
- % past due is the share of what the customer owes that is past due: past-due debits (items
  with a positive open amount: invoices, debit memos) / all open debits. Credits and unapplied
  cash are left out of both, so it lies between 0 and 100% (blank when nothing is owed); a
  customer's overdue credits never make it negative.

The plain-value functions (``days_past_due``, ``bucket_of_date``, ``due_date_from_terms``,
``discount_available``) are the same rules for single cells, so a UDF gives the table's answer.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from arxl.contract import AGING, Action, DocType
from arxl.core.balances import Balances, is_disputed, lookup, resolve_currencies
from arxl.core.frames import table_frame
from arxl.core.ledger import Ledger
from arxl.core.problems import Problem, Problems
from arxl.core.settings import Settings
from arxl.core.terms import UnknownTerms, parse_terms

CURRENT = "Current"
UNKNOWN_CUSTOMER = "(not in Customers)"


# ---- plain values: one cell, the same rules ------------------------------------------------

def bucket_labels(limits: tuple[int, ...] = (30, 60, 90, 120)) -> list[str]:
    """The buckets in order: Current, 1-30, 31-60, ..., Over <last limit>."""
    labels, start = [CURRENT], 1
    for limit in limits:
        labels.append(f"{start}-{limit}")
        start = limit + 1
    labels.append(f"Over {limits[-1]}")
    return labels


def bucket_order(days: int, limits: tuple[int, ...] = (30, 60, 90, 120)) -> int:
    """1 for Current (0 days or fewer), 2 for the first range (1-30), ... len(limits) + 2 for
    Over N."""
    if days <= 0:
        return 1
    return 2 + int(np.searchsorted(np.asarray(limits), days, side="left"))


def bucket_of_days(days: int, limits: tuple[int, ...] = (30, 60, 90, 120)) -> str:
    return bucket_labels(limits)[bucket_order(days, limits) - 1]


def days_past_due(due_date: dt.date, as_of: dt.date) -> int:
    """Days from ``due_date`` to ``as_of``; negative while not yet due."""
    return (_date(as_of) - _date(due_date)).days


def bucket_of_date(date: dt.date, as_of: dt.date, limits: tuple[int, ...] = (30, 60, 90, 120)) -> str:
    """The bucket of an item aged from ``date`` (its due date, or its document date on the
    InvoiceDate basis) as of ``as_of``."""
    return bucket_of_days(days_past_due(date, as_of), limits)


def due_date_from_terms(invoice_date: dt.date, terms: str = "", due_date: dt.date | None = None,
                        default_terms: str = "Net 30") -> dt.date:
    """The due date a clerk would use: the one given, else the date ``terms`` give, else the
    default terms'. Raises UnknownTerms for terms text that says nothing understood."""
    if due_date is not None:
        return _date(due_date)
    return parse_terms(terms if str(terms or "").strip() else default_terms).due_date(_date(invoice_date))


def due_on_terms(doc_date: dt.date, customer_terms: str, default_terms: str) -> dt.date:
    """A new bill (an invoice arxl makes, a debit memo) falls due on the customer's terms, else
    the default terms; customer terms arxl cannot read also fall back to the default (they are
    reported where the aging reads them)."""
    try:
        return due_date_from_terms(doc_date, customer_terms, default_terms=default_terms)
    except UnknownTerms:
        return due_date_from_terms(doc_date, "", default_terms=default_terms)


def discount_available(amount_cents: int, invoice_date: dt.date, paid_on: dt.date, terms: str = "",
                       default_terms: str = "Net 30") -> int:
    """The early-payment discount, in cents, that a payment on ``paid_on`` may take on an
    invoice of ``amount_cents`` under ``terms`` (else the default terms); 0 once it lapsed."""
    chosen = terms if str(terms or "").strip() else default_terms
    return parse_terms(chosen).discount_on(int(amount_cents), _date(invoice_date), _date(paid_on))


def _date(value: dt.date | pd.Timestamp) -> dt.date:
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    return value


# ---- columns: the same rules over frames ----------------------------------------------------

def bucket_orders(days: pd.Series, limits: tuple[int, ...]) -> pd.Series:
    """``bucket_order`` for a column of day counts."""
    values = days.to_numpy(dtype="int64")
    orders = np.where(values <= 0, 1, 2 + np.searchsorted(np.asarray(limits), values, side="left"))
    return pd.Series(orders, index=days.index, dtype="int64")


def document_terms(customer_ids: pd.Series, customers: pd.DataFrame, default_terms: str,
                   sheet: str = "Customers") -> tuple[pd.Series, Problems]:
    """The terms text that applies to each document: its customer's Terms, else the default.
    A customer's Terms that say nothing understood are reported once and the default used."""
    problems = Problems()
    known = customers.loc[customers["CustomerID"] != ""]
    usable = {}
    for row, customer_id, text in zip(known.index, known["CustomerID"], known["Terms"].astype(str)):
        if not text.strip():
            continue
        try:
            parse_terms(text)
        except UnknownTerms as exc:
            problems.add(sheet, int(row), "Terms", text, f"{exc}",
                         f"Write terms such as Net 30, 2/10 Net 30, Due on receipt or EOM; until then "
                         f"{default_terms} is used for {customer_id}.")
            continue
        usable[customer_id] = text
    terms = lookup(customer_ids, pd.Series(usable, dtype=object)).fillna(default_terms)
    return terms.astype(object), problems


def due_dates_from_terms(doc_dates: pd.Series, terms: pd.Series) -> pd.Series:
    """The due date each (document date, terms text) pair gives, NaT where the date is blank.
    Computed once per distinct pair: a ledger has few terms and few distinct dates."""
    pairs = pd.DataFrame({"date": doc_dates, "terms": terms}).dropna(subset=["date"])
    out = pd.Series(pd.NaT, index=doc_dates.index, dtype="datetime64[ns]")
    if pairs.empty:
        return out
    # each column factorized by itself and the pairs numbered from their two codes: a MultiIndex
    # of 100,000 rows takes twenty times longer to factorize
    date_codes, dates = pd.factorize(pairs["date"])
    term_codes, texts = pd.factorize(pairs["terms"])
    codes, distinct = pd.factorize(date_codes * len(texts) + term_codes)
    due = pd.to_datetime([parse_terms(texts[k % len(texts)]).due_date(dates[k // len(texts)].date())
                          for k in distinct]).to_numpy("datetime64[ns]")
    out.loc[pairs.index] = due[codes]
    return out


def invoice_due_dates(invoices: pd.DataFrame, customers: pd.DataFrame, default_terms: str
                      ) -> tuple[pd.Series, Problems]:
    """Each invoice's due date: its DueDate, else the date its customer's Terms (else the
    default terms) give from its InvoiceDate."""
    terms, problems = document_terms(invoices["CustomerID"], customers, default_terms)
    derived = due_dates_from_terms(invoices["InvoiceDate"], terms)
    return invoices["DueDate"].where(invoices["DueDate"].notna(), derived), problems


# ---- the Aging table ------------------------------------------------------------------------

def aging_items(invoices: pd.DataFrame, customers: pd.DataFrame, balances: Balances,
                settings: Settings) -> tuple[pd.DataFrame, Problems]:
    """The Aging table as of ``settings.as_of``, from the typed Invoices and Customers frames
    and ``compute_balances(..., as_of=settings.as_of)``. Columns those of the contract's Aging table, typed as
    the contract says (cents Int64, dates datetime64); sorted by currency, customer, bucket,
    due date, document."""
    problems = Problems()
    as_of = pd.Timestamp(settings.as_of)
    customer_rows = _customer_rows(customers)
    by_customer = customer_rows.set_index("CustomerID")
    billed, open_amount, other = _open_documents(invoices, balances, as_of)

    due, found = invoice_due_dates(billed, customer_rows, settings.default_terms)
    problems.extend(found)
    for row, invoice_id in billed.loc[billed["DueDate"] < billed["InvoiceDate"], "InvoiceID"].items():
        problems.add("Invoices", int(row), "DueDate", billed.at[row, "DueDate"].date().isoformat(),
                     f"invoice {invoice_id} is due before it was issued",
                     "Check the DueDate; the aging uses it as written.")

    invoice_items = pd.DataFrame({
        "CustomerID": billed["CustomerID"],
        "Currency": resolve_currencies(billed["Currency"], billed["CustomerID"], customer_rows,
                                       settings.base_currency),
        "DocType": DocType.INVOICE, "DocID": billed["InvoiceID"], "DocDate": billed["InvoiceDate"],
        "DueDate": due, "OriginalAmount": billed["Amount"].astype("Int64"),
        "OpenAmount": open_amount.astype("Int64"),
        "Disputed": np.where(is_disputed(billed["Disputed"]), "Yes", ""),
    })

    other_terms, _ = document_terms(other["CustomerID"], customer_rows, settings.default_terms)
    is_debit = other["DocType"] == DocType.DEBIT_MEMO
    # a credit is due to the customer at once: it is aged from its own date
    other_due = other["DocDate"].where(~is_debit, due_dates_from_terms(other["DocDate"], other_terms))
    other_items = pd.DataFrame({
        "CustomerID": other["CustomerID"],
        "Currency": resolve_currencies(other["Currency"], other["CustomerID"], customer_rows,
                                       settings.base_currency),
        "DocType": other["DocType"], "DocID": other["DocID"], "DocDate": other["DocDate"],
        "DueDate": other_due, "OriginalAmount": other["OriginalAmount"],
        "OpenAmount": other["OpenAmount"], "Disputed": "",
    })

    items = pd.concat([invoice_items, other_items], ignore_index=True)
    # a ledger row with no date at all still counts; it is aged as due today
    items["DueDate"] = items["DueDate"].fillna(as_of).astype("datetime64[ns]")
    items["DocDate"] = items["DocDate"].astype("datetime64[ns]")
    past_due = (as_of - items["DueDate"]).dt.days.astype("int64")
    basis = items["DueDate"] if settings.aging_basis == "DueDate" else items["DocDate"].fillna(as_of)
    orders = bucket_orders((as_of - basis).dt.days.astype("int64"), settings.aging_buckets)
    labels = np.asarray(bucket_labels(settings.aging_buckets), dtype=object)

    unknown = sorted(set(items["CustomerID"]) - set(by_customer.index) - {""})
    first_invoice_row = pd.Series(billed.index, index=billed["CustomerID"]).groupby(level=0).first()
    for customer_id in unknown:
        row = first_invoice_row.get(customer_id)
        problems.add("Invoices" if row is not None else "Customers", None if row is None else int(row),
                     "CustomerID", customer_id, f"customer {customer_id} has open items but is not in Customers",
                     "Add the customer to Customers so the aging can show its name and credit limit.")

    # one look-up of every customer column for all the items
    info = by_customer[["Name", "ParentID", "Region", "Salesperson", "CreditLimit"]].reindex(
        items["CustomerID"].to_numpy())
    info.index = items.index
    names = info["Name"].where(info["Name"].notna(),
                               np.where(items["CustomerID"] == "", "(no customer)", UNKNOWN_CUSTOMER))
    own_currency = lookup(items["CustomerID"], resolve_currencies(
        by_customer["Currency"], by_customer.index.to_series(), customer_rows, settings.base_currency))
    # a credit limit is in the customer's currency; lines in other currencies show none
    limit = info["CreditLimit"].where(own_currency == items["Currency"]).astype("Int64")

    aging = table_frame(AGING, {
        "AsOfDate": pd.Series(as_of, index=items.index, dtype="datetime64[ns]"),
        "CustomerID": items["CustomerID"],
        "CustomerName": names.astype(object),
        "ParentID": info["ParentID"].fillna("").astype(object),
        "Region": info["Region"].fillna("").astype(object),
        "Salesperson": info["Salesperson"].fillna("").astype(object),
        "Currency": items["Currency"].astype(object),
        "DocType": items["DocType"].astype(object),
        "DocID": items["DocID"].astype(object),
        "DocDate": items["DocDate"],
        "DueDate": items["DueDate"],
        "DaysPastDue": past_due.astype("Int64"),
        "Bucket": pd.Series(labels[orders.to_numpy() - 1], index=items.index, dtype=object),
        "BucketOrder": orders.astype("Int64"),
        "OriginalAmount": items["OriginalAmount"].astype("Int64"),
        "OpenAmount": items["OpenAmount"].astype("Int64"),
        "Disputed": items["Disputed"].astype(object),
        "CreditLimit": limit,
    }, index=items.index)
    aging = aging.sort_values(["Currency", "CustomerID", "BucketOrder", "DueDate", "DocID"],
                              kind="stable").reset_index(drop=True)
    return aging, problems


def _customer_rows(customers: pd.DataFrame) -> pd.DataFrame:
    return customers.loc[customers["CustomerID"] != ""].drop_duplicates("CustomerID")


def _open_documents(invoices: pd.DataFrame, balances: Balances, as_of: pd.Timestamp
                    ) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """What is open as of a date: the invoices billed by then with a balance, that balance, and
    the ledger's other open items (memos, unapplied cash) dated by then or undated."""
    # invoices dated after the as-of date do not exist yet
    billed = invoices.loc[invoices["InvoiceDate"].notna() & (invoices["InvoiceDate"] <= as_of)]
    open_amount = balances.invoices.loc[billed.index, "OpenBalance"]
    billed = billed.loc[open_amount.fillna(0) != 0]
    other = balances.open_items
    return billed, open_amount.loc[billed.index], other.loc[other["DocDate"].isna() | (other["DocDate"] <= as_of)]


def open_by_currency(ledger: Ledger, as_of: dt.date) -> pd.Series:
    """Cents open per currency as of a date (int64, by currency): what the Aging table as of it
    adds up to (``ledger_aging``), without dating, bucketing or naming every item (a key figure
    period's opening AR)."""
    balances, _ = ledger.balances(as_of)
    billed, open_amount, other = _open_documents(ledger.table("Invoices"), balances, pd.Timestamp(as_of))
    customer_rows = _customer_rows(ledger.table("Customers"))
    base = ledger.settings.base_currency
    currency = pd.concat([resolve_currencies(billed["Currency"], billed["CustomerID"], customer_rows, base),
                          resolve_currencies(other["Currency"], other["CustomerID"], customer_rows, base)],
                         ignore_index=True)
    cents = pd.concat([open_amount.astype("Int64"), other["OpenAmount"].astype("Int64")], ignore_index=True)
    return cents.astype("int64").groupby(currency).sum()


def aging_totals(aging: pd.DataFrame) -> pd.Series:
    """An Aging table's OpenAmount summed per Currency (int64 cents, by currency)."""
    return aging["OpenAmount"].astype("int64").groupby(aging["Currency"]).sum()


def ledger_aging(ledger: Ledger, as_of: dt.date) -> tuple[pd.DataFrame, Problems]:
    """The Aging table of ``ledger`` as of a date, with the problems found computing it: worked
    out once per run and date (aging, credit, collections and dunning each ask for it), until
    the tables it comes from change. Each caller gets its own copy."""
    key = ("aging", as_of)
    if key not in ledger.derived:
        balances, problems = ledger.balances(as_of)
        settings = dataclasses.replace(ledger.settings, as_of=as_of)
        aging, more = aging_items(ledger.table("Invoices"), ledger.table("Customers"), balances, settings)
        ledger.derived[key] = (aging, [*problems, *more])
    aging, found = cast(tuple[pd.DataFrame, list[Problem]], ledger.derived[key])
    return aging.copy(), Problems(list(found))


def unposted_cash(payments: pd.DataFrame, applications: pd.DataFrame, customers: pd.DataFrame,
                  settings: Settings) -> pd.Series:
    """Cents per currency of the payments received by the as-of date that have no Applications
    row (not posted yet), leaving out those marked Reverse (returned, so no cash)."""
    waiting = payments.loc[payments["ReceivedDate"].notna()
                           & (payments["ReceivedDate"] <= pd.Timestamp(settings.as_of))
                           & ~payments["PaymentID"].isin(set(applications["PaymentID"]))
                           & (payments["Action"].astype(str).str.strip().str.lower() != Action.REVERSE.lower())]
    currency = resolve_currencies(waiting["Currency"], waiting["CustomerID"], customers, settings.base_currency)
    return waiting["Amount"].fillna(0).astype("int64").groupby(currency).sum().sort_index()


# ---- the summary ----------------------------------------------------------------------------

@dataclass(frozen=True)
class AgingSummary:
    """``customers``: one row per customer and currency, largest balance first within each
    currency: CustomerID, CustomerName, Currency, one column per bucket, Total, PastDue (Int64
    cents), PercentPastDue (a fraction, NaN when Total is not positive), CreditLimit (Int64,
    NA for none), OverLimit ("Yes" / "").
    ``currencies``: the same columns summed per currency, straight from the Aging rows (so they
    tie to the table to the cent), indexed by currency.
    ``buckets``: the bucket labels in order."""

    customers: pd.DataFrame
    currencies: pd.DataFrame
    buckets: list[str]


def _by_bucket(aging: pd.DataFrame, keys: list[str], buckets: list[str]) -> pd.DataFrame:
    cents = aging["OpenAmount"].astype("int64")
    grid = cents.groupby([aging[k] for k in keys] + [aging["Bucket"]]).sum().unstack("Bucket", fill_value=0)
    grid = grid.reindex(columns=buckets, fill_value=0)
    grid.columns.name = None
    grid["Total"] = cents.groupby([aging[k] for k in keys]).sum()
    past = cents.where(aging["DaysPastDue"].astype("int64") > 0, 0)
    grid["PastDue"] = past.groupby([aging[k] for k in keys]).sum()
    grid = grid.astype("int64")
    grid["PercentPastDue"] = percent_past_due(cents, aging["DaysPastDue"], [aging[k] for k in keys])
    return grid


def percent_past_due(open_cents: pd.Series, days_past_due: pd.Series, by: list[pd.Series]) -> pd.Series:
    """% past due per group (see the module docstring): past-due debits / open debits, as a
    fraction; NaN for a group that owes nothing."""
    debits = open_cents.astype("int64").clip(lower=0)
    owed = debits.groupby(by).sum()
    late = debits.where(days_past_due.astype("int64") > 0, 0).groupby(by).sum()
    return (late / owed).where(owed > 0)


def summarize(aging: pd.DataFrame, limits: tuple[int, ...]) -> AgingSummary:
    """The AgingSummary of an Aging table (as ``aging_items`` builds it)."""
    buckets = bucket_labels(limits)
    per_customer = _by_bucket(aging, ["Currency", "CustomerID"], buckets)
    first = aging.groupby(["Currency", "CustomerID"])[["CustomerName", "CreditLimit"]].first()
    per_customer["CreditLimit"] = first["CreditLimit"].astype("Int64")
    per_customer["CustomerName"] = first["CustomerName"]
    over = per_customer["CreditLimit"].notna() & (per_customer["Total"] > per_customer["CreditLimit"].fillna(0))
    per_customer["OverLimit"] = np.where(over.to_numpy(dtype=bool), "Yes", "")
    per_customer = per_customer.reset_index()
    per_customer = per_customer.sort_values(["Currency", "Total", "CustomerID"], ascending=[True, False, True],
                                            kind="stable").reset_index(drop=True)
    columns = ["CustomerID", "CustomerName", "Currency", *buckets, "Total", "PastDue", "PercentPastDue",
               "CreditLimit", "OverLimit"]
    return AgingSummary(per_customer[columns], _by_bucket(aging, ["Currency"], buckets), buckets)
