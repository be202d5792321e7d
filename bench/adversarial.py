"""Adversarial ledgers for the matcher: noise classes of issue 13, with vocabularies, ID formats
and a base currency of their own (not ../shared/bench/gen_ar.py's), each written as an arxl
master workbook (``new_workbook``) with a truth.csv in score.py's format.

    python bench/adversarial.py [--out bench/out/adversarial] [--seed 13] [--payments 4000]
                                [--only single,combined,history,european,eucombined,lockbox,lbcombined,
                                        apac,apcombined,latam,lacombined,india,incombined,cis,ciscombined]
                                [--score] [--invoice-format FMT] [--extra-format FMT]

Ledgers (each in OUT/<name>/book.xlsx and truth.csv):
  single    one kind of noise per payment; InvoiceID a ten-digit billing number with gaps,
            DocumentNo (dense eight-digit document numbers) named in Settings MatchColumns
  combined  several kinds of noise in one payment; InvoiceID "F26-004512" (dense),
            BillingRef (sparse nine digits) in MatchColumns
  history   as combined, with a posted history: earlier payments in Payments (Posted) and the
            Applications ledger, first instalments among them, and payments naming invoices
            paid already
  european  one kind of noise per payment, in a European company's words: customers named with
            accents and umlauts (Müller & Söhne GmbH, Société d'Électricité SARL) that banks
            print without them, either way (MUELLER, MULLER); InvoiceID "RE26/004512" (dense),
            Beleg (dense eight digits) in MatchColumns; remittances in German, French and Spanish
            with dates in them ("Ihre Rechnung ... vom 12.05.2026"); amounts quoted with a
            decimal comma ("RE26/004512 1.234,56; RE26/004513 80,00", or French: 1 234,56);
            EUR as base currency
  eucombined  as european, with several kinds of noise in one payment (as combined)
  lockbox   one kind of noise per payment, as a US company's bank lockbox keys cheque stubs:
            InvoiceID the issuing branch's letter and one dense sequence ("B0045123", written
            without the letter or its zeros too), OrderNo ("SO-004512", dense) in MatchColumns;
            cheque numbers beside the invoices ("CK#48213 B0045123"), several invoices each with
            its amount in dollars ("B0045123 $1,437.84 C0045190 1833.53"); names with Inc.,
            L.L.C., Corporation and "dba" trading names, cut at ACH field lengths; payers'
            accounts as routing and account numbers; CustomerIDs such as "ORC001"; USD and CAD
  lbcombined  as lockbox, with several kinds of noise in one payment (as combined)
  apac      one kind of noise per payment, as a distributor in South-East Asia is paid: customers
            such as "Golden Lotus Trading Co., Ltd.", "Tan & Sons Sdn. Bhd." or "PT Sinar Wijaya"
            (the legal form first), printed in capitals and cut, or as initials; InvoiceID
            "SI-004512" (dense, often written "SI004512" or "4512"), DeliveryNo ("DO2604512",
            dense, letters and digits) in MatchColumns; remittances of GIRO, IBG and telegraphic
            transfers ("TT SI-004512 LESS BANK CHGS"), the payer's own PO beside the invoice
            ("OUR PO 4500123456 YOUR INV SI-004512"), dates as 12/05/2026; SGD as base currency,
            MYR, USD and AUD besides
  apcombined  as apac, with several kinds of noise in one payment (as combined)
  latam     one kind of noise per payment, as a Latin American wholesaler is paid: customers
            such as "Comercial Silva Ltda.", "Distribuidora Hernández S.A. de C.V.", "Indústria
            Pereira EIRELI" printed without accents; InvoiceID a fiscal note number "000123456"
            (nine digits, dense; written "NF 123.456" or "000.123.456" too), Pedido ("PED004512",
            dense) in MatchColumns; PIX, TED, SPEI and boleto credits ("SPEI REF 4829113 CONCEPTO
            FACTURA ...", a boleto's digit line beside the invoice), amounts as R$ 1.234,56,
            dates as 12/05/2026; BRL as base currency, MXN, COP and USD besides
  lacombined  as latam, with several kinds of noise in one payment (as combined)
  india     one kind of noise per payment, as an Indian manufacturer is paid: customers such as
            "Shree Ganesh Traders Pvt. Ltd.", "Sai Balaji Textiles", "Patel Polymers LLP" (many
            sharing words), printed in capitals, "M/S" before, PVT LTD as P LTD or PRIVATE
            LIMITED, cut; InvoiceID numbered afresh each fiscal year, as GST invoices are
            ("INV/26-27/04512" and "INV/25-26/04512" both open; written "4512" or "26-27/04512"
            too), EWayBillNo (twelve digits, sparse) in MatchColumns; NEFT, RTGS, IMPS and UPI
            credits with the bank's UTR or twelve-digit RRN beside the invoice, amounts grouped
            in lakhs (RS.1,23,456.78), dates as 12-05-2026; tax deducted at source (TDS, 1, 2 or
            10% of the invoice before GST, in whole rupees) taken off every invoice paid; INR as
            base currency, USD and AED besides
  incombined  as india, with several kinds of noise in one payment (as combined)
  cis       one kind of noise per payment, as a distributor in Kazakhstan is paid: customers named
            in Cyrillic (ТОО «Жулдыз Трейд», ООО "Северная звезда", ИП Ахметов Б.К.; Kazakh
            letters in some: Ақ Жол) and some Greek ones (Αθηναϊκή Τεχνική ΑΕ), many sharing a
            name and differing in their legal form; banks at home print the name in Cyrillic
            capitals, the legal form as written or spelled out (ТОВАРИЩЕСТВО С ОГРАНИЧЕННОЙ
            ОТВЕТСТВЕННОСТЬЮ "ЖУЛДЫЗ"), banks abroad in Latin letters by the ICAO and ELOT tables
            (ZHULDYZ, ATHINAIKI), cut at 35, or behind KASPI PAY; payment purposes in Russian
            ("Оплата по счету № ... от 12.05.2026", a contract number beside it) or Latin letters
            (OPLATA PO SCHETU); amounts as 1 234,56 ТГ; KZT as base currency, RUB and USD besides
  ciscombined  as cis, with several kinds of noise in one payment (as combined)

What each payment may carry (truth.csv Kind names them, joined by "+"):
  payer     customers paying under an initialism ("O&S LTD" for "Okonkwo & Sons Ltd") or a
            trading name unrelated to their own; every payer account belongs to one customer,
            and only some accounts are on file in Customers.BankAccounts
  typo      a digit inserted, dropped, doubled, replaced, or two transposed
  split     the reference broken into pieces by a space or a dash ("313029 4325")
  glued     the reference run together with words or codes ("PAY3130294325", "3130294325REF")
  column    a document number, billing reference or PO quoted instead of the invoice number
  instal    instalments: two or three payments naming one invoice, settling it together
  deduct    several invoices paid together, one of them less a small deduction (no reason given)
  onepaid   two invoices named, the amount settling exactly one of them (truth: that one)
  tds       (india) one to three invoices, each paid less the tax deducted at source
  discount, partial, over, noref, multi: the usual kinds; unknown: nobody we know;
  paidalready (history): naming an invoice paid before (truth: nothing open)

--invoice-format writes the InvoiceIDs in another grammar ("{yy}/{n:05d}", "FV/{n}/{mm}/{yyyy}":
see House.invoice_format), each paid invoice written so, by its number alone, or run together;
--extra-format the MatchColumns column's numbers (quoted instead of the invoice's, so or by their
number alone); bench/grammars.py scores a list of them.

With --score, each ledger is matched and scored as bench/score_dev.py does (score.py's JSON).
The matcher must never be tuned to these spellings: they are here to find failure classes.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import re
import string
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import TableColumn

from arxl.book.files import new_workbook

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 6, 30)

SURNAMES = ["Okonkwo", "Lindqvist", "Marchetti", "Takahashi", "Brennan", "Kowalczyk", "Delacroix",
            "Haugland", "Nakamura", "Oyelaran", "Petrossian", "Vasquez", "Fairweather", "Ashdown",
            "Quintero", "Szabo", "Achterberg", "Rautio", "Castellano", "Iversen", "Moreau", "Abernathy",
            "Sokolova", "Zhao", "Ferreira", "Gallagher", "Hakimi", "Jankowski", "Kaur", "Lombardi",
            "Mwangi", "Novak", "Oduya", "Pellegrini", "Rahman", "Sandoval", "Thorsen", "Ulloa", "Varga",
            "Whitlock", "Yilmaz", "Zeller"]
KIN = ["& Sons", "& Daughters", "Brothers", "& Partners", "and Co", "Family", "& Nephews"]
PLACES = ["Tri-County", "Northgate", "Bluewater", "Copperleaf", "Stonebridge", "Windmere", "Crossroads",
          "Tidewater", "Ironbark", "Silverpine", "Redfern", "Amberly", "Westbrook", "Foxhollow", "Kestrel",
          "Galaxy", "Orchard Hill", "Marlow", "Sunderland", "Ravenscar", "Highmoor", "Kingsbury", "Ashford"]
TRADES = ["Precision Castings", "Dental Supplies", "Marine Electronics", "Hospitality Group",
          "Veterinary Clinics", "Printing Works", "Freight Forwarders", "Solar Installations",
          "Bakery Wholesale", "Cold Storage", "Office Interiors", "Textile Mills", "Hydraulics",
          "Seed Growers", "IT Services", "Glassworks", "Timber Merchants", "Enterprises", "Tooling",
          "Catering Equipment", "Pharmaceuticals", "Garden Centres", "Roofing", "Optical Labs"]
LEGAL = ["Ltd.", "Limited", "Pty Ltd", "GmbH", "S.A.", "B.V.", "PLC", "LLP", "AG", "Oy", "Inc", ""]
BRANDS = ["BRIGHTWAVE", "KORU TRADING", "NEXA SUPPLY", "ORBITAL SEVEN", "BLUE HERON", "TALLGRASS",
          "VANTAGE POINT", "QUILL AND ANVIL", "PEBBLE LANE", "MERIDIAN WEST", "FIRELINE", "COBALT BAY",
          "HALCYON", "ZEPHYR WORKS", "LANTERN STREET", "OAK AND IRON"]
PROCESSORS = ["WISE PAYMENTS", "ADYEN*", "GOCARDLESS", "REMITLY BUS", "SQUARE INC"]
TEMPLATES = ["{r}", "PAYMENT OF {r}", "PAY {r}", "ORDER OF {r}", "receipt number {r}", "Inv. {r}", "BILL {r}",
             "YOUR REF {r}", "REM ADV {r}", "SETTLEMENT {r} THANK YOU", "{r} remittance", "Doc {r}"]
GLUES = ["PAY{r}", "{r}REF", "ORDEROF{r}", "{r}/01", "RCPT{r}", "{r}PMT", "INV{r}X", "REF{r}"]
NOREF = ["", "THANK YOU", "PAYMENT", "SUPPLIER PAYMENT", "MONTHLY SETTLEMENT", "TRANSFER"]
UNKNOWN_PAYERS = ["HMRC VAT REFUND", "P ANDERSON", "CASH DEPOSIT BRANCH 44", "INTEREST CREDIT",
                  "UNIDENTIFIED CREDIT", "M LOPEZ PERSONAL"]
# the european ledger's words
SURNAMES_EU = ["Müller", "Schröder", "Weiß", "Łukasiewicz", "Sørensen", "Håkansson", "Dubois", "Lefèvre",
               "Gonçalves", "Núñez", "Novák", "Dvořák", "Öztürk", "Jääskeläinen", "Brückner", "Köhler",
               "Østergaard", "Ibáñez", "Größer", "Mérieux", "Zieliński", "Fäßler", "Ruiz", "Janssen"]
KIN_EU = ["& Söhne", "& Fils", "e Figli", "y Hermanos", "& Cie", "Gebrüder", "& Partner"]
PLACES_EU = ["Nordsee", "Rhône-Alpes", "Bodensee", "Île-de-France", "Großraum", "Västra", "Mälaren", "Côte d'Azur",
             "Schwarzwald", "Ørestad", "Münsterland", "Provence", "Castilla", "Tirol", "Värmland", "Ardèche"]
TRADES_EU = ["Maschinenbau", "Bäckereibedarf", "Pâtisserie", "Électricité", "Transportes", "Logística", "Stahlhandel",
             "Möbelwerk", "Druckerei", "Énergies", "Glasbläserei", "Holzbau", "Kältetechnik", "Métallurgie",
             "Büroausstattung", "Farmacéutica"]
LEGAL_EU = ["GmbH", "GmbH & Co. KG", "AG", "SARL", "S.A.S.", "S.L.", "S.p.A.", "AB", "ApS", "Sp. z o.o.",
            "s.r.o.", "e.K.", "Oy", ""]
TEMPLATES_EU = ["{r}", "Rechnung {r}", "RE {r}", "Rg.-Nr. {r}", "Facture {r}", "FACT. {r}", "Zahlung {r}",
                "Paiement facture {r}", "Ihre Rechnung {r} vom {d}", "Factura {r}", "Règlement {r} du {d}",
                "Begleichung {r} Danke"]
NOREF_EU = ["", "ZAHLUNG", "VIREMENT", "TRANSFERENCIA", "Sammelüberweisung", "Abschlagszahlung"]
PROCESSORS_EU = ["PAYPAL EUROPE *", "KLARNA", "SUMUP", "MOLLIE"]
# the lockbox ledgers' words: a US company paid by cheque through a bank lockbox
LEGAL_US = ["Inc.", "Incorporated", "LLC", "L.L.C.", "Corp.", "Corporation", "Co.", "Company", "LP", ""]
TEMPLATES_US = ["{r}", "INV {r}", "INV# {r}", "INVOICE NO {r}", "CHK {c} INV {r}", "CK#{c} {r}", "REMIT {r}",
                "PMT FOR INV {r}", "ACH CREDIT {r}", "CHECK {c} FOR {r}", "INVOICES {r}", "RE: {r}"]
NOREF_US = ["", "CHECK", "ACH CREDIT", "LOCKBOX DEPOSIT", "WIRE IN", "PAYMENT ON ACCOUNT"]
PROCESSORS_US = ["BILL.COM", "PAYPAL *", "INTUIT QB", "STRIPE TRANSFER"]
# the apac ledgers' words: a distributor in South-East Asia paid by GIRO, IBG and telegraphic transfer
SURNAMES_AP = ["Lim", "Tan", "Wong", "Nguyen", "Sharma", "Patel", "Santos", "Reyes", "Wijaya", "Chua", "Ong",
               "Goh", "Suzuki", "Kumar", "Iyer", "Pham", "Ng", "Teo", "Hassan", "Rahim", "Chandra", "Yap"]
KIN_AP = ["Brothers", "& Sons", "Holdings", "Group", "& Co"]
PLACES_AP = ["Golden Lotus", "Harbour City", "Pacific Rim", "Jade Dragon", "Eastern Star", "Lion City", "Straits",
             "Mekong", "Sunrise", "Evergreen", "Bayview", "Kowloon", "Sinar", "Maju Jaya", "Seri Murni"]
TRADES_AP = ["Trading", "Engineering", "Electronics", "Logistics", "Foods", "Textiles", "Hardware",
             "Marine Supplies", "Medical Supplies", "Plastics", "Printing", "Furniture", "Industries"]
LEGAL_AP = ["Pte. Ltd.", "Pte Ltd", "Sdn. Bhd.", "Sdn Bhd", "Co., Ltd.", "Pty Ltd", "Pvt. Ltd.", "Private Limited",
            "Limited", "Berhad", "K.K.", ""]
LEGAL_FIRST_AP = ["PT", "CV"]  # Indonesian forms, written before the name
TEMPLATES_AP = ["{r}", "PAYMENT FOR {r}", "INV NO. {r}", "INV NO: {r}", "IBG {r}", "GIRO {r}",
                "TT {r} LESS BANK CHGS", "BILL PAYMENT {r}", "SETTLE {r}", "OUR PO {p} YOUR INV {r}",
                "PYMT {r} DD {d}", "FAST {r}"]
NOREF_AP = ["", "PAYMENT", "GIRO PAYMENT", "TT REMITTANCE", "IBG TRANSFER", "FAST PAYMENT"]
PROCESSORS_AP = ["AIRWALLEX", "PAYONEER", "HSBCNET", "GRABPAY BIZ"]
# the latam ledgers' words: a wholesaler in Brazil and Mexico paid by PIX, TED, SPEI and boleto
SURNAMES_LA = ["Silva", "Santos", "Oliveira", "Pereira", "Hernández", "González", "Rodríguez", "Araújo", "Gonçalves",
               "Martínez", "Ramírez", "Cardoso", "Monteiro", "Vázquez", "Castro", "Azevedo", "Peña", "Fagundes"]
KIN_LA = ["& Filhos", "e Hijos", "Hermanos", "& Irmãos", "y Cía"]
TRADES_LA = ["Comercial", "Distribuidora", "Indústria", "Transportes", "Ferragens", "Alimentos", "Materiais de "
             "Construção", "Importadora", "Papelaria", "Agropecuária", "Farmacêutica", "Autopeças"]
LEGAL_LA = ["Ltda.", "S.A.", "S.A. de C.V.", "S. de R.L. de C.V.", "EIRELI", "ME", "EPP", "S.A.S.", ""]
TEMPLATES_LA = ["{r}", "PAGO FACTURA {r}", "PAGTO NF {r}", "NF {r}", "REF: {r}", "LIQUIDACION {r}",
                "BOLETO {b} NF {r}", "SPEI REF {s} CONCEPTO FACTURA {r}", "TED DOC {r}", "PIX {r}", "FOLIO {r}",
                "PAGAMENTO NF-e {r} VENC {d}"]
NOREF_LA = ["", "PIX RECEBIDO", "TED RECEBIDA", "SPEI RECIBIDO", "DEPOSITO", "TRANSFERENCIA"]
PROCESSORS_LA = ["MERCADO PAGO", "PAGSEGURO", "STONE PAGAMENTOS"]
FIRST_IN = ["Shree", "Sri", "Jai", "Om", "Sai", "New", "Royal", "Bharat", "National", "Universal"]
NAMES_IN = ["Ganesh", "Balaji", "Krishna", "Lakshmi", "Durga", "Sharma", "Patel", "Gupta", "Agarwal", "Reddy", "Iyer",
            "Mehta", "Venkateswara", "Murugan", "Shah", "Jain", "Singh", "Kapoor"]
TRADES_IN = ["Traders", "Enterprises", "Industries", "Textiles", "Agro Products", "Steel", "Pharma", "Polymers",
             "Engineering Works", "Electricals", "Auto Components", "Chemicals", "Packaging", "Exports"]
LEGAL_IN = ["Pvt. Ltd.", "Private Limited", "Ltd.", "Limited", "LLP", "& Co.", "& Sons", ""]
TEMPLATES_IN = ["{r}", "INV {r}", "BILL NO {r}", "AGST BILL {r}", "BEING PYMT AGST INV {r}",
                "PAYMENT AGAINST INVOICE NO. {r} DT {d}", "NEFT-{u}-{r}", "RTGS/{u}/{r}", "IMPS/{n}/{r}",
                "UPI/{n}/{r}/PAYMENT", "INV NO {r} DTD {d}", "BILL {r} PAYMENT"]
NOREF_IN = ["", "NEFT PAYMENT", "RTGS CREDIT", "ADVANCE", "ON ACCOUNT", "PAYMENT"]
PROCESSORS_IN = ["RAZORPAY", "CASHFREE", "PAYU", "BILLDESK"]
BANKS_IN = ["HDFC", "ICIC", "SBIN", "UTIB", "KKBK", "PUNB", "BARB", "YESB"]
# Kazakhstan and Russia, with a share of Greek customers: names in Cyrillic and Greek letters
NAMES_CY = ["Ромашка", "Восток", "Северная звезда", "Техносфера", "Агропром", "Стройинвест", "Энергомаш", "Жулдыз",
            "Южный порт", "Сибирь", "Мегаполис", "Алтын", "Байтерек", "Приоритет", "Хлебозавод", "Щит", "Юность",
            "Яблоко", "Ақ Жол", "Қазына"]
TRADES_CY = ["Трейд", "Логистик", "Снаб", "Строй", "Сервис", "Групп", "Инжиниринг", "Торг", "Агро", "Фарм"]
SURNAMES_CY = ["Иванов", "Ахметов", "Жуков", "Щербаков", "Юсупов", "Яковлев", "Хасанов", "Цой", "Нурланов",
               "Сейтказиев", "Ким", "Морозов"]
LEGAL_CY = {"ТОО": "Товарищество с ограниченной ответственностью",
            "ООО": "Общество с ограниченной ответственностью", "АО": "Акционерное общество",
            "ЗАО": "Закрытое акционерное общество", "ИП": "Индивидуальный предприниматель"}
NAMES_GR = ["Αθηναϊκή Τεχνική", "Ελληνικά Τρόφιμα", "Μακεδονική Ενέργεια", "Κρητικά Ελαιόλαδα", "Αιγαίο Ναυτιλιακή",
            "Θεσσαλική Χημική", "Ψηφιακά Συστήματα"]
LEGAL_GR = ["ΑΕ", "Α.Ε.", "ΕΠΕ", "ΙΚΕ"]
TEMPLATES_CY = ["{r}", "Оплата по счету № {r}", "Оплата по счету {r} от {d}", "Оплата по сч/ф {r}", "Счет {r}",
                "Оплата за товар по счету {r}, в т.ч. НДС 12%", "Оплата по договору № {c} счет {r}",
                "OPLATA PO SCHETU {r}", "INV {r}"]
NOREF_CY = ["", "ОПЛАТА", "ПРЕДОПЛАТА", "Оплата по договору", "PAYMENT"]
PROCESSORS_CY = ["KASPI PAY", "HALYK", "ЮMONEY"]
# How banks write Cyrillic and Greek in Latin letters: ICAO Doc 9303 (passports, SWIFT) and ELOT 743,
# not anyascii's own table (Ж ZH, Ю IU, Я IA, Й I, Х KH; Η I, Χ CH)
_ICAO = str.maketrans({**dict(zip("АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ",
                                  ["A", "B", "V", "G", "D", "E", "E", "ZH", "Z", "I", "I", "K", "L", "M", "N", "O",
                                   "P", "R", "S", "T", "U", "F", "KH", "TS", "CH", "SH", "SHCH", "IE", "Y", "", "E",
                                   "IU", "IA"])),
                       **dict(zip("ӘҒҚҢӨҰҮҺІ", "AGQNOUUHI")),
                       **dict(zip("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ",
                                  ["A", "V", "G", "D", "E", "Z", "I", "TH", "I", "K", "L", "M", "N", "X", "O", "P",
                                   "R", "S", "T", "Y", "F", "CH", "PS", "O"])),
                       "«": '"', "»": '"'})
TDS_SAID = ["", "", " LESS TDS", " TDS @{p}%", " NET OF TDS", " AFTER TDS DEDUCTION"]
TERMS = [("Net 30", 30, 0.0, 0), ("Net 45", 45, 0.0, 0), ("2/10 Net 30", 30, 0.02, 10),
         ("1/14 Net 30", 30, 0.01, 14), ("Net 60", 60, 0.0, 0), ("Due on receipt", 0, 0.0, 0)]


@dataclass
class House:
    """A company's numbering: how its invoices, documents and POs are spelled."""

    name: str
    # "billing" (ten digits with gaps), "fiscal" (F26-004512, dense), "slash" (RE26/004512),
    # "branch" (the issuing branch's letter and one dense sequence: B0045123), "sales" (SI-004512)
    # "nota" (a fiscal note's nine digits: 000123456), "gst" (INV/26-27/04512, afresh each fiscal
    # year) or "format" (``invoice_format``)
    invoice: str
    extra_column: str  # the further reference column named in MatchColumns
    # "document" (dense eight digits), "sparse" (random nine digits), "order" (SO-884512, dense)
    # "delivery" (DO2604512, dense), "pedido" (PED004512, dense) or "ewaybill" (random twelve digits)
    extra: str
    # "european", "us", "apac", "latam", "india" or "cis": names, remittance words and amounts as written
    words: str = "english"
    currency: str = "GBP"  # the base currency
    # with invoice "format": the InvoiceID as a str.format of its number n ({n:05d}), the year
    # (yy, yyyy; yy1 the next) and month (mm: numbered afresh each month, as in much of Europe)
    invoice_format: str = ""
    extra_format: str = ""  # with extra "format": the extra column's numbers, as invoice_format

    @property
    def european(self) -> bool:
        return self.words == "european"


