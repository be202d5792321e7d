"""ARXL_* worksheet functions (xlwings UDFs, Windows Excel only).

Each is a thin call into the rule the commands use (``arxl.core.aging`` ...), with cell values
read and written through ``arxl.book.convert`` like every other door, so a formula gives the
button's answer. A function takes a cell or a whole column and returns one answer per cell: put
it at the top of a column and the answers spill down. A cell that cannot be read gives the
problem in words (e.g. "not a date") in its own answer cell; the others are still computed.
Tables (Settings, Customers, Invoices) are passed whole with their headers, e.g.
``Settings[#All]``, and read by the same workbook port as the buttons. Nothing here writes to
the workbook. (xlwings on Windows passes date cells as datetimes and returns dates as date
serials: format an answer column of ARXL_DUEDATE as a date.)

Dates also arrive as numbers: a computed date (``TODAY()``, ``DATE(2026,11,20)``, ``A2+30``) is
handed to a function as its serial number, and xlwings Lite hands over every date that way.
Numbers in date arguments are therefore read as serial numbers of the workbook's date system
(``arxl.book.convert.date_from_serial``). The Windows wrappers pass ``ThisWorkbook.Date1904``
so that a 1904 workbook is read as such; ``date1904`` is not an argument a formula gives.
"""
from __future__ import annotations

import contextlib
import functools
from contextvars import ContextVar

import xlwings as xw

from arxl.book.convert import SERIALS_1900, SERIALS_1904, BadValue, read_value
from arxl.book.port import Workbook
from arxl.book.store import BookError, RawTable
from arxl.core import aging, collections, credit, rollforward
from arxl.core.dunning import customer_level, read_levels
from arxl.core.ledger import CannotRun, Ledger
from arxl.core.matching import identify_payer, match_remittance
from arxl.core.money import kept_decimals, minor_to_decimal, minor_to_float
from arxl.core.settings import Settings
from arxl.core.statements import statement_balance
from arxl.core.terms import UnknownTerms

CATEGORY = "arxl"
SETTINGS_DOC = "Optional: the Settings table with its headers, e.g. Settings[#All]"
DATE1904 = "ThisWorkbook.Date1904"  # VBA: the workbook's date system, handed to Python by the wrapper


class RangeStore:
    """The read side of a ``TableStore`` over ranges handed to a worksheet function: each
    table is a grid whose first row holds the headers."""

    def __init__(self, grids: dict[str, list[list] | None]):
        self.grids = {name: grid for name, grid in grids.items() if grid}

    def find(self, name: str) -> RawTable | None:
        grid = self.grids.get(name)
        if grid is None:
            return None
        headers = ["" if h is None else str(h) for h in grid[0]]
        return RawTable(name=name, sheet=name, headers=headers, first_row=2, rows=[list(r) for r in grid[1:]])


def _serials(date1904) -> int:
    return SERIALS_1904 if date1904 is True else SERIALS_1900


def _settings(grid: list[list] | None, as_of, date1904=False) -> Settings:
    """The workbook's settings as the buttons read them; ``as_of`` (a cell, a date or its serial
    number) overrides AsOfDate."""
    date = read_value("date", as_of, _serials(date1904)) if as_of is not None else None
    return _read(Workbook(RangeStore({"Settings": grid}), as_of=date.date() if date is not None else None)).settings


# The UDF at work: once it has read its tables, it works in the decimals they keep their
# currencies in (yen kept to the cent: arxl.core.money.kept_decimals), until it answers.
_ANSWERING: ContextVar[contextlib.ExitStack] = ContextVar("arxl_udf_answering")


def _problems_as_answer(udf):
    """An argument that cannot be read as a whole (an as-of date, a table without its required
    columns) makes the answer one cell saying why, instead of an error value."""
    @functools.wraps(udf)
    def answer(*args):
        with contextlib.ExitStack() as answering:
            token = _ANSWERING.set(answering)
            try:
                return udf(*args)
            except BadValue as exc:
                return [[exc.problem]]
            except (BookError, CannotRun) as exc:
                return [[str(exc)]]
            finally:
                _ANSWERING.reset(token)
    return answer


def _read(book: Workbook) -> Ledger:
    """The tables given, read; the rest of the answer in the decimals they keep."""
    ledger = book.load()
    _ANSWERING.get().enter_context(kept_decimals(ledger.decimals))
    return ledger


