"""Reliability, bank files read by their own rules (issue 12): implied decimals by the currency's
minor units, decimal points refused when more precise than the currency, MT940 as ING and
Rabobank write it (attacks of the category "bad values"), and files in any encoding or line
ending, a file that cannot be read being that file's problem alone ("hostile files")."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import openpyxl
import pytest

from arxl import cli
from arxl.bankfiles import read_bank_file

ING = """{1:F01INGBNL2ABXXX0000000000}{2:I940INGBNL2AXXXN}{3:{108:B12345678S000001}}{4:
:20:P261118000000001
:25:NL20INGB0001234567EUR
:28C:1
:60F:C261117EUR1000,00
:61:2611181118C1480,00NTRFEREF//00000000000001
/TRCD/00100/
:86:/EREF/E2E-ACME-4711//CNTP/DE89370400440532013000/COBADEFFXXX/Acme I
ndustries GmbH/Frankfurt//REMI/USTD//INV-1001 INV-1002/
:61:2611181118C250,00NTRFNONREF//00000000000002
/TRCD/00100/
:86:/CNTP/CH9300762011623852957/UBSWCHZH80A/Beta Handel AG/Zuerich//RE
MI/STRD/CUR/INV-2001/
:61:2611181118C500,00NTRFNONREF//00000000000003
/TRCD/00100/
:86:/EREF/NOTPROVIDED//CNTP/NL91ABNA0417164300/ABNANL2A/Gamma Logistic
s BV/Rotterdam//REMI/USTD//TOTAAL 1 POSTEN/
:62F:C261118EUR3230,00
:64:C261118EUR3230,00
:86:/NAME/ING BANK N.V.//BIC/INGBNL2A//SUM/0/3/0,/2230,00/
-}
"""

# An intraday report (MT942 layout) states its currency in :25: and :34F:, and has no :60F:.
ING_INTRADAY = """:20:P261118120000001
:25:NL20INGB0001234567EUR
:28C:1
:34F:EUR0,
:13D:2611181200+0100
:61:2611181118C75,00NTRFNONREF//00000000000004
/TRCD/00100/
:86:/CNTP/NL91ABNA0417164300/ABNANL2A/Gamma Logistics BV/Rotterdam//REMI/USTD//INV-2002/
:61:2611181118C80,00NTRFNONREF//00000000000005
:86:/ORDP//NAME/Delta BV/ADDR/Utrecht//REMI/USTD//INV-2003/
:90C:2EUR155,00
-
"""

BAI2_KWD = (b"01,NBOKKWKW,ARXL,261118,0800,1,,,2/\n"
            b"02,ARXL,NBOKKWKW,1,261118,0800,KWD,2/\n"
            b"03,0011223344,KWD,010,100000,,/\n"
            b"16,195,12345,0,KW-REF-1,,B/O: KUWAIT TRADING CO/\n"
            b"16,195,100,0,KW-REF-2,,B/O: GULF SUPPLY/\n"
            b"49,112445,4/\n98,112445,1,6/\n99,112445,1,8/\n")

GOOD_CSV = b"ReceivedDate,PayerName,Amount,Currency,Reference\n2026-11-18,Acme Corp,1480.00,USD,INV-1001\n"


def camt(amount: str, currency: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-18T08:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id><Acct><Id><IBAN>KW81CBKU0000000000001234560101</IBAN></Id></Acct>
<Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-11-18</Dt></BookgDt><AcctSvcrRef>REF-{currency}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Kuwait Trading Co</Nm></Pty></Dbtr></RltdPties>
</TxDtls></NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>""".encode()


def payments(path) -> list[dict]:
    ws = openpyxl.load_workbook(path)["Payments"]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if r[0] is not None]


def exceptions(path) -> list[tuple]:
    ws = openpyxl.load_workbook(path)["Exceptions"]
    rows = list(ws.iter_rows(values_only=True))
    return [(r[2], r[3], r[6]) for r in rows[1:] if r[1]]


# ---- implied decimals and decimal points, by the currency -------------------------------------------

@pytest.mark.attack("bad values")
def test_bai2_amounts_have_the_implied_decimals_of_their_currency():
    result = read_bank_file("kwd.bai", BAI2_KWD)
    assert [(r.amount, r.currency) for r in result.receipts] == [(12345, "KWD"), (100, "KWD")]
    jpy = read_bank_file("jpy.bai", BAI2_KWD.replace(b"KWD", b"JPY"))
    assert [(r.amount, r.currency) for r in jpy.receipts] == [(12345, "JPY"), (100, "JPY")]


@pytest.mark.attack("bad values")
def test_a_bai2_file_in_kwd_is_imported_at_its_own_value(make_book, run, tmp_path):
    bank_file = tmp_path / "kwd.bai"
    bank_file.write_bytes(BAI2_KWD)
    path = make_book()
    run(path, "import", files=[bank_file])
    assert [(p["PaymentID"], p["Amount"], p["Currency"]) for p in payments(path)] == [
        ("KW-REF-1", 12.345, "KWD"), ("KW-REF-2", 0.1, "KWD")]


@pytest.mark.attack("bad values")
def test_camt_amounts_more_precise_than_their_currency_are_refused():
    assert [r.amount for r in read_bank_file("k.xml", camt("12.345", "KWD")).receipts] == [12345]
    assert [r.amount for r in read_bank_file("j.xml", camt("1500", "JPY")).receipts] == [1500]
    result = read_bank_file("e.xml", camt("12.345", "EUR"))
    assert result.receipts == [] and "EUR" in result.problems[0].problem