HOUSES = {"single": House("single", "billing", "DocumentNo", "document"),
          "combined": House("combined", "fiscal", "BillingRef", "sparse"),
          "history": House("history", "fiscal", "BillingRef", "sparse"),
          "european": House("european", "slash", "Beleg", "document", "european", "EUR"),
          "eucombined": House("eucombined", "slash", "Beleg", "document", "european", "EUR"),
          "lockbox": House("lockbox", "branch", "OrderNo", "order", "us", "USD"),
          "lbcombined": House("lbcombined", "branch", "OrderNo", "order", "us", "USD"),
          "apac": House("apac", "sales", "DeliveryNo", "delivery", "apac", "SGD"),
          "apcombined": House("apcombined", "sales", "DeliveryNo", "delivery", "apac", "SGD"),
          "latam": House("latam", "nota", "Pedido", "pedido", "latam", "BRL"),
          "lacombined": House("lacombined", "nota", "Pedido", "pedido", "latam", "BRL"),
          "india": House("india", "gst", "EWayBillNo", "ewaybill", "india", "INR"),
          "incombined": House("incombined", "gst", "EWayBillNo", "ewaybill", "india", "INR"),
          "cis": House("cis", "billing", "OrderNo", "order", "cis", "KZT"),
          "ciscombined": House("ciscombined", "billing", "OrderNo", "order", "cis", "KZT")}


