"""An invoice as a PDF a company sends its customer.

Layout: the letterhead (company, INVOICE, number, dates, terms, PO, currency); the customer billed
and what to pay by when; the lines (description, quantity, unit price, tax code and rate, net),
running onto further pages with their headings repeated; the subtotal, the tax of each rate on
the net it is charged on, freight and the total due; how the tax was rounded, or the exemption
certificate of a tax-exempt customer.
"""
from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from arxl.core.invoicing import PER_LINE, Invoice
from arxl.core.money import format_amount
from arxl.documents.layout import (
    BODY,
    DUE,
    LABEL,
    SMALL,
    Party,
    boxes,
    customer_block,
    items_table,
    letterhead,
    money,
    p,
    page_size,
    quantity_text,
    rate_text,
    text_width,
    totals_table,
    write_pdf,
)


def _payment_box(invoice: Invoice) -> list[Flowable]:
    return [p("AMOUNT DUE", LABEL), Spacer(1, 1.5 * mm), p(format_amount(invoice.total, invoice.currency), DUE),
            Spacer(1, 1 * mm), p(f"Due on {invoice.due_date.isoformat()} ({invoice.terms})"),
            Spacer(1, 3 * mm), p("PLEASE QUOTE", LABEL), Spacer(1, 1.5 * mm),
            p(f"Invoice {invoice.invoice_id} with your payment")]


def _line_rows(invoice: Invoice) -> list[list[str]]:
    rows = []
    for line in invoice.lines:
        if invoice.exempt_certificate:
            tax = "exempt"
        elif line.tax_code:
            tax = f"{line.tax_code} {rate_text(line.tax_rate)}"
        else:
            tax = "none"
        rows.append([str(line.line), line.description, quantity_text(line.quantity),
                     money(line.unit_price, invoice.currency), tax, money(line.net, invoice.currency)])
    return rows


def _totals(invoice: Invoice) -> list[tuple[str, str]]:
    rows = [("Subtotal", money(invoice.net, invoice.currency))]
    for tax in invoice.taxes:
        name = tax.description or f"Tax {tax.code}"
        rows.append((f"{name} {rate_text(tax.rate)} on {money(tax.base, invoice.currency)}",
                     money(tax.tax, invoice.currency)))
    if not invoice.taxes:
        rows.append(("Sales tax", money(0, invoice.currency)))
    if invoice.freight:
        rows.append(("Freight", money(invoice.freight, invoice.currency)))
    rows.append((f"Total due ({invoice.currency})", format_amount(invoice.total, invoice.currency)))
    return rows


def _tax_note(invoice: Invoice) -> str:
    if invoice.exempt_certificate:
        return (f"No sales tax is charged: you are exempt from sales tax under certificate "
                f"{invoice.exempt_certificate}.")
    if not invoice.taxes:
        return "No sales tax applies to these lines."
    if invoice.rounding == PER_LINE:
        return "Sales tax is rounded to the cent on each line."
    return "Sales tax is rounded to the cent once per rate on the invoice total; each line shows its share."


def write_invoice_pdf(path: Path, invoice: Invoice, company: Party, customer: Party) -> Path:
    """Draw ``invoice`` as a PDF at ``path`` (its folder is created); returns ``path``."""
    pagesize = page_size(invoice.currency)
    width = text_width(pagesize)
    facts = [("Invoice number", invoice.invoice_id), ("Invoice date", invoice.invoice_date.isoformat()),
             ("Due date", invoice.due_date.isoformat()), ("Terms", invoice.terms)]
    if invoice.po_number:
        facts.append(("Your PO", invoice.po_number))
    facts.append(("Currency", invoice.currency))
    title = f"Invoice {invoice.invoice_id}"
    story: list[Flowable] = [
        letterhead(company, "INVOICE", facts, width),
        Spacer(1, 10 * mm),
        boxes(customer_block("BILL TO", customer), _payment_box(invoice), width),
        Spacer(1, 8 * mm),
        items_table(["#", "DESCRIPTION", "QUANTITY", "UNIT PRICE", "TAX", "NET"], _line_rows(invoice),
                    [0.05, 0.43, 0.11, 0.14, 0.12, 0.15], width, right=(2, 3, 5)),
        Spacer(1, 4 * mm),
        totals_table(_totals(invoice), width, amount_share=0.15, label_share=0.45),
        Spacer(1, 8 * mm),
        p(_tax_note(invoice), SMALL),
        Spacer(1, 4 * mm),
        p(f"Please pay {format_amount(invoice.total, invoice.currency)} by {invoice.due_date.isoformat()}, "
          f"quoting invoice {invoice.invoice_id}. Thank you for your business.", BODY),
    ]
    return write_pdf(path, story, pagesize, company, title, f"{title} for {customer.name}")
