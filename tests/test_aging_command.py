"""`arxl aging` on a workbook file: the pivot-ready Aging table, the AgingSummary sheet with its
key figures and a real chart over its own cells, and totals that tie to the Aging table."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
from openpyxl.chart import BarChart

from arxl.book.files import open_book
from arxl.commands.registry import COMMANDS, REFRESH
from arxl.contract import NUMBER_FORMATS

AS_OF = dt.date(2026, 11, 20)

CUSTOMERS = [
    {"CustomerID": "C1", "Name": "Acme Tools Inc.", "Terms": "Net 30", "CreditLimit": 1000, "Currency": "USD"},
    {"CustomerID": "C2", "Name": "=HYPERLINK(\"http://x\")", "Terms": "Net 30", "Currency": "USD"},
    {"CustomerID": "C3", "Name": "Fjord Logistik GmbH", "Terms": "Net 45", "CreditLimit": 5000, "Currency": "EUR"},
]
INVOICES = [
    {"InvoiceID": "1001", "CustomerID": "C1", "InvoiceDate": dt.date(2026, 11, 10), "Amount": 700.10},
    {"InvoiceID": "1002", "CustomerID": "C1", "InvoiceDate": dt.date(2026, 9, 1), "DueDate": dt.date(2026, 10, 1),
     "Amount": 450.25},
    {"InvoiceID": "1003", "CustomerID": "C2", "InvoiceDate": dt.date(2026, 6, 1), "Amount": 99.99},
    {"InvoiceID": "1004", "CustomerID": "C3", "InvoiceDate": dt.date(2026, 10, 1), "Amount": 2000.00},
    {"InvoiceID": "1005", "CustomerID": "C1", "InvoiceDate": dt.date(2026, 8, 1), "Amount": 300.00},
]
PAYMENTS = [{"PaymentID": "P1", "ReceivedDate": dt.date(2026, 11, 5), "PayerName": "ACME", "Amount": 350.00,
             "Currency": "USD"}]
APPLICATIONS = [
    {"ApplicationID": "A0000001", "PostedAt": dt.datetime(2026, 11, 5, 9), "PaymentID": "P1", "InvoiceID": "1005",
     "CustomerID": "C1", "AppliedAmount": 300.00, "Source": "Auto"},
    {"ApplicationID": "A0000002", "PostedAt": dt.datetime(2026, 11, 5, 9), "PaymentID": "P1", "InvoiceID": "",
     "CustomerID": "C1", "AppliedAmount": 50.00, "Source": "Auto"},
]


def _book(make_book, **settings):
    return make_book(rows={"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": PAYMENTS,
                           "Applications": APPLICATIONS}, settings=settings)


def _cells(ws, top_left_text):
    """The (row, column) of the first cell holding ``top_left_text``."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == top_left_text:
                return cell.row, cell.column
    raise AssertionError(f"{top_left_text!r} not on the sheet")


def test_aging_is_a_refresh_step_after_posting():
    assert COMMANDS["aging"].in_refresh
    order = list(REFRESH)
    # after everything that changes what is open; before the credit review and the worklist it feeds
    assert order.index("post") < order.index("memos") < order.index("aging") < order.index("credit") \
        < order.index("collections") == len(order) - 1


def test_aging_writes_a_typed_pivot_ready_table(make_book, run):
    path = _book(make_book)
    result, book = run(path, "aging")
    assert result.ok, result.failures
    aging = book.read("Aging").set_index("DocID")
    assert set(aging.index) == {"1001", "1002", "1003", "1004", "P1"}
    assert aging.at["P1", "OpenAmount"] == -5_000 and aging.at["P1", "DocType"] == "Unapplied cash"
    assert aging.at["1002", "Bucket"] == "31-60" and aging.at["1003", "Bucket"] == "Over 120"

    wb = openpyxl.load_workbook(path)
    ws = wb["Aging"]
    assert "Aging" in ws.tables
    headers = [c.value for c in ws[1]]
    first = {h: ws.cell(2, i + 1) for i, h in enumerate(headers)}
    assert first["DocDate"].is_date and first["DueDate"].is_date and first["AsOfDate"].is_date
    assert first["OpenAmount"].number_format == NUMBER_FORMATS["money"]
    assert first["OpenAmount"].data_type == "n" and first["DaysPastDue"].data_type == "n"


