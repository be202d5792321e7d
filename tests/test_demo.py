"""The demo data maker: a seeded, realistic receivables world with the noise banks deliver."""
from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter, defaultdict
from decimal import Decimal

import pandas as pd
import pytest

from arxl.book.files import open_book
from arxl.cli import run_books
from arxl.commands.registry import REFRESH
from arxl.contract import ChainStatus, DocType, Source
from arxl.core.balances import compute_balances
from arxl.core.chain import verify
from arxl.core.terms import parse_terms
from arxl.demo import (
    DEFAULT_TERMS,
    DEMO_AS_OF,
    MEMO_TYPES,
    NOISE,
    PAYMENT_KINDS,
    bank_name,
    demo_data,
    demo_tables,
    spell,
    write_demo,
)

MONEY = {"Customers": ("CreditLimit",),
         "Invoices": ("Amount", "TaxAmount", "FreightAmount", "Paid", "Discounts", "WrittenOff", "Credited",
                      "OpenBalance"),
         "Payments": ("Amount", "Unapplied"),
         "Applications": ("AppliedAmount", "DiscountTaken", "WriteOff", "ShortPay"),
         "MemoRequests": ("Amount", "UnitPrice")}
DATES = {"Invoices": ("InvoiceDate", "DueDate", "LastPaymentDate"), "Payments": ("ReceivedDate",),
         "MemoRequests": ("MemoDate",)}


@pytest.fixture(scope="module")
def demo():
    return demo_data()


@pytest.fixture(scope="module")
def tables(demo):
    return demo.tables


def new_payments(demo):
    return [demo.tables["Payments"][t["Position"]] for t in demo.truth]


def by_id(rows, key):
    return {r[key]: r for r in rows}


# ---- determinism, size, speed --------------------------------------------------------------------

def test_same_seed_same_rows_and_another_seed_other_rows():
    small = dict(customers=60, invoices=700, payments=60)
    assert demo_tables(seed=11, **small) == demo_tables(seed=11, **small)
    assert demo_tables(seed=12, **small)["Payments"] != demo_tables(seed=11, **small)["Payments"]


def test_sizes_are_those_asked_for(demo, tables):
    assert len(tables["Customers"]) == 300
    assert len(tables["Invoices"]) == 4000
    assert len(demo.truth) == 200
    small = demo_data(seed=3, customers=40, invoices=500, payments=25, as_of=dt.date(2026, 3, 6))
    assert (len(small.tables["Customers"]), len(small.tables["Invoices"]), len(small.truth)) == (40, 500, 25)


# ---- values: exact cents and real dates ------------------------------------------------------------

def test_amounts_are_decimals_exact_to_the_cent_and_dates_are_dates(tables):
    for table, columns in MONEY.items():
        for row in tables[table]:
            for column in columns:
                value = row[column]
                assert value is None or (isinstance(value, Decimal) and value.as_tuple().exponent == -2), \
                    (table, column, value)
    for table, columns in DATES.items():
        for row in tables[table]:
            for column in columns:
                value = row[column]
                assert value is None or (type(value) is dt.date), (table, column, value)
    assert all(type(a["PostedAt"]) is dt.datetime for a in tables["Applications"])


def test_an_invoice_amount_is_goods_plus_tax_plus_freight(tables):
    for inv in tables["Invoices"]:
        assert inv["Amount"] > 0 and inv["TaxAmount"] >= 0
        assert inv["TaxAmount"] + (inv["FreightAmount"] or 0) < inv["Amount"]
    taxed = [inv for inv in tables["Invoices"] if inv["TaxAmount"]]
    freighted = [inv for inv in tables["Invoices"] if inv["FreightAmount"]]
    assert 0.3 < len(taxed) / 4000 < 0.9 and 0.15 < len(freighted) / 4000 < 0.5


# ---- customers ---------------------------------------------------------------------------------

