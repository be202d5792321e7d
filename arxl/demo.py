"""The demo workbook's data: a seeded receivables world with the noise real banks deliver.

``demo_tables(seed=...)`` returns the rows of a master workbook that has been in use for about
six months: Customers, Invoices (history and open items), Payments (the receipts already posted,
then one batch of new remittances received one to five days before the as-of date), the
Applications ledger that posted the history, MemoRequests and Settings. ``write_demo`` writes them
to a new workbook.

Why the history is in the ledger: an invoice is paid because the Applications ledger says so
(aging as of any date reads the ledger), so every paid invoice has its application rows and its
receipt in Payments, posted. The Invoices and Payments [arxl] columns are filled as the last
posting run left them. Six months of invoices give aging's count-back DSO and CEI their sales
and collection history.

The new batch carries the noise cash application meets (see ``PAYMENT_KINDS`` and ``NOISE``):
payer names as banks print them, invoice numbers in many spellings, EDI 820 addenda, bank
prefixes, truncation, OCR and keying errors, discounts, deductions, partials, overpayments,
payments with no reference, from parents, aliases, processors and strangers, duplicates, and a
clerk's overrides. ``demo_data`` also returns the truth: what each new payment really pays.

Everything is decided by one ``random.Random(seed)``: the same seed gives the same rows.
Amounts are computed in integer cents and handed out as ``Decimal``; dates are ``datetime.date``.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from arxl.core import posting
from arxl.core.money import cents_to_decimal
from arxl.core.terms import Terms, parse_terms

DEMO_AS_OF = dt.date(2026, 11, 20)
DEFAULT_TERMS = "Net 30"
HISTORY_DAYS = 182  # about six months of billing
BATCH_DAYS = 5  # the new remittances arrived one to five days before the as-of date

COMPANY_NAME = "Harborline Industrial Supply, Inc."
COMPANY_ADDRESS = "2200 Harbor Point Blvd; Suite 400; Baltimore, MD 21230"

# ---- vocabulary --------------------------------------------------------------------------------

US_FIRST = ["Halvorsen", "Castellano", "Birchwood", "Tamarack", "Whitfield", "Okafor", "Nakamura",
            "Lindqvist", "Brandt", "Ferreira", "Quarry Hill", "Three Rivers", "Copperleaf",
            "Stonebridge", "Bellwether", "Marigold", "Ashgrove", "Kestrel", "Thornbury", "Pemberton",
            "Calloway", "Dunmore", "Esposito", "Fairhaven", "Glenrock", "Hartwell", "Juniper Creek",
            "Kingsley", "Larkspur", "Moreno", "Pinecrest", "Quintero", "Rosewood", "Saltmarsh",
            "Tidewater", "Underhill", "Vasquez", "Westbrook", "Saint Clair", "O'Malley",
            "Wolfe & Sons", "Blackhawk", "Cedar Point", "Delgado", "Emberly", "Foxhollow"]
US_TRADE = ["Marine Supply", "Dental Studio", "Bakery", "Veterinary Hospital", "Brewing Company",
            "Electrical Contractors", "Precision Machining", "Restaurant Group", "Property Management",
            "Landscaping", "Hospitality", "Wholesale Florists", "Print & Sign", "HVAC Services",
            "Orthopedic Associates", "Fleet Services", "Cabinetry", "Pet Supply",
            "Diagnostics Laboratory", "Builders", "Mechanical", "Engineering", "Medical Center",
            "Farm Equipment", "Grocers", "Hotels", "Fitness Clubs", "Auto Body", "Roofing",
            "Steel Fabricators", "Packaging Solutions", "Coffee Roasters", "Home Health Services",
            "Surgical Partners", "Flooring", "Equipment Rental", "Manufacturing", "Distributors"]
US_SUFFIX = (["Inc.", "LLC", "Corp.", "Co.", "Incorporated", "Corporation", "L.L.C.", "", "Ltd."],
             [30, 25, 10, 6, 4, 5, 3, 12, 5])
CA_FIRST = ["Maple Ridge", "Laurentian", "Fraser Valley", "Tremblay", "Gagnon", "Okanagan",
            "Bouchard", "Kootenay", "Saguenay", "Muskoka"]
CA_SUFFIX = (["Ltd.", "Inc.", "Ltée", "Corp."], [45, 30, 15, 10])
# country code, IBAN length, names, trades, legal forms
EU_COUNTRIES = [
    ("DE", 22, ["Müller", "Schäfer", "Brüggemann", "Weißbach", "Köhler"],
     ["Feinmechanik", "Hydraulik", "Medizintechnik", "Logistik"], ["GmbH", "AG", "GmbH & Co. KG"]),
    ("FR", 27, ["Lefèvre", "Dubois", "Bérard", "Chastel"],
     ["Industrie", "Distribution", "Équipements"], ["S.A.S.", "SARL", "S.A."]),
    ("NL", 18, ["Janssen", "van der Berg", "de Vries"], ["Techniek", "Handel", "Logistiek"], ["B.V."]),
    ("IT", 27, ["Rossi", "Bianchi", "Galli"], ["Meccanica", "Forniture", "Impianti"], ["S.r.l.", "S.p.A."]),
    ("ES", 24, ["García", "Fernández", "Muñoz"], ["Suministros", "Industrial", "Logística"], ["S.L.", "S.A."]),
    ("AT", 20, ["Gruber", "Höfler"], ["Maschinenbau", "Handel"], ["GmbH"]),
]
PARENT_WORDS = ["Holdings", "Group", "Partners", "Brands", "Enterprises"]
SITES = ["Riverside", "Downtown", "Plant 2", "Store 14", "North Campus", "Eastgate", "Warehouse",
         "Dallas", "Tampa", "Boise", "Columbus", "Reno", "West"]
TRADE_NAMES = ["Copperleaf Kitchen", "Blue Heron Dental", "The Tack Room", "Northside Brewhouse",
               "Harbor Lights Inn", "Green Door Grocery", "Summit Smiles", "Iron Anvil Fitness",
               "Lantern Street Cafe", "Pawsome Pet Care", "Redline Collision", "Evening Star Suites"]
US_REGIONS = ["Northeast", "Southeast", "Midwest", "South Central", "Mountain", "Pacific"]
SALES = {"Northeast": "Dana Whitaker", "Southeast": "Luis Ortega", "Midwest": "Tom Becker",
         "South Central": "Aisha Bello", "Mountain": "Greg Lindstrom", "Pacific": "Mei Chen",
         "Europe": "Sofia Marchetti", "Canada": "Marc-André Roy"}
TERMS = (["Net 30", "2/10 Net 30", "Net 45", "Net 60", "1/15 Net 45", "Due on receipt", "Net 15",
          "Net 30 EOM", "EOM", "10th Prox", ""],
         [34, 14, 12, 7, 5, 7, 6, 5, 3, 2, 5])
BANKS = ["JPMORGAN CHASE", "BANK OF AMERICA", "WELLS FARGO", "US BANK", "PNC BANK", "TRUIST",
         "FIFTH THIRD", "KEYBANK"]
PROCESSORS = ["AVIDXCHANGE INC", "BILL.COM", "PAYMODE-X", "CORPAY", "VERSAPAY", "COUPA PAY"]
STRANGERS = ["ZELLE FROM K OBRIEN", "MOBILE DEPOSIT", "IRS TREAS 310 TAX REF", "STATE OF MD REFUND",
             "R GUTIERREZ", "INTEREST PAYMENT", "HARBORVIEW TENANTS ASSN", "MISC CREDIT",
             "NATL UNION FIRE INS CO"]
SHORT_REASONS = ["DAMAGED", "PRICING", "SHORTAGE", "PROMO ALLOWANCE", "RETURN", "LATE DELIVERY",
                 "CO-OP ADVERTISING"]
# Words banks abbreviate when a name must fit a field.
ABBREVIATIONS = {"COMPANY": "CO", "CORPORATION": "CORP", "INCORPORATED": "INC", "MANUFACTURING": "MFG",
                 "INTERNATIONAL": "INTL", "SERVICES": "SVCS", "SUPPLY": "SPLY", "MARINE": "MAR",
                 "ASSOCIATES": "ASSOC", "MANAGEMENT": "MGMT", "VETERINARY": "VET", "HOSPITAL": "HOSP",
                 "DISTRIBUTORS": "DISTRIB", "ELECTRICAL": "ELEC", "CONTRACTORS": "CONTR",
                 "ENGINEERING": "ENGR", "EQUIPMENT": "EQUIP", "SAINT": "ST", "HOLDINGS": "HLDGS",
                 "PARTNERS": "PTNRS", "RESTAURANT": "REST", "GROUP": "GRP", "LABORATORY": "LAB",
                 "PROPERTY": "PROP", "CENTER": "CTR", "MEDICAL": "MED", "DENTAL": "DNTL",
                 "DIAGNOSTICS": "DIAG", "FABRICATORS": "FAB", "SOLUTIONS": "SOLNS", "&": "AND",
                 "PRECISION": "PREC", "MACHINING": "MACH", "WHOLESALE": "WHSL", "BROTHERS": "BROS"}
LEGAL_FORMS = {"INC", "INC.", "LLC", "L.L.C.", "CORP", "CORP.", "CO", "CO.", "INCORPORATED",
               "CORPORATION", "LTD", "LTD.", "LTEE", "GMBH", "AG", "KG", "B.V.", "S.A.", "S.A.S.",
               "SARL", "S.R.L.", "S.P.A.", "S.L."}
TRANSLITERATIONS = {"Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "SS", "ä": "ae", "ö": "oe", "ü": "ue"}
OCR_CONFUSIONS = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"}

# The kinds of new payment and their share of the batch (each kind appears at least once when
# the batch has room for all of them).
PAYMENT_KINDS = {
    "single": 21, "multi": 10, "long_list": 2, "foreign_currency": 3, "range": 3, "edi_820": 7,
    "discount": 7, "short_pay": 6,
    "small_difference": 3, "partial": 4, "overpay": 3, "no_reference": 7, "no_reference_multi": 3,
    "po_reference": 5, "parent_payer": 4, "alias_payer": 3, "processor": 4, "unknown_payer": 3,
    "already_paid": 2, "paid_twice": 1, "override": 3,
}
# Every tag ``truth[..]["Noise"]`` may carry: how the payer's name and the text were spoiled.
NOISE = (
    "payer_clean", "payer_upper", "payer_abbreviated", "payer_suffix_dropped", "payer_cut16",
    "payer_cut22", "payer_typo", "payer_transliterated", "payer_processor", "payer_parent",
    "payer_alias", "payer_unknown", "payer_account_on_file",
    "ref_none", "ref_exact", "ref_prefix_dropped", "ref_year_dropped", "ref_number_only",
    "ref_leading_zeros_dropped", "ref_lowercase", "ref_separator_changed", "ref_no_separator",
    "ref_short_year", "ref_keying_error", "ref_ocr_error", "ref_list", "ref_list_short_tail",
    "ref_range", "ref_edi_820", "ref_bank_prefix", "ref_wire", "ref_sepa", "ref_cut80",
    "ref_cut140", "ref_amounts", "ref_po", "ref_reason", "clerk_apply_to", "clerk_customer",
    "blank_payment_id",
)
MEMO_TYPES = ("Product", "Service", "Freight", "Tax", "Price", "Other")


# ---- the world's records -----------------------------------------------------------------------

@dataclass
class Customer:
    id: str
    name: str
    currency: str
    region: str
    terms: str
    weight: float
    size: float  # median invoice, in dollars
    tax_rate: Decimal
    habit: str  # how it pays: discounter, prompt, typical, slow, delinquent
    po_style: str
    stem: str  # the distinctive first part of the name ("Three Rivers"), shared by a group's sites
    trade: str
    aliases: list[str] = field(default_factory=list)
    parent: Customer | None = None
    accounts: list[str] = field(default_factory=list)
    credit_limit: int = 0
    email: str = ""
    status: str = "Active"

    @property
    def parsed_terms(self) -> Terms:
        return parse_terms(self.terms or DEFAULT_TERMS)


@dataclass
class Invoice:
    id: str
    seq: int
    customer: Customer
    date: dt.date
    net: int
    tax: int
    freight: int
    po: str
    batch: int  # invoices billed together share a batch number (consecutive IDs)
    show_due: bool = True
    disputed: bool = False
    paid: int = 0
    discount: int = 0
    written_off: int = 0
    short: int = 0
    last_paid: dt.date | None = None

    @property
    def amount(self) -> int:
        return self.net + self.tax + self.freight

    @property
    def due(self) -> dt.date:
        return self.customer.parsed_terms.due_date(self.date)

    @property
    def open(self) -> int:
        return self.amount - self.paid - self.discount - self.written_off


@dataclass
class Line:
    """What one payment does to one invoice (invoice None: cash left on account)."""
    invoice: Invoice | None
    applied: int
    discount: int = 0
    write_off: int = 0
    short: int = 0
    reason: str = ""


@dataclass
class DemoData:
    tables: dict[str, list[dict]]
    truth: list[dict]  # one entry per new payment, in Payments order


# ---- helpers -----------------------------------------------------------------------------------

def _money(cents: int) -> Decimal:
    return cents_to_decimal(cents)


def _text_amount(cents: int, rng: random.Random) -> str:
    return f"{_money(cents):,.2f}" if rng.random() < 0.5 else f"{_money(cents):.2f}"


def _weighted(rng: random.Random, options: dict[str, int] | tuple[list, list]):
    if isinstance(options, dict):
        return rng.choices(list(options), list(options.values()))[0]
    return rng.choices(*options)[0]


def _business_day_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _iban(rng: random.Random, country: str, length: int) -> str:
    bban = "".join(rng.choice("0123456789") for _ in range(length - 4))
    if country == "NL":
        bban = rng.choice(["ABNA", "RABO", "INGB"]) + bban[4:]
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def _plain_ascii(text: str) -> str:
    text = "".join(TRANSLITERATIONS.get(ch, ch) for ch in text)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# ---- customers ---------------------------------------------------------------------------------

def _customers(rng: random.Random, n: int) -> list[Customer]:
    out: list[Customer] = []
    taken: set[str] = set()
    n_groups = max(1, n // 40)
    while len(out) < n:
        roll = rng.random()
        if roll < 0.06:
            code, iban_len, firsts, trades, forms = rng.choice(EU_COUNTRIES)
            stem, trade = rng.choice(firsts), rng.choice(trades)
            name = f"{stem} {trade} {rng.choice(forms)}"
            currency, region, tax = "EUR", "Europe", Decimal(rng.choice(["0.19", "0.20", "0.21"]))
            account = _iban(rng, code, iban_len)
        elif roll < 0.09:
            stem, trade = rng.choice(CA_FIRST), rng.choice(US_TRADE)
            name = " ".join(x for x in (stem, trade, _weighted(rng, CA_SUFFIX)) if x)
            currency, region, tax = "CAD", "Canada", Decimal(rng.choice(["0.05", "0.13"]))
            # transit - institution - account, as Canadian cheques print it
            institution = rng.choice(["001", "002", "003", "004", "006"])
            account = f"{rng.randint(10000, 99999)}-{institution}-{rng.randint(10**6, 10**7 - 1)}"
        else:
            stem, trade = rng.choice(US_FIRST), rng.choice(US_TRADE)
            name = " ".join(x for x in (stem, trade, _weighted(rng, US_SUFFIX)) if x)
            currency, region = "USD", rng.choice(US_REGIONS)
            tax = (Decimal(0) if rng.random() < 0.35 else  # buying for resale: exempt
                   Decimal(rng.choice(["0.05", "0.06", "0.0625", "0.07", "0.0825", "0.0925"])))
            account = str(rng.randint(10**8, 10**12 - 1))
        if name in taken:
            continue
        taken.add(name)
        terms = _weighted(rng, TERMS)
        parsed = parse_terms(terms or DEFAULT_TERMS)
        habit = ("discounter" if parsed.discount_rate and rng.random() < 0.65 else
                 _weighted(rng, {"prompt": 25, "typical": 45, "slow": 22, "delinquent": 8}))
        out.append(Customer(id=f"C{len(out) + 1001}", name=name, currency=currency, region=region,
                            terms=terms, weight=rng.paretovariate(1.3), size=rng.lognormvariate(6.6, 0.8),
                            tax_rate=tax, habit=habit,
                            po_style=_weighted(rng, {"sap": 25, "dash": 25, "digits": 20, "account": 10, "": 20}),
                            stem=stem, trade=trade,
                            accounts=[account] if rng.random() < 0.85 else []))
    for c in out:
        if rng.random() < 0.12:
            c.accounts.append(str(rng.randint(10**8, 10**12 - 1)) if c.currency != "EUR" else _iban(rng, "DE", 22))
        if rng.random() < 0.14:
            c.aliases.append(rng.choice([
                rng.choice(TRADE_NAMES),  # "doing business as"
                "".join(w[0] for w in c.name.split() if w[0].isalpha() and w.upper() not in LEGAL_FORMS).upper(),
                f"{rng.choice(US_FIRST)} {c.trade}"]))  # a former name
    # Groups: a parent company that often pays for its subsidiaries and sites.
    for _ in range(n_groups):
        parent = out[rng.randrange(len(out))]
        if parent.parent or any(c.parent is parent for c in out):
            continue
        if parent.currency == "USD":
            parent.name = f"{parent.stem} {rng.choice(PARENT_WORDS)}, Inc."
        parent.weight /= 4  # a head office buys little itself
        for child in rng.sample(out, 4)[:rng.randint(2, 4)]:
            if child is parent or child.parent or child.currency != parent.currency \
                    or any(c.parent is child for c in out):
                continue
            child.parent = parent
            if rng.random() < 0.5:
                child.stem = parent.stem
                child.name = f"{parent.stem} {child.trade} - {rng.choice(SITES)}"
    for c in out:
        c.credit_limit = 100 * max(5000, int(round(c.size * c.weight * 6, -3)))
        domain = "".join(ch for ch in _plain_ascii(c.name.split(",")[0]).lower() if ch.isalnum())[:18]
        tld = {"EUR": "eu", "CAD": "ca"}.get(c.currency, "com")
        c.email = f"{rng.choice(['ap', 'accountspayable', 'payables', 'invoices'])}@{domain}.{tld}"
        c.status = "Hold" if c.habit == "delinquent" and rng.random() < 0.4 else "Active"
    return out


def _po(rng: random.Random, customer: Customer) -> str:
    style = customer.po_style
    if style == "sap":
        return f"4500{rng.randint(100000, 999999)}"
    if style == "dash":
        return f"PO-{rng.randint(10000, 99999)}"
    if style == "digits":
        return str(rng.randint(100000, 999999))
    if style == "account":  # the customer's own account number with ours
        return f"{customer.id[1:]}-{rng.randint(1000, 9999)}"
    return ""


# ---- invoices ----------------------------------------------------------------------------------

def _invoices(rng: random.Random, customers: list[Customer], n: int, as_of: dt.date) -> list[Invoice]:
    """Billing events over about six months (a few older, long-unpaid ones), numbered in date
    order; a tenth of the events bill several deliveries at once, so their numbers run
    consecutively (the ranges remittances quote)."""
    weights = [c.weight for c in customers]
    events: list[tuple[dt.date, Customer, int]] = []
    count = 0
    while count < n:
        customer = rng.choices(customers, weights)[0]
        age = rng.randint(HISTORY_DAYS + 1, 400) if rng.random() < 0.03 else rng.randint(0, HISTORY_DAYS)
        day = _business_day_before(as_of - dt.timedelta(days=age))
        k = min(n - count, rng.randint(2, 5) if rng.random() < 0.1 else 1)
        events.append((day, customer, k))
        count += k
    events.sort(key=lambda e: e[0])
    seq = rng.randint(2000, 5000)
    out: list[Invoice] = []
    for batch, (day, customer, k) in enumerate(events):
        po = _po(rng, customer)
        for _ in range(k):
            net = int(min(max(rng.lognormvariate(0, 0.9) * customer.size, 18), 180000) * 100)
            freight = rng.choice([0, 0, rng.randint(1500, 45000)])
            tax = int((Decimal(net) * customer.tax_rate).to_integral_value())
            seq += 1
            out.append(Invoice(id=f"INV-{day.year}-{seq:06d}", seq=seq, customer=customer, date=day,
                               net=net, tax=tax, freight=freight, po=po, batch=batch,
                               show_due=rng.random() > 0.12, disputed=rng.random() < 0.02))
    return out


# ---- how banks spell things --------------------------------------------------------------------

def bank_name(rng: random.Random, name: str, tags: list[str], width: int | None = None) -> str:
    """A company name as a bank's file prints it."""
    plain = _plain_ascii(name)
    if plain != name:
        tags.append("payer_transliterated")
    words = plain.replace(" - ", " ").replace(",", "").split()
    if rng.random() < 0.55:
        shorter = [ABBREVIATIONS.get(w.upper(), w) for w in words]
        if shorter != words:
            tags.append("payer_abbreviated")
        words = shorter
    if len(words) > 2 and words[-1].upper() in LEGAL_FORMS and rng.random() < 0.45:
        words = words[:-1]
        tags.append("payer_suffix_dropped")
    out = " ".join(words).upper()
    tags.append("payer_upper")
    if rng.random() < 0.4:
        out = out.replace(".", "").replace("'", "")
    width = width or rng.choices([16, 22, 35], [40, 25, 35])[0]
    if len(out) > width:
        out = out[:width].rstrip()
        if width in (16, 22):
            tags.append(f"payer_cut{width}")
    if rng.random() < 0.06 and len(out) > 6:
        i = rng.randrange(2, len(out) - 2)
        out = out[:i] + out[i + 1] + out[i] + out[i + 2:] if rng.random() < 0.5 else out[:i] + out[i + 1:]
        tags.append("payer_typo")
    return out