def test_summary_sheet_ties_to_the_aging_table_and_charts_its_own_cells(make_book, run):
    path = _book(make_book)
    run(path, "aging")
    wb = openpyxl.load_workbook(path)
    ws = wb["AgingSummary"]
    aging = open_book(path).read("Aging")

    # bucket tables per currency, base currency first, each a chart's source
    for currency, expected in (("USD", aging.loc[aging["Currency"] == "USD"]),
                               ("EUR", aging.loc[aging["Currency"] == "EUR"])):
        top, left = _cells(ws, f"Open AR by bucket, {currency}")
        values = {}
        for r in range(top + 2, top + 9):
            values[ws.cell(r, left).value] = ws.cell(r, left + 1).value
        for bucket in ("Current", "1-30", "31-60", "61-90", "91-120", "Over 120"):
            cents = int(expected.loc[expected["Bucket"] == bucket, "OpenAmount"].sum())
            assert round(values[bucket] * 100) == cents, (currency, bucket)
        assert round(values["Total"] * 100) == int(expected["OpenAmount"].sum())

    # customer grid: a total row per currency equal to the Aging table's sum
    top, left = _cells(ws, "Total USD")
    header_row = _cells(ws, "Customers, USD (largest balance first)")[0] + 1
    header = [ws.cell(header_row, c).value for c in range(1, 15)]
    total_col = header.index("Total") + 1
    usd_rows = range(header_row + 1, top)
    assert round(sum(ws.cell(r, total_col).value for r in usd_rows) * 100) == round(ws.cell(top, total_col).value * 100)
    assert round(ws.cell(top, total_col).value * 100) == int(aging.loc[aging["Currency"] == "USD", "OpenAmount"].sum())
    acme = next(r for r in usd_rows if ws.cell(r, 1).value == "C1")
    assert ws.cell(acme, header.index("Over limit") + 1).value == "Yes"  # 1,100.35 - 50.00 over 1,000.00
    c2 = next(r for r in usd_rows if ws.cell(r, 1).value == "C2")
    assert ws.cell(c2, 2).data_type == "s"  # a name that looks like a formula stays text

    # KPI block and the words that define each figure
    kpi_top, kpi_left = _cells(ws, "Key figures as of 2026-11-20")
    assert ws.cell(kpi_top + 1, kpi_left).value == "Currency"
    assert ws.cell(kpi_top + 2, kpi_left).value == "USD"
    assert _cells(ws, "DSO (count-back)") and _cells(ws, "CEI")

    # one real bar chart per currency, over the bucket cells of this sheet
    charts = ws._charts
    assert len(charts) == 2 and all(isinstance(c, BarChart) for c in charts)
    refs = [s.val.numRef.f for c in charts for s in c.series]
    usd_top, usd_left = _cells(ws, "Open AR by bucket, USD")
    column = openpyxl.utils.get_column_letter(usd_left + 1)
    assert f"'AgingSummary'!${column}${usd_top + 2}:${column}${usd_top + 7}" in refs


def test_aging_as_of_an_earlier_date_from_the_door(make_book, run, tmp_path):
    from arxl.book.files import save_book
    from arxl.commands.command import Context
    from arxl.commands.runner import run_commands

    path = _book(make_book)
    book = open_book(path, as_of=dt.date(2026, 11, 4))  # before the payment arrived
    run_commands(book, ["aging"], Context())
    save_book(book)
    aging = open_book(path).read("Aging").set_index("DocID")
    assert "P1" not in aging.index and aging.at["1005", "OpenAmount"] == 30_000
    assert (aging["AsOfDate"] == "2026-11-04").all()


def test_a_book_with_nothing_open_gets_an_empty_aging_and_a_summary_that_says_so(make_book, run):
    path = make_book(rows={"Customers": CUSTOMERS[:1], "Invoices": [
        {"InvoiceID": "9001", "CustomerID": "C1", "InvoiceDate": dt.date(2026, 12, 1), "Amount": 10.00}]})
    result, book = run(path, "aging")
    assert result.ok and book.read("Aging").empty
    ws = openpyxl.load_workbook(path)["AgingSummary"]
    assert _cells(ws, "Nothing is open and nothing was sold as of this date.")
    assert not ws._charts


def test_summary_report_says_when_count_back_dso_is_only_a_lower_bound():
    import pandas as pd

    from arxl.commands.aging import summary_report
    from arxl.core.aging import summarize
    from arxl.core.kpis import CurrencyKpis
    from arxl.core.settings import Settings

    aging = pd.DataFrame({"Currency": ["USD"], "CustomerID": ["C1"], "CustomerName": ["Acme"],
                          "Bucket": ["Over 120"], "OpenAmount": pd.Series([50_000], dtype="Int64"),
                          "DaysPastDue": pd.Series([200], dtype="Int64"),
                          "CreditLimit": pd.Series([None], dtype="Int64")})
    kpis = {"USD": CurrencyKpis("USD", 50_000, 50_000, 90, 0, 50_000, 61.0, False, 1.0, None, None, None, 0.0)}
    report = summary_report(summarize(aging, (30, 60, 90, 120)), kpis, Settings(as_of=AS_OF),
                            dt.datetime(2026, 11, 20, 18), pd.Series(dtype="int64"))
    text = " ".join(str(v) for b in report.blocks for r in b.rows for v in r if v is not None)
    assert "count-back DSO is at least the 61 days shown" in text
    key_figures = next(b for b in report.blocks if b.title.startswith("Key figures"))
    assert key_figures.rows[1][:4] == ["USD", 500.0, 0.0, 500.0]  # total AR, received not posted, past due


