"""Collections: whom to call today, and what customers promised.

Promises (a collector's rules, stated once):
- A Contacts row with a PromisedAmount and a PromisedDate is a promise to pay, in its Currency
  (else the customer's, else Settings BaseCurrency), made on its ContactDate.
- The cash that keeps it is the cash posted to the customer's account (Applications rows that
  are neither reversals nor reversed: cash applied to its invoices and cash put on its account),
  in that currency, received from the ContactDate to the PromisedDate plus Settings
  PromiseGraceDays, and on or before the as-of date. A receipt counts towards one promise only:
  a customer's promises take the cash in order of their PromisedDate, each receipt oldest first.
- Kept: the cash reached the promised amount. Until the grace days after the PromisedDate are
  over, a promise not yet kept is Open. After them: Partly kept when some cash came, Broken when
  none did.

The worklist: one row per customer and currency with anything overdue as of the as-of date
(invoices and debit memos past their due date, not disputed: what reminders ask for,
``arxl.core.dunning.dunnable``, after the deductions open in Disputes are set apart,
``arxl.core.disputes.hold_open_deductions``), from the Aging, with the reminder level it has reached
(``arxl.core.dunning.reached_levels``). Its Score (0 to 100) adds, each part with its reason in
words:
- amount at risk, up to 35: the overdue amount less the customer's open credits and unapplied
  cash, against the largest in the same currency, on a square-root scale (amounts are compared
  within a currency, never across);
- age, up to 25: the oldest overdue item's days past due, against the last AgingBuckets limit;
- broken promises, up to 20: 15 for each promise broken, 8 for each partly kept, whose grace
  ended in the last 180 days;
- payment behaviour, up to 10: the average days late (``arxl.core.credit``), against 60 days;
- credit use, up to 10: 10 over the limit, 5 from 80% of it.
NextAction is the as-of date, unless the last contact set a later FollowUpDate or an open
promise is still in its grace days (then the day after they end), the earlier of the two. Rows
to act on today come first, by Score; then the rows that wait, by NextAction.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from arxl.contract import COLLECTIONS, CONTACTS, PROMISES, DocType, PromiseStatus
from arxl.core.aging import ledger_aging
from arxl.core.balances import active_applications, application_dates, lookup, resolve_currencies
from arxl.core.credit import PROMISE_DAYS, credit_limits, payment_behaviour
from arxl.core.disputes import hold_open_deductions, open_by_customer
from arxl.core.dunning import Level, dunnable, reached_levels
from arxl.core.frames import table_frame
from arxl.core.ledger import Ledger
from arxl.core.money import format_amount
from arxl.core.problems import Problems

WEIGHTS = {"amount": 35.0, "age": 25.0, "promises": 20.0, "behaviour": 10.0, "credit": 10.0}
BROKEN_POINTS, PARTLY_POINTS = 15.0, 8.0
LATE_SCALE_DAYS = 60.0  # average days late that give every behaviour point
WARN_USE, OVER_USE = 80.0, 100.0
KEY = ["CustomerID", "Currency"]
SHEET = CONTACTS.name


@dataclass
class _Cash:
    """A receipt of a customer's, and what of it no promise has taken yet."""

    payment_id: str
    date: pd.Timestamp
    left: int


# ---- promises ----------------------------------------------------------------------------------

