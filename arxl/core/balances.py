"""What every invoice still owes, and what else is open, computed from the ledgers alone.

One implementation serves posting (the Invoices [arxl] columns, and the open balances a batch
may apply against), matching (the open invoices to match against) and aging (open items as of
any date). Nothing here is stored: the Applications and Memos ledgers are the truth, and every
figure is derived from them again on each run.

Rules (an AR clerk's):
- An application reduces an invoice's balance by AppliedAmount + DiscountTaken + WriteOff.
  Reversal rows carry negated amounts, so sums are net of reversals.
- ShortPay (a deduction the customer took) does NOT reduce the balance: the deducted amount stays
  open, status "Short paid", until a credit memo or a write-off settles it.
- A credit memo (Memos.Kind Credit) that names an invoice credits it, capped at what is still
  open; memos are absorbed in MemoDate order and the excess is a customer credit, an open item of
  its own. A credit memo naming no invoice (or an unknown one) is open credit in full.
- A debit memo is an open item of its own (not part of any invoice); applications whose InvoiceID
  is the memo's MemoID pay it.
- Applications with a blank InvoiceID are cash on account: unapplied cash of that payment.
- An invoice with a PaidDate (a clerk who keeps no payments ledger) is paid in full on that
  date: what the ledgers leave open of it then counts as Paid, and the PaidDate as its last
  payment date. No payment is invented for it.
- As of a date, only what happened on or before it counts: an application from its payment's
  ReceivedDate (Payments joined on PaymentID; else the PostedAt date), a Reversal row from its
  own PostedAt date, a memo from its MemoDate. A row with no date at all always counts.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from arxl.contract import INVOICES, DocType, InvoiceStatus, MemoKind, ReasonCode, Source, read_choice
from arxl.core.frames import each_distinct
from arxl.core.problems import Problems

# what a reversal row names: REVERSAL:<ApplicationID of the row it reverses>
REVERSES = re.compile(rf"^{ReasonCode.REVERSAL}:(?P<id>.+)$", re.IGNORECASE)
_MONEY = ("AppliedAmount", "DiscountTaken", "WriteOff", "ShortPay")

OPEN_ITEM_COLUMNS = ("DocType", "DocID", "CustomerID", "Currency", "DocDate", "InvoiceID",
                     "OriginalAmount", "OpenAmount")


@dataclass(frozen=True)
class Balances:
    """``invoices``: indexed like the Invoices frame given, with exactly the Invoices [arxl]
    columns (so ``book.update("Invoices", balances.invoices)`` writes them):
        Paid, Discounts, WrittenOff, Credited, OpenBalance (Int64 cents), Status (str),
        LastPaymentDate (datetime64, NaT when no payment counts).
    OpenBalance = Amount - Paid - Discounts - WrittenOff - Credited (short pays stay in it).

    ``open_items``: the open items that are not invoices, one row each, columns
        DocType      "Debit memo" / "Credit memo" / "Unapplied cash"
        DocID        the MemoID, or the PaymentID for unapplied cash
        CustomerID   the memo's customer, or the customer the cash was put on account for
        Currency     as recorded on the memo or the payment ("" when blank there)
        DocDate      MemoDate, or the payment's ReceivedDate
        InvoiceID    the invoice a memo names ("" for none and for unapplied cash)
        OriginalAmount, OpenAmount   Int64 cents, signed as aging shows them: debit memos
                     positive; credit memos and unapplied cash negative (OriginalAmount of
                     unapplied cash is minus the whole payment).
    Only items with a non-zero OpenAmount are listed.
    """

    invoices: pd.DataFrame
    open_items: pd.DataFrame


def is_disputed(marks: pd.Series) -> pd.Series:
    """Invoices.Disputed as booleans: a yes mark means disputed, a no mark or a blank does not;
    a word arxl cannot read (reported when the table was read) counts as disputed, the safer
    reading: such an invoice is never applied automatically."""
    column = INVOICES.column("Disputed")
    return pd.Series(each_distinct(marks, lambda mark: read_choice(column, mark) not in ("", "No")),
                     index=marks.index, dtype=bool)


def is_reversal(sources: pd.Series) -> pd.Series:
    return sources.astype(str).str.strip().str.lower() == Source.REVERSAL.lower()


def active_applications(applications: pd.DataFrame) -> pd.Series:
    """True for ledger rows that are neither a reversal nor reversed by one."""
    reversal = is_reversal(applications["Source"])
    reversed_ids = applications.loc[reversal, "ReasonCode"].str.extract(REVERSES)["id"].str.strip()
    return ~reversal & ~applications["ApplicationID"].isin(set(reversed_ids.dropna()))


def lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table``'s value for each key (NA where absent), indexed like ``keys``, keeping
    ``table``'s dtype (numpy integers become nullable Int64; ``Series.map`` would turn them
    into floats, and fails outright on an empty datetime table)."""
    if pd.api.types.is_integer_dtype(table.dtype):
        table = table.astype("Int64")
    found = table.reindex(keys.to_numpy())
    found.index = keys.index
    return found


