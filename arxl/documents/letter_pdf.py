"""A reminder letter (dunning) as a PDF.

Layout: the letterhead with the level's title, the letter's number and date; the customer and the
amount now due; the level's wording; the overdue items (document, dates, days overdue, open
amount, interest); the credits on the account, deducted; the fee and interest; the amount now
due; the disputed items, listed apart and not asked for; and a closing.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from arxl.core.dunning import Letter
from arxl.core.money import format_amount
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
    rate_text,
    text_width,
    totals_table,
    write_pdf,
)


def _amount_box(letter: Letter, letter_id: str) -> list[Flowable]:
    return [p("AMOUNT NOW DUE", LABEL), Spacer(1, 1.5 * mm), p(format_amount(letter.total, letter.currency), DUE),
            Spacer(1, 3 * mm), p("PLEASE QUOTE", LABEL), Spacer(1, 1.5 * mm),
            p(f"Letter {letter_id} and the documents you pay")]


def _overdue(letter: Letter, width: float) -> Flowable:
    interest = bool(letter.interest)
    rows = []
    for item in letter.items.itertuples():
        row = [f"{item.DocType} {item.DocID}", date_text(item.DocDate), date_text(item.DueDate),
               f"{int(item.DaysPastDue)} days", money(int(item.OpenAmount), letter.currency)]
        if interest:
            row.insert(4, money(int(item.Interest), letter.currency))
        rows.append(row)
    headers = ["DOCUMENT", "DATE", "DUE DATE", "OVERDUE", "OPEN"]
    shares = [0.34, 0.14, 0.14, 0.2, 0.18]
    if interest:
        headers.insert(4, "INTEREST")
        shares = [0.3, 0.13, 0.13, 0.13, 0.14, 0.17]
    return items_table(headers, rows, shares, width, right=range(3, len(headers)), padding=1.6 * mm)


def _totals(letter: Letter) -> list[tuple[str, str]]:
    rows = [("Overdue items", money(letter.overdue, letter.currency))]
    if letter.credit:
        rows.append(("Less credits on your account", money(letter.credit, letter.currency)))
    if letter.fee:
        rows.append(("Reminder fee", money(letter.fee, letter.currency)))
    if letter.interest:
        rows.append((f"Interest at {rate_text(letter.level.interest_rate)} a year",
                     money(letter.interest, letter.currency)))
    rows.append((f"Amount now due ({letter.currency})", format_amount(letter.total, letter.currency)))
    return rows


def _listed(title: str, note: str, items: pd.DataFrame, currency: str, width: float) -> list[Flowable]:
    rows = [[f"{item.DocType} {item.DocID}", date_text(item.DocDate), money(int(item.OpenAmount), currency)]
            for item in items.itertuples()]
    return [KeepTogether([p(title, HEADING), Spacer(1, 1 * mm), p(note, SMALL), Spacer(1, 2 * mm),
                          items_table(["DOCUMENT", "DATE", "OPEN"], rows, [0.6, 0.2, 0.2], width, right=(2,),
                                      padding=1.6 * mm)]),
            Spacer(1, 6 * mm)]


def write_letter_pdf(path: Path, letter: Letter, letter_id: str, company: Party, customer: Party,
                     statement_attached: bool = False) -> Path:
    """Draw ``letter`` as a PDF at ``path`` (its folder is created); returns ``path``."""
    pagesize = page_size(letter.currency)
    width = text_width(pagesize)
    facts = [("Letter number", letter_id), ("Date", letter.letter_date.isoformat()),
             ("Customer ID", customer.identifier), ("Currency", letter.currency)]
    story: list[Flowable] = [
        letterhead(company, letter.level.heading.upper(), facts, width),
        Spacer(1, 10 * mm),
        boxes(customer_block("TO", customer), _amount_box(letter, letter_id), width),
        Spacer(1, 8 * mm),
        p(f"Dear {customer.name},", BODY),
        Spacer(1, 3 * mm),
    ]
    if letter.level.wording:
        story += [p(letter.level.wording, BODY), Spacer(1, 5 * mm)]
    story += [p("Overdue items", HEADING), Spacer(1, 2 * mm), _overdue(letter, width), Spacer(1, 4 * mm),
              totals_table(_totals(letter), width, amount_share=0.18, label_share=0.42), Spacer(1, 6 * mm)]
    if len(letter.credits):
        story += _listed("Credits on your account", "Deducted from the amount now due.", letter.credits,
                         letter.currency, width)
    if len(letter.disputed):
        story += _listed("Items in dispute", "Not included in the amount now due while we resolve them with you.",
                         letter.disputed, letter.currency, width)
    closing = ("If you have paid in the meantime, please disregard this letter, and accept our thanks. "
               "If you have a question about any item, please contact us.")
    if statement_attached:
        closing += " Your statement of account is attached."
    story += [p(closing, BODY), Spacer(1, 6 * mm), p("Yours faithfully,", BODY), Spacer(1, 2 * mm),
              p(f"{company.name}, Accounts Receivable", BODY)]
    title = f"{letter.level.heading} {letter_id}"
    return write_pdf(path, story, pagesize, company, title, f"{title} to {customer.name}")