@pytest.mark.attack("bad values")
def test_a_date_past_2199_in_a_bank_file_is_a_problem_not_a_receipt():
    result = read_bank_file("late.xml", camt("10.00", "EUR").replace(b"2026-11-18</Dt>", b"3026-11-18</Dt>"))
    assert result.receipts == [] and "2199-12-31" in result.problems[0].problem


# ---- MT940 as banks write it ---------------------------------------------------------------------

@pytest.mark.attack("bad values")
def test_mt940_ing_subfields_give_payer_remittance_and_the_statements_currency():
    result = read_bank_file("ing.sta", ING.encode(), currency="USD")
    got = [(r.payer_name, r.payer_account, r.amount, r.currency, r.text) for r in result.receipts]
    assert got == [
        ("Acme Industries GmbH", "DE89370400440532013000", 148000, "EUR", "INV-1001 INV-1002 E2E-ACME-4711"),
        ("Beta Handel AG", "CH9300762011623852957", 25000, "EUR", "INV-2001"),
        ("Gamma Logistics BV", "NL91ABNA0417164300", 50000, "EUR", "TOTAAL 1 POSTEN"),
    ]
    assert result.problems == []


@pytest.mark.attack("bad values")
def test_mt940_without_an_opening_balance_takes_the_currency_the_file_states():
    result = read_bank_file("intraday.sta", ING_INTRADAY.encode(), currency="USD")
    assert [(r.payer_name, r.amount, r.currency) for r in result.receipts] == [
        ("Gamma Logistics BV", 7500, "EUR"), ("Delta BV", 8000, "EUR")]


@pytest.mark.attack("bad values")
def test_mt940_statements_of_one_file_keep_their_own_currencies():
    two = ING + ING.replace("EUR", "CHF").replace("000000001", "000000002")
    result = read_bank_file("two.sta", two.encode(), currency="USD")
    assert [r.currency for r in result.receipts] == ["EUR"] * 3 + ["CHF"] * 3


# ---- encodings, line ends, unreadable files -----------------------------------------------------------

@pytest.mark.attack("hostile files")
def test_csv_with_cr_line_ends_utf16_or_a_bom_is_read():
    text = GOOD_CSV.decode()
    for data in (text.replace("\n", "\r").encode(), text.encode("utf-16"), text.encode("utf-16-le"),
                 b"\xef\xbb\xbf" + GOOD_CSV, text.replace("\n", "\r\n").encode("utf-16")):
        result = read_bank_file("export.csv", data)
        assert [(r.payer_name, r.amount) for r in result.receipts] == [("Acme Corp", 148000)], data[:20]


@pytest.mark.attack("bad values")
def test_csv_amounts_are_read_with_the_decimal_mark_the_file_shows():
    comma = b"ReceivedDate;PayerName;Amount\n2026-11-18;Acme;50,00\n2026-11-18;Beta;1.234,56\n2026-11-18;Gamma;1.000\n"
    assert [r.amount for r in read_bank_file("de.csv", comma).receipts] == [5000, 123456, 100000]
    point = b"ReceivedDate,PayerName,Amount\n2026-11-18,Acme,\"1,000\"\n2026-11-18,Beta,12.50\n"
    assert [r.amount for r in read_bank_file("us.csv", point).receipts] == [100000, 1250]
    unclear = b"ReceivedDate;PayerName;Amount\n2026-11-18;Acme;50,00\n2026-11-18;Beta;12.50\n"
    result = read_bank_file("mixed.csv", unclear)
    assert [r.amount for r in result.receipts] == [1250]  # DecimalSeparator "." decides; 50,00 refused
    assert result.problems[0].row == 2


@pytest.mark.attack("hostile files")
def test_random_bytes_are_that_files_problem_and_the_other_files_are_imported(make_book, run, tmp_path):
    noise = tmp_path / "noise.csv"
    noise.write_bytes(os.urandom(4096).replace(b"\n", b",") + b"\n" + os.urandom(4096))
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"a,b\n\x00\x00,1\n")
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD_CSV)
    path = make_book()
    result, _ = run(path, "import", files=[noise, nul, good])
    assert result.ok, result.failures
    assert [p["PayerName"] for p in payments(path)] == ["Acme Corp"]
    assert {sheet for sheet, _, _ in exceptions(path)} >= {"noise.csv", "nul.csv"}
    counts = result.outcomes["import"].counts
    assert (counts["imported"], counts["files_unreadable"], counts["nothing_read"]) == (1, 2, 0)


@pytest.mark.attack("hostile files")
def test_an_import_that_read_nothing_says_so_in_its_counts(make_book, run, tmp_path):
    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes(range(256)) * 8)
    path = make_book()
    result, _ = run(path, "import", files=[noise, Path(tmp_path / "missing.csv")])
    counts = result.outcomes["import"].counts
    assert (counts["imported"], counts["files_unreadable"], counts["nothing_read"]) == (0, 2, 1)
    assert "nothing" in result.outcomes["import"].summary.lower()
    assert not result.ok  # a script running the import sees it fail
    assert cli.main(["import", str(path), str(noise)]) == 1
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD_CSV)
    assert cli.main(["import", str(path), str(noise), str(good)]) == 0  # one file read is an import


@pytest.mark.attack("bad values")
def test_statement_dates_are_dates_of_the_statement():
    result = read_bank_file("ing.sta", ING.encode())
    assert {r.received for r in result.receipts} == {dt.date(2026, 11, 18)}