def _cents(series: pd.Series) -> pd.Series:
    return series.fillna(0).astype("int64")


def _as_of_stamp(as_of: dt.date | None) -> pd.Timestamp | None:
    return None if as_of is None else pd.Timestamp(as_of).normalize()


def application_dates(applications: pd.DataFrame, payments: pd.DataFrame) -> pd.Series:
    """The date from which each Applications row counts: its payment's ReceivedDate (else its
    PostedAt date); a Reversal row's own PostedAt date."""
    posted = applications["PostedAt"].dt.normalize()
    received_by_id = payments.loc[payments["PaymentID"] != "", ["PaymentID", "ReceivedDate"]]
    received = lookup(applications["PaymentID"], received_by_id.set_index("PaymentID")["ReceivedDate"])
    dates = received.where(received.notna(), posted)
    return dates.where(~is_reversal(applications["Source"]), posted)


def _counted(dates: pd.Series, as_of: pd.Timestamp | None) -> pd.Series:
    if as_of is None:
        return pd.Series(True, index=dates.index)
    return dates.isna() | (dates <= as_of)


def memo_totals(memos: pd.DataFrame) -> pd.Series:
    """A memo's TotalAmount, else NetAmount + TaxAmount."""
    derived = _cents(memos["NetAmount"]) + _cents(memos["TaxAmount"])
    return memos["TotalAmount"].astype("Int64").fillna(derived).astype("int64")


# the tables balances are computed from, and of each the columns they read (None: every one)
_READ = {"Invoices": None, "Applications": None, "Memos": None,
         "Payments": frozenset({"PaymentID", "Amount", "Currency", "ReceivedDate"})}


def read_from(table: str, columns: Iterable[str] | None = None) -> bool:
    """Whether balances are computed from ``columns`` of ``table`` (None: its rows as a whole).
    A step writing only others (the matcher's status columns in Payments) leaves the balances
    worked out before it standing."""
    if table not in _READ:
        return False
    read = _READ[table]
    return read is None or columns is None or not read.isdisjoint(columns)


