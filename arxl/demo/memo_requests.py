"""The clerk's MemoRequests: every memo type asked for once as a credit and once as a debit,
and two requests a clerk got wrong, which the memo run must report in Exceptions."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from arxl.contract import MemoKind, MemoType
from arxl.core.money import minor_to_decimal
from arxl.demo.world import CENTS, Invoice

MEMO_TYPES = tuple(MemoType)


def memo_requests(rng: random.Random, open_invoices: list[Invoice], as_of: dt.date) -> list[dict]:
    """Each Type once as a Credit and once as a Debit, against invoices the new batch leaves
    open, then two rows a clerk got wrong: an invoice number that does not exist, and a freight
    credit beyond the invoice's freight. A request whose kind of invoice the world lacks (a
    small world may bill no freight) is left out."""
    pool = sorted(open_invoices, key=lambda i: i.seq)
    rng.shuffle(pool)
    used: set[str] = set()  # one request per customer reads better, when there are enough

    def pick(wheres, least: int) -> Invoice | None:
        for where in wheres:
            for distinct in (True, False):
                for inv in pool:
                    if (not distinct or inv.customer.id not in used) and inv.open >= least and where(inv):
                        used.add(inv.customer.id)
                        return inv
        return None

    def anything(inv: Invoice) -> bool:
        return True

    overdue = as_of - dt.timedelta(days=45)
    unknown_invoice = f"INV-{as_of.year}-{999000 + rng.randint(0, 999):06d}"
    cases = rng.randint(1, 3)
    # kind, type, which invoice (by preference), its least open balance in cents, the fields
    wanted = [
        (MemoKind.CREDIT, MemoType.PRODUCT, anything, 20000, lambda inv: dict(
            Reason=f"Returned {cases} cases, RA {rng.randint(50000, 59999)}", Quantity=cases,
            UnitPrice=inv.net // rng.randint(6, 12))),
        (MemoKind.DEBIT, MemoType.PRODUCT, lambda inv: inv.net > 10000, 0, lambda inv: dict(
            Reason="+2 cases shipped, not billed", Quantity=2, UnitPrice=inv.net // 25)),
        (MemoKind.CREDIT, MemoType.SERVICE, anything, 0, lambda inv: dict(
            Reason="Technician visit missed on site", Amount=min(15000, inv.net // 2), Approved="")),
        (MemoKind.DEBIT, MemoType.SERVICE, anything, 0, lambda inv: dict(
            Reason="Additional technician hours", Quantity=3.5, UnitPrice=9500)),
        (MemoKind.CREDIT, MemoType.FREIGHT, lambda inv: inv.freight > 0, 0, lambda inv: dict(
            Reason="Freight billed in error (customer pickup)", Amount=inv.freight)),
        (MemoKind.DEBIT, MemoType.FREIGHT, anything, 0, lambda inv: dict(
            Reason="Expedited freight not billed", Amount=rng.randint(4000, 18000))),
        (MemoKind.CREDIT, MemoType.TAX, lambda inv: inv.tax > 0, 0, lambda inv: dict(
            Reason="Resale exemption certificate received", Amount=inv.tax)),
        (MemoKind.DEBIT, MemoType.TAX, lambda inv: inv.tax > 0, 0, lambda inv: dict(
            Reason="Sales tax under-billed", Amount=max(100, inv.net // 200))),
        (MemoKind.CREDIT, MemoType.PRICE, (lambda inv: inv.customer.currency == "EUR", anything), 10000,
         lambda inv: dict(Reason="-10% pricing error on line 3", Amount=inv.net // 10)),
        (MemoKind.DEBIT, MemoType.PRICE, anything, 0, lambda inv: dict(
            Reason="Contract price increase not applied", Quantity=12, UnitPrice=rng.randint(150, 900))),
        (MemoKind.CREDIT, MemoType.OTHER, anything, 0, lambda inv: dict(
            Reason="Goodwill credit for late delivery", Amount=5000, InvoiceID=None)),
        (MemoKind.DEBIT, MemoType.OTHER, lambda inv: inv.due < overdue, 0, lambda inv: dict(
            Reason=f"Late payment fee on {inv.id}", Amount=3500, TaxRate=Decimal(0), InvoiceID=None)),
        # The rows a clerk got wrong, which the memo run must report in Exceptions.
        (MemoKind.CREDIT, MemoType.PRODUCT, anything, 0, lambda inv: dict(
            Reason="Damaged on arrival", Amount=inv.net // 5, InvoiceID=unknown_invoice)),
        (MemoKind.CREDIT, MemoType.FREIGHT, lambda inv: inv.freight > 0, 0, lambda inv: dict(
            Reason="Freight refund requested", Amount=inv.freight + 5000)),
    ]
    rows: list[dict[str, Any]] = []
    for kind, type_, where, least, fields in wanted:
        inv = pick(where if isinstance(where, tuple) else (where,), least)
        if inv is None:
            continue
        row: dict[str, Any] = dict(
                   RequestID=f"MR-{len(rows) + 1:04d}", CustomerID=inv.customer.id, Kind=kind, Type=type_,
                   Reason="", Amount=None, Quantity=None, UnitPrice=None, InvoiceID=inv.id, TaxRate=None,
                   MemoDate=as_of if rng.random() < 0.5 else None, Currency=inv.customer.currency,
                   Approved="Yes")
        row.update(fields(inv))
        for money in ("Amount", "UnitPrice"):
            if row[money] is not None:
                row[money] = minor_to_decimal(row[money], CENTS)
        rows.append(row)
    return rows
