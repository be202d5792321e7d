"""The paid history: six months of receipts already posted, as Payments rows and the
Applications ledger rows that posted them.

An invoice is paid because the Applications ledger says so (aging as of any date reads the
ledger), so every receipt here has its application rows, written as posting writes them (its
reason codes, its ApplicationID numbering). What the invoices still owe is left to
``arxl.core.balances`` (see ``arxl.demo.arxl_columns``).
"""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from arxl.contract import Action, MatchStatus, ReasonCode, Source
from arxl.core import posting
from arxl.core.money import minor_to_decimal
from arxl.core.numbering import next_ids
from arxl.demo.remittances import SHORT_REASONS, bank_name, bank_wrap, remittance
from arxl.demo.world import CENTS, Customer, Invoice, Line, business_day_before, weighted

Receipt = tuple[Customer, dt.date, list[Line]]  # who paid, when, and what


def _pay_day(rng: random.Random, inv: Invoice) -> dt.date | None:
    """When this customer's habit pays this invoice (None: not yet, whatever the date)."""
    habit = inv.customer.habit
    terms = inv.customer.parsed_terms
    if habit == "discounter" and rng.random() < 0.9:
        return inv.date + dt.timedelta(days=rng.randint(max(terms.discount_days - 4, 0), terms.discount_days))
    lateness = {"discounter": (-2, 6), "prompt": (-4, 4), "typical": (0, 22), "slow": (15, 60),
                "delinquent": (45, 150)}[habit]
    if habit == "delinquent" and rng.random() < 0.45:
        return None
    return inv.due + dt.timedelta(days=rng.randint(*lateness))


def paid_history(rng: random.Random, invoices: list[Invoice], batch_start: dt.date) -> list[Receipt]:
    """Receipts before the batch: weekly payment runs per payer (a parent pays for its group
    when it usually does), dated the last day of the run, with discounts earned by that date,
    deductions, small write-offs, installments and now and then an overpayment left on account.
    Each invoice is paid at most once; disputed invoices are not paid."""
    runs: dict[tuple[str, int, int], list[tuple[Invoice, dt.date]]] = defaultdict(list)
    payer_of: dict[tuple[str, int, int], Customer] = {}
    for inv in invoices:
        day = None if inv.disputed else _pay_day(rng, inv)
        if day is not None:
            day = max(business_day_before(day), inv.date)  # nobody pays before the bill
        if day is None or day >= batch_start:
            continue
        payer = inv.customer.parent if inv.customer.parent and rng.random() < 0.7 else inv.customer
        year, week, _ = day.isocalendar()
        runs[(payer.id, year, week)].append((inv, day))
        payer_of[(payer.id, year, week)] = payer
    receipts = []
    for key, paid in runs.items():
        day = max(d for _, d in paid)
        lines = []
        for inv, _ in paid:
            roll = rng.random()
            discount = inv.customer.parsed_terms.discount_on(inv.amount, inv.date, day)
            line = Line(inv, inv.amount - discount, discount=discount)
            if roll < 0.025:
                line = Line(inv, inv.amount // rng.choice([2, 3]))  # an installment; the rest is open
            elif roll < 0.05:
                short = min(inv.amount // 2, rng.choice([2500, 5000, 7500, inv.freight or 9900, inv.tax or 4000]))
                line = Line(inv, inv.amount - short, short=short, reason=rng.choice(SHORT_REASONS))
            elif roll < 0.07:
                fee = rng.choice([1, 2, 150, 300, 450])
                line = Line(inv, inv.amount - discount - fee, discount=discount, write_off=fee)
            lines.append(line)
        if rng.random() < 0.01:
            lines.append(Line(None, rng.choice([1000, 2500, 10000, 50000])))  # paid too much
        receipts.append((payer_of[key], day, lines))
    receipts.sort(key=lambda r: (r[1], r[0].id))
    return receipts


def _reason_code(line: Line) -> str:
    """The ReasonCode posting itself writes for ``line``: an invoice line settles against the
    whole amount (the history pays each invoice once), the rest of a receipt is an overpayment."""
    if line.invoice is None:
        return ReasonCode.OVERPAY
    # posting's short-pay reasons are code words (DAMAGED_GOODS), as the matcher reads them
    made = posting.Line(line.billed.id, line.applied, line.discount, line.write_off, line.short,
                        line.reason.replace(" ", "_"))
    return posting.reason_code(made, line.applied + line.discount + line.write_off, line.billed.amount)


def posted_rows(rng: random.Random, receipts: list[Receipt], batch_start: dt.date) -> tuple[list[dict], list[dict]]:
    """Payments rows and Applications ledger rows for the receipts posted before the batch; a
    cheque posted in the last fortnight bounced, and the clerk marked it Reverse. Payments'
    Unapplied is left blank: it is the ledger's to say (``arxl.demo.arxl_columns``)."""
    payments, applications = [], []
    bounce_from = batch_start - dt.timedelta(days=14)
    bounced = False
    for n, (payer, day, lines) in enumerate(receipts, start=1):
        pid = f"PMT-{n:06d}"
        method = ("Wire" if payer.currency != "USD" else
                  weighted(rng, {"ACH": 50, "Check": 25, "Lockbox": 15, "Wire": 10}))
        tags: list[str] = []
        name = payer.name if method in ("Check", "Lockbox") else bank_name(rng, payer.name, tags)
        invoiced = [line for line in lines if line.invoice]
        reference = bank_wrap(rng, name, remittance(rng, invoiced, tags, 0), method, payer.currency, day, tags)
        source = weighted(rng, {Source.AUTO: 80, Source.APPROVED: 17, Source.OVERRIDE: 3})
        # Both confidences are drawn whatever the source: the seeded rows after them depend on it.
        confidence = {Source.AUTO: rng.randint(90, 100), Source.APPROVED: rng.randint(55, 89),
                      Source.OVERRIDE: None}[source]
        posted_at = dt.datetime.combine(day, dt.time(rng.randint(9, 16), rng.randint(0, 59)))
        action = None
        if not bounced and method == "Check" and day >= bounce_from:
            action, bounced = Action.REVERSE, True
        payments.append(dict(
            PaymentID=pid, ReceivedDate=day, PayerName=name,
            Amount=minor_to_decimal(sum(line.applied for line in lines), CENTS), Currency=payer.currency, Method=method,
            CheckNumber=str(rng.randint(1000, 99999)) if method in ("Check", "Lockbox") else None,
            PayerAccount=payer.accounts[0] if payer.accounts and method in ("ACH", "Wire") else None,
            Reference=reference or None, CustomerID=None, ApplyTo=None, Action=action,
            MatchStatus=MatchStatus.POSTED, MatchedCustomerID=payer.id,
            MatchedInvoices="; ".join(line.billed.id for line in invoiced),  # as posting joins them
            Confidence=confidence, Unapplied=None))
        for line in lines:
            applications.append(dict(
                ApplicationID=None, PostedAt=posted_at, PaymentID=pid,
                InvoiceID=line.billed.id if line.invoice else None,
                CustomerID=line.billed.customer.id if line.invoice else payer.id,
                AppliedAmount=minor_to_decimal(line.applied, CENTS),
                DiscountTaken=minor_to_decimal(line.discount, CENTS),
                WriteOff=minor_to_decimal(line.write_off, CENTS), ShortPay=minor_to_decimal(line.short, CENTS),
                ReasonCode=_reason_code(line), Source=source, Confidence=confidence))
    ids = next_ids((), len(applications), posting.ID_PREFIX, posting.ID_DIGITS)
    for row, application_id in zip(applications, ids):
        row["ApplicationID"] = application_id
    return payments, applications