@dataclass
class Customer:
    cid: str
    name: str
    accounts: list[str]
    terms: tuple[str, int, float, int]
    currency: str
    payer: str  # how the bank prints it for this customer
    on_file: bool
    po_style: int
    invoices: list[dict] = field(default_factory=list)


def cents(x: float) -> int:
    return int(round(x * 100))


def money(c: int) -> float:
    return round(c / 100, 2)


class Ledger:
    def __init__(self, house: House, seed: int, customers: int, invoices: int, payments: int,
                 kinds: str, history: bool):
        self.h = house
        self.r = random.Random(seed)
        self.combined = kinds == "combined"
        self.history = history
        self.customers = [self._customer(k) for k in range(customers)]
        self.weights = [self.r.paretovariate(1.3) for _ in self.customers]  # a few customers buy most
        self._next_billing = 3130000000 + self.r.randint(0, 99999)
        self._next_fiscal = self.r.randint(1000, 5000)
        # GST invoices are numbered afresh each fiscal year (April to March): by the year it begins
        self._next_gst = {AS_OF.year: self.r.randint(1, 40), AS_OF.year - 1: self.r.randint(4000, 6000)} \
            if house.invoice == "gst" else {}
        self._next_in: dict[tuple[object, ...], int] = {}  # "format": the last number, by kind and period
        self._numbers: dict[str, int] = {}  # invoice "format": each InvoiceID's number
        self._next_doc = 49000000 + self.r.randint(0, 9999)
        self._used: set[str] = set()
        self.invoices: list[dict] = []
        for _ in range(invoices):
            self._invoice()
        self.payments: list[dict] = []
        self.truth: list[dict] = []
        self.applications: list[dict] = []
        self.posted: list[dict] = []
        if history:
            self._history()
        self._payments(payments)

    # ---- master data -------------------------------------------------------------------------
    def _customer(self, k: int) -> Customer:
        if self.h.european:
            return self._european_customer(k)
        if self.h.words == "apac":
            return self._apac_customer(k)
        if self.h.words == "latam":
            return self._latam_customer(k)
        if self.h.words == "india":
            return self._india_customer(k)
        if self.h.words == "cis":
            return self._cis_customer(k)
        r = self.r
        if r.random() < 0.45:
            words = [r.choice(SURNAMES), r.choice(KIN)]
        else:
            words = [r.choice(PLACES), r.choice(TRADES)]
        legal = r.choice(LEGAL)
        if self.h.words == "us":
            legal = r.choice(LEGAL_US)
            if r.random() < 0.15:  # a name carried over from an acquired business
                words = [*words, "dba", r.choice(PLACES), r.choice(TRADES)]
        name = " ".join(w for w in (*words, legal) if w)
        if r.random() < 0.1:
            name += " (" + r.choice(["North", "Scotland", "Wales", "Midlands", "Export"]) + ")"
        accounts = [self._account() for _ in range(r.choice([1, 1, 1, 2]))]
        roll = r.random()
        if roll < 0.18:  # an initialism: first letters of the words before the legal form
            letters = "".join("&" if w.startswith("&") else w[0] for w in " ".join(words).split()
                              if w.lower() not in ("and",))
            payer = letters.upper() + " " + r.choice(["LTD", "ENTERPRISES", "HOLDINGS", "GROUP", ""]).strip()
        elif roll < 0.28:
            payer = r.choice(BRANDS) + r.choice(["", " LTD", " TRADING"])
        elif roll < 0.45:
            # cut at a field's length: 16 (ACH company name), 22 (ACH individual name) or 18
            payer = name.upper()[:r.choice([16, 22]) if self.h.words == "us" else 18]
        elif roll < 0.55:
            processors = PROCESSORS_US if self.h.words == "us" else PROCESSORS
            payer = r.choice(processors) + " " + " ".join(words).upper()
        else:
            payer = " ".join(words).upper() if r.random() < 0.5 else name.upper()
        terms = r.choices(TERMS, [40, 15, 15, 10, 10, 10])[0]
        currency = (r.choices(["USD", "CAD"], [92, 8])[0] if self.h.words == "us" else
                    r.choices(["GBP", "EUR", "USD"], [85, 10, 5])[0])
        cid = f"{name[:3].upper()}{k + 1:03d}" if self.h.words == "us" else f"K{k + 1:04d}"
        return Customer(cid, name, accounts, terms, currency, payer.strip(), r.random() < 0.2,
                        r.randrange(3))

    def _european_customer(self, k: int) -> Customer:
        """A customer named in its own language; its bank prints the name in capitals without
        accents, umlauts spelled out by some banks (UE) and dropped by others (U), often cut."""
        r = self.r
        if r.random() < 0.5:
            words = [r.choice(SURNAMES_EU), r.choice(KIN_EU)]
        else:
            words = [r.choice(PLACES_EU), r.choice(TRADES_EU)]
        name = " ".join(w for w in (*words, r.choice(LEGAL_EU)) if w)
        accounts = [self._iban() for _ in range(r.choice([1, 1, 2]))]
        printed = bank_print(name, german=r.random() < 0.5)
        payer = self._printed(
            lambda: "".join(w[0] for w in bank_print(" ".join(words), german=False).split() if w[0].isalpha())
            + " " + r.choice(["GMBH", "SARL", "SL", ""]),
            printed, [18, 22, 27, 35],
            lambda: r.choice(PROCESSORS_EU) + " " + bank_print(" ".join(words), german=r.random() < 0.5), 0.15)
        terms = r.choices(TERMS, [40, 15, 15, 10, 10, 10])[0]
        currency = r.choices(["EUR", "CHF", "SEK"], [85, 10, 5])[0]
        return Customer(f"D-{k + 1:05d}", name, accounts, terms, currency, payer.strip(), r.random() < 0.2,
                        r.randrange(3))

    def _apac_customer(self, k: int) -> Customer:
        """A customer in South-East Asia; its bank prints the name in capitals, the legal form
        often shortened or cut off (PTE LTD, SDN BHD), an Indonesian one's form before it."""
        r = self.r
        if r.random() < 0.4:
            words = [r.choice(SURNAMES_AP), r.choice(KIN_AP)]
        else:
            words = [r.choice(PLACES_AP), r.choice(TRADES_AP)]
        if r.random() < 0.12:
            name = r.choice(LEGAL_FIRST_AP) + " " + " ".join(words)
        else:
            name = " ".join(w for w in (*words, r.choice(LEGAL_AP)) if w)
        accounts = [f"{r.randint(100, 999)}-{r.randint(100000, 999999)}-{r.randint(0, 9)}"
                    for _ in range(r.choice([1, 1, 2]))]
        printed = name.upper().replace(".", "").replace(",", "")
        payer = self._printed(
            lambda: "".join(w[0] for w in " ".join(words).split() if w[0].isalpha()) + " " + r.choice(
                ["PTE LTD", "SDN BHD", "CO LTD", ""]),
            printed, [20, 24, 35], lambda: r.choice(PROCESSORS_AP) + " " + " ".join(words).upper(), 0.15)
        terms = r.choices(TERMS, [40, 15, 15, 10, 10, 10])[0]
        currency = r.choices(["SGD", "MYR", "USD", "AUD"], [70, 10, 10, 10])[0]
        return Customer(f"C{k + 1:05d}", name, accounts, terms, currency, payer.strip(), r.random() < 0.2,
                        r.randrange(3))

    def _latam_customer(self, k: int) -> Customer:
        """A customer in Brazil or Mexico; its bank prints the name in capitals without accents,
        often cut at 30, or the trade name only."""
        r = self.r
        words = [r.choice(TRADES_LA), r.choice(SURNAMES_LA)] + ([r.choice(KIN_LA)] if r.random() < 0.3 else [])
        name = " ".join(w for w in (*words, r.choice(LEGAL_LA)) if w)
        accounts = [f"{r.randint(1, 999):03d} {r.randint(1000, 9999)} {r.randint(10000, 999999)}-{r.randint(0, 9)}"
                    for _ in range(r.choice([1, 1, 2]))]
        printed = bank_print(name, german=False).replace(".", "")
        payer = self._printed(
            lambda: "".join(w[0] for w in bank_print(" ".join(words), german=False).split() if w[0].isalpha())
            + " " + r.choice(["LTDA", "SA", "SA DE CV", ""]),
            printed, [20, 30], lambda: r.choice(PROCESSORS_LA) + " " + bank_print(" ".join(words), german=False), 0.12)
        terms = r.choices(TERMS, [40, 15, 15, 10, 10, 10])[0]
        currency = r.choices(["BRL", "MXN", "COP", "USD"], [65, 20, 5, 10])[0]
        return Customer(f"CLI{k + 1:05d}", name, accounts, terms, currency, payer.strip(), r.random() < 0.2,
                        r.randrange(3))

    def _india_customer(self, k: int) -> Customer:
        """A customer in India; its bank prints the name in capitals without dots, often with
        M/S (messrs) before it and its PVT LTD spelled another way, cut at 20, 30 or 35."""
        r = self.r
        words = ([r.choice(FIRST_IN)] if r.random() < 0.4 else []) + [r.choice(NAMES_IN), r.choice(TRADES_IN)]
        name = " ".join(w for w in (*words, r.choice(LEGAL_IN)) if w)
        accounts = [f"{r.choice(BANKS_IN)}0{r.randint(100000, 999999)} {''.join(r.choices(string.digits, k=14))}"
                    for _ in range(r.choice([1, 1, 2]))]
        printed = name.upper().replace(".", "").replace(",", "")
        if r.random() < 0.3:
            printed = printed.replace("PRIVATE LIMITED", "PVT LTD").replace(
                "PVT LTD", r.choice(["P LTD", "PRIVATE LIMITED", "PVT LIMITED"]))
        if r.random() < 0.25:
            printed = "M/S " + printed
        payer = self._printed(
            lambda: "".join(w[0] for w in " ".join(words).split()).upper() + " " + r.choice(["PVT LTD", "LLP", ""]),
            printed, [20, 30, 35], lambda: r.choice(PROCESSORS_IN) + " " + " ".join(words).upper(), 0.1)
        terms = r.choices(TERMS, [40, 15, 15, 10, 10, 10])[0]
        currency = r.choices(["INR", "USD", "AED"], [85, 10, 5])[0]
        return Customer(f"CUS-{k + 1:04d}", name, accounts, terms, currency, payer.strip(), r.random() < 0.2,
                        r.randrange(3))

    def _cis_customer(self, k: int) -> Customer:
        """A customer in Kazakhstan or Russia named in Cyrillic (ТОО «Жулдыз Трейд», ИП Ахметов), or
        one in Greece in Greek (Αθηναϊκή Τεχνική ΑΕ). A bank at home prints the name in Cyrillic
        capitals, the legal form as written or spelled out (ТОВАРИЩЕСТВО С ОГРАНИЧЕННОЙ
        ОТВЕТСТВЕННОСТЬЮ "ЖУЛДЫЗ ТРЕЙД"); a bank abroad in Latin letters by the ICAO or ELOT table
        (ZHULDYZ TREID), often cut at 35."""
        r = self.r
        if r.random() < 0.15:
            words = [r.choice(NAMES_GR)]
            form = r.choice(LEGAL_GR)
            name = f"{words[0]} {form}"
            spelled = name
        else:
            form = r.choice(list(LEGAL_CY))
            if form == "ИП":  # a sole trader: the surname and initials
                words = [r.choice(SURNAMES_CY), r.choice("АБВГДЕЖИКМНОСТ") + "." + r.choice("АБВГДЕЖИКМНОСТ") + "."]
                name = f"{form} {' '.join(words)}"
            else:
                words = [r.choice(NAMES_CY)] + ([r.choice(TRADES_CY)] if r.random() < 0.5 else [])
                quoted = r.choice(["«{}»", '"{}"']).format(" ".join(words))
                name = f"{form} {quoted}"
            spelled = LEGAL_CY[form] + ' "' + " ".join(words) + '"'
        accounts = [f"KZ{r.randint(10, 99)}{r.randint(100, 999)}{''.join(r.choices(string.digits, k=13))}"
                    for _ in range(r.choice([1, 1, 2]))]
        roll = r.random()
        latin = r.random() < 0.4  # paid from abroad (or by a bank printing only Latin letters)
        if roll < 0.25:
            payer = (spelled if latin or r.random() < 0.5 else name).upper()
        elif roll < 0.35:
            payer = r.choice(PROCESSORS_CY) + " " + " ".join(words).upper()
        elif roll < 0.55:
            payer = " ".join(words).upper()
        else:
            payer = name.upper()
        if latin:
            payer = bank_print(unicodedata.normalize("NFKD", payer).translate(_ICAO), german=False)[
                :r.choice([35, 35, 140])]
        terms = r.choices(TERMS, [40, 15, 15, 10, 10, 10])[0]
        currency = r.choices(["KZT", "RUB", "USD"], [80, 10, 10])[0]
        return Customer(f"KL{k + 1:04d}", name, accounts, terms, currency, payer.strip(), r.random() < 0.2,
                        r.randrange(3))

    def _printed(self, initials: Callable[[], str], printed: str, cuts: list[int], processor: Callable[[], str],
                 as_initials: float) -> str:
        """How a bank prints a customer's name: as its initials (a share ``as_initials`` of
        customers), cut at one of a field's lengths, behind a payment processor, or whole."""
        roll = self.r.random()
        if roll < as_initials:
            return initials()
        if roll < 0.4:
            return printed[:self.r.choice(cuts)]
        return processor() if roll < 0.5 else printed

    def _iban(self) -> str:
        r = self.r
        country = r.choice(["DE", "FR", "ES", "AT", "NL", "SE"])
        digits = "".join(r.choices(string.digits, k=18))
        return f"{country}{r.randint(10, 99)} " + " ".join(digits[i:i + 4] for i in range(0, 18, 4))

    def _account(self) -> str:
        r = self.r
        if self.h.words == "us":  # routing number and account number, as a lockbox file gives them
            return f"{r.randint(10 ** 8, 10 ** 9 - 1)}-{r.randint(10 ** 5, 10 ** 10 - 1)}"
        if r.random() < 0.6:
            bank = "".join(r.choices(string.ascii_uppercase, k=4))
            return f"GB{r.randint(10, 99)} {bank} {''.join(r.choices(string.digits, k=14))}"
        return "ACCT " + "".join(r.choices(string.digits, k=12))

    def _formatted(self, fmt: str, date: dt.date, kind: str) -> str:
        """The next number of a ``kind`` of document in the grammar ``fmt`` (House.invoice_format)."""
        period = (kind, date.year, date.month) if "{mm" in fmt else (kind,)
        self._next_in[period] = self._next_in.get(period, self.r.randint(1, 40) if len(period) > 1 else 1000) + 1
        n = self._next_in[period]
        ref = fmt.format(n=n, yy=date.year % 100, yy1=(date.year + 1) % 100, yyyy=date.year, mm=date.month)
        self._numbers[ref] = n
        return ref

    def _invoice_id(self, date: dt.date) -> str:
        if self.h.invoice == "format":
            return self._formatted(self.h.invoice_format, date, "invoice")
        if self.h.invoice == "gst":
            year = date.year if date.month >= 4 else date.year - 1
            self._next_gst[year] = self._next_gst.get(year, 1) + 1
            return f"INV/{year % 100:02d}-{(year + 1) % 100:02d}/{self._next_gst[year]:05d}"
        if self.h.invoice == "billing":
            self._next_billing += self.r.randint(1, 25)
            return str(self._next_billing)
        self._next_fiscal += 1
        if self.h.invoice == "branch":
            return self.r.choices("ABCDH", [40, 25, 15, 15, 5])[0] + f"{self._next_fiscal + 40000:07d}"
        if self.h.invoice == "slash":
            return f"RE26/{self._next_fiscal:06d}"
        if self.h.invoice == "sales":
            return f"SI-{self._next_fiscal:06d}"
        if self.h.invoice == "nota":
            return f"{self._next_fiscal + 120000:09d}"
        return f"F26-{self._next_fiscal:06d}"

    def _extra(self, date: dt.date) -> str:
        if self.h.extra == "format":
            return self._formatted(self.h.extra_format, date, "extra")
        if self.h.extra == "order":
            self._next_doc += self.r.randint(1, 2)
            return f"SO-{self._next_doc % 1000000:06d}"
        if self.h.extra == "pedido":
            self._next_doc += self.r.randint(1, 2)
            return f"PED{self._next_doc % 1000000:06d}"
        if self.h.extra == "delivery":
            self._next_doc += 1
            return f"DO26{self._next_doc % 100000:05d}"
        if self.h.extra == "ewaybill":
            return str(self._fresh(10 ** 11, 10 ** 12 - 1))
        if self.h.extra == "document":
            self._next_doc += self.r.randint(1, 3)
            return str(self._next_doc)
        return str(self._fresh(10 ** 8, 10 ** 9 - 1))

    def _fresh(self, low: int, high: int) -> int:
        """A random number between ``low`` and ``high`` not drawn before."""
        while True:
            value = self.r.randint(low, high)
            if value not in self._used:
                self._used.add(value)
                return value

    def _po(self, c: Customer) -> str:
        r = self.r
        if c.po_style == 0:
            return "45" + "".join(r.choices(string.digits, k=8))
        if c.po_style == 1:
            return f"PO-{r.randint(10000, 99999)}"
        initials = "".join(w[0] for w in c.name.split()[:2]).upper()
        return f"{initials}/{r.randint(1000, 9999)}"

    def _invoice(self) -> dict:
        r = self.r
        c = r.choices(self.customers, self.weights)[0]
        age = min(int(r.expovariate(1 / 40)) + 3, 300)
        date = AS_OF - dt.timedelta(days=age)
        amount = cents(min(max(r.lognormvariate(6.8, 1.2), 15), 180000))
        inv = dict(InvoiceID=self._invoice_id(date), CustomerID=c.cid, InvoiceDate=date,
                   DueDate=date + dt.timedelta(days=c.terms[1]), Amount=amount, Currency=c.currency,
                   PONumber=self._po(c) if r.random() < 0.7 else "", Extra=self._extra(date), _open=amount,
                   _customer=c)
        c.invoices.append(inv)
        self.invoices.append(inv)
        return inv

    # ---- noise -------------------------------------------------------------------------------
    def typo(self, ref: str) -> str:
        r = self.r
        digits = [k for k, ch in enumerate(ref) if ch.isdigit()]
        k = r.choice(digits[1:-1] or digits)
        op = r.choice(["insert", "drop", "double", "transpose", "replace"])
        if op == "insert":
            return ref[:k] + r.choice(string.digits) + ref[k:]
        if op == "drop":
            return ref[:k] + ref[k + 1:]
        if op == "double":
            return ref[:k] + ref[k] + ref[k:]
        if op == "transpose" and k + 1 < len(ref) and ref[k + 1].isdigit() and ref[k] != ref[k + 1]:
            return ref[:k] + ref[k + 1] + ref[k] + ref[k + 2:]
        return ref[:k] + str((int(ref[k]) + r.randint(1, 9)) % 10) + ref[k + 1:]

    def split(self, ref: str) -> str:
        digits = "".join(ch for ch in ref if ch.isdigit())
        if len(digits) < 5:
            return ref
        head = ref[:len(ref) - len(ref.lstrip(string.ascii_letters + "-"))] if not ref[0].isdigit() else ""
        cut = self.r.randint(2, len(digits) - 2)
        return head + digits[:cut] + self.r.choice([" ", " ", "-", " - "]) + digits[cut:]

    def glued(self, ref: str) -> str:
        return self.r.choice(GLUES).format(r=ref.replace("-", "") if self.r.random() < 0.5 else ref)

    def spell(self, inv: dict, noises: set[str]) -> str:
        """One invoice as the remittance names it, with the reference noises asked for."""
        r = self.r
        ref = inv["InvoiceID"]
        if "column" in noises:
            ref = inv["Extra"] if not inv["PONumber"] or r.random() < 0.6 else inv["PONumber"]
            if self.h.extra == "format" and ref == inv["Extra"] and r.random() < 0.35:  # its number alone
                ref = r.choice([str(self._numbers[ref]), re.sub(r"[^A-Z0-9]", "", ref)])
        elif self.h.invoice == "format" and r.random() < 0.35:  # its number alone, or run together
            ref = r.choice([str(self._numbers[ref]), re.sub(r"[^A-Z0-9]", "", ref), re.sub(r"[^A-Z0-9]+", " ", ref)])
        elif self.h.invoice == "gst" and r.random() < 0.35:  # the year or the prefix left out, or the zeros
            _, year, number = ref.split("/")
            ref = r.choice([number.lstrip("0"), f"{year}/{number}", f"INV/{year}/{number.lstrip('0')}",
                            ref.replace("/", "")])
        elif r.random() < 0.3 and self.h.invoice in ("fiscal", "slash", "sales"):
            ref = re.split(r"[-/]", ref)[1].lstrip("0") if r.random() < 0.5 else re.sub(r"[-/]", "", ref)
        elif self.h.invoice == "branch" and r.random() < 0.3:  # the branch letter or the zeros left out
            ref = ref[1:].lstrip("0") if r.random() < 0.5 else ref[1:]
        elif self.h.invoice == "nota" and r.random() < 0.4:  # a fiscal note's number grouped, or its zeros left out
            plain = ref.lstrip("0")
            ref = r.choice([plain, f"{int(plain):,}".replace(",", "."), f"{ref[:3]}.{ref[3:6]}.{ref[6:]}"])
        if "typo" in noises:
            ref = self.typo(ref)
        if "split" in noises:
            ref = self.split(ref)
        if "glued" in noises:
            ref = self.glued(ref)
        return ref

    def text(self, refs: list[str], noises: set[str], amounts: list[int] | None = None) -> str:
        r = self.r
        if self.h.european:
            return self._european_text(refs, noises, amounts or [])
        if self.h.words == "us":
            return self._lockbox_text(refs, noises, amounts or [])
        if self.h.words == "apac":
            return self._apac_text(refs, noises, amounts or [])
        if self.h.words == "latam":
            return self._latam_text(refs, noises, amounts or [])
        if self.h.words == "india":
            return self._india_text(refs, noises, amounts or [])
        if self.h.words == "cis":
            return self._cis_text(refs, noises, amounts or [])
        joined = r.choice([" ", ", ", "; ", " / "]).join(refs)
        template = "{r}" if "glued" in noises else r.choice(TEMPLATES)
        text = template.format(r=joined)
        if r.random() < 0.1:
            text += f" RCPT {r.randint(100000, 999999)}"  # the payer's own receipt number, not ours
        return text

    def _european_text(self, refs: list[str], noises: set[str], amounts: list[int]) -> str:
        """The remittance as a European payer writes it: in its language, sometimes with the
        invoice's date, and for several invoices sometimes each with its amount, written with a
        decimal comma."""
        r = self.r
        if len(refs) > 1 and len(amounts) == len(refs) and r.random() < 0.4:
            grouping = r.choice([".", ".", " ", "\u00a0"])  # German 1.234,56; French 1 234,56
            joined = "; ".join(f"{ref} {decimal_comma(a, grouping)}" for ref, a in zip(refs, amounts))
        else:
            joined = r.choice([" ", ", ", "; ", " / "]).join(refs)
        template = "{r}" if "glued" in noises else r.choice(TEMPLATES_EU)
        day = AS_OF - dt.timedelta(days=r.randint(10, 90))
        text = template.format(r=joined, d=day.strftime("%d.%m.%Y"))
        if r.random() < 0.1:
            text += f" Kd.-Nr. {r.randint(10000, 99999)}"  # the payer's customer number with us, not an invoice
        return text

    def _lockbox_text(self, refs: list[str], noises: set[str], amounts: list[int]) -> str:
        """The remittance as a lockbox keys it from a cheque stub: the cheque number beside the
        invoices, for several invoices often each with its amount in dollars."""
        r = self.r
        if len(refs) > 1 and len(amounts) == len(refs) and r.random() < 0.5:
            joined = " ".join(f"{ref} ${a / 100:,.2f}" if r.random() < 0.5 else f"{ref} {a / 100:.2f}"
                              for ref, a in zip(refs, amounts))
        else:
            joined = r.choice([" ", ", ", "; ", " / ", " & "]).join(refs)
        template = "{r}" if "glued" in noises else r.choice(TEMPLATES_US)
        return template.format(r=joined, c=r.randint(1000, 99999))

    def _listed(self, refs: list[str], amounts: list[int], each: Callable[[str, int], str], between: str,
                conjunction: str) -> str:
        """Several invoices as a payer lists them: for 4 lists in 10 each with its amount
        (``each``, joined by ``between``), else separated by a space, a comma, a semicolon, a
        slash or the language's "and" (``conjunction``)."""
        if len(refs) > 1 and len(amounts) == len(refs) and self.r.random() < 0.4:
            return between.join(each(ref, a) for ref, a in zip(refs, amounts))
        return self.r.choice([" ", ", ", "; ", " / ", conjunction]).join(refs)

    def _cis_text(self, refs: list[str], noises: set[str], amounts: list[int]) -> str:
        """A payment order's purpose as written in Kazakhstan or Russia: in Russian, with the
        invoice's date or a contract number (not ours) beside it, amounts as 1 234,56 ТГ; from
        abroad in Latin letters."""
        r = self.r
        joined = self._listed(refs, amounts, lambda ref, a: f"{ref} {decimal_comma(a, ' ')} ТГ", "; ", " и ")
        template = "{r}" if "glued" in noises else r.choice(TEMPLATES_CY)
        day = AS_OF - dt.timedelta(days=r.randint(10, 90))
        return template.format(r=joined, d=day.strftime("%d.%m.%Y"), c=f"{r.randint(1, 99)}/{r.randint(100, 999)}")

    def _apac_text(self, refs: list[str], noises: set[str], amounts: list[int]) -> str:
        """The remittance of a GIRO, IBG or telegraphic transfer: for several invoices sometimes
        each with its amount ("SI-004512 AMT 1,234.56"), sometimes the payer's own PO number or a date
        (12/05/2026) beside them."""
        r = self.r
        joined = self._listed(refs, amounts, lambda ref, a: f"{ref} AMT {a / 100:,.2f}", ", ", " & ")
        template = "{r}" if "glued" in noises else r.choice(TEMPLATES_AP)
        day = AS_OF - dt.timedelta(days=r.randint(10, 90))
        return template.format(r=joined, p="45" + "".join(r.choices(string.digits, k=8)),
                               d=day.strftime("%d/%m/%Y"))

    def _latam_text(self, refs: list[str], noises: set[str], amounts: list[int]) -> str:
        """The remittance of a PIX, TED, SPEI or boleto credit: a boleto's digit line or a SPEI
        reference number beside the invoices (numbers not ours), amounts as R$ 1.234,56."""
        r = self.r
        joined = self._listed(refs, amounts, lambda ref, a: f"{ref} R$ {decimal_comma(a)}", " ", " E ")
        template = "{r}" if "glued" in noises else r.choice(TEMPLATES_LA)
        digits = "".join(r.choices(string.digits, k=47))
        boleto = f"{digits[:5]}.{digits[5:10]} {digits[10:15]}.{digits[15:21]} {digits[21:26]}.{digits[26:32]} " \
                 f"{digits[32]} {digits[33:]}"
        day = AS_OF + dt.timedelta(days=r.randint(-30, 30))
        return template.format(r=joined, b=boleto, s=r.randint(1000000, 9999999), d=day.strftime("%d/%m/%Y"))

    def _india_text(self, refs: list[str], noises: set[str], amounts: list[int]) -> str:
        """The narration of a NEFT, RTGS, IMPS or UPI credit: the bank's UTR (16 or 22
        characters) or a twelve-digit RRN beside the invoices, amounts grouped in lakhs
        (RS.1,23,456.78), a date as 12-05-2026."""
        r = self.r
        joined = self._listed(refs, amounts, lambda ref, a: f"{ref} RS.{indian_grouping(a)}", ", ", " & ")
        template = "{r}" if "glued" in noises else r.choice(TEMPLATES_IN)
        day = AS_OF - dt.timedelta(days=r.randint(10, 90))
        bank = r.choice(BANKS_IN)
        utr = (f"{bank}N{day:%y}{day.timetuple().tm_yday:03d}{r.randint(0, 999999):06d}" if r.random() < 0.6
               else f"{bank}R5{day:%Y%m%d}{r.randint(0, 99999999):08d}")
        rrn = f"{day:%y}"[-1] + f"{day.timetuple().tm_yday:03d}{r.randint(0, 23):02d}{r.randint(0, 999999):06d}"
        return template.format(r=joined, u=utr, n=rrn, d=day.strftime(r.choice(["%d-%m-%Y", "%d.%m.%y", "%d/%m/%Y"])))

    # ---- history -----------------------------------------------------------------------------
    def _history(self) -> None:
        """Payments posted before this batch: some invoices paid in full (their payments carry
        the payer's account), some paid by a first instalment (the rest still open)."""
        r = self.r
        n = 0
        for c in self.customers:
            for inv in list(c.invoices):
                if inv["_open"] <= 0 or r.random() > 0.12:
                    continue
                n += 1
                pid = f"H{n:05d}"
                amount = inv["Amount"] if r.random() < 0.7 else inv["Amount"] // 2
                received = min(inv["InvoiceDate"] + dt.timedelta(days=r.randint(10, 40)), AS_OF - dt.timedelta(days=6))
                self.posted.append(dict(PaymentID=pid, ReceivedDate=received, PayerName=c.payer, Amount=money(amount),
                                        Currency=c.currency, Method="Bank transfer", PayerAccount=r.choice(c.accounts),
                                        Reference=inv["InvoiceID"], MatchStatus="Posted", MatchedCustomerID=c.cid,
                                        MatchedInvoices=inv["InvoiceID"], Confidence=99.0, Unapplied=0))
                self.applications.append(dict(
                    ApplicationID=f"A{len(self.applications) + 1:07d}",
                    PostedAt=dt.datetime.combine(received, dt.time(17, 0)), PaymentID=pid,
                    InvoiceID=inv["InvoiceID"], CustomerID=c.cid, AppliedAmount=money(amount), DiscountTaken=0,
                    WriteOff=0, ShortPay=0, ReasonCode="PAID" if amount == inv["Amount"] else "PARTIAL",
                    Source=r.choice(["Auto", "Auto", "Approved"]), Confidence=99.0))
                inv["_open"] -= amount
                inv["_paid_before"] = amount

    # ---- payments ----------------------------------------------------------------------------
    def _payments(self, n: int) -> None:
        r = self.r
        kinds = [("clean", 22), ("multi", 10), ("discount", 6), ("instal", 9), ("deduct", 7), ("onepaid", 4),
                 ("partial", 3), ("over", 3), ("noref", 6), ("typo", 8), ("split", 6), ("glued", 6),
                 ("column", 8), ("unknown", 2)]
        if self.history:
            kinds.append(("paidalready", 2))
        if self.h.words == "india":
            kinds.append(("tds", 8))
        k = 0
        while k < n:
            kind = r.choices([x for x, _ in kinds], [w for _, w in kinds])[0]
            if kind == "unknown":
                self._pay(k, None, [], r.choice(UNKNOWN_PAYERS), cents(r.lognormvariate(5.5, 1)),
                          r.choice(["", "REFUND", f"REF {r.randint(1000, 9999)}"]), "unknown")
                k += 1
                continue
            if kind == "paidalready":
                paid = [i for i in self.invoices if i.get("_paid_before") == i["Amount"]]
                inv = r.choice(paid)
                c = inv["_customer"]
                self._pay(k, c, [], c.payer, inv["Amount"], self.text([inv["InvoiceID"]], set()), "paidalready")
                k += 1
                continue
            noises = {kind} if kind in ("typo", "split", "glued", "column") else set()
            amount_kind = kind if kind not in noises else "clean"
            if self.combined and amount_kind == "clean" and r.random() < 0.6:
                amount_kind = r.choice(["multi", "instal", "deduct", "discount", "onepaid", "partial", "noref"]
                                       + (["tds"] if self.h.words == "india" else []))
            if amount_kind == "noref":
                noises = set()
            if self.combined and amount_kind != "noref":
                noises.update(r.sample(["typo", "split", "glued", "column"], r.choice([1, 1, 2])))
            k += self._make(k, amount_kind, noises)

    def _open(self, c: Customer) -> list[dict]:
        return [i for i in c.invoices if i["_open"] > 0 and i["Currency"] == c.currency]

    def _make(self, k: int, kind: str, noises: set[str]) -> int:
        """Payments of one kind from one customer; returns how many were made."""
        r = self.r
        c = r.choice(self.customers)
        opens = self._open(c)
        want = {"multi": r.randint(2, 5), "deduct": r.randint(2, 4), "onepaid": 2, "noref": r.choice([1, 1, 2])}
        count = r.choice([1, 1, 2, 3]) if kind == "tds" else want.get(kind, 1)
        if len(opens) < count:
            return 0
        chosen = r.sample(opens, count)
        received = AS_OF - dt.timedelta(days=r.randint(0, 4))
        if any(i["InvoiceDate"] > received for i in chosen):
            return 0
        label = "+".join(sorted(noises | {kind}))
        # in a list, the noise falls on some of the references; a combined one may leave one out
        noisy = set(r.sample(range(count), r.randint(1, count)))
        refs = [self.spell(i, noises if j in noisy else set()) for j, i in enumerate(chosen)]
        if self.combined and count > 2 and r.random() < 0.3:
            refs.pop(r.randrange(count))
            label += "+leftout"
        if kind == "noref":
            text = r.choice(NOREF_BY_WORDS[self.h.words])
        else:
            # several invoices paid in full: a European payer or a cheque stub may give each one's amount
            quoted = [i["_open"] for i in chosen] if kind == "multi" and len(refs) == count else None
            text = self.text(refs, noises, quoted)
        lines = [(i, i["_open"], 0, 0) for i in chosen]  # (invoice, applied, discount, short)
        amount = sum(a for _, a, _, _ in lines)
        if kind == "discount":
            _, days, rate, within = c.terms
            if not rate:
                return 0
            inv = chosen[0]
            if (received - inv["InvoiceDate"]).days > within + 3:
                return 0
            disc = int(round(inv["_open"] * rate))
            lines = [(inv, inv["_open"] - disc, disc, 0)]
            amount = inv["_open"] - disc
        elif kind == "deduct":
            which = r.randrange(count)
            inv = chosen[which]
            short = r.choice([r.randint(100, 3000), r.randint(50, 2500), int(inv["_open"] * r.uniform(0.01, 0.05))])
            short = min(short, inv["_open"] // 3)
            if short <= 0:
                return 0
            lines[which] = (inv, inv["_open"] - short, 0, short)
            amount -= short
        elif kind == "tds":
            # tax deducted at source: a share of each invoice before its 18% GST, in whole rupees
            rate = r.choice([1, 2, 2, 10])
            withheld = [int(round(i["_open"] / 1.18 * rate / 100 / 100)) * 100 for i in chosen]
            lines = [(i, i["_open"] - tds, 0, tds) for i, tds in zip(chosen, withheld)]
            amount = sum(a for _, a, _, _ in lines)
            text += r.choice(TDS_SAID).format(p=rate)
        elif kind == "onepaid":
            lines = lines[:1]
            amount = lines[0][1]
        elif kind == "partial":
            inv = chosen[0]
            part = int(inv["_open"] * r.choice([0.3, 0.4, 0.5, 0.6]))
            lines = [(inv, part, 0, 0)]
            amount = part
            text += r.choice(["", "", " PART PAYMENT", " ON ACCOUNT OF"])
        elif kind == "over":
            amount += r.choice([100, 2500, 10000, amount // 20])
        if kind == "instal":
            inv = chosen[0]
            parts = r.choice([[50, 50], [40, 60], [34, 33, 33], [25, 75]])
            open_cents = inv["_open"]
            amounts = [open_cents * p // 100 for p in parts]
            amounts[-1] += open_cents - sum(amounts)
            for j, a in enumerate(amounts):
                ref = self.spell(inv, noises)
                self._pay(k + j, c, [(inv, a, 0, 0)], c.payer, a, self.text([ref], noises)
                          + r.choice(["", f" INSTALMENT {j + 1}", " PART"]), label, received - dt.timedelta(days=j))
            inv["_open"] = 0
            return len(amounts)
        self._pay(k, c, lines, c.payer, amount, text, label, received)
        for inv, *_ in lines:
            inv["_open"] = 0
        return 1

    def _pay(self, k: int, c: Customer | None, lines: list, payer: str, amount: int, text: str, kind: str,
             received: dt.date | None = None) -> None:
        r = self.r
        pid = f"R{k + 1:06d}"
        if c is not None and r.random() < 0.04:
            payer = self.typo_name(payer)
        account = r.choice(c.accounts) if c is not None and r.random() < 0.93 else ""
        self.payments.append(dict(PaymentID=pid, ReceivedDate=received or AS_OF - dt.timedelta(days=r.randint(0, 4)),
                                  PayerName=payer, Amount=money(amount),
                                  Currency=c.currency if c is not None else self.h.currency,
                                  Method=r.choice(["Bank transfer", "Faster Payment", "Cheque", "Card"]),
                                  PayerAccount=account, Reference=text))
        if not lines:
            self.truth.append(dict(PaymentID=pid, InvoiceID="", Applied=0, Discount=0, ShortPay=0, Kind=kind))
        for inv, applied, disc, short in lines:
            self.truth.append(dict(PaymentID=pid, InvoiceID=inv["InvoiceID"], Applied=money(applied),
                                   Discount=money(disc), ShortPay=money(short), Kind=kind))

    def typo_name(self, name: str) -> str:
        if len(name) < 6:
            return name
        i = self.r.randrange(1, len(name) - 2)
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]

    # ---- writing -----------------------------------------------------------------------------
    def write(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        book = out / "book.xlsx"
        book.unlink(missing_ok=True)
        customers = [dict(CustomerID=c.cid, Name=c.name, Terms=c.terms[0], Currency=c.currency,
                          BankAccounts=c.accounts[0] if c.on_file else "") for c in self.customers]
        invoices = [{k: (money(v) if k == "Amount" else v) for k, v in i.items() if not k.startswith("_")
                     and k != "Extra"} for i in self.invoices]
        rows = {"Customers": customers, "Invoices": invoices, "Payments": self.posted + self.payments,
                "Applications": self.applications}
        new_workbook(book, rows=rows, settings={"AsOfDate": AS_OF, "BaseCurrency": self.h.currency,
                                                "MatchColumns": self.h.extra_column})
        add_text_columns(book, "Invoices", {self.h.extra_column: [inv["Extra"] for inv in self.invoices]})
        with open(out / "truth.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["PaymentID", "InvoiceID", "Applied", "Discount", "ShortPay", "Kind"])
            w.writeheader()
            w.writerows(self.truth)


def add_text_columns(book: Path, table_name: str, columns: dict[str, list[str]]) -> None:
    """Further columns of text at the right of a table (as a clerk adds the ERP's reference
    columns that MatchColumns names), one value per row of the table in its order."""
    wb = openpyxl.load_workbook(book)
    ws = wb[table_name]
    table = ws.tables[table_name]
    for name, values in columns.items():
        column = ws.max_column + 1
        ws.cell(1, column, name)
        for row, value in enumerate(values, start=2):
            ws.cell(row, column, value).number_format = "@"
        # the table's columns name every column of its range, as Excel requires of it
        table.tableColumns.append(TableColumn(id=len(table.tableColumns) + 1, name=name))
        table.ref = f"A1:{get_column_letter(column)}{len(values) + 1}"
    wb.save(book)


NOREF_BY_WORDS = {"english": NOREF, "european": NOREF_EU, "us": NOREF_US, "apac": NOREF_AP, "latam": NOREF_LA,
                  "india": NOREF_IN, "cis": NOREF_CY}
LEDGERS = {"single": dict(kinds="single", history=False), "combined": dict(kinds="combined", history=False),
           "history": dict(kinds="combined", history=True), "european": dict(kinds="single", history=False),
           "eucombined": dict(kinds="combined", history=False), "lockbox": dict(kinds="single", history=False),
           "lbcombined": dict(kinds="combined", history=False), "apac": dict(kinds="single", history=False),
           "apcombined": dict(kinds="combined", history=False), "latam": dict(kinds="single", history=False),
           "lacombined": dict(kinds="combined", history=False), "india": dict(kinds="single", history=False),
           "incombined": dict(kinds="combined", history=False), "cis": dict(kinds="single", history=False),
           "ciscombined": dict(kinds="combined", history=False)}


_SPELT = str.maketrans({"ß": "SS", "Ł": "L", "ł": "L", "Ø": "O", "ø": "O", "Æ": "AE", "æ": "AE"})
_UMLAUT = str.maketrans({"Ä": "AE", "Ö": "OE", "Ü": "UE", "ä": "AE", "ö": "OE", "ü": "UE"})


def bank_print(name: str, german: bool) -> str:
    """A name as a bank's A-Z character set prints it: capitals, accents dropped, umlauts
    spelled out (german) or dropped."""
    text = name.translate(_UMLAUT) if german else name
    text = unicodedata.normalize("NFKD", text.translate(_SPELT))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).upper()


def decimal_comma(cents_value: int, grouping: str = ".") -> str:
    """1234.56 as 1.234,56 (or with another separator of thousands: 1 234,56)."""
    whole, frac = divmod(cents_value, 100)
    return f"{whole:,}".replace(",", grouping) + f",{frac:02d}"


def indian_grouping(cents_value: int) -> str:
    """1234567.89 as India groups it: 12,34,567.89 (thousands, then lakhs and crores)."""
    whole, frac = divmod(cents_value, 100)
    digits = str(whole)
    head, groups = digits[:-3], [digits[-3:]]
    while head:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return ",".join(groups) + f".{frac:02d}"


def ledger_arguments(description: str, ledgers: Iterable[str]) -> argparse.ArgumentParser:
    """The arguments every script of adversarial ledgers takes: where to write them, the seed,
    which ledgers, and whether to score them."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "adversarial")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--only", default=",".join(ledgers))
    ap.add_argument("--score", action="store_true", help="match and score each ledger (bench/score_dev.py)")
    return ap


def main(argv: list[str]) -> None:
    ap = ledger_arguments(__doc__.splitlines()[0], LEDGERS)
    ap.add_argument("--payments", type=int, default=4000)
    ap.add_argument("--invoice-format", default="", help="InvoiceIDs in another grammar (House.invoice_format)")
    ap.add_argument("--extra-format", default="", help="the MatchColumns column in another grammar")
    a = ap.parse_args(argv)
    for name in a.only.split(","):
        spec = LEDGERS[name]
        house = HOUSES[name]
        if a.invoice_format:
            house = replace(house, invoice="format", invoice_format=a.invoice_format)
        if a.extra_format:
            house = replace(house, extra="format", extra_format=a.extra_format)
        # each ledger's seed follows its place among all the ledgers, so --only makes the same one
        ledger = Ledger(house, a.seed + list(LEDGERS).index(name), customers=a.payments // 5,
                        invoices=a.payments * 4, payments=a.payments, kinds=str(spec["kinds"]),
                        history=bool(spec["history"]))
        ledger.write(a.out / name)
        print(f"{name}: {len(ledger.customers)} customers, {len(ledger.invoices)} invoices, "
              f"{len(ledger.payments)} payments, {len(ledger.posted)} posted before", flush=True)
        if a.score:
            score(a.out / name)


def score(folder: Path) -> dict:
    """Match and score a ledger as bench/score_dev.py does; print score.py's JSON line without
    its per-kind detail, then each noise class's payments, right auto-posts and right proposals."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "score_dev.py"), str(folder / "book.xlsx"),
                           str(folder / "truth.csv")], check=True, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    classes: dict[str, list[int]] = {}
    for kind, v in result.pop("by_kind").items():
        for part in kind.split("+"):
            row = classes.setdefault(part, [0, 0, 0])
            row[0] += v["n"]
            row[1] += v["auto_right"]
            row[2] += v["right"]
    print("\n".join(lines[:-1]))
    print(json.dumps({"ledger": folder.name, **result}))
    for part, (n, auto, right) in sorted(classes.items()):
        print(f"  {part:12} n={n:5d}  auto_right={auto / n:6.3f}  right={right / n:6.3f}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
