"""Credit: what each customer owes us or is about to (exposure) against its credit limit, how it
pays (a risk class), and what a credit controller should do (hold, release, review), each with
its reasons in words.

Rules (a credit controller's), stated once:
- Exposure, per customer and currency, as of the as-of date: its open items in the Aging
  (invoices and debit memos, less open credit memos), less its unapplied cash, plus what its
  InvoiceRequests rows not yet invoiced will bill before tax, as the invoice command bills them
  (only where the workbook has that table). A credit limit is in the customer's own currency:
  lines in other currencies have none.
- Payment behaviour: the average days late, weighted by amount, of the customer's invoices
  settled in the 365 days up to the as-of date (late = from the due date to the last payment,
  an early payment counting as 0).
- Risk class: A up to 5 days late on average, B up to 15, C up to 30, D beyond; a class lower
  for a promise broken (or partly kept) in the last 180 days, and for anything more than 90
  days past due. A customer with no settled invoice is New, or C when it has something more
  than 30 days past due, D more than 90.
- Suggestions: Hold when the exposure is over the limit with something past due, or the class
  is D with something more than 90 days past due; Release for a customer on Hold when neither
  holds any more and nothing is more than 30 days past due; Review when 90% or more of the limit
  is used, the class is C or D, or a customer with open items has no limit.
- ``Customers.Status = Hold`` stops new invoices: ``arxl.core.invoicing.hold_reason`` is the
  one rule of it, for ``arxl invoice`` and for these suggestions.
"""
from __future__ import annotations

import datetime as dt
from typing import cast

import numpy as np
import pandas as pd

from arxl.contract import CREDIT, CUSTOMERS, CreditAction, DocType, RiskClass, read_choice
from arxl.core.aging import invoice_due_dates, ledger_aging
from arxl.core.balances import resolve_currencies
from arxl.core.frames import table_frame
from arxl.core.invoicing import held_customers, uninvoiced
from arxl.core.ledger import Ledger
from arxl.core.money import format_amount
from arxl.core.problems import Problems

BEHAVIOUR_DAYS = 365  # the look-back of average days late
PROMISE_DAYS = 180  # a broken promise counts against a customer this long
SERIOUSLY_LATE = 90  # days past due that lower the class and may call for a hold
LATE = 30
REVIEW_USE = 90.0  # percent of the limit used from which a customer is reviewed
CLASS_LIMITS = ((5.0, RiskClass.A), (15.0, RiskClass.B), (30.0, RiskClass.C))
ORDER = (RiskClass.A, RiskClass.B, RiskClass.C, RiskClass.D)
KEY = ["CustomerID", "Currency"]
_STATUS = CUSTOMERS.column("Status")


# ---- how a customer pays -----------------------------------------------------------------------

def payment_behaviour(ledger: Ledger, as_of: dt.date, days: int = BEHAVIOUR_DAYS) -> pd.DataFrame:
    """Per customer and currency: AvgDaysLate (weighted by amount) and PaidInvoices, over the
    invoices settled by a payment in the ``days`` up to ``as_of``. Worked out once per run and
    date (the credit review and the worklist both ask), until a table it comes from changes;
    each caller gets its own copy."""
    key = ("behaviour", as_of, days)
    if key not in ledger.derived:
        ledger.derived[key] = _payment_behaviour(ledger, as_of, days)
    return cast(pd.DataFrame, ledger.derived[key]).copy()


