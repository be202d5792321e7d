"""Bank-file parsers on the public sample files and on arxl's own cases (tests/fixtures/bankfiles,
see SOURCES.md there). Counts and totals were checked by hand against each file once."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from arxl.bankfiles import detect_format, read_bank_file, reference_text
from arxl.bankfiles.model import Receipt, RemittanceLine
from arxl.core.matching.text import read_remittance

FIXTURES = Path(__file__).parent / "fixtures" / "bankfiles"
GERMAN_CSV = ("ReceivedDate=Buchungstag; PayerName=Auftraggeber; PayerAccount=IBAN; "
              "Reference=Verwendungszweck; Amount=Betrag; Currency=Waehrung; PaymentID=Referenz")


def parse(relative: str, **options):
    path = FIXTURES / relative
    return read_bank_file(path.name, path.read_bytes(), **options)


def by_ref(result) -> dict[str, Receipt]:
    return {r.bank_reference: r for r in result.receipts}


# file, format, receipts, totals in cents by currency, records not imported by kind, problems
SAMPLES = [
    ("bai2/moj-bai2_nwb_example.bai2", "BAI2", 1, {"GBP": 89}, {"balance": 1, "debit": 4}, 0),
    ("bai2/moj-bai2_svb_us_example.bai2", "BAI2", 2, {"USD": 1395996}, {"balance": 2}, 0),
    ("bai2/moov-bai2_sample1.txt", "BAI2", 5, {"CAD": 320000}, {"balance": 2, "debit": 12}, 0),
    ("bai2/moov-bai2_sample2.txt", "BAI2", 4, {"USD": 30950000}, {"balance": 5}, 0),
    ("bai2/moov-bai2_sample3.txt", "BAI2", 13, {"USD": 39713}, {"balance": 15, "debit": 13}, 0),
    ("bai2/moov-bai2_sample4-continuations-newline-delimited.txt", "BAI2", 4, {"USD": 56702},
     {"balance": 5, "debit": 8, "return": 4, "bank credit": 1}, 0),
    ("bai2/moov-bai2_sample5-issue113.txt", "BAI2", 5, {"USD": 3798056326},
     {"balance": 5, "debit": 9, "return": 4, "bank credit": 2}, 0),
    ("camt/genkgo-camt_camt052.v2.xml", "camt.052.001.02", 0, {}, {"debit": 1}, 0),
    ("camt/genkgo-camt_camt053.v2.minimal.xml", "camt.053.001.02", 1, {"EUR": 885}, {"balance": 4}, 0),
    ("camt/genkgo-camt_camt053.v4.xml", "camt.053.001.04", 1, {"EUR": 885}, {"balance": 4}, 0),
    ("camt/genkgo-camt_camt053.v8.xml", "camt.053.001.08", 1, {"EUR": 885}, {"balance": 4}, 0),
    # The genkgo camt.054 samples book one 200,000 SEK debit (their CRDT TxDtls sit inside it).
    ("camt/genkgo-camt_camt054.v2.xml", "camt.054.001.02", 0, {}, {"debit": 1}, 0),
    ("camt/genkgo-camt_camt054.v4.xml", "camt.054.001.04", 0, {}, {"debit": 1}, 0),
    ("camt/genkgo-camt_camt054.v8.xml", "camt.054.001.08", 0, {}, {"debit": 1}, 0),
    ("camt/arxl-camt054.v08.referred-documents.xml", "camt.054.001.08", 3, {"EUR": 223000},
     {"return": 1, "pending": 1, "debit": 1}, 1),
    ("camt/arxl-camt054.v02.discount-adjustment.xml", "camt.054.001.02", 1, {"USD": 294000}, {}, 0),
    ("mt940/wolph-mt940_ASNB_mt940.txt", "MT940", 3, {"EUR": 282890}, {"balance": 62, "debit": 5}, 0),
    ("mt940/wolph-mt940_betterplace_sepa_snippet.sta", "MT940", 5, {"EUR": 50009884},
     {"balance": 6, "debit": 2, "return": 4}, 0),
    ("mt940/wolph-mt940_citi_mt940.txt", "MT940", 0, {}, {"balance": 3, "debit": 3, "zero amount": 2}, 0),
    ("mt940/wolph-mt940_cmxl_mt940.sta", "MT940", 7, {"DEM": 4939674, "EUR": 300000, "PLN": 2004000},
     {"balance": 6, "debit": 9}, 0),
    ("mt940/wolph-mt940_jejik_abnamro.sta", "MT940", 0, {}, {"balance": 4, "debit": 10}, 0),
    ("mt940/wolph-mt940_jejik_ing.sta", "MT940", 2, {"EUR": 468}, {"balance": 2, "debit": 5}, 0),
    ("mt940/wolph-mt940_jejik_rabobank-iban.sta", "MT940", 0, {}, {"balance": 4, "debit": 4}, 0),
    ("mt940/wolph-mt940_jejik_triodos.sta", "MT940", 0, {}, {"balance": 2, "debit": 2}, 0),
    ("nacha/moov-ach_ccd-debit.ach", "NACHA CCD", 0, {}, {"debit": 2}, 0),
    ("nacha/moov-ach_ctx-debit.ach", "NACHA CTX", 0, {}, {"debit": 1}, 0),
    ("nacha/arxl-ccdplus-ctx-credits.ach", "NACHA CCD/CTX", 2, {"USD": 173000}, {"return": 1}, 0),
    ("x12/moov-x12_example_stp_820_sample.txt", "X12", 1, {"USD": 798973}, {}, 0),
    ("x12/moov-x12_example_4010_810_invoice_sample.txt", "X12", 0, {}, {}, 2),
    ("x12/arxl-820-discounts-adjustments.txt", "X12", 2, {"USD": 291050}, {}, 2),
    ("lockbox/arxl-lockbox-overflow.txt", "Lockbox", 3, {"USD": 183000}, {}, 2),
    ("csv/arxl-bank-export.csv", "CSV", 2, {"EUR": 173000}, {"debit": 1}, 1),
]


@pytest.mark.parametrize("relative, kind, n, totals, skipped, n_problems", SAMPLES,
                         ids=[s[0] for s in SAMPLES])
def test_sample_counts_and_totals(relative, kind, n, totals, skipped, n_problems):
    result = parse(relative, csv_columns=GERMAN_CSV)
    assert result.format == kind
    assert len(result.receipts) == n
    sums = defaultdict(int)
    for receipt in result.receipts:
        sums[receipt.currency] += receipt.amount
        assert receipt.amount > 0 and isinstance(receipt.received, dt.date)
    assert dict(sums) == totals
    assert dict(Counter(s.kind for s in result.skipped)) == skipped
    assert len(result.problems) == n_problems
    assert all(p.sheet == Path(relative).name and p.row for p in result.problems)


def test_every_sample_is_recognised_by_content():
    expected = {"bai2": "BAI2", "camt": "camt", "mt940": "MT940", "nacha": "NACHA", "x12": "X12",
                "lockbox": "Lockbox", "csv": "CSV"}
    for path in FIXTURES.glob("*/*"):
        assert detect_format(path.read_bytes()) == expected[path.parent.name], path.name
    assert detect_format(b"just some notes\nnothing else") is None


# ---- camt --------------------------------------------------------------------------------------

def test_camt054_referred_documents_are_kept_with_their_amounts():
    result = parse("camt/arxl-camt054.v08.referred-documents.xml")
    acme = by_ref(result)["ARXL-054-0001"]
    assert (acme.payer_name, acme.payer_account, acme.amount, acme.currency) == \
        ("Acme Industries GmbH", "DE89370400440532013000", 148000, "EUR")
    assert acme.received == dt.date(2026, 11, 18)  # the booking date, not the value date
    assert acme.method == "ACH"  # SEPA credit transfer
    assert acme.remittance == (RemittanceLine("INV-1001", paid=98000, gross=100000, discount=2000),
                               RemittanceLine("INV-1002", paid=50000, gross=50000))
    assert reference_text(acme) == ("Payment of invoices, see remittance "
                                     "RMR*IV*INV-1001*980.00*1000.00*20.00\\RMR*IV*INV-1002*500.00*500.00*\\")


def test_camt_batch_entry_is_split_into_its_transactions():
    result = parse("camt/arxl-camt054.v08.referred-documents.xml")
    receipts = by_ref(result)
    beta, gamma = receipts["ARXL-054-0002/1"], receipts["ARXL-054-0002/2"]
    assert (beta.payer_name, beta.amount, gamma.payer_name, gamma.amount) == \
        ("Beta Handel AG", 25000, "Gamma Logistics BV", 50000)
    assert beta.remittance == (RemittanceLine("INV-2001", paid=25000),)
    assert gamma.text == "INV-2002"


def test_camt_reversal_pending_debit_and_broken_entry_are_reported_not_imported():
    result = parse("camt/arxl-camt054.v08.referred-documents.xml")
    assert [(s.kind, s.amount) for s in result.skipped] == [("return", 9900), ("pending", 4200), ("debit", 1000)]
    (problem,) = result.problems
    assert problem.row == 118 and "'12,50'" in problem.problem


def test_camt_v02_plain_discount_and_adjustment():
    (delta,) = parse("camt/arxl-camt054.v02.discount-adjustment.xml").receipts
    assert (delta.payer_name, delta.payer_account, delta.method) == ("Delta Supplies Inc.", "987654321", "Wire")
    assert delta.remittance[0] == RemittanceLine("INV-3001", paid=194000, gross=200000, discount=4000,
                                                 adjustments=((-2000, "DAM"),))
    assert "ADX*-20.00*DAM*IV*INV-3001\\" in reference_text(delta)


def test_camt053_uses_entry_amount_and_keeps_creditor_reference_as_text():
    (entry,) = parse("camt/genkgo-camt_camt053.v8.xml").receipts
    assert (entry.amount, entry.currency, entry.payer_name, entry.payer_account, entry.bank_reference) == \
        (885, "EUR", "NAME NAME", "NL56AGDH9619008421", "AAAASESS-FP-CN_98765/01")
    assert entry.received == dt.date(2014, 12, 31)  # BookgDt/DtTm
    assert entry.text == "4654654654654654 EndToEndId MUELL/FINP/RA12345"


def test_xml_with_entities_or_a_dtd_is_refused_without_expansion():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">&b;</Document>')
    result = read_bank_file("bomb.xml", bomb)
    assert not result.receipts
    (problem,) = result.problems
    assert problem.sheet == "bomb.xml" and "refused for safety" in problem.problem


def test_truncated_xml_names_file_and_line():
    data = (FIXTURES / "camt/arxl-camt054.v02.discount-adjustment.xml").read_bytes()[:1500]
    (problem,) = read_bank_file("cut.xml", data).problems
    assert problem.sheet == "cut.xml" and problem.row and problem.row > 1
    assert "not well-formed XML" in problem.problem


# ---- X12 820 and NACHA ---------------------------------------------------------------------------

def test_820_with_discounts_and_adjustments():
    result = parse("x12/arxl-820-discounts-adjustments.txt")
    acme, gamma = result.receipts
    assert (acme.payer_name, acme.amount, acme.method, acme.bank_reference, acme.received) == \
        ("ACME INDUSTRIES INC", 241050, "ACH", "820TRACE0001", dt.date(2026, 11, 18))
    assert acme.remittance == (
        RemittanceLine("INV-1001", paid=98000, gross=100000, discount=2000),
        RemittanceLine("INV-1003", paid=120050, gross=125050, adjustments=((-5000, "01"),)),
        RemittanceLine("INV-1004", paid=24500, gross=25000, discount=500))
    assert "adjustment -15.00 reason CS" in acme.text and "PO PO-7788" in acme.text
    assert (gamma.method, gamma.check_number, gamma.remittance) == \
        ("Check", "004455", (RemittanceLine("INV-2002", paid=50000),))
    rows = sorted(p.row for p in result.problems)
    assert rows == [20, 31]  # the broken BPR (payment 2 left out) and the broken RMR of payment 3


def test_820_that_does_not_add_up_is_imported_and_noted():
    data = (b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *261118*1200*U*00401*1*0*P*>~"
            b"GS*RA*A*B*20261118*1200*1*X*004010~ST*820*1~BPR*C*100.00*C*ACH************20261118~"
            b"TRN*1*T1~N1*PR*PAYER~RMR*IV*INV-1*PI*90.00~SE*6*1~GE*1*1~IEA*1*1~")
    result = read_bank_file("short.edi", data)
    assert [r.amount for r in result.receipts] == [10000]
    assert "adds up to 90.00" in result.problems[0].problem


def test_nacha_ccd_plus_and_ctx_addenda():
    result = parse("nacha/arxl-ccdplus-ctx-credits.ach")
    acme, beta = result.receipts
    assert (acme.payer_name, acme.payer_account, acme.bank_reference, acme.method) == \
        ("ACME INDUSTRIES", "1234567890", "021000020000001", "ACH")
    assert acme.remittance == (RemittanceLine("INV-1001", paid=98000, gross=100000, discount=2000),)
    assert beta.remittance == (RemittanceLine("INV-2001", paid=25000, gross=25000),
                               RemittanceLine("INV-2004", paid=50000, gross=51000, discount=1000))
    (returned,) = result.skipped
    assert (returned.kind, returned.line, returned.amount) == ("return", 5, 5000)


# ---- BAI2, MT940, lockbox, CSV -----------------------------------------------------------------

def test_bai2_quirks_records_on_one_line_and_wrapped_text():
    result = parse("bai2/moov-bai2_sample3.txt")
    first_two = result.receipts[:2]
    assert [(r.line, r.amount, r.text) for r in first_two] == [
        (3, 2500, "TRANSFER   PAYPAL             PPD"), (3, 500, "TRANSFER   MSPBNA BANK        PPD")]
    wrapped = [r for r in result.receipts if r.line == 18][0]
    assert "111111111111111" in wrapped.text  # the line with no record code belongs to the 16 above


def test_bai2_keyed_continuations_give_payer_account_and_reference():
    receipts = by_ref(parse("bai2/moov-bai2_sample5-issue113.txt"))
    rtp = receipts["GI2228400005800"]
    assert (rtp.payer_name, rtp.payer_account, rtp.method, rtp.received) == \
        ("SAMPLE INC", "02122056789012205", "Wire", dt.date(2023, 9, 6))
    assert "Test Remittance" in rtp.text
    assert receipts["GI2323300007089"].payer_name == "TEST AND COMPANY"


def test_bai2_broken_detail_record_is_reported_and_the_rest_imported():
    data = (b"01,BANK,US,261118,0800,1,,,2/\n02,US,BANK,1,261117,,USD,2/\n03,12345,USD,010,100,,/\n"
            b"16,195,12X00,Z,REF1,,BROKEN AMOUNT/\n16,195,50000,Z,REF2,,WIRE FROM ACME/\n"
            b"88,B/O: ACME CORP\n49,50100,4/\n98,50100,1,6/\n99,50100,1,8/\n")
    result = read_bank_file("day.bai", data)
    (receipt,) = result.receipts
    assert (receipt.amount, receipt.bank_reference, receipt.payer_name, receipt.received) == \
        (50000, "REF2", "ACME CORP", dt.date(2026, 11, 17))
    (problem,) = result.problems
    assert (problem.sheet, problem.row) == ("day.bai", 4)


def test_mt940_german_subfields_and_booking_date():
    receipts = by_ref(parse("mt940/wolph-mt940_betterplace_sepa_snippet.sta"))
    karl = receipts["0724710333343453"]
    assert (karl.payer_name, karl.payer_account, karl.amount, karl.received) == \
        ("KARL KAUFMANN", "DE14508800500194785000", 5099005, dt.date(2007, 9, 4))
    assert karl.text == "EREF+EndToEndId TFNR 22 004 00001 SVWZ+Verw CTSc-01 BC-PPP TFNr 22 004"


def test_mt940_payer_from_statement_line_and_swift_envelope():
    first = parse("mt940/wolph-mt940_ASNB_mt940.txt").receipts[0]
    assert (first.payer_name, first.payer_account, first.amount) == ("paulissen g j l m", "NL56ASNB9999999999", 100000)


def test_mt940_broken_statement_line_is_reported():
    data = (b":20:STMT\n:25:NL00BANK0123456789\n:28C:1/1\n:60F:C261117EUR100,00\n"
            b":61:2611XX1118C50,00NTRFNONREF//B1\n:86:broken\n"
            b":61:2611181118C75,00NTRFNONREF//B2\n:86:/ORDP//NAME/ACME BV/REMI/USTD//INV-1001/\n"
            b":62F:C261118EUR225,00\n-\n")
    result = read_bank_file("stmt.sta", data)
    (receipt,) = result.receipts
    assert (receipt.payer_name, receipt.amount, receipt.bank_reference) == ("ACME BV", 7500, "B2")
    assert "INV-1001" in receipt.text
    assert [(p.sheet, p.row) for p in result.problems] == [("stmt.sta", 5)]


def test_lockbox_overflow_records_carry_the_invoices():
    result = parse("lockbox/arxl-lockbox-overflow.txt")
    acme, beta, gamma = result.receipts
    assert (acme.payer_name, acme.check_number, acme.payer_account, acme.method, acme.received) == \
        ("ACME INDUSTRIES INC", "1001", "021000021/0000123456", "Lockbox", dt.date(2026, 11, 18))
    assert acme.remittance == (RemittanceLine("INV-1001", 98000, 100000, 2000),
                               RemittanceLine("INV-1002", 50000, 50000, 0))
    assert beta.remittance == (RemittanceLine("INV-2001", 25000),)
    assert gamma.bank_reference == "LBX0012345-261118-002-002"
    assert [p.row for p in result.problems] == [11, 13]  # unreadable check; batch 002 does not tie


def test_csv_with_mapping_from_settings():
    result = parse("csv/arxl-bank-export.csv", csv_columns=GERMAN_CSV)
    acme, beta = result.receipts
    assert (acme.received, acme.payer_name, acme.amount, acme.currency, acme.bank_reference) == \
        (dt.date(2026, 11, 18), "Acme Industries GmbH", 148000, "EUR", "TX-9001")
    assert result.skipped[0].amount == 12050 and result.skipped[0].kind == "debit"
    assert result.problems[0].row == 5


def test_csv_without_mapping_reads_payments_headers_and_us_dates():
    data = b"Received Date,Payer Name,Amount,Reference\n11/20/2026,Acme Corp,\"1,234.50\",INV-1001\n"
    (receipt,) = read_bank_file("export.csv", data, currency="USD").receipts
    assert (receipt.received, receipt.amount, receipt.currency) == (dt.date(2026, 11, 20), 123450, "USD")


def test_csv_mapping_to_an_unknown_column_is_a_settings_problem():
    result = read_bank_file("x.csv", b"a,b\n1,2\n", csv_columns="Amout=b")
    assert result.problems[0].sheet == "Settings" and "Amout" in result.problems[0].problem


# ---- the rendering the matcher reads ------------------------------------------------------------

def test_rendered_remittance_is_what_the_matcher_parses():
    receipt = parse("x12/arxl-820-discounts-adjustments.txt").receipts[0]
    edi = read_remittance(reference_text(receipt)).edi
    assert edi == (("IV", "INV-1001", 98000), ("IV", "INV-1003", 120050), ("IV", "INV-1004", 24500))


def test_nacha_entry_with_unreadable_amount_is_reported_and_the_rest_imported():
    lines = (FIXTURES / "nacha/arxl-ccdplus-ctx-credits.ach").read_text().splitlines()
    lines[2] = lines[2][:29] + "00000X8000" + lines[2][39:]  # the CCD+ entry's amount
    result = read_bank_file("ach.txt", ("\n".join(lines) + "\n").encode())
    assert [r.bank_reference for r in result.receipts] == ["021000020000003"]
    assert [(p.sheet, p.row, p.value) for p in result.problems] == [("ach.txt", 3, "00000X8000")]
