"""Month-end: receivables rolled forward from one date to another, tied to the Aging at both
ends, and the allowance for doubtful accounts.

The roll-forward of a period ``start`` to ``end`` (both days counted), per currency and, on
request, per customer:

    Opening AR       the Aging's total as of the day before ``start``
  + Invoices         invoices dated in the period (their Amount)
  + DebitMemos       debit memos dated in the period (their total)
  - CashApplied      cash applied to invoices and debit memos
  - Discounts        early-payment discounts taken
  - WriteOffs        amounts written off (small differences, and disputes written off)
  - CreditMemos      credit memos dated in the period (their total)
  +/- Reversals      reversing rows: the cash, discount and write-off they give back
  - UnappliedCash    cash put on account
  = RolledForward
    Closing AR       the Aging's total as of ``end``
    Difference       Closing - RolledForward, which must be 0

The movements come from the ledgers' own rows (invoices, memos, applications), each on the date
the Aging counts it from: an application from its payment's ReceivedDate (a reversal from its
PostedAt), a memo from its MemoDate, an invoice from its InvoiceDate; and since the Aging shows
a document only once it is dated, what applies to a document dated later counts from the
document's date. Opening and closing are the Aging's own totals (``arxl.core.aging.ledger_aging``,
the one computation of open items), so the roll-forward ties to the Aging to the minor unit. A
difference that is not 0 is reported with the customers it lies with: a credit memo dated
before its invoice, an application to an item that is neither an invoice nor a debit memo.

The allowance for doubtful accounts applies the ProvisionMatrix's rate of each bucket and
currency (a row with a blank Currency serves every currency without rows of its own) to the
receivables of that bucket in the Aging as of ``end``: invoices and debit memos with something
open (credits and unapplied cash are not receivables), rounded half-up to the minor unit per bucket.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from arxl.contract import ALLOWANCE, PROVISION_MATRIX, ROLLFORWARD, DocType, MemoKind, header_key
from arxl.core.aging import aging_totals, bucket_labels, ledger_aging
from arxl.core.balances import application_dates, is_reversal, lookup, memo_totals, resolve_currencies
from arxl.core.frames import table_frame
from arxl.core.kpis import CurrencyKpis, ar_kpis, invoiced_sales
from arxl.core.ledger import Ledger
from arxl.core.money import format_amount, percent_of
from arxl.core.problems import Problems

LINES = ("Invoices", "DebitMemos", "CashApplied", "Discounts", "WriteOffs", "CreditMemos", "Reversals",
         "UnappliedCash")
KEY = ["Currency", "CustomerID"]
# A small default provision matrix for a new workbook (AgingBuckets 30,60,90,120): a clerk's
# controller replaces it with the company's own loss rates.
DEFAULT_RATES = (("Current", "0.005"), ("1-30", "0.02"), ("31-60", "0.05"), ("61-90", "0.15"), ("91-120", "0.30"),
                 ("Over 120", "0.50"))


def default_period(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The last whole month on or before ``as_of``: its own month when it is the month's last day."""
    last_day = calendar.monthrange(as_of.year, as_of.month)[1]
    end = as_of if as_of.day == last_day else as_of.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def month_ends(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Every calendar month from ``first``'s to ``last``'s, as (first day, last day)."""
    months, day = [], first.replace(day=1)
    while day <= last:
        end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        months.append((day, end))
        day = end + dt.timedelta(days=1)
    return months


@dataclass(frozen=True)
class Rollforward:
    """``table``: the Rollforward table (a row per currency, CustomerID blank, then a row per
    customer when asked for); ``opening``/``closing``: the Aging tables at both ends;
    ``kpis``: the key figures of the period per currency; ``problems``: the differences."""

    start: dt.date
    end: dt.date
    table: pd.DataFrame
    opening: pd.DataFrame
    closing: pd.DataFrame
    kpis: dict[str, CurrencyKpis]
    problems: Problems

    @property
    def currencies(self) -> pd.DataFrame:
        return self.table.loc[self.table["CustomerID"] == ""]

    def difference(self, currency: str) -> int:
        row = self.currencies.loc[self.currencies["Currency"] == currency.upper()]
        return 0 if row.empty else int(row["Difference"].iloc[0])


def _documents(ledger: Ledger) -> pd.DataFrame:
    """Every invoice and memo as the Aging places it: DocID -> CustomerID, Currency, Date, Kind
    ("invoice", "debit", "credit")."""
    customers = ledger.table("Customers")
    base = ledger.settings.base_currency
    invoices = ledger.table("Invoices")
    memos = ledger.table("Memos", required=False)
    kind = memos["Kind"].astype(str).str.strip().str.lower()
    memos = memos.loc[kind.isin([MemoKind.CREDIT.lower(), MemoKind.DEBIT.lower()])]
    return pd.concat([
        pd.DataFrame({"DocID": invoices["InvoiceID"], "CustomerID": invoices["CustomerID"],
                      "Currency": resolve_currencies(invoices["Currency"], invoices["CustomerID"], customers, base),
                      "Date": invoices["InvoiceDate"], "Kind": "invoice", "Amount": invoices["Amount"].fillna(0)}),
        pd.DataFrame({"DocID": memos["MemoID"], "CustomerID": memos["CustomerID"],
                      "Currency": resolve_currencies(memos["Currency"], memos["CustomerID"], customers, base),
                      "Date": memos["MemoDate"], "Kind": memos["Kind"].str.strip().str.lower(),
                      "Amount": memo_totals(memos), "InvoiceID": memos["InvoiceID"]}),
    ], ignore_index=True)


def movements(ledger: Ledger, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The period's movements, one row per ledger row that moves the AR: Currency, CustomerID,
    Line (one of LINES) and Amount (minor units), signed as they move the AR."""
    after, until = pd.Timestamp(start) - pd.Timedelta(days=1), pd.Timestamp(end)
    documents = _documents(ledger)
    by_id = documents.drop_duplicates("DocID").set_index("DocID")
    invoice_date = by_id.loc[by_id["Kind"] == "invoice", "Date"]
    pieces = []

    def moved(frame: pd.DataFrame, dates: pd.Series, line: str, cents: pd.Series) -> None:
        inside = dates.notna() & (dates > after) & (dates <= until)
        pieces.append(pd.DataFrame({"Currency": frame.loc[inside, "Currency"],
                                    "CustomerID": frame.loc[inside, "CustomerID"],
                                    "Line": line, "Amount": cents.loc[inside].astype("int64")}))

    invoices = documents.loc[documents["Kind"] == "invoice"]
    moved(invoices, invoices["Date"], "Invoices", invoices["Amount"].astype("int64"))
    debits = documents.loc[documents["Kind"] == MemoKind.DEBIT.lower()]
    moved(debits, debits["Date"], "DebitMemos", debits["Amount"].astype("int64"))
    credits = documents.loc[documents["Kind"] == MemoKind.CREDIT.lower()]
    # a credit absorbed by an invoice shows in the Aging once the invoice is dated
    absorbed_from = lookup(credits["InvoiceID"].fillna(""), invoice_date)
    credit_dates = credits["Date"].where(absorbed_from.isna() | (absorbed_from <= credits["Date"]), absorbed_from)
    moved(credits, credit_dates, "CreditMemos", -credits["Amount"].astype("int64"))

    apps = ledger.table("Applications", required=False)
    payments = ledger.table("Payments", required=False)
    dates = application_dates(apps, payments)
    reversal = is_reversal(apps["Source"])
    target = apps["InvoiceID"]
    known = by_id.loc[by_id["Kind"].isin(["invoice", MemoKind.DEBIT.lower()])]
    on_target = target.isin(known.index)
    cents = {c: apps[c].fillna(0).astype("int64") for c in ("AppliedAmount", "DiscountTaken", "WriteOff")}

    applied = apps.loc[on_target]
    doc_date = lookup(applied["InvoiceID"], known["Date"])
    effective = dates.loc[applied.index].where(dates.loc[applied.index].isna() | (dates.loc[applied.index] >= doc_date),
                                               doc_date).fillna(doc_date)
    placed = pd.DataFrame({"Currency": lookup(applied["InvoiceID"], known["Currency"]).astype(object),
                           "CustomerID": lookup(applied["InvoiceID"], known["CustomerID"]).astype(object)},
                          index=applied.index)
    normal = ~reversal.loc[applied.index]
    for column, line in (("AppliedAmount", "CashApplied"), ("DiscountTaken", "Discounts"), ("WriteOff", "WriteOffs")):
        moved(placed.loc[normal], effective.loc[normal], line, -cents[column].loc[applied.index][normal])
    given_back = -(cents["AppliedAmount"] + cents["DiscountTaken"] + cents["WriteOff"]).loc[applied.index]
    moved(placed.loc[~normal], effective.loc[~normal], "Reversals", given_back.loc[~normal])

    on_account = apps.loc[target == ""]
    if len(on_account):
        placed_cash = _unapplied_placement(ledger, on_account)
        received = lookup(on_account["PaymentID"], payments.loc[payments["PaymentID"] != ""]
                          .drop_duplicates("PaymentID").set_index("PaymentID")["ReceivedDate"])
        row_dates = dates.loc[on_account.index]
        effective_cash = row_dates.where(received.isna() | row_dates.isna() | (row_dates >= received), received)
        normal_cash = ~reversal.loc[on_account.index]
        amount = -cents["AppliedAmount"].loc[on_account.index]
        moved(placed_cash.loc[normal_cash], effective_cash.loc[normal_cash], "UnappliedCash", amount.loc[normal_cash])
        moved(placed_cash.loc[~normal_cash], effective_cash.loc[~normal_cash], "Reversals", amount.loc[~normal_cash])
    frame = pd.concat(pieces, ignore_index=True)
    return frame.loc[frame["Amount"] != 0].reset_index(drop=True)


def _unapplied_placement(ledger: Ledger, on_account: pd.DataFrame) -> pd.DataFrame:
    """The customer and currency of cash on account, as the Aging shows it: the payment's first
    customer named on its rows, its own currency else that customer's."""
    payments = ledger.table("Payments", required=False)
    named = on_account.loc[on_account["CustomerID"] != ""]
    customer_of = named.groupby("PaymentID")["CustomerID"].first()
    customer = lookup(on_account["PaymentID"], customer_of.astype(object)).fillna("").astype(object)
    by_id = payments.loc[payments["PaymentID"] != ""].drop_duplicates("PaymentID").set_index("PaymentID")
    currency = lookup(on_account["PaymentID"], by_id["Currency"]).fillna("").astype(object)
    return pd.DataFrame({"Currency": resolve_currencies(currency, customer, ledger.table("Customers"),
                                                        ledger.settings.base_currency),
                         "CustomerID": customer}, index=on_account.index)


def rollforward(ledger: Ledger, start: dt.date, end: dt.date, per_customer: bool = False) -> Rollforward:
    """The roll-forward of ``start`` to ``end`` (see the module docstring)."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    before = start - dt.timedelta(days=1)
    opening, _ = ledger_aging(ledger, before)
    closing, _ = ledger_aging(ledger, end)
    moves = movements(ledger, start, end)
    grid = moves.pivot_table(index=KEY, columns="Line", values="Amount", aggfunc="sum", fill_value=0)
    grid = grid.reindex(columns=list(LINES), fill_value=0)
    grid.columns.name = None
    open_at = opening["OpenAmount"].astype("int64").groupby([opening[k] for k in KEY]).sum().rename("Opening")
    close_at = closing["OpenAmount"].astype("int64").groupby([closing[k] for k in KEY]).sum().rename("Closing")
    frame = pd.concat([open_at, grid, close_at], axis=1).fillna(0).astype("int64")
    frame.index.names = KEY
    frame["RolledForward"] = frame["Opening"] + frame[list(LINES)].sum(axis=1)
    frame["Difference"] = frame["Closing"] - frame["RolledForward"]
    names = pd.concat([aging.set_index("CustomerID")["CustomerName"] for aging in (opening, closing)])
    names = names[~names.index.duplicated()]

    totals = frame.groupby(level="Currency").sum()
    rows = [(currency, "", r) for currency, r in totals.iterrows()]
    if per_customer:
        moved = frame.loc[(frame[["Opening", *LINES, "Closing"]] != 0).any(axis=1)]
        rows += [(currency, customer, r) for (currency, customer), r in moved.sort_index().iterrows()]
    rows.sort(key=lambda t: (t[0], t[1] != "", t[1]))
    table = table_frame(ROLLFORWARD, {
        "FromDate": [pd.Timestamp(start)] * len(rows), "ToDate": [pd.Timestamp(end)] * len(rows),
        "Currency": [c for c, _, _ in rows], "CustomerID": [k for _, k, _ in rows],
        "CustomerName": [names.get(k, "") if k else "" for _, k, _ in rows],
        **{column: [int(r[column]) for _, _, r in rows] for column in
           ("Opening", *LINES, "RolledForward", "Closing", "Difference")},
    })
    problems = Problems()
    for currency, r in totals.iterrows():
        if r["Difference"]:
            off = frame.loc[(frame.index.get_level_values("Currency") == currency) & (frame["Difference"] != 0)]
            who = ", ".join(f"{customer or '(no customer)'} {format_amount(int(d), str(currency))}"
                            for (_, customer), d in off["Difference"].head(10).items())
            problems.add("Rollforward", None, "Difference", format_amount(int(r["Difference"]), str(currency)),
                         f"the {currency} roll-forward of {start} to {end} does not tie: closing AR differs from "
                         f"opening AR plus the movements by {format_amount(int(r['Difference']), str(currency))} "
                         f"(customers: {who})",
                         "Look at those customers' documents: a credit memo dated before its invoice, or an "
                         "application to an item that is neither an invoice nor a debit memo, makes a difference.")
    sales = invoiced_sales(ledger.table("Invoices"), ledger.table("Customers"), ledger.settings.base_currency)
    kpis = ar_kpis(closing, aging_totals(opening), sales, end, (end - before).days)
    return Rollforward(start, end, table, opening, closing, kpis, problems)


# ---- the allowance for doubtful accounts -------------------------------------------------------

def provision_rates(matrix: pd.DataFrame, buckets: list[str], currencies: list[str], sheet: str = "ProvisionMatrix"
                    ) -> tuple[dict[tuple[str, str], Decimal], Problems]:
    """The rate of each (currency, bucket): the matrix's row for that currency, else its row
    with a blank Currency. A bucket the matrix does not know is reported; a missing rate too
    (and counted at 0)."""
    problems = Problems()
    known = {header_key(b): b for b in buckets}
    rates: dict[tuple[str, str], Decimal] = {}
    for row, r in matrix.iterrows():
        bucket = known.get(header_key(r["Bucket"]))
        if bucket is None:
            problems.add(sheet, int(row), "Bucket", r["Bucket"], f"{r['Bucket']!r} is not an aging bucket",
                         f"Use the buckets of Settings AgingBuckets: {', '.join(buckets)}.")
            continue
        rates[(str(r["Currency"]).strip().upper(), bucket)] = Decimal(r["Rate"])
    out = {}
    for currency in currencies:
        missing = []
        for bucket in buckets:
            rate = rates.get((currency, bucket), rates.get(("", bucket)))
            if rate is None:
                missing.append(bucket)
                rate = Decimal(0)
            out[(currency, bucket)] = rate
        if missing:
            problems.add(sheet, None, "Rate", currency,
                         f"no provision rate for {currency} in the bucket(s) {', '.join(missing)}: counted at 0%",
                         "Add a row for each bucket (a blank Currency serves every currency).")
    return out, problems


def allowance(aging: pd.DataFrame, matrix: pd.DataFrame, limits: tuple[int, ...], as_of: dt.date
              ) -> tuple[pd.DataFrame, Problems]:
    """The Allowance table: per currency and bucket, the receivables, the rate and the allowance."""
    buckets = bucket_labels(limits)
    receivable = aging.loc[aging["DocType"].isin([DocType.INVOICE, DocType.DEBIT_MEMO])
                           & (aging["OpenAmount"].astype("int64") > 0)]
    amounts = receivable["OpenAmount"].astype("int64").groupby([receivable["Currency"], receivable["Bucket"]]).sum()
    currencies = sorted(set(aging["Currency"]))
    rates, problems = provision_rates(matrix, buckets, currencies)
    rows = []
    for currency in currencies:
        for order, bucket in enumerate(buckets, start=1):
            cents = int(amounts.get((currency, bucket), 0))
            rate = rates[(currency, bucket)]
            rows.append((currency, bucket, order, cents, rate, percent_of(cents, rate)))
    table = table_frame(ALLOWANCE, {
        "AsOfDate": [pd.Timestamp(as_of)] * len(rows), "Currency": [r[0] for r in rows],
        "Bucket": [r[1] for r in rows], "BucketOrder": [r[2] for r in rows], "Receivables": [r[3] for r in rows],
        "Rate": [r[4] for r in rows], "Allowance": [r[5] for r in rows]})
    return table, problems


def default_matrix() -> list[dict[str, object]]:
    """The ProvisionMatrix rows a new workbook starts with (every currency)."""
    return [{"Currency": None, "Bucket": bucket, "Rate": Decimal(rate)} for bucket, rate in DEFAULT_RATES]


def allowance_total(table: pd.DataFrame, currency: str) -> int:
    return int(table.loc[table["Currency"] == currency, "Allowance"].astype("int64").sum())


def ledger_allowance(ledger: Ledger, aging: pd.DataFrame, as_of: dt.date) -> tuple[pd.DataFrame, Problems]:
    """``allowance`` of a run's Aging with the workbook's ProvisionMatrix and AgingBuckets."""
    return allowance(aging, ledger.table(PROVISION_MATRIX.name, required=False), ledger.settings.aging_buckets, as_of)
