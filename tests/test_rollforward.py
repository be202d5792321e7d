"""Month-end: the roll-forward ties to the Aging to the cent, for every month of the demo's
history, and a past month's figures stay what they were after later payments, reversals and
memos; the close command writes the tables and the month-end pack."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from arxl.book.files import open_book, save_book
from arxl.cli import main
from arxl.commands.command import Context
from arxl.commands.runner import run_commands
from arxl.core.aging import ledger_aging
from arxl.core.rollforward import LINES, month_ends, rollforward
from arxl.demo.workbook import write_demo

D = dt.date


def aging_totals(ledger, as_of: dt.date) -> dict[str, int]:
    aging, _ = ledger_aging(ledger, as_of)
    return {c: int(v) for c, v in aging["OpenAmount"].astype("int64").groupby(aging["Currency"]).sum().items() if v}


def figures(rf) -> dict[str, dict[str, int]]:
    return {r["Currency"]: {c: int(r[c]) for c in ("Opening", *LINES, "Closing", "Difference")}
            for _, r in rf.currencies.iterrows()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo workbook after a day's work: matched, posted, memos made, aged."""
    path = write_demo(tmp_path_factory.mktemp("demo") / "demo.xlsx", customers=60, invoices=900, payments=60)
    book = open_book(path)
    result = run_commands(book, ["match", "post", "memos", "aging"], Context(now=dt.datetime(2026, 11, 20, 18)))
    save_book(book)
    assert not result.failures
    return path


def test_every_month_of_the_demos_history_ties_to_the_aging_to_the_cent(demo):
    ledger = open_book(demo).load()
    first = ledger.table("Invoices")["InvoiceDate"].min().date()
    as_of = ledger.settings.as_of
    months = month_ends(first, as_of)
    assert len(months) >= 6
    carried = None
    moved = set()
    for start, end in months:
        end = min(end, as_of)
        rf = rollforward(ledger, start, end, per_customer=True)
        by_currency = figures(rf)
        assert all(f["Difference"] == 0 for f in by_currency.values()), (start, by_currency)
        assert not len(rf.problems)
        assert {c: f["Opening"] for c, f in by_currency.items() if f["Opening"]} == \
            aging_totals(ledger, start - dt.timedelta(days=1))
        assert {c: f["Closing"] for c, f in by_currency.items() if f["Closing"]} == aging_totals(ledger, end)
        if carried is not None:  # one month's closing is the next one's opening
            assert {c: f["Opening"] for c, f in by_currency.items() if f["Opening"]} == carried
        carried = {c: f["Closing"] for c, f in by_currency.items() if f["Closing"]}
        customers = rf.table.loc[rf.table["CustomerID"] != ""]
        assert (customers["Difference"] == 0).all()
        # the customers' lines add up to their currency's
        for line in ("Opening", *LINES, "Closing"):
            per_customer = customers[line].astype("int64").groupby(customers["Currency"]).sum()
            assert {c: int(v) for c, v in per_customer.items()} == \
                {c: f[line] for c, f in by_currency.items() if c in per_customer.index}
        moved |= {line for f in by_currency.values() for line in LINES if f[line]}
    # the history exercised the lines that matter (reversals and memos are covered below)
    assert {"Invoices", "CashApplied", "Discounts"} <= moved
    # and the last closing is what the Aging table the clerk sees adds up to
    aging = open_book(demo).read("Aging")
    assert carried == {c: int(v) for c, v in aging["OpenAmount"].astype("int64").groupby(aging["Currency"]).sum().items()
                       if v}


# ---- a past month after later payments, reversals and memos ------------------------------------

CUSTOMERS = [{"CustomerID": "C1", "Name": "Acme Tools Inc.", "Terms": "2/10 Net 30"},
             {"CustomerID": "C2", "Name": "Blue Ridge GmbH", "Terms": "Net 30", "Currency": "EUR"}]
