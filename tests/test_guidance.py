"""The workbook guides the clerk (docs/WORKBOOK.md, "Guidance in the workbook"): drop-downs, input
messages, colours for the rows that need the clerk, widths that fit, wrapped text, a print setup
on every sheet, dates in the clerk's regional format; a clerk's own validations, formats and
widths kept. Each case writes a workbook, runs arxl on it and reads it back with openpyxl."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import ColumnDimension

from arxl.book.guidance import (
    GUIDE_MARK,
    MAX_LIST,
    MAX_PROMPT,
    MAX_RULE_FORMULA,
    MAX_TITLE,
    formula_for,
    table_guide,
    text_width,
)
from arxl.contract import AGING_SUMMARY, NEW_BOOK_SHEETS, TABLES, spec

D = dt.date
CUSTOMERS = [{"CustomerID": "C1", "Name": "Acme Tools Inc.", "Terms": "Net 30", "CreditLimit": 1000.00},
             {"CustomerID": "C2", "Name": "Blue Ridge Plumbing LLC"}]
INVOICES = [
    {"InvoiceID": "INV-2026-008097", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 1), "Amount": 200.00},
    {"InvoiceID": "INV-2026-008098", "CustomerID": "C1", "InvoiceDate": D(2026, 9, 1), "Amount": 300.00,
     "Disputed": "Yes"},
    {"InvoiceID": "INV-2026-008099", "CustomerID": "C2", "InvoiceDate": D(2026, 10, 3), "Amount": 450.00},
]
PAYMENTS = [
    {"PaymentID": "P1", "ReceivedDate": D(2026, 11, 18), "PayerName": "ACME TOOLS", "Amount": 150.00,
     "Reference": "INV-2026-008097"},
    {"PaymentID": "P2", "ReceivedDate": D(2026, 11, 18), "PayerName": "ACME TOOLS", "Amount": 300.00,
     "Reference": "INV-2026-008098"},  # a disputed invoice: held for review
    {"PaymentID": "P3", "ReceivedDate": D(2026, 11, 18), "PayerName": "NOBODY KNOWN", "Amount": 99.00,
     "Reference": "interest"},
]
MEMO_REQUESTS = [{"RequestID": "R1", "CustomerID": "C1", "Kind": "Credit", "Type": "Freight", "Amount": 10.00,
                  "InvoiceID": "INV-2026-008097"}]  # no freight billed: an Exception with a long hint


@pytest.fixture
def book(make_book):
    return make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": PAYMENTS,
                      "MemoRequests": MEMO_REQUESTS})


def refresh(run, path):
    result, _ = run(path, "match", "post", "memos", "aging")
    assert result.ok, result.failures
    return openpyxl.load_workbook(path)


def validations(ws, column: str):
    """The validations covering the data cells of ``column`` (by its header)."""
    letter = next(c.column_letter for c in ws[1] if c.value == column)
    return [dv for dv in ws.data_validations.dataValidation
            if any(r.min_col <= openpyxl.utils.column_index_from_string(letter) <= r.max_col for r in dv.sqref.ranges)]


def data_range(ws, column: str) -> str:
    table = next(iter(ws.tables.values()))
    last = openpyxl.utils.range_boundaries(table.ref)[3]
    letter = next(c.column_letter for c in ws[1] if c.value == column)
    return f"{letter}2:{letter}{last}"


def rules(ws) -> list[str]:
    return [rule.formula[0] for cf in ws.conditional_formatting for rule in cf.rules]


# ---- drop-downs and input messages ------------------------------------------------------------

def test_decision_has_a_drop_down_over_every_matches_row_after_a_refresh(book, run):
    wb = refresh(run, book)
    ws = wb["Matches"]
    assert ws.max_row >= 3  # P2 awaits review, P3 is unmatched
    [dv] = validations(ws, "Decision")
    assert dv.type == "list" and dv.formula1 == '"Auto,Review,Unmatched,Approve,Reject"'
    assert str(dv.sqref) == data_range(ws, "Decision")
    assert not dv.showDropDown  # openpyxl's True would hide the arrow
    assert dv.errorStyle == "stop" and dv.showErrorMessage and dv.errorTitle == GUIDE_MARK


def test_apply_to_has_its_input_message_and_method_warns_without_refusing(book, run):
    wb = refresh(run, book)
    ws = wb["Payments"]
    [apply_to] = validations(ws, "ApplyTo")
    assert apply_to.type is None and apply_to.showInputMessage
    assert apply_to.promptTitle == "ApplyTo" and apply_to.prompt == spec("Payments").column("ApplyTo").prompt
    assert str(apply_to.sqref) == data_range(ws, "ApplyTo")
    [method] = validations(ws, "Method")
    assert method.errorStyle == "warning" and "Lockbox" in method.formula1
    [action] = validations(ws, "Action")
    assert action.formula1 == '"Reverse"' and action.prompt


def test_every_column_with_choices_or_a_prompt_is_guided_in_a_new_workbook(make_book):
    wb = openpyxl.load_workbook(make_book())
    for table in (TABLES[name] for name in NEW_BOOK_SHEETS if name in TABLES):  # ColumnMap comes with adopt
        ws = wb[table.name]
        for col in table.columns:
            found = validations(ws, col.name)
            if col.choices or col.prompt:
                assert len(found) == 1, (table.name, col.name)
                assert found[0].prompt == (col.prompt or None), (table.name, col.name)
                if col.choices:
                    assert found[0].formula1.strip('"').split(",") == list(col.choices), (table.name, col.name)
            else:
                assert not found, (table.name, col.name)


def test_guidance_keeps_within_excels_limits():
    for table in TABLES:
        guide = table_guide(table)
        letters = {c.name: openpyxl.utils.get_column_letter(i) for i, c in enumerate(spec(table).columns, 1)}
        for v in guide.validations:
            assert len(v.title) <= MAX_TITLE and len(v.prompt) <= MAX_PROMPT and len(v.list_formula) <= MAX_LIST
            assert not any("," in choice for choice in v.choices)  # a comma would split a choice
        for h in guide.highlights:
            assert len(formula_for(h.formula, letters, 1_048_576)) <= MAX_RULE_FORMULA, (table, h.meaning)


def test_a_clerks_own_validation_is_kept_and_never_duplicated(book, run):
    wb = openpyxl.load_workbook(book)
    ws = wb["Payments"]
    currency = DataValidation(type="list", formula1='"USD,CAD"', allow_blank=True)  # the clerk's
    currency.add("E2:E500")
    apply_to = DataValidation(type="textLength", operator="lessThan", formula1="200", prompt="Our own note")
    apply_to.add(data_range(ws, "ApplyTo"))  # the clerk's rule on a column arxl guides too
    ws.add_data_validation(currency)
    ws.add_data_validation(apply_to)
    wb.save(book)
    refresh(run, book)
    wb = refresh(run, book)  # twice: nothing doubles
    ws = wb["Payments"]
    [kept] = validations(ws, "Currency")
    assert (kept.formula1, str(kept.sqref), kept.errorTitle) == ('"USD,CAD"', "E2:E500", None)
    [theirs] = validations(ws, "ApplyTo")  # arxl adds none over the clerk's own
    assert theirs.prompt == "Our own note" and theirs.type == "textLength"
    assert len(validations(ws, "Action")) == 1 and len(validations(ws, "Method")) == 1


def test_drop_downs_follow_the_table_when_a_rebuild_grows_or_shrinks_it(book, run):
    wb = refresh(run, book)
    ws = wb["Matches"]
    last = ws.max_row
    letter = next(c.column_letter for c in ws[1] if c.value == "Evidence")
    note = DataValidation(type="list", formula1='"check,call"')  # the clerk's, over the Evidence rows
    note.add(f"{letter}2:{letter}{last}")
    ws.add_data_validation(note)
    wb.save(book)
    wb = openpyxl.load_workbook(book)  # three more unknown payers: Matches grows
    ws = wb["Payments"]
    for i in range(3):
        ws.append([f"P{10 + i}", dt.datetime(2026, 11, 19), f"STRANGER {i}", 10.0 + i])
    table = ws.tables["Payments"]
    table.ref = f"A1:Q{ws.max_row}"
    wb.save(book)
    wb = refresh(run, book)
    ws = wb["Matches"]
    # the run may also post a payment it now sees more surely: count the rows as they stand
    grown = ws.max_row
    assert {"P10", "P11", "P12"} <= {r[0].value for r in ws.iter_rows(min_row=2)} and grown > last
    [decision] = validations(ws, "Decision")
    assert str(decision.sqref) == data_range(ws, "Decision")
    [followed] = validations(ws, "Evidence")
    assert str(followed.sqref) == f"{letter}2:{letter}{grown}"
    wb = openpyxl.load_workbook(book)  # the strangers leave: Matches shrinks
    ws = wb["Payments"]
    ws.delete_rows(ws.max_row - 2, 3)
    ws.tables["Payments"].ref = f"A1:Q{ws.max_row}"
    wb.save(book)
    wb = refresh(run, book)
    ws = wb["Matches"]
    assert ws.max_row == grown - 3
    assert str(validations(ws, "Decision")[0].sqref) == data_range(ws, "Decision")
    assert str(validations(ws, "Evidence")[0].sqref) == f"{letter}2:{letter}{grown - 3}"


# ---- colours ---------------------------------------------------------------------------------

def test_rows_awaiting_a_decision_edited_rows_and_exceptions_are_coloured(book, run):
    wb = refresh(run, book)
    matches = rules(wb["Matches"])
    assert 'OR($J2="Review",$J2="Unmatched")' in matches
    assert len(matches) == 6  # awaiting, and the five parts of Proposed a clerk may change
    assert any("NUMBERVALUE" in r and "$D2" in r for r in matches)  # ApplyAmount against Proposed
    [cf] = list(wb["Matches"].conditional_formatting)
    assert str(cf.sqref) == f"A2:L{wb['Matches'].max_row}"
    assert rules(wb["Exceptions"]) == ['AND($A2<>"",$A2>=MAX($A:$A))']
    assert '$M2="Exception"' in rules(wb["Payments"])
    assert '$O2="Not made: see Exceptions"' in rules(wb["MemoRequests"])


def test_a_clerks_own_conditional_format_is_kept_and_arxls_are_not_doubled(book, run):
    from openpyxl.formatting.rule import CellIsRule

    wb = openpyxl.load_workbook(book)
    wb["Payments"].conditional_formatting.add("D2:D4", CellIsRule(operator="greaterThan", formula=["1000"]))
    wb.save(book)
    refresh(run, book)
    wb = refresh(run, book)
    found = rules(wb["Payments"])
    assert found.count("1000") == 1 and found.count('$M2="Exception"') == 1 and len(found) == 3


# ---- widths, wrapping, dates ---------------------------------------------------------------------

def test_widths_fit_an_invoice_id_and_a_clerks_own_width_is_kept(book, run):
    wb = refresh(run, book)
    ws = wb["Aging"]
    doc_id = next(c.column_letter for c in ws[1] if c.value == "DocID")
    assert ws.column_dimensions[doc_id].width >= text_width("INV-2026-008097")
    assert ws.column_dimensions[doc_id].bestFit  # arxl's: fitted again next time
    matches = wb["Matches"]
    invoice = next(c.column_letter for c in matches[1] if c.value == "InvoiceID")
    assert matches.column_dimensions[invoice].width >= text_width("INV-2026-008097")
    name = next(c.column_letter for c in ws[1] if c.value == "CustomerName")
    ws.column_dimensions[name] = ColumnDimension(ws, index=name, width=51.0)  # set by hand: no best fit
    wb.save(book)
    wb = refresh(run, book)
    assert wb["Aging"].column_dimensions[name].width == 51.0


def test_problem_and_hint_wrap_in_rows_tall_enough(book, run):
    wb = refresh(run, book)
    ws = wb["Exceptions"]
    header = [c.value for c in ws[1]]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, header.index("Command") + 1).value == "memos")
    hint = ws.cell(row, header.index("Hint") + 1)
    assert hint.alignment.wrap_text and hint.alignment.vertical == "top"
    assert ws.cell(row, header.index("Problem") + 1).alignment.wrap_text
    assert ws.cell(row, 1).alignment.vertical == "top"
    width = ws.column_dimensions[hint.column_letter].width
    assert text_width(hint.value) > width  # the hint takes more than one line ...
    assert ws.row_dimensions[row].height >= 30  # ... and its row is made tall enough


def test_dates_show_in_the_clerks_regional_short_date(book, run):
    wb = refresh(run, book)
    invoice_date = wb["Invoices"]["C2"]
    posted_at = wb["Applications"]["B2"]
    assert invoice_date.is_date and invoice_date._style.numFmtId == 14  # Excel's built-in short date
    assert posted_at.is_date and posted_at._style.numFmtId == 22  # short date and time
    assert wb["Settings"]["B2"]._style.numFmtId == 14  # AsOfDate


# ---- printing ----------------------------------------------------------------------------------

def test_every_sheet_prints_one_page_wide_with_its_header_repeated(book, run):
    wb = refresh(run, book)
    assert set(NEW_BOOK_SHEETS) <= set(wb.sheetnames)
    for name in NEW_BOOK_SHEETS:
        ws = wb[name]
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.oddFooter.center.text == "&A" and "&P" in ws.oddFooter.right.text, name
        if name != AGING_SUMMARY:
            assert ws.print_title_rows == "$1:$1", name
            assert ws.print_options.gridLines, name
    assert wb["Matches"].page_setup.orientation == "landscape"


def test_a_clerks_own_print_setup_is_kept(book, run):
    wb = openpyxl.load_workbook(book)
    ws = wb["Customers"]
    ws.print_title_rows = "1:2"
    ws.page_setup.orientation = "portrait"
    wb.save(book)
    wb = refresh(run, book)
    assert wb["Customers"].print_title_rows == "$1:$2" and wb["Customers"].page_setup.orientation == "portrait"


# ---- key figures -------------------------------------------------------------------------------

def test_cash_received_but_not_posted_is_a_key_figure(book, run):
    wb = refresh(run, book)
    ws = wb["AgingSummary"]
    header = next(c for row in ws.iter_rows() for c in row if c.value == "Received, not posted"
                  and ws.cell(c.row, c.column - 1).value == "Total AR")  # in the key figures' header
    usd = ws.cell(header.row + 1, header.column)
    assert ws.cell(header.row + 1, header.column - 2).value == "USD"
    # the payments the run left unposted (awaiting review, unmatched), as Payments tells them
    payments = wb["Payments"]
    names = [c.value for c in payments[1]]
    rows = [dict(zip(names, (c.value for c in r))) for r in payments.iter_rows(min_row=2)]
    waiting = [r for r in rows if r["PaymentID"] and r["MatchStatus"] != "Posted"]
    assert {r["PaymentID"] for r in waiting} >= {"P2", "P3"}  # P3's payer is unknown to the workbook
    assert usd.value == pytest.approx(sum(r["Amount"] for r in waiting)) and usd.value > 0
    assert usd.number_format.startswith("#,##0.00")


def test_percent_past_due_in_the_summary_is_never_negative(make_book, run):
    credit = {"PaymentID": "P9", "ReceivedDate": D(2026, 9, 1), "PayerName": "ACME TOOLS", "Amount": 500.00,
              "CustomerID": "C1", "ApplyTo": "ON ACCOUNT"}  # cash on account for 80 days: an overdue credit
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES[:1], "Payments": [credit]})
    wb = refresh(run, path)
    ws = wb["AgingSummary"]
    percents = [c.value for row in ws.iter_rows() for c in row
                if c.number_format == "0.0%" and isinstance(c.value, int | float)]
    assert percents and min(percents) >= 0


def test_a_reports_figures_widen_their_columns_as_measuring_every_figure_would():
    """A report's column is widened so that its widest figure shows whole (not "###"): found as
    the largest or the smallest figure of a format with fixed decimals (digits are equally wide),
    every figure of a General one, a bold total apart; the same widths as measuring each cell."""
    import math
    import random

    from arxl.book.files_report import fitted_widths
    from arxl.book.guidance import EXCEL_DEFAULT_WIDTH, shown_text, text_width
    from arxl.core.report import Block, Report

    rng = random.Random(7)
    rows = [["Customer", "Open", "Share", "Ratio", "Flag"]]
    rows += [[f"C{i}", round(rng.uniform(-99_999, 999_999), 2), rng.random(), round(rng.random() / 3, 2), i % 2 == 0]
             for i in range(400)]
    rows.insert(150, ["C-big", -12_345_678.9, 1.0, 0.1 + 0.2, True])  # the widest: a negative, mid-column
    rows.append(["Total", 5_000.0, 1.0, 123_456_789, False])  # bold: wider by a little
    formats = {1: "#,##0.00;-#,##0.00", 2: "0.0%", 3: "General", 4: "General"}
    report = Report(blocks=[Block(top=3, left=2, rows=rows, formats=formats, bold_last_row=True)],
                    widths={2: 12, 3: 8, 4: 6, 5: 6, 6: 6})

    expected = dict(report.widths)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if r == 0:
                need = max(text_width(word, bold=True) for word in str(value).split())
            elif c in formats and isinstance(value, int | float):
                need = text_width(shown_text(formats[c], value), bold=r == len(rows) - 1)
            else:
                continue
            expected[2 + c] = max(expected.get(2 + c, EXCEL_DEFAULT_WIDTH), math.ceil(need * 4) / 4)
    assert fitted_widths(report) == expected
    assert expected[3] >= text_width("-12,345,678.90") > text_width("999,999.00")
    assert expected[5] >= text_width(repr(0.1 + 0.2))  # a General figure: as long as its digits
