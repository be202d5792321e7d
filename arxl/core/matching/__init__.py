"""Cash application: which customer paid, and which open invoices each payment pays.

``match_payments`` reads typed Payments, Invoices and Customers frames and returns the Matches
table and the Payments [arxl] columns; ``match_remittance`` answers the same question for one
remittance given as plain values (for a cell formula), and ``identify_payer`` which customer a
payer is (name, payer account, the clerk's CustomerID), by the rule the matcher uses.

What each Matches row means (posting reads exactly this):
- One row per (payment, invoice) proposed. ``ApplyAmount`` is the cash applied to the invoice.
  ``Discount`` is an early-payment discount the customer's terms allow on the ReceivedDate
  (with a few days' grace for mail and bank float) and ``WriteOff`` a difference within
  Settings WriteOffTolerance: both settle the invoice without cash. ``ShortPay`` is what the
  payer deducted from the invoice: not cash, and not settled: it stays open on the invoice for a
  credit memo or a write-off. ``Reason`` says why, as one code word (several joined by "/"):
  the reason the remittance states for that invoice's deduction (CO-OP_ADVERTISING for "LESS
  120.50 CO-OP ADVERTISING", DAMAGED_GOODS for "DEDUCT 75.00 DAMAGED", an ADX reason code as
  stated), else a reason read anywhere in the text; UNEARNED_DISCOUNT for a discount taken after
  its terms lapsed. So the invoice's balance drops by ApplyAmount + Discount + WriteOff. A
  partial payment is a row whose ApplyAmount is less than the balance, with nothing else: the
  rest stays open.
- One more row with InvoiceID blank when cash is left over: its ApplyAmount goes on account of
  the row's CustomerID (an overpayment's rest; the whole payment when no open invoice fits).
  For every payment, the ApplyAmounts of its rows add up to the payment's Amount, to the cent.
- Every row of a payment carries the payment's Decision: ``Auto`` (Confidence at or above
  Settings AutoApplyConfidence: posting applies it), ``Review`` (a clerk types Approve or
  Reject), ``Unmatched`` (no customer we know and no invoice: nothing to post; CustomerID is
  blank). A clerk's Approve or Reject on the same (PaymentID, InvoiceID) survives a re-run.
- ``Evidence`` says what was found where, and why, in words a clerk can check; how sure the
  model is, how far ahead of the next explanation, and which fields decided it; then each rule
  that holds the payment for a clerk ("never posted without a clerk: an invoice named is marked
  Disputed").

The parts: ``index`` reads the invoices and customers once per batch into ``OpenItems``
(arrays, the reference indexes, the payer index, each customer's open invoices, discounts);
``propose`` makes one payment's proposal from them: ``text`` splits the remittance into
reference parts, quoted amounts and deduction reasons, after masking what the bank adds (trace
numbers, check numbers); ``ids`` learns the workbook's own reference grammar (InvoiceID,
PONumber, MatchColumns) and finds references however spelled, with ranges, leading zeros, O for
0 and keying errors; ``payers`` scores payer names against Customers (Name, Aliases, parent),
payer accounts and the clerk's CustomerID; ``amounts`` explains the amount against the invoices
named (line by line, with each deduction's reason), or finds the open invoices adding up to it.
``model`` weighs the evidence (Fellegi-Sunter: m by EM over the batch's candidates, u from
chance pairs of the workbook, ``chance``); ``learning`` keeps the payer links (LearnedPayers);
``policy`` is the table of rules (``RULES``: rule, Evidence sentence) that hold a proposal for
a clerk whatever its Confidence, in one place. ``batch``
proposes for every payment (in worker processes for a large batch, on Linux) and then keeps each
invoice within its open balance. ``decisions`` says which payments a run matches and keeps a
clerk's Approve or Reject.

A structured remittance (EDI RMR segments, as banks and arxl's bank-file import write them,
with ADX adjustments) whose amounts per invoice add up to the payment is applied as stated: each
invoice gets the amount paid for it, the discount stated as Discount, and a stated deduction
(ADX, or gross less paid less discount) as ShortPay. Invoices it names are explicit: other open
invoices that happen to add up to the amount are never proposed instead. A reference shared by
several invoices (a PO billed in parts) names those of them whose balances make up the amount.
A deduction stated in words ("LESS 120.50 CO-OP ADVERTISING", "DEDUCT 75.00 DAMAGED") is a
ShortPay with its reason when the invoice's balance less the payment is that amount (or that
amount and the discount the terms allow, or but for a difference within WriteOffTolerance);
a stated amount the balances do not bear out is never forced.

When the invoices named leave part of the amount unexplained, the payer's other open invoices
whose balances make up exactly the rest complete the list (a list cut off at 80 or 140
characters, or mid-number, says so in the Evidence); as with no reference at all, only the one
such set, of a customer with too few open invoices for the sum to be chance, may be Auto.

Rules that keep cash safe: a payment is Auto only when its Confidence reaches AutoApplyConfidence,
its explanation is far ahead of the next (a hundred times as likely), and no rule of
``policy.RULES`` holds it. Among them: a payer known by nothing (not its name, an account on file
or kept, the clerk's CustomerID, a learned link that independent evidence bears out: an invoice
named exactly, the only reference a keying error from what was written with an amount that settles
it, or a sum chance would hardly give; nor invoices the amount settles, one named exactly or with a
keying error no other reference shares); invoices of several customers; a Disputed invoice;
invoices named that are not open (or another open invoice of the customer one keying error from a
number written); a partial payment spread over several invoices; money left over within a small
deduction of another open invoice; invoices paid less a deduction that could as well be a larger
deduction with another open invoice of the customer left out of the list; several invoices named
and paid less a deduction as large as one of them, give or take a cent (that one perhaps not paid
at all); invoices found by their sum for a payer known only by a name that fits another customer as
well (whose invoices add up to the amount too, or were not searched); an open invoice named exactly
that the amount does not settle while another, one keying error from what was written, is settled
by it (the one named is proposed: a keying error only the amount speaks for never replaces an exact
reading); a keying error the amount does not bear out; invoices found by a sum chance would give;
a deduction the remittance speaks of (LESS TDS, DAMAGED) that the amount does not bear out (it pays
more than the invoices named, or far less than any tax withheld); invoices named that the amount,
paid in the order named, leaves without cash; a part payment of the one invoice named whose amount
another open invoice of the customer is open for, to the cent; much more paid than the invoices
read, beside numbers nothing reads. A
keying error with an amount that does not settle what it reads is proposed at all only where
numbers are sparse and the payer is known. Currencies never mix. Within one batch the most
confident proposals take from open balances first, but one taking an invoice by its amount alone
(an overpayment's rest equal to it, a set that adds up) that another payment's proposal takes as
named goes last, and to Review; a later one that finds an invoice already spoken for is proposed
again against what every first choice left (never before a surer payment takes its part), and
sent to Review.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from arxl.contract import LEARNED_PAYERS, MATCHES, Decision
from arxl.core.frames import table_frame
from arxl.core.matching.batch import Decided, Progress, collections_paused, match_batch
from arxl.core.matching.decisions import payment_status
from arxl.core.matching.index import read_open_items
from arxl.core.matching.learning import History, learned_rows, read_history
from arxl.core.matching.model import FIELD_NAMES, Field, Model
from arxl.core.matching.payers import PayerIndex
from arxl.core.matching.policy import FAR_AHEAD_BITS, held_sentences
from arxl.core.matching.propose import Payment
from arxl.core.money import minor_to_float, to_minor
from arxl.core.problems import Problems
from arxl.core.settings import Settings

__all__ = ["Matched", "match", "match_payments", "match_remittance", "identify_payer", "read_history", "read_payments"]


@dataclass(frozen=True)
class Matched:
    """What a match run gives: the Matches table, the Payments [arxl] columns (indexed like the
    payments), the LearnedPayers table, the model the evidence was weighed with, and problems."""

    matches: pd.DataFrame
    payment_columns: pd.DataFrame
    learned_payers: pd.DataFrame
    model: Model
    problems: Problems


def match(payments: pd.DataFrame, invoices: pd.DataFrame, customers: pd.DataFrame, settings: Settings,
          open_balance: pd.Series, disputed: pd.Series | None = None, history: History | None = None,
          progress: Progress | None = None) -> Matched:
    """Proposals for ``payments`` (typed frames as ``Workbook.read`` gives them; every payment
    has a PaymentID). ``open_balance`` is each invoice's open balance in cents, indexed like
    ``invoices``; ``history`` what the workbook's posted payments and LearnedPayers teach
    (``read_history``)."""
    with collections_paused():
        return _match(payments, invoices, customers, settings, open_balance, disputed, history, progress)


def match_payments(payments: pd.DataFrame, invoices: pd.DataFrame, customers: pd.DataFrame,
                   settings: Settings, open_balance: pd.Series, disputed: pd.Series | None = None,
                   progress: Progress | None = None) -> tuple[tuple[pd.DataFrame, pd.DataFrame], Problems]:
    """``match`` without a history, as ((matches, payment_columns), problems)."""
    found = match(payments, invoices, customers, settings, open_balance, disputed, None, progress)
    return (found.matches, found.payment_columns), found.problems


def _match(payments: pd.DataFrame, invoices: pd.DataFrame, customers: pd.DataFrame, settings: Settings,
           open_balance: pd.Series, disputed: pd.Series | None, history: History | None,
           progress: Progress | None) -> Matched:
    history = history or read_history(customers["CustomerID"].tolist(), Problems())
    items, problems = read_open_items(invoices, customers, settings, open_balance, disputed, history)
    if progress:
        progress("Matching payments", 0.1)
    batch = read_payments(payments, settings.base_currency)
    for row, typed in zip(payments.index, payments["CustomerID"].astype(str).str.strip()):
        if typed and typed not in items.payers.position:
            problems.add("Payments", int(row), "CustomerID", typed, "not a CustomerID of Customers",
                         "Correct the CustomerID or clear it; until then no other customer is proposed for it.")
    result = match_batch(items, batch, history.links, progress)
    threshold = settings.auto_apply_confidence
    rows = []
    for pay, d in zip(batch, result.decided):
        p = d.candidate
        customer = items.customer_ids[p.customer] if p.customer >= 0 else ""
        if p.lines and d.confidence >= threshold and not d.held and (d.margin is None or d.margin >= FAR_AHEAD_BITS):
            decision = Decision.AUTO
        elif p.customer < 0 and not p.lines:
            decision = Decision.UNMATCHED
        else:
            decision = Decision.REVIEW
        evidence = _evidence(d)
        for line in p.lines:
            # each row names its invoice's own customer: the one posting credits (a payment naming
            # invoices of two customers shows both, for the clerk to see)
            owner = int(items.invoice_customer[line.invoice])
            rows.append((pay.payment_id, items.customer_ids[owner] if owner >= 0 else customer,
                         items.invoice_ids[line.invoice], line.apply,
                         line.discount, line.write_off, line.short_pay,
                         _code_word(line.reason) if line.short_pay else "", d.confidence, str(decision), evidence))
        if p.on_account or not p.lines:
            rows.append((pay.payment_id, customer, "", p.on_account, 0, 0, 0, "", d.confidence, str(decision),
                         evidence))
    # each row holds the Matches columns in order, up to Evidence (Proposed is decisions' to write)
    matches = table_frame(MATCHES, {c: list(values) for c, values in zip(MATCHES.names, zip(*rows))})
    columns = payment_status(matches, payments)
    learned = learned_rows(result.links, items.customer_ids)
    learned_frame = table_frame(LEARNED_PAYERS, {c: [r[c] for r in learned] for c in LEARNED_PAYERS.names})
    return Matched(matches, columns, learned_frame, result.model, problems)


def read_payments(payments: pd.DataFrame, base_currency: str) -> list[Payment]:
    """The payments (a typed Payments frame) as the matcher reads them, in the frame's order:
    amounts in minor units, a blank currency read as ``base_currency``."""
    currencies = payments["Currency"].astype(str).str.strip().str.upper().replace("", base_currency)
    received = pd.to_datetime(payments["ReceivedDate"]).to_numpy(dtype="datetime64[D]").astype(object).tolist()
    text = [payments[c].astype(str).tolist() for c in ("PaymentID", "PayerName")]
    more = [payments[c].astype(str).tolist() for c in ("Reference", "PayerAccount", "CustomerID")]
    return [Payment(k, *values) for k, values in enumerate(zip(
        *text, payments["Amount"].astype("int64").tolist(), currencies.tolist(), received, *more))]


def _weighed(field: Field | None, level: str, bits: float) -> str:
    return f"{level if field is None else FIELD_NAMES[field] + ' ' + level} ({bits:+.1f})"


def _evidence(d: Decided) -> str:
    """The Evidence sentence: what was found where; how sure, against which rival, and what
    decided it; then each rule that holds the payment for a clerk."""
    helped = sorted((c for c in d.contributions if c[2] >= 1.0), key=lambda c: -c[2])[:3]
    hurt = sorted((c for c in d.contributions if c[2] <= -1.0), key=lambda c: c[2])[:2]
    sure = f"Confidence {d.confidence:g}"
    if d.margin is not None:
        sure += f", {d.margin:.1f} bits ahead of {d.rival}" + (
            " (not far enough ahead to post without a clerk)" if d.margin < FAR_AHEAD_BITS else "")
    if helped:
        sure += "; decided by " + ", ".join(_weighed(f, level, w) for f, level, w in helped)
    if hurt:
        sure += "; against it " + ", ".join(_weighed(f, level, w) for f, level, w in hurt)
    text = "; ".join(e for e in (*d.candidate.notes, sure, *held_sentences(d.held)) if e) + "."
    return text[0].upper() + text[1:]


def _code_word(reason: str) -> str:
    """A deduction reason as Matches.Reason shows it and posting records it (SHORTPAY:<Reason>):
    one word, several reasons joined by "/" ("Damaged goods, CO-OP ADVERTISING" ->
    DAMAGED_GOODS/CO-OP_ADVERTISING)."""
    return "/".join("_".join(r.upper().split()) for r in reason.split(",") if r.strip())


def match_remittance(reference: str, payer: str, amount: object, invoices: pd.DataFrame | Iterable[Sequence[object]],
                     *, customers: pd.DataFrame | Iterable[Sequence[object]] | None = None,
                     received: dt.date | None = None, currency: str = "",
                     settings: Settings | None = None) -> list[tuple[str, float, float]]:
    """Which invoices a remittance pays, as [(InvoiceID, amount applied, confidence 0-100)]
    (plain values, for a cell formula). ``invoices``: a frame with InvoiceID, CustomerID and
    Amount (or OpenBalance; InvoiceDate, Currency optional), or rows of (InvoiceID, CustomerID,
    open amount). ``customers``: a frame with CustomerID and Name (Aliases, Terms optional), or
    rows of (CustomerID, Name); without it, payers are known only through their invoices."""
    settings = settings or Settings()
    received = received or settings.as_of
    inv = invoices if isinstance(invoices, pd.DataFrame) else pd.DataFrame(
        list(invoices), columns=["InvoiceID", "CustomerID", "Amount"])
    inv = inv.reset_index(drop=True)
    amounts = inv["OpenBalance"] if "OpenBalance" in inv else inv["Amount"]
    in_currency = [str(c or "").strip() or currency for c in inv["Currency"]] if "Currency" in inv \
        else [currency] * len(inv)
    open_cents = pd.Series([to_minor(a, c) for a, c in zip(amounts, in_currency)], dtype="int64")
    typed_invoices = pd.DataFrame({
        "InvoiceID": inv["InvoiceID"].astype(str).str.strip(),
        "CustomerID": inv["CustomerID"].astype(str).str.strip(),
        "InvoiceDate": pd.to_datetime(inv["InvoiceDate"]) if "InvoiceDate" in inv
        else pd.Series(pd.Timestamp(received), index=inv.index),
        "Currency": inv["Currency"].astype(str) if "Currency" in inv else "",
        "PONumber": inv["PONumber"].astype(str) if "PONumber" in inv else "",
    })
    if customers is None:
        ids = sorted(set(typed_invoices["CustomerID"]))
        customers = pd.DataFrame({"CustomerID": ids, "Name": ids})
    typed_customers = _customer_frame(customers)
    payment = pd.DataFrame({
        "PaymentID": ["1"], "PayerName": [str(payer or "")], "Amount": [to_minor(amount, currency)],
        "Currency": [currency], "ReceivedDate": [pd.Timestamp(received)],
        "Reference": [str(reference or "")], "PayerAccount": [""], "CustomerID": [""]})
    (matches, _), _ = match_payments(payment, typed_invoices, typed_customers, settings, open_cents)
    named = matches[matches["InvoiceID"] != ""]
    return [(r.InvoiceID, minor_to_float(int(r.ApplyAmount), currency), float(r.Confidence))
            for r in named.itertuples()]


def _customer_frame(customers: pd.DataFrame | Iterable[Sequence[object]]) -> pd.DataFrame:
    """Customers given as a frame (CustomerID, Name; Aliases, ParentID, Terms, Currency,
    BankAccounts optional) or as rows of (CustomerID, Name), as text columns."""
    if not isinstance(customers, pd.DataFrame):
        customers = pd.DataFrame(list(customers), columns=["CustomerID", "Name"])
    return pd.DataFrame({
        c: customers[c].fillna("").astype(str).str.strip() if c in customers else "" for c in
        ("CustomerID", "Name", "Aliases", "ParentID", "Terms", "Currency", "BankAccounts")})


# the last few customer lists (a sheet recalculating ARXL_CUSTOMER), by their contents
_PAYER_INDEXES: dict[tuple[tuple[str, ...], ...], PayerIndex] = {}


def identify_payer(payer: str, customers: pd.DataFrame | Iterable[Sequence[object]], account: str = "",
                   customer_id: str = "") -> tuple[str, float, str]:
    """Which customer a payer is, as (CustomerID, score 0..1, how it was found), or
    ("", 0.0, "") for nobody we know: the clerk's ``customer_id`` when it is a customer's; else
    the one customer a payer ``account`` on file belongs to; else the customer the name fits
    best (Name, Aliases, the parent's Name, as banks print names). ``customers``: a frame with
    CustomerID and Name (Aliases, ParentID, BankAccounts optional) or rows of (CustomerID, Name).
    The matcher finds payers by the same rule."""
    frame = _customer_frame(customers)
    key = tuple(tuple(frame[c]) for c in ("CustomerID", "Name", "Aliases", "ParentID", "BankAccounts"))
    index = _PAYER_INDEXES.get(key)
    if index is None:
        if len(_PAYER_INDEXES) >= 4:
            _PAYER_INDEXES.pop(next(iter(_PAYER_INDEXES)))
        index = _PAYER_INDEXES[key] = PayerIndex(frame)
    found = index.identify(payer, account, customer_id)
    return (index.ids[found.customer], round(found.score, 4), found.how) if found else ("", 0.0, "")
