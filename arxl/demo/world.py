"""The demo's receivables world: customers (names, terms, habits, groups, bank accounts) and the
invoices billed to them over about six months, drawn from one ``random.Random``.

Amounts are integer cents; dates are ``datetime.date``. What an invoice still owes is not decided
here: ``Invoice.open`` and ``Invoice.status`` are set from ``arxl.core.balances`` once the paid
history is in the ledger (see ``arxl.demo.arxl_columns``).
"""
from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from arxl.contract import CustomerStatus, InvoiceStatus
from arxl.core.terms import Terms, parse_terms

DEFAULT_TERMS = "Net 30"
# Every currency the demo bills in (USD, EUR, CAD) has two decimals: its amounts are cents, which
# follow this currency's rules when they become cells.
CENTS = "USD"
HISTORY_DAYS = 182  # about six months of billing

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
LEGAL_FORMS = {"INC", "INC.", "LLC", "L.L.C.", "CORP", "CORP.", "CO", "CO.", "INCORPORATED",
               "CORPORATION", "LTD", "LTD.", "LTEE", "GMBH", "AG", "KG", "B.V.", "S.A.", "S.A.S.",
               "SARL", "S.R.L.", "S.P.A.", "S.L."}
TRANSLITERATIONS = {"Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "SS", "ä": "ae", "ö": "oe", "ü": "ue"}


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
    status: CustomerStatus = CustomerStatus.ACTIVE

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
    # What the ledger says it still owes, set from arxl.core.balances once the history is posted.
    open: int = 0
    status: InvoiceStatus = InvoiceStatus.OPEN

    @property
    def amount(self) -> int:
        return self.net + self.tax + self.freight

    @property
    def due(self) -> dt.date:
        return self.customer.parsed_terms.due_date(self.date)


@dataclass
class Line:
    """What one payment does to one invoice (invoice None: cash left on account)."""
    invoice: Invoice | None
    applied: int
    discount: int = 0
    write_off: int = 0
    short: int = 0
    reason: str = ""

    @property
    def billed(self) -> Invoice:
        """The invoice a line that pays one pays."""
        if self.invoice is None:
            raise ValueError("a line on account pays no invoice")
        return self.invoice


# ---- helpers -----------------------------------------------------------------------------------

Option = TypeVar("Option")


def weighted(rng: random.Random, options: dict[Option, int] | tuple[list[Option], list[int]]) -> Option:
    """One of ``options``, drawn in proportion to its weight."""
    if isinstance(options, dict):
        return rng.choices(list(options), list(options.values()))[0]
    return rng.choices(*options)[0]


def business_day_before(day: dt.date) -> dt.date:
    """``day``, or the Friday before it when it falls on a weekend."""
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def plain_ascii(text: str) -> str:
    """``text`` without accents, German umlauts spelled out (as banks and e-mail domains print
    names)."""
    text = "".join(TRANSLITERATIONS.get(ch, ch) for ch in text)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _iban(rng: random.Random, country: str, length: int) -> str:
    bban = "".join(rng.choice("0123456789") for _ in range(length - 4))
    if country == "NL":
        bban = rng.choice(["ABNA", "RABO", "INGB"]) + bban[4:]
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


# ---- customers ---------------------------------------------------------------------------------

def draw_customers(rng: random.Random, n: int) -> list[Customer]:
    """``n`` customers: mostly US, some Canadian and European; some with aliases, second bank
    accounts, or in groups under a parent that often pays for them."""
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
            name = " ".join(x for x in (stem, trade, weighted(rng, CA_SUFFIX)) if x)
            currency, region, tax = "CAD", "Canada", Decimal(rng.choice(["0.05", "0.13"]))
            # transit - institution - account, as Canadian cheques print it
            institution = rng.choice(["001", "002", "003", "004", "006"])
            account = f"{rng.randint(10000, 99999)}-{institution}-{rng.randint(10**6, 10**7 - 1)}"
        else:
            stem, trade = rng.choice(US_FIRST), rng.choice(US_TRADE)
            name = " ".join(x for x in (stem, trade, weighted(rng, US_SUFFIX)) if x)
            currency, region = "USD", rng.choice(US_REGIONS)
            tax = (Decimal(0) if rng.random() < 0.35 else  # buying for resale: exempt
                   Decimal(rng.choice(["0.05", "0.06", "0.0625", "0.07", "0.0825", "0.0925"])))
            account = str(rng.randint(10**8, 10**12 - 1))
        if name in taken:
            continue
        taken.add(name)
        terms = weighted(rng, TERMS)
        parsed = parse_terms(terms or DEFAULT_TERMS)
        habit = ("discounter" if parsed.discount_rate and rng.random() < 0.65 else
                 weighted(rng, {"prompt": 25, "typical": 45, "slow": 22, "delinquent": 8}))
        out.append(Customer(id=f"C{len(out) + 1001}", name=name, currency=currency, region=region,
                            terms=terms, weight=rng.paretovariate(1.3), size=rng.lognormvariate(6.6, 0.8),
                            tax_rate=tax, habit=habit,
                            po_style=weighted(rng, {"sap": 25, "dash": 25, "digits": 20, "account": 10, "": 20}),
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
        domain = "".join(ch for ch in plain_ascii(c.name.split(",")[0]).lower() if ch.isalnum())[:18]
        tld = {"EUR": "eu", "CAD": "ca"}.get(c.currency, "com")
        c.email = f"{rng.choice(['ap', 'accountspayable', 'payables', 'invoices'])}@{domain}.{tld}"
        c.status = (CustomerStatus.HOLD if c.habit == "delinquent" and rng.random() < 0.4
                    else CustomerStatus.ACTIVE)
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

def draw_invoices(rng: random.Random, customers: list[Customer], n: int, as_of: dt.date) -> list[Invoice]:
    """Billing events over about six months (a few older, long-unpaid ones), numbered in date
    order; a tenth of the events bill several deliveries at once, so their numbers run
    consecutively (the ranges remittances quote)."""
    weights = [c.weight for c in customers]
    events: list[tuple[dt.date, Customer, int]] = []
    count = 0
    while count < n:
        customer = rng.choices(customers, weights)[0]
        age = rng.randint(HISTORY_DAYS + 1, 400) if rng.random() < 0.03 else rng.randint(0, HISTORY_DAYS)
        day = business_day_before(as_of - dt.timedelta(days=age))
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