def _shape(*grids: list[list]) -> tuple[int, int]:
    """The answer's shape: that of the largest argument; single cells apply to every row."""
    shapes = {(len(g), len(g[0])) for g in grids if g and (len(g), len(g[0])) != (1, 1)}
    if len(shapes) > 1:
        raise ValueError("the ranges given have different sizes; give ranges of one size, or single cells")
    return shapes.pop() if shapes else (1, 1)


def _at(grid: list[list], r: int, c: int):
    return grid[0][0] if len(grid) == 1 and len(grid[0]) == 1 else grid[r][c]


def _each(compute, *grids: list[list]) -> list[list]:
    """``compute`` on each cell position of the arguments; a cell that cannot be read or has no
    answer gives its problem as text, and the other cells are still computed."""
    try:
        rows, cols = _shape(*grids)
    except ValueError as exc:
        return [[str(exc)]]
    out = []
    for r in range(rows):
        line = []
        for c in range(cols):
            try:
                line.append(compute(*(_at(g, r, c) for g in grids)))
            except BadValue as exc:
                line.append(exc.problem)
            except UnknownTerms as exc:
                line.append(str(exc))
        out.append(line)
    return out


def _table(name: str, grid: list[list] | None, settings: list[list] | None = None):
    """A table passed with its headers, read by the workbook port as the buttons read it (with
    the Settings table, when given, for the base currency and the decimal separator)."""
    return _read(Workbook(RangeStore({name: grid, "Settings": settings}))).table(name)


def _date_or_none(value, date1904=False):
    stamp = read_value("date", value, _serials(date1904))
    return None if stamp is None else stamp.date()


@xw.func(category=CATEGORY)
@xw.arg("due_dates", ndim=2, doc="A due date, or a column of them")
@xw.arg("as_of", doc="Optional: the date to count to (default: Settings AsOfDate, else today)")
@xw.arg("settings", ndim=2, doc=SETTINGS_DOC)
@xw.arg("date1904", vba=DATE1904)
@_problems_as_answer
def ARXL_DAYSPASTDUE(due_dates, as_of=None, settings=None, date1904=False):
    """Days past due as of the as-of date (negative while not yet due), as the Aging table counts them."""
    chosen = _settings(settings, as_of, date1904)

    def compute(due):
        date = _date_or_none(due, date1904)
        return None if date is None else aging.days_past_due(date, chosen.as_of)
    return _each(compute, due_dates)


@xw.func(category=CATEGORY)
@xw.arg("dates", ndim=2, doc="The date each item is aged from (its due date; its invoice date if AgingBasis is InvoiceDate)")
@xw.arg("as_of", doc="Optional: the date to age to (default: Settings AsOfDate, else today)")
@xw.arg("settings", ndim=2, doc=SETTINGS_DOC + " (for AgingBuckets)")
@xw.arg("date1904", vba=DATE1904)
@_problems_as_answer
def ARXL_BUCKET(dates, as_of=None, settings=None, date1904=False):
    """The aging bucket (Current, 1-30, ..., Over 120) of each date, as the Aging table buckets it."""
    chosen = _settings(settings, as_of, date1904)

    def compute(value):
        date = _date_or_none(value, date1904)
        return None if date is None else aging.bucket_of_date(date, chosen.as_of, chosen.aging_buckets)
    return _each(compute, dates)


@xw.func(category=CATEGORY)
@xw.arg("invoice_dates", ndim=2, doc="An invoice date, or a column of them")
@xw.arg("terms", ndim=2, doc="The terms (Net 30, 2/10 Net 30, EOM...), one cell or a column; blank: Settings DefaultTerms")
@xw.arg("settings", ndim=2, doc=SETTINGS_DOC + " (for DefaultTerms)")
@xw.arg("date1904", vba=DATE1904)
@_problems_as_answer
def ARXL_DUEDATE(invoice_dates, terms=None, settings=None, date1904=False):
    """The due date the terms give each invoice date, as aging and posting compute it."""
    chosen = _settings(settings, None)

    def compute(invoice_date, text):
        date = _date_or_none(invoice_date, date1904)
        if date is None:
            return None
        return aging.due_date_from_terms(date, read_value("text", text) or "", default_terms=chosen.default_terms)
    return _each(compute, invoice_dates, terms if terms is not None else [[None]])


