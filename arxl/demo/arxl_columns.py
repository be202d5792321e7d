"""The [arxl] columns the last posting run left in the demo's Invoices and Payments, computed by
arxl's own core from the demo's ledger, so the demo can never tell a story of its own.

The rows (cell values: ``Decimal`` amounts, ``datetime.date`` dates) become the typed frames the
core reads (``arxl.core.frames``, the contract's specs); ``compute_balances`` gives every
invoice's Paid, Discounts, WrittenOff, Credited, OpenBalance, Status and LastPaymentDate, and the
cash each payment left on account (Payments' Unapplied).
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from arxl.contract import APPLICATIONS, INVOICES, MEMOS, PAYMENTS, DocType, InvoiceStatus, Kind, Owner, TableSpec
from arxl.core.balances import compute_balances
from arxl.core.frames import empty_frame, table_frame
from arxl.core.money import minor_to_decimal, to_minor
from arxl.demo.world import CENTS, Invoice


def _frame(spec: TableSpec, rows: list[dict]) -> pd.DataFrame:
    """Rows of cell values as the typed frame of ``spec`` (a column the rows lack is blank)."""
    values = {}
    for col in spec.columns:
        cells = [row.get(col.name) for row in rows]
        money = col.kind == Kind.MONEY
        values[col.name] = [None if v is None else to_minor(v, CENTS) for v in cells] if money else cells
    return table_frame(spec, values)


def _cell(kind: Kind, value: Any) -> object:
    """A typed frame's value as the demo's rows hold it (None for blank)."""
    if pd.isna(value):
        return None
    if kind == Kind.MONEY:
        return minor_to_decimal(value, CENTS)
    if kind == Kind.DATE:
        return value.date()
    return value


def fill_arxl_columns(invoices: list[Invoice], invoice_rows: list[dict], payment_rows: list[dict],
                      applications: list[dict]) -> None:
    """Write the Invoices [arxl] columns and the posted Payments' Unapplied as core computes
    them from the ledger (no memos are made yet), and tell each ``Invoice`` what it still owes
    (the new batch pays from that)."""
    balances, problems = compute_balances(_frame(INVOICES, invoice_rows), _frame(APPLICATIONS, applications),
                                          empty_frame(MEMOS), _frame(PAYMENTS, payment_rows))
    if list(problems):
        raise AssertionError(f"the demo's ledger names invoices it does not bill: {list(problems)}")
    owned = INVOICES.owned_by(Owner.ARXL)
    cells = {}
    for name in owned:
        kind = INVOICES.column(name).kind
        cells[name] = [_cell(kind, v) for v in balances.invoices[name].tolist()]
    open_cents = balances.invoices["OpenBalance"].astype("int64").tolist()
    for n, (inv, row) in enumerate(zip(invoices, invoice_rows)):
        row.update({name: cells[name][n] for name in owned})
        row["Status"] = inv.status = InvoiceStatus(row["Status"])
        inv.open = open_cents[n]
    items = balances.open_items
    unapplied = items.loc[items["DocType"] == DocType.UNAPPLIED_CASH].set_index("DocID")["OpenAmount"]
    for row in payment_rows:
        # Aging signs unapplied cash negative; the Payments column holds the cash itself.
        row["Unapplied"] = minor_to_decimal(-unapplied.get(row["PaymentID"], 0), CENTS)