def _iban_ok(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def test_customers_look_like_a_real_customer_master(tables):
    customers = tables["Customers"]
    ids = [c["CustomerID"] for c in customers]
    assert len(set(ids)) == len(ids)
    assert len({c["Name"] for c in customers}) > 0.95 * len(customers)
    currencies = Counter(c["Currency"] for c in customers)
    assert currencies["USD"] > 0.8 * len(customers) and 0 < currencies["CAD"] and 0 < currencies["EUR"]
    terms = Counter(c["Terms"] for c in customers)
    assert {"Net 30", "2/10 Net 30", "Net 45", "Net 60", "1/15 Net 45", "Due on receipt", "EOM"} <= set(terms)
    assert terms["Net 30"] == max(terms.values()) and terms[None] > 0  # blank terms: DefaultTerms applies
    for c in customers:
        parse_terms(c["Terms"] or DEFAULT_TERMS)
        assert c["Status"] in ("Active", "Hold")
        assert re.fullmatch(r"[a-z]+@[a-z0-9]+\.(com|eu|ca)", c["Email"])
    known = by_id(customers, "CustomerID")
    children = [c for c in customers if c["ParentID"]]
    assert len(children) >= 5
    for child in children:
        parent = known[child["ParentID"]]
        assert parent["ParentID"] is None and parent["Currency"] == child["Currency"]
    assert sum(1 for c in customers if c["Aliases"]) >= 15
    assert sum(1 for c in customers if c["Status"] == "Hold") >= 1
    ibans = [a for c in customers if c["BankAccounts"] for a in c["BankAccounts"].split("; ") if a[:2].isalpha()]
    assert ibans and all(_iban_ok(a) for a in ibans)


# ---- invoices and their history ----------------------------------------------------------------

def test_invoice_numbers_are_unique_and_in_the_demo_format(tables):
    invoices = tables["Invoices"]
    ids = [inv["InvoiceID"] for inv in invoices]
    assert len(set(ids)) == len(ids)
    numbers = []
    for inv in sorted(invoices, key=lambda i: (i["InvoiceDate"], i["InvoiceID"][-6:])):
        m = re.fullmatch(r"INV-(\d{4})-(\d{6})", inv["InvoiceID"])
        assert m and int(m.group(1)) == inv["InvoiceDate"].year
        numbers.append(int(m.group(2)))
    assert numbers == sorted(numbers)  # numbered in date order, as a billing system does


def test_due_dates_follow_the_terms_and_some_are_left_blank(tables):
    terms = {c["CustomerID"]: c["Terms"] or DEFAULT_TERMS for c in tables["Customers"]}
    blank = 0
    for inv in tables["Invoices"]:
        if inv["DueDate"] is None:
            blank += 1
        else:
            assert inv["DueDate"] == parse_terms(terms[inv["CustomerID"]]).due_date(inv["InvoiceDate"])
    assert 0.05 < blank / len(tables["Invoices"]) < 0.25


def test_six_months_of_history_give_aging_and_dso_substance(tables):
    invoices = tables["Invoices"]
    ages = [(DEMO_AS_OF - inv["InvoiceDate"]).days for inv in invoices]
    assert min(ages) >= 0 and sorted(ages)[int(0.95 * len(ages))] >= 150
    status = Counter(inv["Status"] for inv in invoices)
    assert 0.5 < status["Paid"] / len(invoices) < 0.8
    assert all(status[s] > 10 for s in ("Open", "Partially paid", "Short paid", "Disputed"))
    terms = {c["CustomerID"]: c["Terms"] or DEFAULT_TERMS for c in tables["Customers"]}
    buckets = Counter()
    for inv in invoices:
        if inv["OpenBalance"]:
            late = (DEMO_AS_OF - parse_terms(terms[inv["CustomerID"]]).due_date(inv["InvoiceDate"])).days
            buckets[next(b for b, limit in (("current", 0), ("1-30", 30), ("31-60", 60), ("61-90", 90),
                                               ("91-120", 120), ("over 120", 10**6)) if late <= limit)] += 1
    assert len(buckets) == 6 and buckets["current"] == max(buckets.values())
    monthly = Counter((DEMO_AS_OF - inv["InvoiceDate"]).days // 30 for inv in invoices)
    assert all(monthly[m] > 400 for m in range(6))  # sales every month for count-back DSO


def test_the_history_is_posted_in_the_ledger_and_cash_is_conserved(tables):
    payments = by_id([p for p in tables["Payments"] if p["MatchStatus"] == "Posted"], "PaymentID")
    applied = defaultdict(Decimal)
    per_invoice = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    for a in tables["Applications"]:
        applied[a["PaymentID"]] += a["AppliedAmount"]
        assert a["PostedAt"].date() == payments[a["PaymentID"]]["ReceivedDate"]
        if a["InvoiceID"]:
            totals = per_invoice[a["InvoiceID"]]
            totals[0] += a["AppliedAmount"]
            totals[1] += a["DiscountTaken"]
            totals[2] += a["WriteOff"]
    assert set(applied) == set(payments)
    for pid, payment in payments.items():
        assert applied[pid] == payment["Amount"]
        assert payment["ReceivedDate"] < DEMO_AS_OF - dt.timedelta(days=5)
    for inv in tables["Invoices"]:
        paid, discounts, written_off = per_invoice.get(inv["InvoiceID"], [Decimal(0)] * 3)
        assert (inv["Paid"], inv["Discounts"], inv["WrittenOff"]) == (paid, discounts, written_off)
        assert inv["OpenBalance"] == inv["Amount"] - paid - discounts - written_off >= 0
    assert [p["Action"] for p in payments.values()].count("Reverse") == 1


# ---- the new remittances -----------------------------------------------------------------------

def test_new_payments_arrived_in_the_five_days_before_the_as_of_date(demo):
    days = {p["ReceivedDate"] for p in new_payments(demo)}
    assert days <= {DEMO_AS_OF - dt.timedelta(days=k) for k in range(1, 6)}
    assert all(d.weekday() < 5 for d in days) and len(days) >= 3
    assert all(p["MatchStatus"] is None for p in new_payments(demo))


def test_every_kind_of_payment_and_every_kind_of_noise_is_there(demo):
    kinds = Counter(t["Kind"] for t in demo.truth)
    assert set(kinds) == set(PAYMENT_KINDS)
    assert kinds["single"] == max(kinds.values())
    seen = {tag for t in demo.truth for tag in t["Noise"]}
    assert set(NOISE) <= seen, set(NOISE) - seen
    for seed in (1, 2, 3):
        other = demo_data(seed=seed)
        assert {tag for t in other.truth for tag in t["Noise"]} == set(NOISE)


def test_the_noise_is_in_the_text_itself(demo):
    payments = new_payments(demo)
    refs = [p["Reference"] or "" for p in payments]
    payers = [p["PayerName"] for p in payments]
    assert any("RMR*IV*" in r for r in refs)
    assert any(r.startswith("ORIG CO NAME:") and "TRACE#:" in r for r in refs)
    assert any(r.startswith("FEDWIRE CREDIT") for r in refs) and any(r.startswith("SEPA CT") for r in refs)
    assert any(re.search(r"\binv-\d{4}-\d{6}", r) for r in refs)  # lower case
    assert any(re.search(r"\bINV\d{10}\b", r) for r in refs)  # separators dropped
    assert any(re.search(r"(?<![\d-])\d{4}\b", r) and "INV-" not in r for r in refs)  # number alone
    assert any(re.search(r"\b\d{4,6} ?(-|THRU|TO) ?\d{4,6}\b", r) for r in refs)  # a range
    assert sum(1 for r in refs if not r) >= 5
    assert any(len(n) == 16 and n == n.upper() for n in payers)
    assert any(n.startswith(("BILL.COM", "AVIDXCHANGE", "PAYMODE-X", "CORPAY", "VERSAPAY", "COUPA PAY"))
               for n in payers)
    # Truncation: a long list loses invoices the payment still pays.
    for t, p in zip(demo.truth, payments):
        if t["Kind"] == "long_list":
            shown = [line["InvoiceID"] for line in t["Lines"] if line["InvoiceID"] in p["Reference"]]
            assert 0 < len(shown) < len(t["Lines"])


def test_payments_name_real_customers_and_real_open_invoices(demo, tables):
    customers = by_id(tables["Customers"], "CustomerID")
    invoices = by_id(tables["Invoices"], "InvoiceID")
    names = {c["Name"].upper() for c in tables["Customers"]}
    names |= {a.upper() for c in tables["Customers"] if c["Aliases"] for a in c["Aliases"].split("; ")}
    taken = defaultdict(Decimal)
    for t, p in zip(demo.truth, new_payments(demo)):
        assert p["Currency"] == t["Currency"]
        if t["Kind"] == "unknown_payer":
            assert t["CustomerID"] == "" and p["PayerName"].upper() not in names
            continue
        customer = customers[t["CustomerID"]]
        assert p["Currency"] == customer["Currency"]
        total = Decimal(0)
        for line in t["Lines"]:
            total += line["Applied"]
            if line["InvoiceID"]:
                inv = invoices[line["InvoiceID"]]
                assert inv["Currency"] == p["Currency"] and inv["InvoiceDate"] < p["ReceivedDate"]
                owner = customers[inv["CustomerID"]]
                assert t["CustomerID"] in (owner["CustomerID"], owner["ParentID"]) or \
                    t["Kind"] == "parent_payer"
                taken[line["InvoiceID"]] += line["Applied"] + line["Discount"] + line["WriteOff"] + line["ShortPay"]
        assert total == p["Amount"] == t["Amount"] > 0
    for invoice_id, settled in taken.items():
        assert settled <= invoices[invoice_id]["OpenBalance"]  # nothing paid twice within the batch


def test_discounts_are_within_terms_and_deductions_have_reasons(demo, tables):
    customers = by_id(tables["Customers"], "CustomerID")
    invoices = by_id(tables["Invoices"], "InvoiceID")
    discounts = shorts = 0
    for t, p in zip(demo.truth, new_payments(demo)):
        for line in t["Lines"]:
            if line["Discount"]:
                inv = invoices[line["InvoiceID"]]
                terms = parse_terms(customers[inv["CustomerID"]]["Terms"] or DEFAULT_TERMS)
                cents = int(inv["Amount"] * 100)
                assert line["Discount"] * 100 == terms.discount_on(cents, inv["InvoiceDate"], p["ReceivedDate"]) > 0
                discounts += 1
            if line["ShortPay"]:
                assert line["ShortPay"] < invoices[line["InvoiceID"]]["Amount"]
                shorts += 1
        if t["Kind"] == "short_pay":
            assert re.search(r"DAMAGED|PRICING|SHORTAGE|PROMO|RETURN|LATE|CO-OP|FREIGHT|TAX EXEMPT", p["Reference"])
    assert discounts >= 5 and shorts >= 5


def test_duplicates_overpayments_and_partials_carry_their_truth(demo, tables):
    invoices = by_id(tables["Invoices"], "InvoiceID")
    kinds = defaultdict(list)
    for t, p in zip(demo.truth, new_payments(demo)):
        kinds[t["Kind"]].append((t, p))
    for t, p in kinds["already_paid"]:
        assert [line["InvoiceID"] for line in t["Lines"]] == [""]
        assert any(inv["Status"] == "Paid" and inv["Amount"] == p["Amount"] and inv["CustomerID"] == t["CustomerID"]
                   for inv in invoices.values())
    for t, _ in kinds["overpay"]:
        assert t["Lines"][-1]["InvoiceID"] == "" and all(line["InvoiceID"] for line in t["Lines"][:-1])
    for t, _ in kinds["partial"]:
        line = t["Lines"][0]
        assert 0 < line["Applied"] < invoices[line["InvoiceID"]]["OpenBalance"]
    twice = kinds["paid_twice"]  # a cheque, then an ACH for the same invoice
    assert twice and len(twice) % 2 == 0
    for (first, cheque), (second, ach) in zip(twice[::2], twice[1::2]):
        assert (cheque["Method"], ach["Method"]) == ("Check", "ACH") and cheque["Amount"] == ach["Amount"]
        assert first["Lines"][0]["InvoiceID"] and second["Lines"][0]["InvoiceID"] == ""


def test_a_clerks_overrides_name_real_invoices_or_on_account(demo, tables):
    invoices = by_id(tables["Invoices"], "InvoiceID")
    overrides = [p for p in new_payments(demo) if p["ApplyTo"]]
    assert len(overrides) >= 3 and any(p["ApplyTo"] == "ON ACCOUNT" for p in overrides)
    assert any("=" in p["ApplyTo"] for p in overrides)
    for p in overrides:
        if p["ApplyTo"] == "ON ACCOUNT":
            continue
        parts = [part.partition("=") for part in p["ApplyTo"].split(";")]
        assert all(target in invoices for target, _, _ in parts)
        if all(amount for _, _, amount in parts):
            assert sum(Decimal(amount) for _, _, amount in parts) == p["Amount"]
        else:
            assert sum(invoices[target]["OpenBalance"] for target, _, _ in parts) == p["Amount"]
    assert sum(1 for p in new_payments(demo) if p["PaymentID"] is None) == 3


# ---- memo requests and settings ----------------------------------------------------------------

def test_memo_requests_cover_every_type_with_two_deliberate_mistakes(tables):
    requests = tables["MemoRequests"]
    invoices = by_id(tables["Invoices"], "InvoiceID")
    assert {(r["Kind"], r["Type"]) for r in requests} == {(k, t) for k in ("Credit", "Debit") for t in MEMO_TYPES}
    assert len({r["RequestID"] for r in requests}) == len(requests)
    unknown = [r for r in requests if r["InvoiceID"] and r["InvoiceID"] not in invoices]
    assert len(unknown) == 1
    too_much_freight = [r for r in requests if r["Type"] == "Freight" and r["Kind"] == "Credit"
                        and r["Amount"] > (invoices[r["InvoiceID"]]["FreightAmount"] or 0)]
    assert len(too_much_freight) == 1
    for r in requests:
        assert (r["Amount"] is None) != (r["Quantity"] is None and r["UnitPrice"] is None)
        if r["InvoiceID"] in invoices:
            inv = invoices[r["InvoiceID"]]
            assert inv["CustomerID"] == r["CustomerID"] and inv["Currency"] == r["Currency"]
    assert any(r["Reason"].startswith(("+", "-")) for r in requests)  # must stay text in the workbook


def test_settings_name_the_as_of_date_and_the_company(tables):
    settings = {r["Setting"]: r["Value"] for r in tables["Settings"]}
    assert settings["AsOfDate"] == DEMO_AS_OF
    assert settings["CompanyName"] and ";" in settings["CompanyAddress"]


# ---- the spelling helpers ----------------------------------------------------------------------

def test_an_invoice_number_is_spelled_every_way_customers_spell_it():
    rng = random.Random(1)
    spellings = Counter(spell(rng, "INV-2026-004512", []) for _ in range(3000))
    for expected in ("INV-2026-004512", "2026-004512", "004512", "4512", "INV2026004512", "inv-2026-004512",
                     "INV 2026 004512", "INV-26-4512", "#4512"):
        assert expected in spellings, expected
    assert spellings.most_common(1)[0][0] == "INV-2026-004512"
    errors = [s for s in spellings if not re.fullmatch(r"[A-Za-z#. ]*[-/._ ]?(2026|26)?[-/._ ]?0*4512", s)]
    assert errors  # keying and OCR errors
    assert any("O" in s.upper().replace("NO. ", "") for s in errors)  # a zero read as the letter O


def test_bank_names_are_upper_case_abbreviated_and_cut():
    rng = random.Random(2)
    names = {bank_name(rng, "Halvorsen Marine Supply Company", []) for _ in range(300)}
    assert all(n == n.upper() for n in names)
    assert "HALVORSEN MARINE" in names  # the 16-character ACH field
    assert any("MAR SPLY" in n for n in names)
    assert all(len(n) <= 35 for n in names)
    tags: list[str] = []
    assert bank_name(random.Random(3), "Brüggemann Logistik GmbH", tags, 35).startswith("BRUEGGEMANN")
    assert "payer_transliterated" in tags


# ---- the workbook --------------------------------------------------------------------------------

def test_the_demo_workbook_reads_back_clean_and_its_ledger_explains_every_balance(tmp_path):
    path = write_demo(tmp_path / "demo.xlsx", seed=4, customers=80, invoices=900, payments=60)
    ledger = open_book(path).load()
    frames = {name: ledger.table(name) for name in ("Customers", "Invoices", "Payments", "Applications",
                                                     "MemoRequests")}
    assert not any(ledger.unread.get(name) for name in frames) and not list(ledger.problems)
    assert ledger.settings.as_of == DEMO_AS_OF
    assert len(frames["Payments"]) == len(demo_tables(seed=4, customers=80, invoices=900, payments=60)["Payments"])
    balances, problems = compute_balances(frames["Invoices"], frames["Applications"],
                                          ledger.table("Memos", required=False), frames["Payments"])
    assert not list(problems)
    columns = ["Paid", "Discounts", "WrittenOff", "Credited", "OpenBalance", "Status", "LastPaymentDate"]
    pd.testing.assert_frame_equal(balances.invoices[columns], frames["Invoices"][columns], check_dtype=False)
    reasons = frames["MemoRequests"]["Reason"]
    assert reasons.str.startswith(("+", "-")).sum() == 2


def test_after_the_refresh_arxl_demo_runs_every_invoice_owes_what_the_aging_says(tmp_path):
    """One date per run: the refresh dates its memos and reversals on the demo's AsOfDate, so
    Invoices.OpenBalance (the whole ledger) and the Aging as of that date agree on every invoice,
    to the cent, whatever day the demo is run."""
    path = write_demo(tmp_path / "demo.xlsx", seed=4, customers=80, invoices=900, payments=60)
    assert run_books([path], list(REFRESH), as_of=None, output=None, quiet=True, backup=False) == 0
    book = open_book(path)
    invoices, aging, memos, applications = (book.read(name) for name in ("Invoices", "Aging", "Memos",
                                                                          "Applications"))
    reversals = applications.loc[applications["Source"] == Source.REVERSAL]
    assert len(memos) and len(reversals)  # the run made both
    assert (memos["MemoDate"] <= pd.Timestamp(DEMO_AS_OF)).all()
    assert (reversals["PostedAt"].dt.date == DEMO_AS_OF).all()
    aged = aging.loc[aging["DocType"] == DocType.INVOICE].set_index("DocID")["OpenAmount"]
    owed = pd.Series(invoices["OpenBalance"].to_numpy(), index=invoices["InvoiceID"])
    pd.testing.assert_series_equal(owed, aged.reindex(owed.index).fillna(0), check_names=False, check_dtype=False)
    matches = book.read("Matches", required=False)
    posted = set(applications["PaymentID"])
    assert not set(matches["PaymentID"]) & posted  # Matches lists only what is still to post
    # the demo's history comes chained: the clerk's first run has nothing to say about it, and
    # the only Exceptions are the two memo requests the demo gets wrong on purpose
    exceptions = book.read("Exceptions")
    assert exceptions["Command"].tolist() == ["memos", "memos"]
    states, problems = verify(book.load())
    assert not list(problems) and all(state.status == ChainStatus.INTACT for state in states)
    assert len(applications) > 0 and applications["RowHash"].str.len().eq(64).all()
