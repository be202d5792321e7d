"""The demo workbook's rows, table by table, and the truth of its new payments.

The world is drawn (``world``), its paid history posted (``history``), the [arxl] columns
computed by arxl's core from that ledger (``arxl_columns``), then the day's new remittances
(``batch``) and the clerk's memo requests (``memo_requests``) drawn against what is still open.
Everything is decided by one ``random.Random(seed)``, in that order: the same seed gives the
same rows.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from arxl.core.money import minor_to_decimal
from arxl.demo.arxl_columns import fill_arxl_columns
from arxl.demo.batch import BATCH_DAYS, Batch
from arxl.demo.documents import DUNNING_LEVELS, document_columns, invoice_requests, tax_rate_rows
from arxl.demo.history import paid_history, posted_rows
from arxl.demo.memo_requests import memo_requests
from arxl.demo.world import CENTS, SALES, Customer, Invoice, business_day_before, draw_customers, draw_invoices

DEMO_AS_OF = dt.date(2026, 11, 20)
COMPANY_NAME = "Harborline Industrial Supply, Inc."
COMPANY_ADDRESS = "2200 Harbor Point Blvd; Suite 400; Baltimore, MD 21230"


@dataclass
class DemoData:
    tables: dict[str, list[dict]]
    truth: list[dict]  # one entry per new payment, in Payments order


def _customer_rows(customers: list[Customer]) -> list[dict]:
    return [dict(CustomerID=c.id, Name=c.name, Aliases="; ".join(c.aliases) or None,
                 ParentID=c.parent.id if c.parent else None, Terms=c.terms or None,
                 CreditLimit=minor_to_decimal(c.credit_limit, CENTS), Currency=c.currency,
                 BankAccounts="; ".join(c.accounts) or None, Email=c.email, Region=c.region,
                 Salesperson=SALES[c.region], Status=c.status) for c in customers]


def _invoice_rows(invoices: list[Invoice]) -> list[dict]:
    """The clerk's columns of Invoices (the [arxl] ones are the ledger's to fill)."""
    return [dict(InvoiceID=inv.id, CustomerID=inv.customer.id, InvoiceDate=inv.date,
                 Amount=minor_to_decimal(inv.amount, CENTS), DueDate=inv.due if inv.show_due else None,
                 TaxAmount=minor_to_decimal(inv.tax, CENTS),
                 FreightAmount=minor_to_decimal(inv.freight, CENTS) if inv.freight else None,
                 Currency=inv.customer.currency, PONumber=inv.po or None,
                 Disputed="Yes" if inv.disputed else None) for inv in invoices]


def demo_data(seed: int = 7, customers: int = 300, invoices: int = 4000, payments: int = 200,
              as_of: dt.date = DEMO_AS_OF) -> DemoData:
    """The demo world: its tables and the truth of its new payments."""
    rng = random.Random(seed)
    world = draw_customers(rng, customers)
    billed = draw_invoices(rng, world, invoices, as_of)
    batch_start = business_day_before(as_of - dt.timedelta(days=BATCH_DAYS))
    receipts = paid_history(rng, billed, batch_start)
    posted, applications = posted_rows(rng, receipts, batch_start)
    invoice_rows = _invoice_rows(billed)
    fill_arxl_columns(billed, invoice_rows, posted, applications)
    batch = Batch(rng, world, billed, as_of)
    batch.build(payments)
    blank_ids = set(rng.sample(range(len(batch.rows)), min(3, len(batch.rows) // 20)))
    for k, (row, truth) in enumerate(zip(batch.rows, batch.truth)):
        row["PaymentID"] = None if k in blank_ids else f"PMT-{len(posted) + k + 1:06d}"
        truth["PaymentID"] = row["PaymentID"] or ""
        truth["Position"] = len(posted) + k
        if k in blank_ids:
            truth["Noise"].append("blank_payment_id")
    still_open = [inv for opens in batch.open_by_customer.values() for inv in opens]
    customer_rows = _customer_rows(world)
    documents_rng = document_columns(seed, world, customer_rows)
    tables: dict[str, list[dict[str, Any]]] = {
        "Customers": customer_rows,
        "Invoices": invoice_rows,
        "Payments": posted + batch.rows,
        "Applications": applications,
        "MemoRequests": memo_requests(rng, still_open, as_of),
        "TaxRates": tax_rate_rows(),
        "InvoiceRequests": invoice_requests(documents_rng, world, as_of),
        "DunningLevels": DUNNING_LEVELS,
        "Settings": [dict(Setting="AsOfDate", Value=as_of), dict(Setting="CompanyName", Value=COMPANY_NAME),
                     dict(Setting="CompanyAddress", Value=COMPANY_ADDRESS),
                     dict(Setting="InvoicePrefix", Value=f"INV-{as_of.year}-")],
    }
    return DemoData(tables, batch.truth)


def demo_tables(seed: int = 7, customers: int = 300, invoices: int = 4000, payments: int = 200,
                as_of: dt.date = DEMO_AS_OF) -> dict[str, list[dict]]:
    """The demo workbook's rows, table by table (see ``arxl.demo``)."""
    return demo_data(seed, customers, invoices, payments, as_of).tables