INVOICES = [
    {"InvoiceID": "101", "CustomerID": "C1", "InvoiceDate": D(2026, 9, 20), "Amount": 1000.00},
    {"InvoiceID": "102", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 3), "Amount": 500.00},
    {"InvoiceID": "103", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 28), "Amount": 750.25},
    {"InvoiceID": "201", "CustomerID": "C2", "InvoiceDate": D(2026, 10, 2), "Amount": 2000.00},
    {"InvoiceID": "104", "CustomerID": "C1", "InvoiceDate": D(2026, 11, 4), "Amount": 300.00},
]
OCTOBER_PAYMENTS = [
    {"PaymentID": "P1", "ReceivedDate": D(2026, 10, 12), "PayerName": "ACME", "Amount": 490.00,
     "Reference": "INV 102 LESS 2%"},
    {"PaymentID": "P2", "ReceivedDate": D(2026, 10, 20), "PayerName": "BLUE RIDGE", "Amount": 2100.00,
     "ApplyTo": "201", "CustomerID": "C2", "Currency": "EUR"},  # 100.00 EUR on account
]
# P1 as the matcher proposed it: 490.00 and the 2% discount, earned on day 9 of 10
OCTOBER_MATCHES = [{"PaymentID": "P1", "CustomerID": "C1", "InvoiceID": "102", "ApplyAmount": 490.00,
                    "Discount": 10.00, "Confidence": 97.0, "Decision": "Auto", "Evidence": "test row"}]
NOVEMBER_PAYMENTS = [
    {"PaymentID": "P3", "ReceivedDate": D(2026, 11, 6), "PayerName": "ACME", "Amount": 1000.00, "ApplyTo": "101",
     "CustomerID": "C1"},
]


def run_on(path, ids, as_of: dt.date, **options):
    book = open_book(path, as_of=as_of)
    result = run_commands(book, ids, Context(now=dt.datetime.combine(as_of, dt.time(17)), options=options))
    save_book(book)
    assert not result.failures, result.failures
    return result


def add_rows(path, sheet: str, rows: list[dict]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    table = next(iter(ws.tables.values()))
    headers = [c.value for c in ws[1]]
    first = ws.max_row + 1
    for n, row in enumerate(rows):
        for column, value in row.items():
            ws.cell(first + n, headers.index(column) + 1, value)
    table.ref = table.ref.rsplit(":", 1)[0] + ":" + openpyxl.utils.get_column_letter(len(headers)) + str(first + len(rows) - 1)
    wb.save(path)


def reverse(path, payment_id: str) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["Payments"]
    headers = [c.value for c in ws[1]]
    [row] = [r for r in range(2, ws.max_row + 1) if ws.cell(r, headers.index("PaymentID") + 1).value == payment_id]
    ws.cell(row, headers.index("Action") + 1, "Reverse")
    wb.save(path)


def rollforward_rows(path) -> pd.DataFrame:
    table = open_book(path).read("Rollforward")
    return table.drop(columns=["CustomerName"]).reset_index(drop=True)


def test_a_past_month_keeps_its_figures_after_later_payments_reversals_and_memos(make_book):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": OCTOBER_PAYMENTS,
                      "Matches": OCTOBER_MATCHES}, settings={"AsOfDate": D(2026, 10, 31)})
    run_on(path, ["post"], D(2026, 10, 31))
    october = dict(start=D(2026, 10, 1), end=D(2026, 10, 31), per_customer=True)
    run_on(path, ["close"], D(2026, 10, 31), **october)
    at_month_end = rollforward_rows(path)
    usd = at_month_end.set_index(["Currency", "CustomerID"]).loc[("USD", "")]
    assert (int(usd.Opening), int(usd.Invoices), int(usd.CashApplied), int(usd.Discounts), int(usd.Closing)) == \
        (100000, 125025, -49000, -1000, 175025)
    eur = at_month_end.set_index(["Currency", "CustomerID"]).loc[("EUR", "")]
    assert (int(eur.Invoices), int(eur.CashApplied), int(eur.UnappliedCash), int(eur.Closing)) == \
        (200000, -200000, -10000, -10000)

    # November: another payment, the October cheque bounces, a credit memo on an October invoice
    add_rows(path, "Payments", NOVEMBER_PAYMENTS)
    run_on(path, ["post"], D(2026, 11, 10))
    reverse(path, "P1")
    add_rows(path, "MemoRequests", [{"RequestID": "R1", "CustomerID": "C1", "InvoiceID": "103", "Kind": "Credit",
                                     "Type": "Price", "Amount": 50.25, "Reason": "price agreed"}])
    run_on(path, ["post", "memos"], D(2026, 11, 15))

    # October, closed again on 20 November: the same figures to the cent
    run_on(path, ["close"], D(2026, 11, 20), **october)
    assert rollforward_rows(path).equals(at_month_end)

    # November carries them on: October's closing, the reversal giving back cash and discount
    result = run_on(path, ["close"], D(2026, 11, 20), start=D(2026, 11, 1), end=D(2026, 11, 20))
    assert not result.outcomes["close"].failed
    november = rollforward_rows(path).set_index(["Currency", "CustomerID"])
    usd = november.loc[("USD", "")]
    assert (int(usd.Opening), int(usd.Invoices), int(usd.CashApplied), int(usd.Reversals), int(usd.CreditMemos),
            int(usd.Difference)) == (175025, 30000, -100000, 50000, -5025, 0)
    assert int(usd.Closing) == 175025 + 30000 - 100000 + 50000 - 5025
    assert int(november.loc[("EUR", ""), "Opening"]) == -10000