@xw.func(category=CATEGORY)
@xw.arg("amounts", ndim=2, doc="The invoice amount (gross), or a column of them")
@xw.arg("invoice_dates", ndim=2, doc="The invoice date(s)")
@xw.arg("paid_on", ndim=2, doc="The date the payment arrived, one cell or a column")
@xw.arg("terms", ndim=2, doc="The terms, e.g. 2/10 Net 30; blank: Settings DefaultTerms")
@xw.arg("settings", ndim=2, doc=SETTINGS_DOC + " (for DefaultTerms)")
@xw.arg("date1904", vba=DATE1904)
@_problems_as_answer
def ARXL_DISCOUNT(amounts, invoice_dates, paid_on, terms=None, settings=None, date1904=False):
    """The early-payment discount a payment on that date may take (0 once the discount period lapsed)."""
    chosen = _settings(settings, None)

    def compute(amount, invoice_date, paid, text):
        gross = read_value("money", amount, currency=chosen.base_currency, decimal_separator=chosen.decimal_separator)
        date, paid_date = _date_or_none(invoice_date, date1904), _date_or_none(paid, date1904)
        if gross is None or date is None or paid_date is None:
            return None
        return minor_to_float(aging.discount_available(gross, date, paid_date, read_value("text", text) or "",
                                                       chosen.default_terms), chosen.base_currency)
    return _each(compute, amounts, invoice_dates, paid_on, terms if terms is not None else [[None]])


@xw.func(category=CATEGORY)
@xw.arg("payers", ndim=2, doc="A payer name as the bank printed it, or a column of them")
@xw.arg("customers", ndim=2, doc="The Customers table with its headers, e.g. Customers[#All]")
@xw.arg("accounts", ndim=2, doc="Optional: the payer's bank account or IBAN, or a column of them")
@_problems_as_answer
def ARXL_CUSTOMER(payers, customers, accounts=None):
    """The CustomerID a payer most likely is, as matching reads payers: a bank account on file first, then the name (Name, Aliases, parent's name); blank when none fits."""
    table = _table("Customers", customers)

    def compute(payer, account):
        name = read_value("external", payer) or ""
        found, _, _ = identify_payer(name, table, account=read_value("external", account) or "")
        return found
    return _each(compute, payers, accounts if accounts is not None else [[None]])


@xw.func(category=CATEGORY)
@xw.arg("reference", doc="The remittance text as received (invoice numbers, amounts...)")
@xw.arg("payer", doc="The payer name as the bank printed it")
@xw.arg("amount", doc="The payment amount")
@xw.arg("invoices", ndim=2, doc="The Invoices table with its headers, e.g. Invoices[#All]")
@xw.arg("customers", ndim=2, doc="Optional: the Customers table with its headers, to know payers by name")
@xw.arg("received", doc="Optional: the date the payment arrived (default: Settings AsOfDate)")
@xw.arg("settings", ndim=2, doc=SETTINGS_DOC)
@xw.arg("date1904", vba=DATE1904)
@_problems_as_answer
def ARXL_MATCH(reference, payer, amount, invoices, customers=None, received=None, settings=None, date1904=False):
    """Which open invoices a remittance pays: one row per invoice (InvoiceID, amount applied, confidence 0-100), spilling down, as the Match remittances button proposes them. Open amounts come from the OpenBalance column, else Amount. The confidence is weighed on this one remittance; the button weighs each payment against the whole batch, so the two may differ a little."""
    chosen = _settings(settings, None)
    base = chosen.base_currency
    paid_on = _date_or_none(received, date1904) or chosen.as_of
    table = _table("Invoices", invoices, settings)
    known = _table("Customers", customers, settings) if customers is not None else None
    paid = read_value("money", amount, currency=base, decimal_separator=chosen.decimal_separator)
    if paid is None:
        return [["no amount", None, None]]
    open_amounts = table["OpenBalance"].fillna(table["Amount"])
    frame = table.assign(OpenBalance=[minor_to_decimal(int(a), c or base)
                                      for a, c in zip(open_amounts, table["Currency"].str.strip().str.upper())])
    found = match_remittance(read_value("external", reference) or "", read_value("external", payer) or "",
                             minor_to_decimal(paid, base), frame, customers=known, received=paid_on,
                             currency=base, settings=chosen)
    return [[invoice, applied, confidence] for invoice, applied, confidence in found] or [["no invoice found", None, None]]


LEDGER_TABLES = ("Customers", "Invoices", "Applications", "Memos", "Payments", "Contacts", "DunningLevels",
                 "InvoiceRequests", "InvoiceLines", "Disputes")
LEDGER_DOCS = {
    "customers": "The Customers table with its headers, e.g. Customers[#All]",
    "invoices": "The Invoices table with its headers, e.g. Invoices[#All]",
    "applications": "Optional: the Applications ledger with its headers (payments applied)",
    "memos": "Optional: the Memos ledger with its headers (credit and debit memos)",
    "payments": "Optional: the Payments table with its headers (cash on account)",
    "contacts": "Optional: the Contacts ledger with its headers (promises to pay)",
    "invoice_requests": "Optional: the InvoiceRequests table with its headers (invoices asked for, not made yet)",
    "invoice_lines": "Optional: the InvoiceLines ledger with its headers (the requests already invoiced)",
    "disputes": "Optional: the Disputes table with its headers (deductions under investigation are not overdue)",
}