def compute_balances(invoices: pd.DataFrame, applications: pd.DataFrame, memos: pd.DataFrame,
                     payments: pd.DataFrame, *, as_of: dt.date | None = None,
                     unread: Mapping[str, str] | None = None) -> tuple[Balances, Problems]:
    """Balances of every invoice and the other open items, from the typed Invoices,
    Applications, Memos and Payments frames (as ``Workbook.read`` gives them).

    ``as_of`` None counts everything in the ledgers (what posting writes into Invoices);
    a date counts only what happened on or before it (aging). Invoices are not filtered by
    InvoiceDate: an aging as of an earlier date leaves out invoices dated after it itself.

    Problems: Applications rows naming an InvoiceID that is neither an invoice nor a memo, whose
    amounts therefore count nowhere; or whose row could not be read this run (``unread``: such
    IDs, with the table their row is in), counting nowhere till it is corrected.
    """
    problems = Problems()
    stamp = _as_of_stamp(as_of)

    dates = application_dates(applications, payments)
    counted = _counted(dates, stamp)
    apps, apps_dates = applications.loc[counted], dates.loc[counted]
    kept_memos = memos.loc[_counted(memos["MemoDate"], stamp)]
    kind = kept_memos["Kind"].astype(str).str.strip().str.lower()
    totals = memo_totals(kept_memos)

    money = pd.DataFrame({c: _cents(apps[c]) for c in _MONEY}, index=apps.index)
    money["InvoiceID"] = apps["InvoiceID"]
    money["PaymentID"] = apps["PaymentID"]
    on_invoice = money.groupby("InvoiceID")[list(_MONEY)].sum()

    ids = invoices["InvoiceID"]
    paid = _cents(lookup(ids, on_invoice["AppliedAmount"]))
    discounts = _cents(lookup(ids, on_invoice["DiscountTaken"]))
    written_off = _cents(lookup(ids, on_invoice["WriteOff"]))
    short_paid = _cents(lookup(ids, on_invoice["ShortPay"]))
    amount = _cents(invoices["Amount"])
    before_credit = (amount - paid - discounts - written_off).clip(lower=0)

    # Credit memos naming an invoice are absorbed in date order, up to what is open before them.
    credits = pd.DataFrame({"MemoID": kept_memos["MemoID"], "InvoiceID": kept_memos["InvoiceID"],
                            "MemoDate": kept_memos["MemoDate"], "Total": totals},
                           index=kept_memos.index)[kind == MemoKind.CREDIT.lower()]
    credits = credits.sort_values(["MemoDate", "MemoID"], kind="stable")
    # A blank or unknown invoice has no room: such a credit stays open in full.
    room = _cents(lookup(credits["InvoiceID"], pd.Series(before_credit.to_numpy(), index=ids.to_numpy())))
    running = credits.groupby("InvoiceID")["Total"].cumsum()
    absorbed = (np.minimum(running, room) - np.minimum(running - credits["Total"], room)).clip(lower=0)
    credits["Absorbed"] = absorbed.astype("int64")
    credited = _cents(lookup(ids, credits.groupby("InvoiceID")["Absorbed"].sum()))

    open_balance = amount - paid - discounts - written_off - credited
    last_paid = _last_payment_dates(ids, money, apps_dates, apps["Source"])
    if "PaidDate" in invoices:
        paid_on = invoices["PaidDate"]
        settled = _counted(paid_on, stamp) & paid_on.notna() & (open_balance > 0)
        paid = paid + open_balance.where(settled, 0)
        open_balance = open_balance.where(~settled, 0)
        last_paid = last_paid.where(~settled | (last_paid >= paid_on), paid_on)

    status = np.select(
        [is_disputed(invoices["Disputed"]).to_numpy(),
         (open_balance <= 0) & (paid == 0) & (credited > 0),
         open_balance <= 0,
         short_paid > 0,
         (paid + discounts + written_off) > 0],
        [InvoiceStatus.DISPUTED, InvoiceStatus.CREDITED, InvoiceStatus.PAID, InvoiceStatus.SHORT_PAID,
         InvoiceStatus.PARTIALLY_PAID], default=InvoiceStatus.OPEN)

    invoice_frame = pd.DataFrame({
        "Paid": paid.astype("Int64"), "Discounts": discounts.astype("Int64"),
        "WrittenOff": written_off.astype("Int64"), "Credited": credited.astype("Int64"),
        "OpenBalance": open_balance.astype("Int64"),
        "Status": pd.Series(status, index=invoices.index, dtype=object),
        "LastPaymentDate": last_paid,
    }, index=invoices.index)

    known = set(ids) | set(memos["MemoID"])
    unread = unread or {}
    for row, invoice_id in apps.loc[(apps["InvoiceID"] != "") & ~apps["InvoiceID"].isin(known), "InvoiceID"].items():
        if invoice_id in unread:
            problems.add("Applications", int(row), "InvoiceID", invoice_id,
                         f"the row of {invoice_id} in {unread[invoice_id]} could not be read (see that row's "
                         "exception), so this application counts nowhere until it is corrected",
                         f"Correct the row in {unread[invoice_id]}; the next run counts the application again.")
            continue
        problems.add("Applications", int(row), "InvoiceID", invoice_id,
                     f"{invoice_id} is neither an invoice nor a memo, so this application counts nowhere",
                     "Add the invoice back to Invoices, or post a reversing row and apply the cash again.")

    is_debit = kind == MemoKind.DEBIT.lower()
    items = pd.concat([
        _debit_memo_items(kept_memos[is_debit], totals[is_debit], on_invoice),
        _open_credit_items(kept_memos, credits),
        _unapplied_cash_items(apps, money, payments),
    ], ignore_index=True)
    return Balances(invoice_frame, _typed_items(items)), problems


