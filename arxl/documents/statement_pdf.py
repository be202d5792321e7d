"""A customer's statement of account as a PDF: one part per currency, each starting on a page of
its own under the letterhead.

Open items: every open item (document, dates, days past due, age, original and open amount,
disputed ones marked), the totals by age, and the balance due. Activity: the balance brought
forward, each invoice, memo, payment, discount, write-off and reversal of the period with its
charge or credit and the running balance, the closing balance, and the same totals by age.
"""
from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer, Table

from arxl.contract import StatementLayout
from arxl.core.money import format_amount
from arxl.core.statements import Section, Statement
from arxl.documents.layout import (
    BODY,
    DUE,
    HEADING,
    LABEL,
    SMALL,
    Party,
    boxes,
    customer_block,
    date_text,
    items_table,
    letterhead,
    money,
    p,
    page_size,
    text_width,
    write_pdf,
)


def _balance_box(statement: Statement, section: Section) -> list[Flowable]:
    past_due = int(section.items.loc[section.items["DaysPastDue"].astype("int64") > 0, "OpenAmount"]
                   .astype("int64").sum())
    label = "BALANCE DUE" if section.balance >= 0 else "CREDIT BALANCE (IN YOUR FAVOUR)"
    out: list[Flowable] = [p(label, LABEL), Spacer(1, 1.5 * mm),
                           p(format_amount(abs(section.balance), section.currency), DUE),
                           Spacer(1, 1 * mm), p(f"as of {statement.as_of.isoformat()}")]
    if past_due > 0:
        out += [Spacer(1, 3 * mm), p("OF WHICH PAST DUE", LABEL), Spacer(1, 1.5 * mm),
                p(format_amount(past_due, section.currency))]
    return out


def _open_items(section: Section, width: float) -> Table:
    rows = []
    for item in section.items.itertuples():
        days = int(item.DaysPastDue)
        name = f"{item.DocType} {item.DocID}" + (" (disputed)" if item.Disputed == "Yes" else "")
        rows.append([name, date_text(item.DocDate), date_text(item.DueDate), f"{days} days" if days > 0 else "",
                     item.Bucket, money(int(item.OriginalAmount), section.currency),
                     money(int(item.OpenAmount), section.currency)])
    rows.append(["Balance due", "", "", "", "", "", format_amount(section.balance, section.currency)])
    return items_table(["DOCUMENT", "DATE", "DUE DATE", "OVERDUE", "AGE", "ORIGINAL", "OPEN"], rows,
                       [0.28, 0.12, 0.12, 0.1, 0.09, 0.13, 0.16], width, right=(3, 5, 6), bold_last=True,
                       padding=1.6 * mm)


def _activity(statement: Statement, section: Section, width: float) -> Table:
    assert section.lines is not None and section.opening is not None and statement.from_date is not None
    currency = section.currency
    rows = [[statement.from_date.isoformat(), "Balance brought forward", "", "", "", money(section.opening, currency)]]
    for line in section.lines.itertuples():
        amount = int(line.Amount)
        rows.append([date_text(line.Date), f"{line.Kind} {line.Reference}", line.Detail,
                     money(amount, currency) if amount > 0 else "", money(-amount, currency) if amount < 0 else "",
                     money(int(line.Balance), currency)])
    rows.append([statement.as_of.isoformat(), "Closing balance", "", "", "",
                 format_amount(section.balance, section.currency)])
    return items_table(["DATE", "DOCUMENT", "DETAIL", "CHARGES", "CREDITS", "BALANCE"], rows,
                       [0.12, 0.27, 0.21, 0.12, 0.12, 0.16], width, right=(3, 4, 5), bold_last=True,
                       padding=1.6 * mm)


def _ages(section: Section, width: float) -> Table:
    labels = [label.upper() for label, _ in section.buckets]
    amounts = [money(cents, section.currency) for _, cents in section.buckets]
    share = 0.84 / len(labels)
    return items_table([*labels, "TOTAL"], [[*amounts, money(section.balance, section.currency)]],
                       [share] * len(labels) + [0.16], width, right=range(len(labels) + 1), padding=1.6 * mm)


def _section(statement: Statement, statement_id: str, section: Section, company: Party, customer: Party,
             width: float) -> list[Flowable]:
    facts = [("Statement number", statement_id), ("Statement date", statement.as_of.isoformat())]
    if statement.layout == StatementLayout.ACTIVITY and statement.from_date is not None:
        facts.append(("Period", f"{statement.from_date.isoformat()} to {statement.as_of.isoformat()}"))
    facts += [("Customer ID", customer.identifier), ("Currency", section.currency)]
    activity = statement.layout == StatementLayout.ACTIVITY
    story: list[Flowable] = [
        letterhead(company, "STATEMENT", facts, width),
        Spacer(1, 10 * mm),
        boxes(customer_block("STATEMENT FOR", customer), _balance_box(statement, section), width),
        Spacer(1, 8 * mm),
        p("Account activity" if activity else "Open items", HEADING),
        Spacer(1, 2 * mm),
    ]
    if activity:
        story.append(_activity(statement, section, width))
    elif len(section.items):
        story.append(_open_items(section, width))
    else:
        story.append(p(f"Nothing is open on your account in {section.currency} as of "
                       f"{statement.as_of.isoformat()}. Thank you.", BODY))
    story += [Spacer(1, 6 * mm), p(f"Open items by age as of {statement.as_of.isoformat()}", HEADING),
              Spacer(1, 2 * mm), _ages(section, width), Spacer(1, 6 * mm)]
    if section.balance > 0:
        story.append(p(f"Please pay the balance due of {format_amount(section.balance, section.currency)}, "
                       f"quoting your customer ID {customer.identifier} and the documents you pay.", BODY))
    how = ("Charges add to your balance; payments and credits reduce it." if activity
           else "Credits and payments not yet set against an invoice show as negative open amounts.")
    story += [Spacer(1, 2 * mm), p(f"{how} If your records differ from this statement, please let us know.", SMALL)]
    return story


def write_statement_pdf(path: Path, statement: Statement, statement_id: str, company: Party,
                        customer: Party) -> Path:
    """Draw ``statement`` as a PDF at ``path`` (its folder is created); returns ``path``."""
    pagesize = page_size(statement.sections[0].currency)
    width = text_width(pagesize)
    story: list[Flowable] = []
    for n, section in enumerate(statement.sections):
        if n:
            story.append(PageBreak())
        story += _section(statement, statement_id, section, company, customer, width)
    title = f"Statement {statement_id}"
    return write_pdf(path, story, pagesize, company, title, f"{title} for {customer.name}")