def _ledger_args(*names: str):
    """The ``@xw.arg`` of each ledger table a function takes, as the tables' own words say."""
    def decorate(func):
        for name in names:
            func = xw.arg(name, ndim=2, doc=LEDGER_DOCS[name])(func)
        return func
    return decorate


def _ledger(settings, as_of, date1904, **grids):
    """The workbook's ledger from tables passed with their headers (Customers[#All] ...), read by
    the same workbook port as the buttons; the as-of date (a cell, a date or its serial number)
    overrides AsOfDate."""
    date = read_value("date", as_of, _serials(date1904)) if as_of is not None else None
    store = RangeStore({"Settings": settings, **{name: grids.get(name) for name in LEDGER_TABLES}})
    return _read(Workbook(store, as_of=date.date() if date is not None else None))


@xw.func(category=CATEGORY)
@xw.arg("customer_ids", ndim=2, doc="A CustomerID, or a column of them")
@_ledger_args("customers", "invoices", "applications", "memos", "payments")
@xw.arg("as_of", doc="Optional: the date to take it as of (default: Settings AsOfDate, else today)")
@xw.arg("settings", ndim=2, doc=SETTINGS_DOC)
@_ledger_args("invoice_requests", "invoice_lines")
@xw.arg("date1904", vba=DATE1904)
@_problems_as_answer
def ARXL_EXPOSURE(customer_ids, customers, invoices, applications=None, memos=None, payments=None, as_of=None, settings=None, invoice_requests=None, invoice_lines=None, date1904=False):
    """A customer's credit exposure in its own currency (open items + unapplied cash + invoices asked for and not made yet), as the Credit table shows it; blank for a customer with nothing."""
    ledger = _ledger(settings, as_of, date1904, Customers=customers, Invoices=invoices, Applications=applications,
                     Memos=memos, Payments=payments, InvoiceRequests=invoice_requests, InvoiceLines=invoice_lines)
    exposure = credit.exposure_of(ledger, ledger.settings.as_of)

    def compute(customer_id):
        found = credit.exposure_amount(exposure, read_value("id", customer_id) or "")
        return None if found is None else minor_to_float(*found)
    return _each(compute, customer_ids)


@xw.func(category=CATEGORY)
@xw.arg("customer_ids", ndim=2, doc="A CustomerID, or a column of them")
@_ledger_args("customers", "invoices", "applications", "memos", "payments", "contacts")
@xw.arg("as_of", doc="Optional: the date to take it as of (default: Settings AsOfDate, else today)")
@xw.arg("settings", ndim=2, doc=SETTINGS_DOC)
@_ledger_args("disputes")
@xw.arg("date1904", vba=DATE1904)
@_problems_as_answer
def ARXL_PRIORITY(customer_ids, customers, invoices, applications=None, memos=None, payments=None, contacts=None, as_of=None, settings=None, disputes=None, date1904=False):
    """A customer's collections priority (Score 0-100, its highest line), as the Collections worklist ranks it; blank when nothing of it is overdue."""
    ledger = _ledger(settings, as_of, date1904, Customers=customers, Invoices=invoices, Applications=applications,
                     Memos=memos, Payments=payments, Contacts=contacts, Disputes=disputes)
    as_of_date = ledger.settings.as_of
    promises, _ = collections.check_promises(ledger, as_of_date)
    table = collections.worklist(ledger, as_of_date, promises, ledger.table("Disputes", required=False),
                                 exposure=credit.exposure_of(ledger, as_of_date)["Exposure"])

    def compute(customer_id):
        return collections.score_of(table, read_value("id", customer_id) or "")
    return _each(compute, customer_ids)