def test_the_aging_is_worked_out_once_per_date_until_a_table_it_comes_from_changes(make_book):
    """Aging, credit, collections and dunning each ask for the Aging: the same answer every time,
    each caller its own copy, and a fresh one once a step changes the invoices."""
    from arxl.core.aging import ledger_aging
    from arxl.core.ledger import Outcome, Step

    ledger = open_book(_book(make_book)).load()
    first, _ = ledger_aging(ledger, AS_OF)
    first["OpenAmount"] = 0  # a caller changing its copy changes no one else's
    again, _ = ledger_aging(ledger, AS_OF)
    assert again["OpenAmount"].sum() == 700_10 + 450_25 + 99_99 + 2000_00 - 50_00
    assert list(ledger.derived) == [("aging", AS_OF)]
    invoice = {"InvoiceID": "1006", "CustomerID": "C1", "InvoiceDate": dt.datetime(2026, 11, 12), "Amount": 10_00}
    ledger.apply(Step(Outcome(""), appends={"Invoices": pd.DataFrame([invoice])}))
    after, _ = ledger_aging(ledger, AS_OF)
    assert after["OpenAmount"].sum() == again["OpenAmount"].sum() + 10_00


def test_the_matchers_status_columns_keep_the_balances_and_an_amount_changed_does_not(make_book):
    """A step writing only Payments columns balances do not read (the matcher's) keeps what was
    worked out (posting after match does not work it out again); one writing a payment's
    Amount gives the unapplied cash of the new amount."""
    from arxl.core.aging import ledger_aging
    from arxl.core.ledger import Outcome, Step, Update

    ledger = open_book(_book(make_book)).load()
    balances, _ = ledger.balances()
    ledger_aging(ledger, AS_OF)
    row = ledger.table("Payments").index[:1]
    status = pd.DataFrame({"MatchStatus": ["Review"]}, index=row)
    ledger.apply(Step(Outcome(""), updates=[Update("Payments", status)]))
    assert ledger.balances()[0] is balances and list(ledger.derived) == [("aging", AS_OF)]
    assert ledger.table("Payments").at[row[0], "MatchStatus"] == "Review"
    amount = pd.DataFrame({"Amount": pd.array([400_00], dtype="Int64")}, index=row)
    ledger.apply(Step(Outcome(""), updates=[Update("Payments", amount)]))
    assert ledger.balances()[0] is not balances and not ledger.derived
    aging, _ = ledger_aging(ledger, AS_OF)
    assert aging.set_index("DocID").at["P1", "OriginalAmount"] == -400_00


def test_a_periods_opening_ar_is_what_the_aging_as_of_its_start_adds_up_to(tmp_path, run):
    """The key figures' opening AR is summed without building the Aging table: per currency the
    same cents, on a refreshed demo ledger (two currencies, credit and debit memos, unapplied
    cash, items dated after some of the dates), as of dates before, within and after its history."""
    from arxl.core.aging import aging_totals, ledger_aging, open_by_currency
    from arxl.demo import write_demo

    path = write_demo(tmp_path / "demo.xlsx", seed=5, customers=40, invoices=600, payments=80)
    _, book = run(path, *REFRESH)
    dates = [dt.date(2025, 1, 1), dt.date(2026, 6, 30), dt.date(2026, 10, 21), AS_OF, dt.date(2027, 3, 1)]
    currencies, kinds = set(), set()
    for as_of in dates:
        totals = open_by_currency(book.load(), as_of)  # a fresh ledger: worked out on its own
        ledger = book.load()
        aging, _ = ledger_aging(ledger, as_of)
        assert totals.equals(aging_totals(aging)), as_of
        assert open_by_currency(ledger, as_of).equals(totals)  # from the aging already worked out
        assert totals.dtype == "int64"
        currencies |= set(totals.index)
        kinds |= set(aging["DocType"])
    assert {"EUR", "USD"} <= currencies, currencies
    assert {"Invoice", "Credit memo", "Debit memo", "Unapplied cash"} <= kinds, kinds
