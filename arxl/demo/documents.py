"""What the demo needs for the documents customers receive: postal addresses, tax rates and
exemptions, a clerk's invoice requests, and reminder levels.

Drawn from a random generator of their own (seeded from the demo's seed), after everything
else, so the rest of the demo world is the same with or without them.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from arxl.contract import CustomerStatus
from arxl.core.dunning import DEFAULT_LEVELS
from arxl.core.money import minor_to_decimal
from arxl.demo.world import Customer

STREETS = ["Harbor Road", "Main Street", "Industrial Parkway", "Commerce Drive", "Mill Lane", "Oak Avenue",
           "Riverside Drive", "Market Street", "Station Road", "Lakeview Boulevard"]
US_PLACES = {"Northeast": [("Albany", "NY", "122"), ("Hartford", "CT", "061"), ("Worcester", "MA", "016")],
             "Southeast": [("Savannah", "GA", "314"), ("Raleigh", "NC", "276"), ("Tampa", "FL", "336")],
             "Midwest": [("Dayton", "OH", "454"), ("Peoria", "IL", "616"), ("Madison", "WI", "537")],
             "South Central": [("Tulsa", "OK", "741"), ("Waco", "TX", "767"), ("Shreveport", "LA", "711")],
             "Mountain": [("Boise", "ID", "837"), ("Provo", "UT", "846"), ("Pueblo", "CO", "810")],
             "Pacific": [("Fresno", "CA", "937"), ("Tacoma", "WA", "984"), ("Eugene", "OR", "974")]}
CA_PLACES = [("Kelowna", "BC", "V1Y"), ("Sherbrooke", "QC", "J1H"), ("Kingston", "ON", "K7L")]
EU_PLACES = [("Hamburg", "20095", "Germany"), ("Lyon", "69002", "France"), ("Utrecht", "3511", "Netherlands"),
             ("Bologna", "40121", "Italy"), ("Valencia", "46001", "Spain"), ("Linz", "4020", "Austria")]

# Each tax rate of the world under the code a clerk would give it.
TAX_CODES = {("USD", Decimal("0.05")): ("ST-5", "Sales tax"), ("USD", Decimal("0.06")): ("ST-6", "Sales tax"),
             ("USD", Decimal("0.0625")): ("ST-625", "Sales tax"), ("USD", Decimal("0.07")): ("ST-7", "Sales tax"),
             ("USD", Decimal("0.0825")): ("ST-825", "Sales tax"), ("USD", Decimal("0.0925")): ("ST-925", "Sales tax"),
             ("CAD", Decimal("0.05")): ("GST", "GST"), ("CAD", Decimal("0.13")): ("HST", "HST"),
             ("EUR", Decimal("0.19")): ("VAT-19", "VAT"), ("EUR", Decimal("0.20")): ("VAT-20", "VAT"),
             ("EUR", Decimal("0.21")): ("VAT-21", "VAT")}

# The levels a new workbook starts with, the final notice charging a fee and interest.
DUNNING_LEVELS: list[dict[str, Any]] = [
    {**level, "Fee": Decimal("25.00"), "InterestRate": Decimal("0.08")} if level["Level"] == 3 else dict(level)
    for level in DEFAULT_LEVELS]

ITEMS = [("Hydraulic hose assembly, 1/2 in.", 42.50), ("Stainless fasteners, box of 500", 18.75),
         ("Bearing kit, series 6200", 64.90), ("Safety gloves, case of 12 pairs", 27.30),
         ("Pallet wrap, 18 in. x 1500 ft", 31.99), ("Torque wrench calibration (service)", 85.00),
         ("LED high-bay fixture, 150 W", 139.00), ("Compressor filter element", 22.45)]


def postal_address(rng: random.Random, customer: Customer) -> str:
    street = f"{rng.randint(10, 9899)} {rng.choice(STREETS)}"
    if customer.currency == "EUR":
        city, code, country = rng.choice(EU_PLACES)
        return f"{street}; {code} {city}; {country}"
    if customer.currency == "CAD":
        city, province, prefix = rng.choice(CA_PLACES)
        return f"{street}; {city}, {province} {prefix} {rng.randint(1, 9)}A{rng.randint(1, 9)}; Canada"
    city, state, prefix = rng.choice(US_PLACES[customer.region])
    return f"{street}; {city}, {state} {prefix}{rng.randint(10, 99)}"


def document_columns(seed: int, customers: list[Customer], rows: list[dict[str, Any]]) -> random.Random:
    """Fill each customer row's Address, TaxExempt and TaxCertificate (US customers the world
    charges no tax are exempt, buying for resale); returns the generator to draw the rest with."""
    rng = random.Random(f"arxl-demo-documents-{seed}")
    for customer, row in zip(customers, rows):
        row["Address"] = postal_address(rng, customer)
        if customer.currency == "USD" and not customer.tax_rate:
            row["TaxExempt"] = "Yes"
            row["TaxCertificate"] = f"RESALE-{rng.randint(100000, 999999)}"
    return rng


def tax_rate_rows() -> list[dict[str, Any]]:
    return [{"TaxCode": code, "Rate": rate, "Description": name}
            for (_, rate), (code, name) in TAX_CODES.items()]


def invoice_requests(rng: random.Random, customers: list[Customer], as_of: dt.date) -> list[dict[str, Any]]:
    """A morning's invoicing: a few multi-line orders (with freight), one for a tax-exempt
    customer, one in euros, and one for a customer on hold (which the run refuses)."""
    active = [c for c in customers if c.status == CustomerStatus.ACTIVE]
    picks = [next(c for c in active if c.currency == "USD" and c.tax_rate),
             next(c for c in active if c.currency == "USD" and not c.tax_rate),
             *[c for c in active if c.currency == "EUR"][:1],
             *rng.sample([c for c in active if c.currency == "USD" and c.tax_rate], 2),
             *[c for c in customers if c.status == CustomerStatus.HOLD][:1]]
    rows: list[dict[str, Any]] = []
    for n, customer in enumerate(picks):
        key = f"ORD-{as_of:%m%d}-{n + 1:02d}"
        code = TAX_CODES.get((customer.currency, customer.tax_rate), ("", ""))[0]
        for k, (description, price) in enumerate(rng.sample(ITEMS, rng.randint(1, 4))):
            rows.append({"RequestID": f"IR-{len(rows) + 1:04d}", "CustomerID": customer.id, "InvoiceKey": key,
                         "Description": description, "Quantity": rng.choice([1, 2, 3, 5, 10, 12, 24]),
                         "UnitPrice": Decimal(str(price)), "TaxCode": code,
                         "PONumber": f"PO-{rng.randint(10000, 99999)}" if k == 0 else None,
                         "Freight": (minor_to_decimal(rng.choice([0, 1250, 2400]), customer.currency)
                                     if k == 0 else None)})
    return rows