def spell(rng: random.Random, invoice_id: str, tags: list[str], ocr_rate: float = 0.03) -> str:
    """An invoice number as a customer's AP clerk or system wrote it."""
    _, year, number = invoice_id.split("-")
    short = number.lstrip("0")
    style = _weighted(rng, {"exact": 34, "prefix_dropped": 9, "number_only": 8, "zeros_dropped": 12,
                            "no_separator": 8, "lowercase": 5, "separator": 7, "short_year": 5,
                            "hash": 5, "year_dropped": 7})
    text = {"exact": invoice_id, "prefix_dropped": f"{year}-{number}", "number_only": number,
            "zeros_dropped": short, "no_separator": invoice_id.replace("-", ""),
            "lowercase": invoice_id.lower(),
            "separator": invoice_id.replace("-", rng.choice([" ", "/", ".", "_"])),
            "short_year": f"INV-{year[2:]}-{short}", "hash": rng.choice(["#", "INV#", "No. "]) + short,
            "year_dropped": rng.choice(["INV-", "INV ", "IN"]) + rng.choice([number, short])}[style]
    tags.extend({"exact": ["ref_exact"], "prefix_dropped": ["ref_prefix_dropped"],
                 "number_only": ["ref_prefix_dropped", "ref_year_dropped", "ref_number_only"],
                 "zeros_dropped": ["ref_prefix_dropped", "ref_year_dropped", "ref_number_only",
                                   "ref_leading_zeros_dropped"],
                 "no_separator": ["ref_no_separator"], "lowercase": ["ref_lowercase"],
                 "separator": ["ref_separator_changed"], "short_year": ["ref_short_year"],
                 "hash": ["ref_year_dropped", "ref_leading_zeros_dropped"],
                 "year_dropped": ["ref_year_dropped"]}[style])
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if rng.random() < 0.04 and len(digits) >= 4:
        i = rng.choice(digits[-4:-1])  # keying errors hit the number, not the year
        if text[i + 1].isdigit() and text[i] != text[i + 1]:
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        else:
            text = text[:i] + str((int(text[i]) + rng.randint(1, 9)) % 10) + text[i + 1:]
        tags.append("ref_keying_error")
    confusable = [i for i in digits if text[i] in OCR_CONFUSIONS]
    if rng.random() < ocr_rate and confusable:
        i = rng.choice(confusable)
        text = text[:i] + OCR_CONFUSIONS[text[i]] + text[i + 1:]
        tags.append("ref_ocr_error")
    return text