def posted_receipts(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Cash posted per customer, currency and payment, received by ``as_of``: CustomerID,
    Currency, PaymentID, Date, Amount (minor units; applications net of nothing: reversals and the rows they
    reverse left out)."""
    apps = ledger.table("Applications", required=False)
    payments = ledger.table("Payments", required=False)
    customers = ledger.table("Customers")
    active = apps.loc[active_applications(apps) & (apps["CustomerID"] != "") & (apps["PaymentID"] != "")]
    dates = application_dates(active, payments)
    by_id = payments.loc[payments["PaymentID"] != ""].drop_duplicates("PaymentID").set_index("PaymentID")
    currency = resolve_currencies(lookup(active["PaymentID"], by_id["Currency"]).fillna("").astype(object),
                                  active["CustomerID"], customers, ledger.settings.base_currency)
    frame = pd.DataFrame({"CustomerID": active["CustomerID"], "Currency": currency,
                          "PaymentID": active["PaymentID"], "Date": dates,
                          "Amount": active["AppliedAmount"].fillna(0).astype("int64")})
    frame = frame.loc[frame["Date"].notna() & (frame["Date"] <= pd.Timestamp(as_of))]
    grouped = frame.groupby(["CustomerID", "Currency", "PaymentID"], as_index=False).agg(
        Date=("Date", "min"), Amount=("Amount", "sum"))
    return grouped.loc[grouped["Amount"] > 0].sort_values(["Date", "PaymentID"], kind="stable")


def check_promises(ledger: Ledger, as_of: dt.date) -> tuple[pd.DataFrame, Problems]:
    """The Promises table as of ``as_of`` (see the module docstring), newest promise first, and
    a problem for each Contacts row with half a promise."""
    problems = Problems()
    contacts = ledger.table(SHEET, required=False)
    customers = ledger.table("Customers")
    grace = pd.Timedelta(days=ledger.settings.promise_grace_days)
    stamp = pd.Timestamp(as_of)
    has_amount = contacts["PromisedAmount"].fillna(0) > 0
    has_date = contacts["PromisedDate"].notna()
    for row in contacts.index[has_amount != has_date]:
        missing = "PromisedDate" if has_amount[row] else "PromisedAmount"
        problems.add(ledger.sheet(SHEET), int(row), missing, "",
                     f"a promise needs both PromisedAmount and PromisedDate; this row has no {missing}",
                     f"Fill in {missing} (add a new Contacts row: rows are never changed), or leave both blank.")
    made = contacts.loc[has_amount & has_date & contacts["ContactDate"].notna() & (contacts["ContactDate"] <= stamp)]
    currency = resolve_currencies(made["Currency"], made["CustomerID"], customers, ledger.settings.base_currency)
    made = made.assign(Currency=currency)
    promised = set(zip(made["CustomerID"].astype(str), made["Currency"].astype(str)))
    pools: dict[tuple[str, str], list[_Cash]] = {}  # each customer's receipts, oldest first
    if promised:
        receipts = posted_receipts(ledger, as_of)
        columns = (receipts[c] for c in (*KEY, "PaymentID", "Date", "Amount"))
        for customer, currency, payment, date, amount in zip(*columns):
            key = (str(customer), str(currency))
            if key in promised:
                pools.setdefault(key, []).append(_Cash(str(payment), date, int(amount)))
    order = made.sort_values(["PromisedDate", "ContactDate", "ChainNo"], kind="stable")
    results = {}
    for row, promise in order.iterrows():
        pool = pools.get((promise["CustomerID"], promise["Currency"]), [])
        want, got, used = int(promise["PromisedAmount"]), 0, []
        window_end = promise["PromisedDate"] + grace
        for cash in pool:
            if got >= want or cash.left <= 0 or not promise["ContactDate"] <= cash.date <= window_end:
                continue
            take = min(cash.left, want - got)
            cash.left -= take
            got += take
            used.append(cash.payment_id)
        if got >= want:
            status = PromiseStatus.KEPT
        elif stamp <= window_end:
            status = PromiseStatus.OPEN
        else:
            status = PromiseStatus.PARTLY_KEPT if got else PromiseStatus.BROKEN
        results[row] = (got, status, "; ".join(used))
    names = _names(customers)
    frame = table_frame(PROMISES, {
        "ContactNo": made["ChainNo"], "ContactDate": made["ContactDate"], "CustomerID": made["CustomerID"],
        "CustomerName": lookup(made["CustomerID"], names).fillna("").astype(object), "Currency": made["Currency"],
        "PromisedAmount": made["PromisedAmount"], "PromisedDate": made["PromisedDate"],
        "Received": [results[r][0] for r in made.index], "Status": [results[r][1].value for r in made.index],
        "Payments": [results[r][2] for r in made.index],
    }, index=made.index)
    frame = frame.sort_values(["PromisedDate", "ContactNo"], ascending=False, kind="stable")
    return frame.reset_index(drop=True), problems


def _names(customers: pd.DataFrame) -> pd.Series:
    known = customers.loc[customers["CustomerID"] != ""].drop_duplicates("CustomerID")
    return pd.Series(known["Name"].to_numpy(), index=known["CustomerID"].to_numpy(), dtype=object)


def failed_promises(promises: pd.DataFrame, as_of: dt.date, grace_days: int, days: int = PROMISE_DAYS
                    ) -> pd.DataFrame:
    """Per customer and currency: Broken and PartlyKept promises whose grace ended in the last
    ``days`` days."""
    ended = promises["PromisedDate"] + pd.Timedelta(days=grace_days)
    recent = promises.loc[ended > pd.Timestamp(as_of) - pd.Timedelta(days=days)]
    return pd.DataFrame({
        "Broken": (recent["Status"] == PromiseStatus.BROKEN).groupby([recent[k] for k in KEY]).sum(),
        "PartlyKept": (recent["Status"] == PromiseStatus.PARTLY_KEPT).groupby([recent[k] for k in KEY]).sum(),
    }).astype("int64")


def broken_by_customer(promises: pd.DataFrame, as_of: dt.date, grace_days: int) -> pd.Series:
    """Promises broken or partly kept lately, per CustomerID (what ``arxl.core.credit`` counts)."""
    failed = failed_promises(promises, as_of, grace_days)
    return (failed["Broken"] + failed["PartlyKept"]).groupby(level="CustomerID").sum()


# ---- the worklist ------------------------------------------------------------------------------

def _points_amount(at_risk: pd.Series, currency: pd.Series) -> pd.Series:
    """The square root of the share of the largest at risk in the currency: 42,000 gets all the
    points, 4,200 a third of them, 25.00 almost none (a log scale gave 25.00 half of them, and
    put it before customers owing thousands)."""
    largest = at_risk.groupby(currency).transform("max").astype("float64")
    share = np.where(largest > 0, at_risk.astype("float64").clip(lower=0) / np.where(largest > 0, largest, 1), 0.0)
    return pd.Series(np.sqrt(share) * WEIGHTS["amount"], index=at_risk.index)


def worklist(ledger: Ledger, as_of: dt.date, promises: pd.DataFrame, disputes: pd.DataFrame | None = None,
             levels: list[Level] | None = None, exposure: pd.Series | None = None) -> pd.DataFrame:
    """The Collections table as of ``as_of`` (see the module docstring). ``promises``: the
    Promises table (``check_promises``); ``disputes``: the Disputes table (its open amounts per
    customer, and the deductions it holds, which are not overdue items); ``levels``: the reminder
    levels (``arxl.core.dunning``; None: the workbook has none, DunningLevel stays blank);
    ``exposure``: the credit exposure per (CustomerID, Currency) (``arxl.core.credit``; else the
    balance)."""
    settings = ledger.settings
    aging, _ = ledger_aging(ledger, as_of)
    disputed = None
    if disputes is not None:
        aging, disputed = hold_open_deductions(aging, disputes), open_by_customer(disputes)
    cents = aging["OpenAmount"].astype("int64")
    days = aging["DaysPastDue"].astype("int64")
    overdue_item = dunnable(aging)
    credit_item = aging["DocType"].isin([DocType.CREDIT_MEMO, DocType.UNAPPLIED_CASH])
    # one grouping of the items by customer and currency for every column
    frame = pd.DataFrame({
        "Overdue": cents.where(overdue_item, 0), "OldestDays": days.where(overdue_item, 0), "Balance": cents,
        "Credits": cents.where(credit_item, 0), "Name": aging["CustomerName"],
    }).groupby([aging[k] for k in KEY]).agg({"Overdue": "sum", "OldestDays": "max", "Balance": "sum",
                                            "Credits": "sum", "Name": "first"})
    frame.index.names = KEY
    frame = frame.loc[frame["Overdue"] > 0].copy()
    reached = reached_levels(aging, levels) if levels is not None else None
    frame["AtRisk"] = (frame["Overdue"] + frame["Credits"]).clip(lower=0)

    grace = settings.promise_grace_days
    failed = failed_promises(promises, as_of, grace).reindex(frame.index, fill_value=0)
    open_promises = promises.loc[promises["Status"] == PromiseStatus.OPEN]
    open_left = (open_promises["PromisedAmount"].astype("int64") - open_promises["Received"].astype("int64"))
    frame["OpenPromises"] = open_left.groupby([open_promises[k] for k in KEY]).sum().reindex(frame.index, fill_value=0)
    check_day = (open_promises["PromisedDate"] + pd.Timedelta(days=grace + 1)).groupby(
        [open_promises[k] for k in KEY]).min().reindex(frame.index)

    behaviour = payment_behaviour(ledger, as_of).reindex(frame.index)
    limits = credit_limits(ledger.table("Customers"), settings.base_currency).reindex(frame.index)
    contacts = ledger.table(SHEET, required=False)
    dated = contacts.loc[contacts["ContactDate"].notna() & (contacts["ContactDate"] <= pd.Timestamp(as_of))]
    last = dated.sort_values(["ContactDate", "ChainNo"], kind="stable").groupby("CustomerID").last()
    customer_ids = frame.index.get_level_values("CustomerID")
    last_date = lookup(pd.Series(customer_ids), last["ContactDate"]) if len(last) else pd.Series(
        pd.NaT, index=range(len(frame)), dtype="datetime64[ns]")
    last_outcome = lookup(pd.Series(customer_ids), last["Outcome"]) if len(last) else pd.Series(
        "", index=range(len(frame)), dtype=object)
    follow_up = lookup(pd.Series(customer_ids), last["FollowUpDate"]) if len(last) else pd.Series(
        pd.NaT, index=range(len(frame)), dtype="datetime64[ns]")

    points_amount = _points_amount(frame["AtRisk"], frame.index.get_level_values("Currency").to_series(
        index=frame.index))
    last_limit = float(settings.aging_buckets[-1])
    today = pd.Timestamp(as_of)
    # plain values for the loop below (a pandas lookup per value costs more than the rule)
    failures = failed[["Broken", "PartlyKept"]].astype("int64").to_dict("index")
    late_by_key = behaviour["AvgDaysLate"].to_dict()
    limit_by_key = limits.to_dict()
    exposure_by_key = exposure.to_dict() if exposure is not None else None
    disputed_by_key = disputed.to_dict() if disputed is not None else None
    reached_by_key = reached.to_dict() if reached is not None else None
    follow_ups, check_days = follow_up.tolist(), check_day.tolist()
    last_dates, last_outcomes = last_date.tolist(), last_outcome.tolist()
    rows = []
    for i, ((customer_id, currency), r) in enumerate(zip(frame.index, frame.to_dict("records"))):
        reasons: list[tuple[float, str]] = []
        amount_pts = float(points_amount.iloc[i])
        at_risk, overdue = int(r["AtRisk"]), int(r["Overdue"])
        words = f"{format_amount(overdue, currency)} overdue"
        if at_risk < overdue:
            words += f", {format_amount(at_risk, currency)} after the credits on account" if at_risk else \
                ", all of it covered by credits on account: apply them"
        reasons.append((amount_pts, words))
        oldest = int(r["OldestDays"])
        age_pts = WEIGHTS["age"] * min(1.0, oldest / last_limit)
        reasons.append((age_pts, f"oldest {oldest} days past due"))
        failure = failures[(customer_id, currency)]
        broken, partly = failure["Broken"], failure["PartlyKept"]
        promise_pts = min(WEIGHTS["promises"], BROKEN_POINTS * broken + PARTLY_POINTS * partly)
        if broken or partly:
            mine = promises.loc[(promises["CustomerID"] == customer_id) & (promises["Currency"] == currency)
                                & promises["Status"].isin([PromiseStatus.BROKEN, PromiseStatus.PARTLY_KEPT])]
            latest = mine.iloc[0]
            reasons.append((promise_pts, f"{'broke' if latest['Status'] == PromiseStatus.BROKEN else 'partly kept'} "
                                         f"a promise of {format_amount(int(latest['PromisedAmount']), currency)} due "
                                         f"{latest['PromisedDate'].date().isoformat()}"
                                         + (f" ({broken + partly} lately)" if broken + partly > 1 else "")))
        late = late_by_key.get((customer_id, currency))
        late = None if pd.isna(late) else float(late)
        behaviour_pts = 0.0 if late is None else WEIGHTS["behaviour"] * min(1.0, late / LATE_SCALE_DAYS)
        if late is not None and late >= 1:
            reasons.append((behaviour_pts, f"pays {late:.0f} days late on average"))
        limit = limit_by_key.get((customer_id, currency))
        used = int(exposure_by_key.get((customer_id, currency), r["Balance"])) if exposure_by_key is not None \
            else int(r["Balance"])
        use = None if limit is None or pd.isna(limit) or int(limit) <= 0 else used / int(limit) * 100
        credit_pts = 0.0
        if use is not None and use > OVER_USE:
            credit_pts = WEIGHTS["credit"]
            reasons.append((credit_pts, f"{use:.0f}% of the credit limit used"))
        elif use is not None and use >= WARN_USE:
            credit_pts = WEIGHTS["credit"] / 2
            reasons.append((credit_pts, f"{use:.0f}% of the credit limit used"))
        score = round(amount_pts + age_pts + promise_pts + behaviour_pts + credit_pts, 1)
        follow, check = follow_ups[i], check_days[i]
        waits = [d for d in (follow, check) if pd.notna(d) and d > today]
        next_action = min(waits) if waits else today
        if pd.notna(check) and check > today:
            promised = format_amount(int(r['OpenPromises']), currency)
            reasons.insert(0, (math.inf, f"waiting: a promise of {promised} is due "
                                         f"by {(check - pd.Timedelta(days=grace + 1)).date().isoformat()}"))
        elif pd.notna(follow) and follow > today:
            reasons.insert(0, (math.inf, f"follow up on {follow.date().isoformat()}"))
        reasons.sort(key=lambda p: -p[0])
        rows.append({
            "CustomerID": customer_id, "CustomerName": r["Name"], "Currency": currency, "Overdue": overdue,
            "OldestDays": oldest, "Balance": int(r["Balance"]),
            "Disputed": int(disputed_by_key.get((customer_id, currency), 0)) if disputed_by_key is not None else 0,
            "DunningLevel": None if reached_by_key is None else int(reached_by_key.get((customer_id, currency), 0)),
            "LastContact": last_dates[i], "LastOutcome": last_outcomes[i] if pd.notna(last_outcomes[i]) else "",
            "NextAction": next_action, "OpenPromises": int(r["OpenPromises"]),
            "BrokenPromises": broken + partly, "CreditUse": None if use is None else round(use, 1),
            "AvgDaysLate": None if late is None else round(late, 1), "Score": score,
            "Reasons": "; ".join(w if p == math.inf else f"{w} (+{p:.0f})" for p, w in reasons if w),
        })
    table = table_frame(COLLECTIONS, {c: [r.get(c) for r in rows] for c in COLLECTIONS.names if c != "Rank"})
    waiting = table["NextAction"] > today
    order = table.assign(_wait=waiting, _next=table["NextAction"].where(waiting, today))
    order = order.sort_values(["_wait", "_next", "Score", "CustomerID"], ascending=[True, True, False, True],
                              kind="stable")
    table = table.loc[order.index].reset_index(drop=True)
    table["Rank"] = pd.Series(range(1, len(table) + 1), dtype="Int64")
    return table


def score_of(worklist_table: pd.DataFrame, customer_id: str, currency: str | None = None) -> float | None:
    """A customer's Score in the worklist (its highest line, or the line in ``currency``); None
    when nothing of it is overdue."""
    mine = worklist_table.loc[worklist_table["CustomerID"] == customer_id]
    if currency:
        mine = mine.loc[mine["Currency"] == currency.upper()]
    return None if mine.empty else float(mine["Score"].max())