def _payment_behaviour(ledger: Ledger, as_of: dt.date, days: int) -> pd.DataFrame:
    invoices = ledger.table("Invoices")
    customers = ledger.table("Customers")
    balances, _ = ledger.balances(as_of)
    stamp = pd.Timestamp(as_of)
    paid_on = balances.invoices["LastPaymentDate"]
    settled = ((balances.invoices["OpenBalance"].fillna(0) <= 0) & (balances.invoices["Paid"].fillna(0) > 0)
               & paid_on.notna() & (paid_on <= stamp) & (paid_on > stamp - pd.Timedelta(days=days)))
    chosen = invoices.loc[settled]
    due, _ = invoice_due_dates(chosen, customers, ledger.settings.default_terms)
    late = (paid_on.loc[chosen.index] - due).dt.days.clip(lower=0).astype("float64")
    weight = chosen["Amount"].fillna(0).astype("float64").clip(lower=1)
    frame = pd.DataFrame({
        "CustomerID": chosen["CustomerID"],
        "Currency": resolve_currencies(chosen["Currency"], chosen["CustomerID"], customers,
                                       ledger.settings.base_currency),
        "Weighted": late * weight, "Weight": weight})
    grouped = frame.groupby(KEY).agg(Weighted=("Weighted", "sum"), Weight=("Weight", "sum"),
                                     PaidInvoices=("Weight", "size"))
    grouped["AvgDaysLate"] = grouped["Weighted"] / grouped["Weight"]
    return grouped[["AvgDaysLate", "PaidInvoices"]]


def risk_class(avg_days_late: float | None, oldest_days: int, broken: int) -> tuple[RiskClass, list[str]]:
    """The class of a customer's payment behaviour, and what lowered it, in words."""
    if avg_days_late is None or np.isnan(avg_days_late):
        if oldest_days > LATE:
            return (RiskClass.D if oldest_days > SERIOUSLY_LATE else RiskClass.C), []
        return RiskClass.NEW, []
    place = next((ORDER.index(c) for limit, c in CLASS_LIMITS if avg_days_late <= limit), 3)
    lower = []
    if broken:
        lower.append(f"{broken} broken promise(s) in the last {PROMISE_DAYS} days")
    if oldest_days > SERIOUSLY_LATE:
        lower.append(f"an item over {SERIOUSLY_LATE} days past due")
    return ORDER[min(place + len(lower), 3)], lower


def behaviour_words(klass: RiskClass, avg_days_late: float | None, settled: int, lowered: list[str]) -> str:
    """Class C: pays 34 days late on average (5 invoices settled in the last 365 days), a class
    lower for ..."""
    if avg_days_late is None:
        return "" if klass == RiskClass.NEW else f"class {klass}: nothing settled in the last {BEHAVIOUR_DAYS} days"
    text = (f"class {klass}: pays {avg_days_late:.0f} days late on average ({settled} invoice(s) settled in the "
            f"last {BEHAVIOUR_DAYS} days)")
    return text + "".join(f", a class lower for {why}" for why in lowered)


# ---- exposure ----------------------------------------------------------------------------------

def uninvoiced_requests(ledger: Ledger) -> pd.DataFrame:
    """Per customer and currency, what the InvoiceRequests rows no invoice was made for yet will
    bill before tax (``arxl.core.invoicing.uninvoiced``: the invoice command's own amounts).
    Empty where the workbook has no InvoiceRequests table."""
    requests = ledger.table("InvoiceRequests", required=False)
    waiting = uninvoiced(requests, ledger.table("InvoiceLines", required=False))
    currency = resolve_currencies(waiting["Currency"], waiting["CustomerID"], ledger.table("Customers"),
                                  ledger.settings.base_currency)
    frame = pd.DataFrame({"CustomerID": waiting["CustomerID"], "Currency": currency,
                          "Uninvoiced": waiting["Billed"].astype("int64")})
    return frame.groupby(KEY)[["Uninvoiced"]].sum()


def exposures(aging: pd.DataFrame, uninvoiced: pd.DataFrame) -> pd.DataFrame:
    """Per customer and currency (from an Aging table and ``uninvoiced_requests``): OpenItems,
    UnappliedCash, Uninvoiced, Exposure, PastDue (minor units) and OldestDays."""
    cents = aging["OpenAmount"].astype("int64")
    cash = aging["DocType"] == DocType.UNAPPLIED_CASH
    billed = aging["DocType"].isin([DocType.INVOICE, DocType.DEBIT_MEMO])
    days = aging["DaysPastDue"].astype("int64")
    late = billed & (days > 0) & (cents > 0)
    # one grouping of the items by customer and currency for every column
    frame = pd.DataFrame({
        "OpenItems": cents.where(~cash, 0), "UnappliedCash": cents.where(cash, 0),
        "PastDue": cents.where(late, 0), "OldestDays": days.where(late, 0),
    }).groupby([aging[k] for k in KEY]).agg({"OpenItems": "sum", "UnappliedCash": "sum", "PastDue": "sum",
                                            "OldestDays": "max"})
    frame.index.names = KEY
    frame = frame.join(uninvoiced, how="outer").fillna(0).astype("int64")
    frame["Exposure"] = frame["OpenItems"] + frame["UnappliedCash"] + frame["Uninvoiced"]
    return frame