def _id_list(rng: random.Random, invoices: list[Invoice], tags: list[str], ocr_rate: float) -> str:
    if len(invoices) > 1:
        tags.append("ref_list")
    if len(invoices) > 2 and rng.random() < 0.3:
        tags.append("ref_list_short_tail")
        tail = [inv.id.split("-")[-1].lstrip("0") for inv in invoices[1:]]
        return ", ".join([spell(rng, invoices[0].id, tags, ocr_rate)] + tail)
    joiner = rng.choice([", ", " ", "/", "; ", " & "])
    return joiner.join(spell(rng, inv.id, tags, ocr_rate) for inv in invoices)


def _range_text(rng: random.Random, invoices: list[Invoice], tags: list[str]) -> str:
    tags.append("ref_range")
    first, last = invoices[0].id, invoices[-1].id
    lo, hi = first.split("-")[-1], last.split("-")[-1]
    return rng.choice([f"{first} THRU {hi}", f"{lo.lstrip('0')}-{hi.lstrip('0')}",
                       f"INV {lo} TO {hi}", f"{first} - {last}"])


def _edi_820(rng: random.Random, lines: list[Line], tags: list[str]) -> str:
    """ACH CTX addenda: one RMR segment per invoice (paid, invoice and discount amounts), an ADX
    segment for a deduction."""
    tags.append("ref_edi_820")
    parts = []
    for line in lines:
        inv_id = spell(rng, line.invoice.id, tags, 0)
        seg = f"RMR*IV*{inv_id}**{_money(line.applied)}*{_money(line.invoice.open)}"
        if line.discount:
            seg += f"*{_money(line.discount)}"
        parts.append(seg + "\\")
        if line.short:
            parts.append(f"ADX*-{_money(line.short)}*{rng.choice(['01', '04', '05', '12', 'AJ'])}\\")
    return "".join(parts)


