"""What a match run works on, and what it keeps of the clerk's work in Matches.

Rules (docs/WORKBOOK.md, Matches):
- The payments to match are those with no active application in the Applications ledger (never
  posted, or every application reversed: a cheque reversed and then presented again), and not
  marked Reverse. The ledger decides, not MatchStatus, which is arxl's own report.
- arxl writes, in each row's Proposed, what it proposed for the row in words. A clerk's edit is a
  difference between the row and its Proposed.
- A payment is in the clerk's hands once any of its rows carries a Decision the clerk typed
  (anything but Auto, Review and Unmatched), differs from its Proposed (the clerk changed the
  CustomerID, InvoiceID, ApplyAmount, Discount, WriteOff or ShortPay), or was added by the clerk
  (a row with neither Proposed nor Evidence). A match run keeps every row of such a payment as
  the clerk left it, and proposes afresh only for payments nobody touched; posting then reads
  what the clerk typed (``arxl.core.posting``).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from arxl.contract import MATCHES, PAYMENTS, Action, Decision, Owner, read_choice
from arxl.core.balances import active_applications
from arxl.core.frames import table_frame
from arxl.core.money import format_amount

# arxl's own decisions: a row showing one of these was not decided by a clerk
PROPOSED_DECISIONS = frozenset({Decision.AUTO, Decision.REVIEW, Decision.UNMATCHED})
_DECISION, _ACTION = MATCHES.column("Decision"), PAYMENTS.column("Action")


def read_decision(value: object) -> Decision | None:
    """A Matches.Decision cell as a decision (None: blank or not a decision)."""
    return Decision(choice) if (choice := read_choice(_DECISION, value)) else None


def is_reverse(value: object) -> bool:
    """Whether a Payments.Action cell says Reverse (Reversed, Reversal read so too)."""
    return read_choice(_ACTION, value) == Action.REVERSE


def payments_to_match(payments: pd.DataFrame, applications: pd.DataFrame) -> pd.DataFrame:
    """Payments with no active application (see the module docstring), not being reversed."""
    active = set(applications.loc[active_applications(applications), "PaymentID"])
    reversing = payments["Action"].map(is_reverse)
    return payments[~payments["PaymentID"].isin(active) & ~reversing.astype(bool)]


# The words of a row's proposal (``proposal_text``); the workbook's colouring of a clerk's edits
# (arxl.book.guidance) reads Proposed with the same words.
NO_CUSTOMER_WORDS = "(no customer)"
ON_ACCOUNT_WORDS = "on account"
PROPOSAL_LABELS = (("Discount", "discount"), ("WriteOff", "write-off"), ("ShortPay", "short pay"))


def proposal_text(rows: pd.DataFrame, currencies: Mapping[str, str]) -> pd.Series:
    """What each Matches row proposes, in words: "C100: INV-1 60.00, discount 1.20", amounts with
    the decimals of the payment's currency (``currencies``: PaymentID -> currency)."""
    def words(payment: str, customer: str, invoice: str, applied: Any, *deductions: Any) -> str:
        def amount(minor: Any) -> str:
            return "" if pd.isna(minor) else format_amount(int(minor), currencies.get(payment, ""), code=False)

        text = f"{customer or NO_CUSTOMER_WORDS}: {invoice or ON_ACCOUNT_WORDS} {amount(applied)}".rstrip()
        for (_, label), minor in zip(PROPOSAL_LABELS, deductions):
            if not pd.isna(minor) and int(minor):
                text += f", {label} {amount(minor)}"
        return text

    values = zip(rows["PaymentID"], rows["CustomerID"], rows["InvoiceID"], rows["ApplyAmount"],
                 *[rows[column] for column, _ in PROPOSAL_LABELS])
    return pd.Series([words(*v) for v in values], index=rows.index, dtype=object)


def touched_by_clerk(matches: pd.DataFrame, currencies: Mapping[str, str]) -> pd.Series:
    """True for each row of a payment in the clerk's hands (see the module docstring)."""
    decided = ~matches["Decision"].map(lambda d: read_decision(d) in PROPOSED_DECISIONS)
    edited = (matches["Proposed"] != "") & (proposal_text(matches, currencies) != matches["Proposed"])
    added = (matches["Proposed"] == "") & (matches["Evidence"] == "")
    row_touched = decided | edited | added
    touched_payments = set(matches.loc[row_touched, "PaymentID"])
    return matches["PaymentID"].isin(touched_payments)


def payment_status(matches: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
    """The Payments [arxl] columns of ``payments`` as their Matches rows now say (indexed like
    ``payments``): MatchStatus Auto when every row is Auto, Unmatched when every row is, else
    Review (a payment a clerk decided or touched included); MatchedCustomerID the rows'
    customer; MatchedInvoices the invoices they name; Confidence; Unapplied the cash they leave
    on account. Payments with no row are left blank."""
    per: dict[str, dict[str, Any]] = {}
    for pid, customer, invoice, applied, confidence, decision in zip(
            matches["PaymentID"], matches["CustomerID"], matches["InvoiceID"], matches["ApplyAmount"],
            matches["Confidence"], matches["Decision"]):
        p = per.setdefault(pid, {"decisions": set(), "customer": "", "invoices": [], "confidence": confidence,
                                 "unapplied": 0})
        p["decisions"].add(read_decision(decision))
        p["customer"] = p["customer"] or customer
        if invoice:
            p["invoices"].append(invoice)
        elif not pd.isna(applied):
            p["unapplied"] += int(applied)

    def status(decisions: set[Decision | None]) -> str:
        return str(decisions.pop()) if decisions in ({Decision.AUTO}, {Decision.UNMATCHED}) else str(Decision.REVIEW)

    found = [per.get(pid) for pid in payments["PaymentID"]]
    return table_frame(PAYMENTS, {
        "MatchStatus": [status(p["decisions"]) if p else "" for p in found],
        "MatchedCustomerID": [p["customer"] if p else "" for p in found],
        "MatchedInvoices": ["; ".join(p["invoices"]) if p else "" for p in found],
        "Confidence": [p["confidence"] if p else None for p in found],
        "Unapplied": [p["unapplied"] if p else None for p in found],
    }, index=payments.index)[PAYMENTS.owned_by(Owner.ARXL)]


def keep_clerk_rows(proposed: pd.DataFrame, previous: pd.DataFrame, to_match: set[str],
                    currencies: Mapping[str, str]) -> pd.DataFrame:
    """The Matches table after a match run: every row of a payment still to match that the
    clerk touched, as the clerk left it, then arxl's new proposals (each with its Proposed) for
    the other payments. ``currencies``: each payment's currency (PaymentID -> code)."""
    kept = previous.loc[touched_by_clerk(previous, currencies) & previous["PaymentID"].isin(to_match)]
    fresh = proposed.loc[~proposed["PaymentID"].isin(set(kept["PaymentID"]))]
    fresh = fresh.assign(Proposed=proposal_text(fresh, currencies))
    if kept.empty:
        return fresh.reset_index(drop=True)
    return pd.concat([kept[list(proposed.columns)], fresh], ignore_index=True)