def credit_limits(customers: pd.DataFrame, base_currency: str) -> pd.Series:
    """Each customer's CreditLimit, on its own currency (NA where it has none)."""
    known = customers.loc[customers["CustomerID"] != ""].drop_duplicates("CustomerID")
    currency = resolve_currencies(known["Currency"], known["CustomerID"], known, base_currency)
    return pd.Series(known["CreditLimit"].astype("Int64").to_numpy(),
                     index=pd.MultiIndex.from_arrays([known["CustomerID"], currency], names=KEY))


def exposure_of(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """``exposures`` of a ledger as of a date, with CreditLimit joined (every customer of
    Customers on its own currency, and every other customer and currency with something open):
    worked out once per run and date (the credit review and the collections worklist both ask),
    until a table it comes from changes. Each caller gets its own copy."""
    key = ("exposure", as_of)
    if key not in ledger.derived:
        ledger.derived[key] = _exposure_of(ledger, as_of)
    return cast(pd.DataFrame, ledger.derived[key]).copy()


def _exposure_of(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    aging, _ = ledger_aging(ledger, as_of)
    frame = exposures(aging, uninvoiced_requests(ledger))
    limits = credit_limits(ledger.table("Customers"), ledger.settings.base_currency)
    frame = frame.join(limits.rename("CreditLimit").to_frame(), how="outer")
    money = ["OpenItems", "UnappliedCash", "Uninvoiced", "Exposure", "PastDue", "OldestDays"]
    frame[money] = frame[money].fillna(0).astype("int64")
    frame["CreditLimit"] = frame["CreditLimit"].astype("Int64")
    return frame.sort_index()


# ---- the Credit table ----------------------------------------------------------------------------

def _percent(part: int, whole: int | None) -> float | None:
    return None if whole is None or whole <= 0 else part / whole * 100


def credit_table(ledger: Ledger, as_of: dt.date, broken: pd.Series | None = None) -> tuple[pd.DataFrame, Problems]:
    """The Credit table as of ``as_of``: one row per customer and currency (every customer on
    its own currency, others where something is open), those with a suggestion first (Hold,
    Release, Review), then by credit use. ``broken``: promises broken or partly kept in the last
    PROMISE_DAYS days, per CustomerID (``arxl.core.collections``)."""
    customers = ledger.table("Customers")
    frame = exposure_of(ledger, as_of)
    behaviour = payment_behaviour(ledger, as_of)
    frame = frame.join(behaviour, how="left")
    known = customers.loc[customers["CustomerID"] != ""].drop_duplicates("CustomerID").set_index("CustomerID")
    held = held_customers(customers)
    broken_by_customer = broken.to_dict() if broken is not None else {}
    # plain values for the loop below (a pandas lookup per value costs more than the rule)
    names, statuses, known_ids = known["Name"].to_dict(), known["Status"].to_dict(), set(known.index)
    sheet_rows = dict(zip(customers["CustomerID"], customers.index))
    problems = Problems()
    rows = []
    for (customer_id, currency), r in zip(frame.index, frame.to_dict("records")):
        limit = None if pd.isna(r["CreditLimit"]) else int(r["CreditLimit"])
        if limit is not None and limit < 0:
            problems.add("Customers", int(sheet_rows[customer_id]), "CreditLimit", format_amount(limit, currency),
                         "a negative credit limit", "Type the limit as zero or more (0: no credit, cash in "
                         "advance); until then the customer is reviewed as one without a limit.")
            limit = None
        exposure, past_due, oldest = int(r["Exposure"]), int(r["PastDue"]), int(r["OldestDays"])
        late = None if pd.isna(r["AvgDaysLate"]) else float(r["AvgDaysLate"])
        failed = int(broken_by_customer.get(customer_id, 0))
        klass, lowered = risk_class(late, oldest, failed)
        use = _percent(exposure, limit)
        reasons = []
        over = limit is not None and exposure > limit
        if over:
            share = f" ({use:.0f}%)" if use is not None else ""  # a limit of 0: no credit at all
            reasons.append(f"exposure {format_amount(exposure, currency)} is over the limit of "
                           f"{format_amount(limit or 0, currency)}{share}")
        elif use is not None and use >= REVIEW_USE:
            reasons.append(f"{use:.0f}% of the limit of {format_amount(limit or 0, currency)} used")
        if past_due:
            reasons.append(f"{format_amount(past_due, currency)} past due, the oldest {oldest} days")
        settled = 0 if pd.isna(r["PaidInvoices"]) else int(r["PaidInvoices"])
        if words := behaviour_words(klass, late, settled, lowered):
            reasons.append(words)
        if limit is None and exposure > 0 and customer_id in known_ids:
            reasons.append("no credit limit on this currency")
        hold_now = (over and past_due > 0) or (klass == RiskClass.D and oldest > SERIOUSLY_LATE)
        on = customer_id in held
        if on and not hold_now and oldest <= LATE:
            action = CreditAction.RELEASE
            reasons.insert(0, f"no new invoices ({held[customer_id]}), and no reason for a hold remains")
        elif on:
            action = None
            reasons.insert(0, f"no new invoices ({held[customer_id]})")
        elif hold_now:
            action = CreditAction.HOLD
        elif (use is not None and use >= REVIEW_USE) or klass in (RiskClass.C, RiskClass.D) or (
                limit is None and exposure > 0 and customer_id in known_ids):
            action = CreditAction.REVIEW
        else:
            action = None
        name = names.get(customer_id, "")
        status = read_choice(_STATUS, statuses[customer_id]) if customer_id in known_ids else ""
        rows.append({
            "CustomerID": customer_id, "CustomerName": name, "Currency": currency,
            "Status": status or "", "CreditLimit": limit,
            "OpenItems": int(r["OpenItems"]), "UnappliedCash": int(r["UnappliedCash"]),
            "Uninvoiced": int(r["Uninvoiced"]), "Exposure": exposure,
            "Available": None if limit is None else limit - exposure,
            "CreditUse": None if use is None else round(use, 1), "PastDue": past_due,
            "OldestDays": oldest if past_due else None, "AvgDaysLate": None if late is None else round(late, 1),
            "BrokenPromises": failed, "RiskClass": klass.value, "Suggestion": action.value if action else "",
            "Reasons": "; ".join(reasons),
        })
    table = table_frame(CREDIT, {c: [r[c] for r in rows] for c in CREDIT.names})
    rank = {CreditAction.HOLD.value: 0, CreditAction.RELEASE.value: 1, CreditAction.REVIEW.value: 2, "": 3}
    order = table.assign(_rank=table["Suggestion"].map(rank), _use=table["CreditUse"].fillna(-1))
    order = order.sort_values(["_rank", "_use", "CustomerID", "Currency"], ascending=[True, False, True, True],
                              kind="stable")
    return table.loc[order.index].reset_index(drop=True), problems


def exposure_amount(exposure: pd.DataFrame, customer_id: str, currency: str | None = None) -> tuple[int, str] | None:
    """One customer's exposure and its currency (in ``currency``, else its own currency's line,
    else its only line); None when it has none."""
    if customer_id not in exposure.index.get_level_values("CustomerID"):
        return None
    mine = exposure.xs(customer_id, level="CustomerID")
    if currency:
        return int(mine["Exposure"].get(currency.upper(), 0)), currency.upper()
    own = mine.loc[mine["CreditLimit"].notna()]
    line = (own if len(own) else mine).iloc[0]
    return int(line["Exposure"]), str(line.name)