def _bank_wrap(rng: random.Random, payer: str, text: str, method: str, currency: str, day: dt.date,
               tags: list[str], ctx: bool = False) -> str:
    """The bank's own description around the customer's remittance text. An ACH CCD+ entry
    carries one 80-character addenda record (a CTX entry carries many); a wire's remittance
    field holds 140 characters."""
    if method == "ACH":
        if len(text) > 80 and not ctx:
            text = text[:80]
            tags.append("ref_cut80")
        if rng.random() < 0.45 or ctx:
            tags.append("ref_bank_prefix")
            return (f"ORIG CO NAME:{payer[:16]} ORIG ID:{rng.randint(10**9, 10**10 - 1)} "
                    f"DESC DATE:{day:%y%m%d} CO ENTRY DESCR:{rng.choice(['PAYMENTS', 'ACH PMT', 'VENDOR PAY'])} "
                    f"SEC:{'CTX' if ctx else 'CCD'} TRACE#:{rng.randint(10**14, 10**15 - 1)} "
                    f"EED:{day:%y%m%d} IND NAME:HARBORLINE INDUSTRIAL {text}")
        return text
    if method == "Wire":
        if len(text) > 140:
            text = text[:140]
            tags.append("ref_cut140")
        if currency == "EUR":
            tags.append("ref_sepa")
            return f"SEPA CT {payer} EREF {rng.randint(10**11, 10**12 - 1)} REMI {text}"
        tags.append("ref_wire")
        if currency == "CAD":
            return f"INCOMING WIRE ORD CUST: {payer} RMT INFO: {text}"
        return (f"FEDWIRE CREDIT VIA: {rng.choice(BANKS)} B/O: {payer} "
                f"IMAD: {day:%Y%m%d}QMGFT{rng.randint(100000, 999999)} OBI: {text}")
    if method == "Lockbox" and len(text) > 80:  # the lockbox keys 80 characters of the stub
        tags.append("ref_cut80")
        return text[:80]
    return text


def _remittance(rng: random.Random, lines: list[Line], tags: list[str], ocr_rate: float,
                note: str = "") -> str:
    invoices = [line.invoice for line in lines]
    ids = _id_list(rng, invoices, tags, ocr_rate)
    style = rng.random()
    if style < 0.12:
        tags.append("ref_amounts")
        text = "; ".join(f"{spell(rng, line.invoice.id, tags, ocr_rate)} {_text_amount(line.applied, rng)}"
                         for line in lines)
    elif style < 0.6:
        label = rng.choice(["INV ", "INVOICE ", "INVOICES ", "Inv# ", "PMT INV ", "PAYMENT FOR ",
                            "RE: ", "REMIT ", "AP PMT "])
        text = label + ids
    else:
        text = ids
    return f"{text} {note}".strip()


# ---- history: six months of receipts already posted --------------------------------------------

def _pay_day(rng: random.Random, inv: Invoice) -> dt.date | None:
    """When this customer's habit pays this invoice (None: not yet, whatever the date)."""
    habit = inv.customer.habit
    terms = inv.customer.parsed_terms
    if habit == "discounter" and rng.random() < 0.9:
        return inv.date + dt.timedelta(days=rng.randint(max(terms.discount_days - 4, 0), terms.discount_days))
    lateness = {"discounter": (-2, 6), "prompt": (-4, 4), "typical": (0, 22), "slow": (15, 60),
                "delinquent": (45, 150)}[habit]
    if habit == "delinquent" and rng.random() < 0.45:
        return None
    return inv.due + dt.timedelta(days=rng.randint(*lateness))


Receipt = tuple[Customer, dt.date, list[Line]]  # who paid, when, and what