def test_close_from_the_command_line_writes_the_tables_and_a_new_pack_each_time(make_book, tmp_path, capsys):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": OCTOBER_PAYMENTS,
                      "Matches": OCTOBER_MATCHES}, settings={"AsOfDate": D(2026, 11, 20)})
    assert main(["--quiet", "post", str(path)]) == 0
    assert main(["--quiet", "close", str(path)]) == 0  # the default period: October
    assert "Rolled forward 2026-10-01 to 2026-10-31: EUR 0.00 to -100.00, difference 0.00" in capsys.readouterr().out
    allowance = open_book(path).read("Allowance")
    assert int(allowance.loc[allowance["Currency"] == "EUR", "Receivables"].sum()) == 0  # cash on account only
    assert int(allowance.loc[allowance["Currency"] == "USD", "Allowance"].sum()) > 0
    assert main(["--quiet", "close", str(path), "--from", "2026-10-01", "--to", "2026-10-31"]) == 0  # again
    packs = sorted((tmp_path / "Reports" / "book").glob("close-2026-10-01_2026-10-31-prepared-*.pdf"))
    assert len(packs) == 2 and all(p.read_bytes().startswith(b"%PDF") for p in packs)
    assert not list(tmp_path.rglob(".~arxl-*"))  # nothing staged is left behind


def test_a_period_closed_twice_within_one_second_gets_two_packs(make_book, run, tmp_path):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": OCTOBER_PAYMENTS,
                      "Matches": OCTOBER_MATCHES}, settings={"AsOfDate": D(2026, 11, 20)})
    for _ in range(2):  # the same clock each time
        result, _ = run(path, "post", "close")
        assert result.ok, result.failures
    packs = sorted(p.name for p in (tmp_path / "Reports" / "book").glob("*.pdf"))
    assert packs == ["close-2026-10-01_2026-10-31-prepared-20261120-180000-2.pdf",
                     "close-2026-10-01_2026-10-31-prepared-20261120-180000.pdf"]


def test_the_packs_past_due_is_the_share_of_what_is_owed_and_never_negative(make_book, tmp_path):
    """Cash on account is aged from the day it came, so it is "past due" once a day old: counted
    in the share, 100.00 EUR on account against 5,000.00 EUR owed, none of it late, printed
    -2.0%. Past due is the share of what customers owe (debits) that is late."""
    invoices = [*INVOICES, {"InvoiceID": "202", "CustomerID": "C2", "InvoiceDate": D(2026, 10, 25),
                            "Amount": 5000.00}]  # due 24 November: current at the month's end
    path = make_book({"Customers": CUSTOMERS, "Invoices": invoices, "Payments": OCTOBER_PAYMENTS,
                      "Matches": OCTOBER_MATCHES}, settings={"AsOfDate": D(2026, 10, 31)})
    run_on(path, ["post"], D(2026, 10, 31))
    result = run_on(path, ["close"], D(2026, 10, 31), start=D(2026, 10, 1), end=D(2026, 10, 31))
    assert not result.outcomes["close"].failed
    [pack] = (tmp_path / "Reports" / "book").glob("close-2026-10-01_2026-10-31-*.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(pack).pages)
    cells = [cell.strip() for cell in text.splitlines()]  # the summary's cells, row by row
    assert cells[cells.index("Summary") + 2:cells.index("Summary") + 4] == ["EUR", "USD"]
    at = cells.index("Past due")
    # EUR: nothing late; USD: 1,000.00 of the 1,750.25 owed (101, due 20 October)
    assert cells[at + 1:at + 3] == ["0.0%", f"{100000 / 175025:.1%}"]