@xw.func(category=CATEGORY)
@xw.arg("from_date", doc="The period's first day")
@xw.arg("to_date", doc="The period's last day")
@xw.arg("currency", doc="The currency, e.g. USD")
@_ledger_args("customers", "invoices", "applications", "memos", "payments")
@xw.arg("line", doc="Optional: the line to give instead of the Difference: Opening, Invoices, CashApplied, ..., Closing")
@xw.arg("settings", ndim=2, doc=SETTINGS_DOC)
@xw.arg("date1904", vba=DATE1904)
@_problems_as_answer
def ARXL_ROLLFORWARD(from_date, to_date, currency, customers, invoices, applications=None, memos=None, payments=None, line=None, settings=None, date1904=False):
    """The roll-forward of a period in one currency, as Month-end close writes it: its Difference (closing AR less opening AR and the movements, which must be 0.00), or another line."""
    start, end = _date_or_none(from_date, date1904), _date_or_none(to_date, date1904)
    if start is None or end is None:
        return [["give the period's first and last day"]]
    ledger = _ledger(settings, None, date1904, Customers=customers, Invoices=invoices, Applications=applications,
                     Memos=memos, Payments=payments)
    table = rollforward.rollforward(ledger, start, end).currencies.set_index("Currency")
    wanted = read_value("text", line) or "Difference"
    columns = {c.lower(): c for c in ("Opening", *rollforward.LINES, "RolledForward", "Closing", "Difference")}
    if wanted.lower() not in columns:
        return [[f"{wanted} is not a line of the roll-forward ({', '.join(columns.values())})"]]
    code = (read_value("text", currency) or ledger.settings.base_currency).upper()
    return [[minor_to_float(int(table[columns[wanted.lower()]].get(code, 0)), code)]]


@xw.func(category=CATEGORY)
@xw.arg("customer_ids", ndim=2, doc="A CustomerID, or a column of them")
@_ledger_args("customers", "invoices", "applications", "memos", "payments")
@xw.arg("as_of", doc="Optional: the statement's date (default: Settings AsOfDate, else today)")
@xw.arg("currency", doc="Optional: the currency (default: the customer's only one)")
@xw.arg("settings", ndim=2, doc=SETTINGS_DOC)
@xw.arg("date1904", vba=DATE1904)
@_problems_as_answer
def ARXL_BALANCE(customer_ids, customers, invoices, applications=None, memos=None, payments=None, as_of=None,
                 currency=None, settings=None, date1904=False):
    """What a customer owes as of a date: the balance of its statement, equal to its Aging total, in its currency."""
    ledger = _ledger(settings, as_of, date1904, Customers=customers, Invoices=invoices, Applications=applications,
                     Memos=memos, Payments=payments)
    items, _ = aging.ledger_aging(ledger, ledger.settings.as_of)
    wanted = str(read_value("external", currency) or "").strip().upper()

    def compute(customer_id):
        cid = read_value("id", customer_id)
        if not cid:
            return None
        totals = statement_balance(items, cid, wanted)
        if len(totals) > 1:
            return f"{cid} owes in {', '.join(sorted(totals))}: give the currency"
        code, amount = next(iter(totals.items()), (wanted or _currency_of(ledger, cid), 0))
        return minor_to_float(amount, code)
    return _each(compute, customer_ids)


def _currency_of(ledger, customer_id: str) -> str:
    customers = ledger.table("Customers")
    own = customers.loc[customers["CustomerID"] == customer_id, "Currency"]
    return str(own.iloc[0]).strip().upper() if len(own) and own.iloc[0] else ledger.settings.base_currency


@xw.func(category=CATEGORY)
@xw.arg("customer_ids", ndim=2, doc="A CustomerID, or a column of them")
@xw.arg("levels", ndim=2, doc="The DunningLevels table with its headers, e.g. DunningLevels[#All]")
@_ledger_args("customers", "invoices", "applications", "memos", "payments")
@xw.arg("as_of", doc="Optional: the date (default: Settings AsOfDate, else today)")
@xw.arg("settings", ndim=2, doc=SETTINGS_DOC)
@xw.arg("date1904", vba=DATE1904)
@_problems_as_answer
def ARXL_DUNNINGLEVEL(customer_ids, levels, customers, invoices, applications=None, memos=None, payments=None,
                      as_of=None, settings=None, date1904=False):
    """The reminder level a customer has reached as of the date (0: none), as Make reminders counts it: the highest level of its undisputed overdue items."""
    ledger = _ledger(settings, as_of, date1904, Customers=customers, Invoices=invoices, Applications=applications,
                     Memos=memos, Payments=payments, DunningLevels=levels)
    read, problems = read_levels(ledger.table("DunningLevels"), ledger.settings.base_currency)
    if not read:
        return [[problems[0].problem if len(problems) else "no reminder level: give level 1 its DaysOverdue"]]
    items, _ = aging.ledger_aging(ledger, ledger.settings.as_of)

    def compute(customer_id):
        cid = read_value("id", customer_id)
        return None if not cid else customer_level(items, read, cid)
    return _each(compute, customer_ids)