def _history(rng: random.Random, invoices: list[Invoice], batch_start: dt.date) -> list[Receipt]:
    """Receipts before the batch: weekly payment runs per payer (a parent pays for its group
    when it usually does), dated the last day of the run, with discounts earned by that date,
    deductions, small write-offs, installments and now and then an overpayment left on account."""
    runs: dict[tuple[str, int, int], list[tuple[Invoice, dt.date]]] = defaultdict(list)
    payer_of: dict[tuple[str, int, int], Customer] = {}
    for inv in invoices:
        day = None if inv.disputed else _pay_day(rng, inv)
        if day is not None:
            day = max(_business_day_before(day), inv.date)  # nobody pays before the bill
        if day is None or day >= batch_start:
            continue
        payer = inv.customer.parent if inv.customer.parent and rng.random() < 0.7 else inv.customer
        year, week, _ = day.isocalendar()
        runs[(payer.id, year, week)].append((inv, day))
        payer_of[(payer.id, year, week)] = payer
    receipts = []
    for key, paid in runs.items():
        day = max(d for _, d in paid)
        lines = []
        for inv, _ in paid:
            roll = rng.random()
            discount = inv.customer.parsed_terms.discount_on(inv.amount, inv.date, day)
            line = Line(inv, inv.amount - discount, discount=discount)
            if roll < 0.025:
                line = Line(inv, inv.amount // rng.choice([2, 3]))  # an installment; the rest is open
            elif roll < 0.05:
                short = min(inv.amount // 2, rng.choice([2500, 5000, 7500, inv.freight or 9900, inv.tax or 4000]))
                line = Line(inv, inv.amount - short, short=short, reason=rng.choice(SHORT_REASONS))
            elif roll < 0.07:
                fee = rng.choice([1, 2, 150, 300, 450])
                line = Line(inv, inv.amount - discount - fee, discount=discount, write_off=fee)
            inv.paid += line.applied
            inv.discount += line.discount
            inv.written_off += line.write_off
            inv.short += line.short
            inv.last_paid = day
            lines.append(line)
        if rng.random() < 0.01:
            lines.append(Line(None, rng.choice([1000, 2500, 10000, 50000])))  # paid too much
        receipts.append((payer_of[key], day, lines))
    receipts.sort(key=lambda r: (r[1], r[0].id))
    return receipts


# ---- the new batch -----------------------------------------------------------------------------

class _Batch:
    """Builds the new remittances, one kind at a time, and remembers the truth of each."""

    def __init__(self, rng: random.Random, customers: list[Customer], invoices: list[Invoice],
                 as_of: dt.date):
        self.rng = rng
        self.as_of = as_of
        self.days = [d for d in (as_of - dt.timedelta(days=k) for k in range(BATCH_DAYS, 0, -1)) if d.weekday() < 5]
        self.customers = customers
        self.open_by_customer: dict[str, list[Invoice]] = defaultdict(list)
        for inv in invoices:
            if inv.open > 0 and not inv.disputed and not inv.short and inv.date < self.days[0]:
                self.open_by_customer[inv.customer.id].append(inv)
        self.paid_invoices = [inv for inv in invoices if inv.open == 0 and inv.paid]
        self.children: dict[str, list[Customer]] = defaultdict(list)
        for c in customers:
            if c.parent:
                self.children[c.parent.id].append(c)
        self.rows: list[dict] = []
        self.truth: list[dict] = []

    # -- choosing what is paid --
    def _take(self, inv: Invoice) -> None:
        self.open_by_customer[inv.customer.id].remove(inv)

    def _customer(self, need: int = 1, where=lambda c: True) -> Customer | None:
        pool = [c for c in self.customers if len(self.open_by_customer[c.id]) >= need and where(c)]
        if not pool:
            return None
        return self.rng.choices(pool, [c.weight + 1 for c in pool])[0]

    def _due_first(self, customer: Customer, k: int) -> list[Invoice]:
        """``k`` of the customer's open invoices, drawn from those due first (customers pay
        the oldest first, mostly), in number order."""
        opens = sorted(self.open_by_customer[customer.id], key=lambda i: i.due)
        picked = sorted(self.rng.sample(opens[:k + 3], min(k, len(opens))), key=lambda i: i.seq)
        for inv in picked:
            self._take(inv)
        return picked

    # -- writing a payment --
    def _add(self, kind: str, customer: Customer | None, lines: list[Line], amount: int, payer: str,
             reference: str, method: str, tags: list[str], day: dt.date | None = None,
             account: str = "", ctx: bool = False, **clerk) -> None:
        rng = self.rng
        day = day or rng.choice(self.days)
        currency = customer.currency if customer else "USD"
        if method in ("ACH", "Wire") or rng.random() < 0.3:
            if not account and customer and customer.accounts and rng.random() < 0.8:
                account = rng.choice(customer.accounts)
                tags.append("payer_account_on_file")
        if method in ("ACH", "Wire"):
            reference = _bank_wrap(rng, payer, reference, method, currency, day, tags, ctx)
        if not reference:
            tags.append("ref_none")
        if "ApplyTo" in clerk:
            tags.append("clerk_apply_to")
        if clerk.get("CustomerID"):
            tags.append("clerk_customer")
        self.rows.append(dict(
            ReceivedDate=day, PayerName=payer, Amount=_money(amount), Currency=currency, Method=method,
            CheckNumber=str(rng.randint(1000, 99999)) if method in ("Check", "Lockbox") else None,
            PayerAccount=account or None, Reference=reference or None,
            CustomerID=clerk.get("CustomerID"), ApplyTo=clerk.get("ApplyTo"), Action=None,
            MatchStatus=None, MatchedCustomerID=None, MatchedInvoices=None, Confidence=None, Unapplied=None))
        self.truth.append(dict(Kind=kind, CustomerID=customer.id if customer else "",
                               Amount=_money(amount), Currency=currency,
                               Lines=[dict(InvoiceID=line.invoice.id if line.invoice else "",
                                           Applied=_money(line.applied), Discount=_money(line.discount),
                                           WriteOff=_money(line.write_off), ShortPay=_money(line.short))
                                      for line in lines],
                               Noise=sorted(dict.fromkeys(tags))))

    def _payer(self, customer: Customer, method: str, tags: list[str]) -> str:
        if method in ("Check", "Lockbox") and self.rng.random() < 0.5:
            tags.append("payer_clean")
            return customer.name  # as printed on the cheque
        return bank_name(self.rng, customer.name, tags, 35 if method == "Wire" else None)

    def _method(self, customer: Customer) -> str:
        if customer.currency != "USD":
            return "Wire"
        return _weighted(self.rng, {"ACH": 45, "Check": 17, "Lockbox": 15, "Wire": 12, "Card": 5})

    def _plain(self, kind: str, customer: Customer, lines: list[Line], note: str = "",
               payer: str | None = None, tags: list[str] | None = None, **clerk) -> None:
        """A payment of ``lines`` by ``customer`` with an ordinary remittance (a line without an
        invoice is cash the payer sent beyond them)."""
        tags = tags if tags is not None else []
        method = self._method(customer)
        payer = payer or self._payer(customer, method, tags)
        ocr = 0.12 if method == "Lockbox" else 0.03
        if note:
            tags.append("ref_reason")
        reference = _remittance(self.rng, [line for line in lines if line.invoice], tags, ocr, note)
        self._add(kind, customer, lines, sum(line.applied for line in lines), payer, reference,
                  method, tags, **clerk)

    # -- the kinds --
    def single(self) -> bool:
        c = self._customer()
        if not c:
            return False
        inv = self._due_first(c, 1)[0]
        self._plain("single", c, [Line(inv, inv.open)])
        return True

    def foreign_currency(self) -> bool:
        """A wire from a customer billed in euros (a name with accents, when there is one) or
        Canadian dollars, in turn."""
        currency = ("EUR", "CAD")[len([t for t in self.truth if t["Kind"] == "foreign_currency"]) % 2]
        c = (self._customer(1, lambda c: c.currency == currency and _plain_ascii(c.name) != c.name)
             or self._customer(1, lambda c: c.currency == currency))
        if not c:
            return False
        self._plain("foreign_currency", c, [Line(inv, inv.open) for inv in self._due_first(c, self.rng.randint(1, 3))])
        return True

    def multi(self) -> bool:
        c = self._customer(2)
        if not c:
            return False
        picked = self._due_first(c, self.rng.randint(2, min(8, len(self.open_by_customer[c.id]))))
        self._plain("multi", c, [Line(inv, inv.open) for inv in picked])
        return True

    def long_list(self) -> bool:
        """A dozen invoices or more: the bank keeps only the first 80 (ACH) or 140 (wire)
        characters, so the tail of the list is lost and only the amount can tell."""
        c = self._customer(10)
        if not c:
            return False
        picked = self._due_first(c, self.rng.randint(10, min(16, len(self.open_by_customer[c.id]))))
        lines = [Line(inv, inv.open) for inv in picked]
        tags = ["ref_list"]
        turn = len([t for t in self.truth if t["Kind"] == "long_list"])
        method = "Wire" if c.currency != "USD" or turn % 2 else "ACH"
        text = "INVOICES " + " ".join(inv.id for inv in picked)
        self._add("long_list", c, lines, sum(line.applied for line in lines), self._payer(c, method, tags),
                  text, method, tags)
        return True

    def range(self) -> bool:
        batches: dict[int, list[Invoice]] = defaultdict(list)
        for opens in self.open_by_customer.values():
            for inv in opens:
                if inv.open == inv.amount:
                    batches[inv.batch].append(inv)
        candidates = [b for b in batches.values() if len(b) >= 2]
        if not candidates:
            return False
        picked = sorted(self.rng.choice(sorted(candidates, key=lambda b: b[0].seq)), key=lambda i: i.seq)
        for inv in picked:
            self._take(inv)
        c = picked[0].customer
        tags: list[str] = []
        method = self._method(c)
        lines = [Line(inv, inv.open) for inv in picked]
        text = self.rng.choice(["INV ", "INVOICES ", "PMT ", ""]) + _range_text(self.rng, picked, tags)
        self._add("range", c, lines, sum(line.applied for line in lines), self._payer(c, method, tags),
                  text, method, tags)
        return True

    def edi_820(self) -> bool:
        c = self._customer(1, lambda c: c.currency == "USD")
        if not c:
            return False
        day = self.rng.choice(self.days)
        lines = []
        for inv in self._due_first(c, self.rng.randint(1, 6)):
            discount = c.parsed_terms.discount_on(inv.amount, inv.date, day) if inv.open == inv.amount else 0
            lines.append(Line(inv, inv.open - discount, discount=discount))
        tags: list[str] = []
        self._add("edi_820", c, lines, sum(line.applied for line in lines), bank_name(self.rng, c.name, tags, 16),
                  _edi_820(self.rng, lines, tags), "ACH", tags, day=day, ctx=True)
        return True

    def discount(self) -> bool:
        day = self.days[-1]
        eligible = [inv for opens in self.open_by_customer.values() for inv in opens
                    if inv.open == inv.amount and inv.customer.parsed_terms.discount_on(inv.amount, inv.date, day)]
        if not eligible:
            return False
        inv = self.rng.choice(sorted(eligible, key=lambda i: i.seq))
        self._take(inv)
        disc = inv.customer.parsed_terms.discount_on(inv.amount, inv.date, day)
        note = self.rng.choice(["LESS 2% DISC", "DISC TAKEN", "", f"LESS DISCOUNT {_money(disc)}", "NET OF DISCOUNT"])
        self._plain("discount", inv.customer, [Line(inv, inv.open - disc, discount=disc)], note, day=day)
        return True

    def short_pay(self) -> bool:
        c = self._customer()
        if not c:
            return False
        inv = self._due_first(c, 1)[0]
        reason = self.rng.choice(SHORT_REASONS + ["FREIGHT", "TAX EXEMPT"])
        if reason == "FREIGHT" and inv.freight:
            short, note = inv.freight, "FREIGHT NOT ALLOWED"
        elif reason == "TAX EXEMPT" and inv.tax:
            short, note = inv.tax, "TAX EXEMPT - CERT ON FILE"
        else:
            reason = reason if reason not in ("FREIGHT", "TAX EXEMPT") else "PRICING"
            short = min(inv.open // 2, self.rng.choice([2500, 5000, 12050, inv.open * self.rng.randint(2, 15) // 100]))
            note = self.rng.choice([f"LESS {_money(short)} {reason}", f"DED {reason}", f"{reason} DEDUCTION",
                                    f"SHORT PAID {reason}"])
        self._plain("short_pay", c, [Line(inv, inv.open - short, short=short, reason=reason)], note)
        return True

    def small_difference(self) -> bool:
        c = self._customer()
        if not c:
            return False
        inv = self._due_first(c, 1)[0]
        diff = self.rng.choice([1, 2, 10, 100, 250, 300, 475])
        self._plain("small_difference", c, [Line(inv, inv.open - diff, write_off=diff)])
        return True

    def partial(self) -> bool:
        c = self._customer()
        if not c:
            return False
        inv = self._due_first(c, 1)[0]
        part = inv.open // self.rng.choice([2, 3, 4])
        note = self.rng.choice(["PARTIAL PMT", "INSTALLMENT 1 OF 3", "PMT PLAN", "PARTIAL PAYMENT", ""])
        self._plain("partial", c, [Line(inv, part)], note)
        return True

    def overpay(self) -> bool:
        c = self._customer()
        if not c:
            return False
        picked = self._due_first(c, self.rng.randint(1, 2))
        lines = [Line(inv, inv.open) for inv in picked]
        total = sum(line.applied for line in lines)
        extra = self.rng.choice([1000, 2500, 10000, total // 10 or 500])
        self._plain("overpay", c, lines + [Line(None, extra)])
        return True

    def no_reference(self, kind: str = "no_reference") -> bool:
        k = 1 if kind == "no_reference" else self.rng.randint(2, 3)
        c = self._customer(k, lambda c: c.currency == "USD")
        if not c:
            return False
        picked = self._due_first(c, k)
        lines = [Line(inv, inv.open) for inv in picked]
        tags: list[str] = []
        method = self.rng.choice(["ACH", "Check", "Lockbox"])
        text = "" if method != "ACH" else self.rng.choice(["", "PAYMENT", "ACH PMT", "VENDOR PAYMENT", "THANK YOU"])
        if kind != "no_reference" and self.rng.random() < 0.5:
            text = f"STATEMENT {self.as_of.replace(day=1) - dt.timedelta(days=1):%m/%d}"
        self._add(kind, c, lines, sum(line.applied for line in lines), self._payer(c, method, tags), text,
                  method, tags)
        return True

    def po_reference(self) -> bool:
        c = self._customer(1, lambda c: bool(c.po_style))
        if not c:
            return False
        inv = self._due_first(c, 1)[0]
        if not inv.po:
            self.open_by_customer[c.id].append(inv)
            return False
        tags = ["ref_po"]
        text = self.rng.choice(["PO ", "P.O. #", "YOUR PO ", "PURCHASE ORDER ", ""]) + inv.po
        method = self._method(c)
        self._add("po_reference", c, [Line(inv, inv.open)], inv.open, self._payer(c, method, tags), text,
                  method, tags)
        return True

    def parent_payer(self) -> bool:
        parents = [c for c in self.customers if any(self.open_by_customer[k.id] for k in self.children[c.id])]
        if not parents:
            return False
        parent = self.rng.choice(parents)
        invs = [inv for child in self.children[parent.id] for inv in self.open_by_customer[child.id]]
        picked = sorted(self.rng.sample(invs, min(len(invs), self.rng.randint(2, 5))), key=lambda i: i.seq)
        for inv in picked:
            self._take(inv)
        tags = ["payer_parent"]
        payer = bank_name(self.rng, parent.name, tags)
        self._plain("parent_payer", picked[0].customer, [Line(inv, inv.open) for inv in picked], payer=payer, tags=tags)
        return True

    def alias_payer(self) -> bool:
        c = self._customer(1, lambda c: bool(c.aliases))
        if not c:
            return False
        inv = self._due_first(c, 1)[0]
        tags = ["payer_alias"]
        alias = self.rng.choice(c.aliases)
        payer = alias.upper() if self.rng.random() < 0.6 else bank_name(self.rng, alias, tags)
        self._plain("alias_payer", c, [Line(inv, inv.open)], payer=payer, tags=tags)
        return True

    def processor(self) -> bool:
        c = self._customer(1, lambda c: c.currency == "USD")
        if not c:
            return False
        picked = self._due_first(c, self.rng.randint(1, 3))
        lines = [Line(inv, inv.open) for inv in picked]
        tags = ["payer_processor"]
        processor = self.rng.choice(PROCESSORS)
        name = bank_name(self.rng, c.name, tags, 22)
        payer = processor if self.rng.random() < 0.5 else f"{processor} {name}"[:35]
        text = f"{_remittance(self.rng, lines, tags, 0)} ON BEHALF OF {name}"
        self._add("processor", c, lines, sum(line.applied for line in lines), payer, text, "ACH", tags,
                  account=str(self.rng.randint(10**9, 10**10 - 1)))
        return True

    def unknown_payer(self) -> bool:
        tags = ["payer_unknown"]
        amount = int(self.rng.lognormvariate(10.5, 1.0))
        text = self.rng.choice(["", "REFUND", "DEPOSIT", f"REF {self.rng.randint(1000, 99999)}", "RENT NOV"])
        self._add("unknown_payer", None, [Line(None, amount)], amount, self.rng.choice(STRANGERS), text,
                  self.rng.choice(["ACH", "Check"]), tags)
        return True

    def already_paid(self) -> bool:
        if not self.paid_invoices:
            return False
        inv = self.rng.choice(self.paid_invoices)
        c = inv.customer
        tags: list[str] = []
        method = self._method(c)
        text = _remittance(self.rng, [Line(inv, inv.amount)], tags, 0)
        self._add("already_paid", c, [Line(None, inv.amount)], inv.amount, self._payer(c, method, tags), text,
                  method, tags)
        return True

    def paid_twice(self) -> bool:
        c = self._customer(1, lambda c: c.currency == "USD")
        if not c:
            return False
        inv = self._due_first(c, 1)[0]
        tags: list[str] = []
        text = _remittance(self.rng, [Line(inv, inv.open)], tags, 0)
        day = self.rng.choice(self.days)
        self._add("paid_twice", c, [Line(inv, inv.open)], inv.open, c.name, text, "Check", tags[:], day=day)
        self._add("paid_twice", c, [Line(None, inv.open)], inv.open, bank_name(self.rng, c.name, tags), text,
                  "ACH", tags, day=day)
        return True

    def override(self) -> bool:
        """The clerk knows better than the remittance and says so in ApplyTo (and CustomerID)."""
        variant = len([t for t in self.truth if t["Kind"] == "override"]) % 3
        if variant == 2:  # a deposit on an order: the clerk keeps it on account
            c = self._customer(0, lambda c: c.currency == "USD")
            amount = self.rng.choice([100000, 250000, 500000])
            tags: list[str] = []
            self._add("override", c, [Line(None, amount)], amount, self._payer(c, "ACH", tags),
                      f"DEPOSIT ORDER {self.rng.randint(5000, 9999)}", "ACH", tags,
                      ApplyTo="ON ACCOUNT", CustomerID=c.id)
            return True
        c = self._customer(2, lambda c: c.currency == "USD")
        if not c:
            return False
        picked = self._due_first(c, 2)
        if variant == 0:  # no reference; the customer's AP emailed the list
            lines = [Line(inv, inv.open) for inv in picked]
            apply_to = ";".join(inv.id for inv in picked)
        else:  # a split the clerk agreed on the phone
            lines = [Line(inv, inv.open // 2) for inv in picked]
            apply_to = ";".join(f"{inv.id}={_money(line.applied)}" for inv, line in zip(picked, lines))
        tags = []
        self._add("override", c, lines, sum(line.applied for line in lines), self._payer(c, "Check", tags),
                  "", "Check", tags, ApplyTo=apply_to, CustomerID=c.id if variant == 0 else None)
        return True

    def build(self, n: int) -> None:
        makers = {"single": self.single, "multi": self.multi, "long_list": self.long_list,
                  "foreign_currency": self.foreign_currency, "range": self.range, "edi_820": self.edi_820,
                  "discount": self.discount, "short_pay": self.short_pay,
                  "small_difference": self.small_difference, "partial": self.partial,
                  "overpay": self.overpay, "no_reference": self.no_reference,
                  "no_reference_multi": lambda: self.no_reference("no_reference_multi"),
                  "po_reference": self.po_reference, "parent_payer": self.parent_payer,
                  "alias_payer": self.alias_payer, "processor": self.processor,
                  "unknown_payer": self.unknown_payer, "already_paid": self.already_paid,
                  "paid_twice": self.paid_twice, "override": self.override}
        plan = _allocate(n, PAYMENT_KINDS)
        self.rng.shuffle(plan)
        for kind in plan:
            room = n - len(self.rows)
            if room <= 0:
                break
            if kind == "paid_twice" and room < 2 or not makers[kind]():
                self.single()


def _allocate(n: int, weights: dict[str, int]) -> list[str]:
    """``n`` kinds in proportion to ``weights`` (largest remainders), each at least once when
    ``n`` leaves room for all."""
    total = sum(weights.values())
    floor = 1 if n >= len(weights) else 0
    counts = {k: max(floor, n * w // total) for k, w in weights.items()}
    by_remainder = sorted(weights, key=lambda k: (-(n * weights[k] % total), k))
    i = 0
    while sum(counts.values()) < n:
        counts[by_remainder[i % len(by_remainder)]] += 1
        i += 1
    while sum(counts.values()) > n:
        biggest = max(counts, key=counts.get)
        counts[biggest] -= 1
    return [k for k in weights for _ in range(counts[k])]


# ---- memo requests -----------------------------------------------------------------------------

def _memo_requests(rng: random.Random, open_invoices: list[Invoice], as_of: dt.date) -> list[dict]:
    """Each Type once as a Credit and once as a Debit, against invoices the new batch leaves
    open, then two rows a clerk got wrong: an invoice number that does not exist, and a freight
    credit beyond the invoice's freight. A request whose kind of invoice the world lacks (a
    small world may bill no freight) is left out."""
    pool = sorted(open_invoices, key=lambda i: i.seq)
    rng.shuffle(pool)
    used: set[str] = set()  # one request per customer reads better, when there are enough

    def pick(wheres, least: int) -> Invoice | None:
        for where in wheres:
            for distinct in (True, False):
                for inv in pool:
                    if (not distinct or inv.customer.id not in used) and inv.open >= least and where(inv):
                        used.add(inv.customer.id)
                        return inv
        return None

    anything = lambda inv: True  # noqa: E731
    overdue = as_of - dt.timedelta(days=45)
    unknown_invoice = f"INV-{as_of.year}-{999000 + rng.randint(0, 999):06d}"
    cases = rng.randint(1, 3)
    # kind, type, which invoice (by preference), its least open balance in cents, the fields
    wanted = [
        ("Credit", "Product", anything, 20000, lambda inv: dict(
            Reason=f"Returned {cases} cases, RA {rng.randint(50000, 59999)}", Quantity=cases,
            UnitPrice=inv.net // rng.randint(6, 12))),
        ("Debit", "Product", lambda inv: inv.net > 10000, 0, lambda inv: dict(
            Reason="+2 cases shipped, not billed", Quantity=2, UnitPrice=inv.net // 25)),
        ("Credit", "Service", anything, 0, lambda inv: dict(
            Reason="Technician visit missed on site", Amount=min(15000, inv.net // 2), Approved="")),
        ("Debit", "Service", anything, 0, lambda inv: dict(
            Reason="Additional technician hours", Quantity=3.5, UnitPrice=9500)),
        ("Credit", "Freight", lambda inv: inv.freight > 0, 0, lambda inv: dict(
            Reason="Freight billed in error (customer pickup)", Amount=inv.freight)),
        ("Debit", "Freight", anything, 0, lambda inv: dict(
            Reason="Expedited freight not billed", Amount=rng.randint(4000, 18000))),
        ("Credit", "Tax", lambda inv: inv.tax > 0, 0, lambda inv: dict(
            Reason="Resale exemption certificate received", Amount=inv.tax)),
        ("Debit", "Tax", lambda inv: inv.tax > 0, 0, lambda inv: dict(
            Reason="Sales tax under-billed", Amount=max(100, inv.net // 200))),
        ("Credit", "Price", (lambda inv: inv.customer.currency == "EUR", anything), 10000, lambda inv: dict(
            Reason="-10% pricing error on line 3", Amount=inv.net // 10)),
        ("Debit", "Price", anything, 0, lambda inv: dict(
            Reason="Contract price increase not applied", Quantity=12, UnitPrice=rng.randint(150, 900))),
        ("Credit", "Other", anything, 0, lambda inv: dict(
            Reason="Goodwill credit for late delivery", Amount=5000, InvoiceID=None)),
        ("Debit", "Other", lambda inv: inv.due < overdue, 0, lambda inv: dict(
            Reason=f"Late payment fee on {inv.id}", Amount=3500, TaxRate=Decimal(0), InvoiceID=None)),
        # The rows a clerk got wrong, which the memo run must report in Exceptions.
        ("Credit", "Product", anything, 0, lambda inv: dict(
            Reason="Damaged on arrival", Amount=inv.net // 5, InvoiceID=unknown_invoice)),
        ("Credit", "Freight", lambda inv: inv.freight > 0, 0, lambda inv: dict(
            Reason="Freight refund requested", Amount=inv.freight + 5000)),
    ]
    rows: list[dict] = []
    for kind, type_, where, least, fields in wanted:
        inv = pick(where if isinstance(where, tuple) else (where,), least)
        if inv is None:
            continue
        row = dict(RequestID=f"MR-{len(rows) + 1:04d}", CustomerID=inv.customer.id, Kind=kind, Type=type_,
                   Reason="", Amount=None, Quantity=None, UnitPrice=None, InvoiceID=inv.id, TaxRate=None,
                   MemoDate=as_of if rng.random() < 0.5 else None, Currency=inv.customer.currency,
                   Approved="Yes")
        row.update(fields(inv))
        for money in ("Amount", "UnitPrice"):
            if row[money] is not None:
                row[money] = _money(row[money])
        rows.append(row)
    return rows


# ---- rows --------------------------------------------------------------------------------------

def _customer_rows(customers: list[Customer]) -> list[dict]:
    return [dict(CustomerID=c.id, Name=c.name, Aliases="; ".join(c.aliases) or None,
                 ParentID=c.parent.id if c.parent else None, Terms=c.terms or None,
                 CreditLimit=_money(c.credit_limit), Currency=c.currency,
                 BankAccounts="; ".join(c.accounts) or None, Email=c.email, Region=c.region,
                 Salesperson=SALES[c.region], Status=c.status) for c in customers]


def _invoice_status(inv: Invoice) -> str:
    if inv.open == 0:
        return "Paid"
    if inv.disputed:
        return "Disputed"
    if inv.short:
        return "Short paid"
    return "Partially paid" if inv.paid else "Open"


def _invoice_rows(invoices: list[Invoice]) -> list[dict]:
    return [dict(InvoiceID=inv.id, CustomerID=inv.customer.id, InvoiceDate=inv.date, Amount=_money(inv.amount),
                 DueDate=inv.due if inv.show_due else None, TaxAmount=_money(inv.tax),
                 FreightAmount=_money(inv.freight) if inv.freight else None, Currency=inv.customer.currency,
                 PONumber=inv.po or None, Disputed="Yes" if inv.disputed else None,
                 Paid=_money(inv.paid), Discounts=_money(inv.discount), WrittenOff=_money(inv.written_off),
                 Credited=_money(0), OpenBalance=_money(inv.open), Status=_invoice_status(inv),
                 LastPaymentDate=inv.last_paid) for inv in invoices]


def _posted_rows(rng: random.Random, receipts: list[Receipt], batch_start: dt.date) -> tuple[list[dict], list[dict]]:
    """Payments rows and Applications ledger rows for the receipts posted before the batch; a
    cheque posted in the last fortnight bounced, and the clerk marked it Reverse."""
    payments, applications = [], []
    bounce_from = batch_start - dt.timedelta(days=14)
    bounced = False
    for n, (payer, day, lines) in enumerate(receipts, start=1):
        pid = f"PMT-{n:06d}"
        method = ("Wire" if payer.currency != "USD" else
                  _weighted(rng, {"ACH": 50, "Check": 25, "Lockbox": 15, "Wire": 10}))
        tags: list[str] = []
        name = payer.name if method in ("Check", "Lockbox") else bank_name(rng, payer.name, tags)
        invoiced = [line for line in lines if line.invoice]
        reference = _bank_wrap(rng, name, _remittance(rng, invoiced, tags, 0), method, payer.currency, day, tags)
        source = _weighted(rng, {"Auto": 80, "Approved": 17, "Override": 3})
        confidence = {"Auto": rng.randint(90, 100), "Approved": rng.randint(55, 89), "Override": None}[source]
        posted_at = dt.datetime.combine(day, dt.time(rng.randint(9, 16), rng.randint(0, 59)))
        action = None
        if not bounced and method == "Check" and day >= bounce_from:
            action, bounced = "Reverse", True
        payments.append(dict(
            PaymentID=pid, ReceivedDate=day, PayerName=name, Amount=_money(sum(line.applied for line in lines)),
            Currency=payer.currency, Method=method,
            CheckNumber=str(rng.randint(1000, 99999)) if method in ("Check", "Lockbox") else None,
            PayerAccount=payer.accounts[0] if payer.accounts and method in ("ACH", "Wire") else None,
            Reference=reference or None, CustomerID=None, ApplyTo=None, Action=action,
            MatchStatus="Posted", MatchedCustomerID=payer.id,
            MatchedInvoices=";".join(line.invoice.id for line in invoiced),
            Confidence=confidence, Unapplied=_money(sum(line.applied for line in lines if not line.invoice))))
        for line in lines:
            if line.invoice:  # the reason code posting itself writes
                code = posting.reason_code(
                    posting.Line(line.invoice.id, line.applied, line.discount, line.write_off, line.short,
                                 line.reason.replace(" ", "_")),
                    line.applied, line.invoice.amount)
            else:
                code = "OVERPAY"
            applications.append(dict(
                ApplicationID=f"{posting.ID_PREFIX}{len(applications) + 1:0{posting.ID_DIGITS}d}",
                PostedAt=posted_at, PaymentID=pid, InvoiceID=line.invoice.id if line.invoice else None,
                CustomerID=line.invoice.customer.id if line.invoice else payer.id,
                AppliedAmount=_money(line.applied), DiscountTaken=_money(line.discount),
                WriteOff=_money(line.write_off), ShortPay=_money(line.short), ReasonCode=code,
                Source=source, Confidence=confidence))
    return payments, applications


# ---- the entry points --------------------------------------------------------------------------

def demo_data(seed: int = 7, customers: int = 300, invoices: int = 4000, payments: int = 200,
              as_of: dt.date = DEMO_AS_OF) -> DemoData:
    """The demo world: its tables and the truth of its new payments."""
    rng = random.Random(seed)
    world = _customers(rng, customers)
    billed = _invoices(rng, world, invoices, as_of)
    batch_start = _business_day_before(as_of - dt.timedelta(days=BATCH_DAYS))
    receipts = _history(rng, billed, batch_start)
    posted, applications = _posted_rows(rng, receipts, batch_start)
    batch = _Batch(rng, world, billed, as_of)
    batch.build(payments)
    blank_ids = set(rng.sample(range(len(batch.rows)), min(3, len(batch.rows) // 20)))
    for k, (row, truth) in enumerate(zip(batch.rows, batch.truth)):
        row["PaymentID"] = None if k in blank_ids else f"PMT-{len(posted) + k + 1:06d}"
        truth["PaymentID"] = row["PaymentID"] or ""
        truth["Position"] = len(posted) + k
        if k in blank_ids:
            truth["Noise"].append("blank_payment_id")
    still_open = [inv for opens in batch.open_by_customer.values() for inv in opens]
    tables = {
        "Customers": _customer_rows(world),
        "Invoices": _invoice_rows(billed),
        "Payments": posted + batch.rows,
        "Applications": applications,
        "MemoRequests": _memo_requests(rng, still_open, as_of),
        "Settings": [dict(Setting="AsOfDate", Value=as_of), dict(Setting="CompanyName", Value=COMPANY_NAME),
                     dict(Setting="CompanyAddress", Value=COMPANY_ADDRESS)],
    }
    return DemoData(tables, batch.truth)


def demo_tables(seed: int = 7, customers: int = 300, invoices: int = 4000, payments: int = 200,
                as_of: dt.date = DEMO_AS_OF) -> dict[str, list[dict]]:
    """The demo workbook's rows, table by table (see the module's docstring)."""
    return demo_data(seed, customers, invoices, payments, as_of).tables


def write_demo(path: str | os.PathLike, seed: int = 7, as_of: dt.date = DEMO_AS_OF,
               overwrite: bool = False, **sizes) -> Path:
    """A new master workbook at ``path`` holding the demo world."""
    from arxl.book.files import new_workbook

    tables = demo_tables(seed, as_of=as_of, **sizes)
    settings = {row["Setting"]: row["Value"] for row in tables.pop("Settings")}
    return new_workbook(path, rows=tables, settings=settings, overwrite=overwrite)