def _last_payment_dates(ids: pd.Series, money: pd.DataFrame, dates: pd.Series,
                        sources: pd.Series) -> pd.Series:
    """For each invoice id, the latest date of a payment whose net application to it is not
    zero (NaT for none)."""
    rows = money.loc[money["InvoiceID"] != ""].assign(Date=dates.where(~is_reversal(sources)))
    pairs = rows.groupby(["InvoiceID", "PaymentID"]).agg(Net=("AppliedAmount", "sum"), Date=("Date", "max"))
    latest = pairs.loc[pairs["Net"] != 0].groupby(level="InvoiceID")["Date"].max()
    return lookup(ids, latest.astype("datetime64[ns]"))


def _debit_memo_items(debits: pd.DataFrame, totals: pd.Series, on_invoice: pd.DataFrame) -> pd.DataFrame:
    settled = (on_invoice["AppliedAmount"] + on_invoice["DiscountTaken"] + on_invoice["WriteOff"])
    paid = _cents(lookup(debits["MemoID"], settled))
    return pd.DataFrame({
        "DocType": DocType.DEBIT_MEMO, "DocID": debits["MemoID"], "CustomerID": debits["CustomerID"],
        "Currency": debits["Currency"], "DocDate": debits["MemoDate"],
        "InvoiceID": debits["InvoiceID"], "OriginalAmount": totals, "OpenAmount": totals - paid,
    })


def _open_credit_items(memos: pd.DataFrame, credits: pd.DataFrame) -> pd.DataFrame:
    source = memos.loc[credits.index]
    return pd.DataFrame({
        "DocType": DocType.CREDIT_MEMO, "DocID": source["MemoID"], "CustomerID": source["CustomerID"],
        "Currency": source["Currency"], "DocDate": source["MemoDate"],
        "InvoiceID": source["InvoiceID"], "OriginalAmount": -credits["Total"],
        "OpenAmount": -(credits["Total"] - credits["Absorbed"]),
    })


def _unapplied_cash_items(apps: pd.DataFrame, money: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
    on_account = money.loc[money["InvoiceID"] == ""]
    open_cash = on_account.groupby("PaymentID")["AppliedAmount"].sum()
    customers = apps.loc[on_account.index, "CustomerID"]
    customer = customers[customers != ""].groupby(on_account["PaymentID"]).first()
    payment_ids = pd.Series(open_cash.index, index=open_cash.index)
    by_id = payments.loc[payments["PaymentID"] != ""].set_index("PaymentID")
    amount = lookup(payment_ids, by_id["Amount"]).fillna(open_cash.astype("Int64"))
    return pd.DataFrame({
        "DocType": DocType.UNAPPLIED_CASH, "DocID": payment_ids,
        "CustomerID": lookup(payment_ids, customer.astype(object)).fillna(""),
        "Currency": lookup(payment_ids, by_id["Currency"]).fillna(""),
        "DocDate": lookup(payment_ids, by_id["ReceivedDate"]),
        "InvoiceID": "", "OriginalAmount": -amount, "OpenAmount": -open_cash,
    })


def _typed_items(items: pd.DataFrame) -> pd.DataFrame:
    items = items.loc[items["OpenAmount"].fillna(0) != 0] if len(items) else items
    typed = pd.DataFrame({
        c: items[c].astype(object).fillna("") if c not in ("DocDate", "OriginalAmount", "OpenAmount")
        else items[c] for c in OPEN_ITEM_COLUMNS}).reset_index(drop=True)
    typed["DocDate"] = pd.to_datetime(typed["DocDate"]).astype("datetime64[ns]")
    for c in ("OriginalAmount", "OpenAmount"):
        typed[c] = typed[c].astype("Int64")
    return typed


def resolve_currencies(currency: pd.Series, customer_ids: pd.Series, customers: pd.DataFrame,
                       base_currency: str) -> pd.Series:
    """Each document's currency, upper case: its own Currency, else its customer's, else the
    BaseCurrency (so a blank never compares unequal to the currency it stands for)."""
    by_customer = customers.loc[customers["CustomerID"] != ""].set_index("CustomerID")["Currency"]
    own = _currency_codes(currency)
    theirs = _currency_codes(lookup(customer_ids, by_customer.astype(object)))
    return own.where(own != "", theirs).where(lambda c: c != "", base_currency.upper())


def _currency_codes(values: pd.Series) -> pd.Series:
    """Each value as text, trimmed and upper case ("" for a blank)."""
    return pd.Series(each_distinct(values, lambda value: "" if pd.isna(value) else str(value).strip().upper()),
                     index=values.index, dtype=str)
