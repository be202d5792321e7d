"""The Settings table: every known setting, its default, what it means, and how it is read.

Each setting is declared once here; ``arxl new`` writes this list into a fresh workbook, and
``read_settings`` parses a workbook's Settings rows into a typed ``Settings``. An unknown or
unreadable setting is reported and the default is used.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache

from arxl.contract import DATE_RANGE, StatementLayout, date_in_range, header_key, read_yes_no
from arxl.core.mail import check_template
from arxl.core.money import DECIMAL_SEPARATORS, NotAnAmount, major_to_minor_floor, minor_units, read_decimal
from arxl.core.problems import Problems
from arxl.core.terms import UnknownTerms, parse_terms


@dataclass(frozen=True)
class WriteOffTolerance:
    """A difference the clerk lets go, in one currency: up to ``minor`` (minor units of that
    currency), and/or up to ``rate`` of the amount due. With both, the larger allowance
    applies."""

    minor: int = 0
    rate: Decimal = Decimal(0)

    def allows(self, difference: int, due: int) -> bool:
        limit = max(self.minor, int(abs(due) * self.rate))
        return abs(difference) <= limit


@dataclass(frozen=True)
class WriteOffLimit:
    """The WriteOffTolerance setting: ``amount`` in major units, which applies in each
    currency's own units (5.00 lets 5 USD, 5 EUR, 5 JPY or 5 KWD go), and/or ``rate``."""

    amount: Decimal = Decimal(0)
    rate: Decimal = Decimal(0)

    def in_currency(self, currency: str) -> WriteOffTolerance:
        """The tolerance for amounts in ``currency`` (a fraction of its minor unit lets nothing go)."""
        return _in_currency(self.amount, self.rate, currency, minor_units(currency))


# asked for every proposal the matcher weighs, in the same few currencies; ``decimals`` (the
# currency's at the time: a workbook may keep its own) only tells the cache's entries apart
@cache
def _in_currency(amount: Decimal, rate: Decimal, currency: str, decimals: int) -> WriteOffTolerance:
    return WriteOffTolerance(major_to_minor_floor(amount, currency), rate)


@dataclass(frozen=True)
class Settings:
    as_of: dt.date = field(default_factory=dt.date.today)
    base_currency: str = "USD"
    aging_basis: str = "DueDate"  # or "InvoiceDate"
    aging_buckets: tuple[int, ...] = (30, 60, 90, 120)
    default_terms: str = "Net 30"
    auto_apply_confidence: float = 90.0
    write_off_tolerance: WriteOffLimit = WriteOffLimit(amount=Decimal("5.00"), rate=Decimal(0))
    decimal_separator: str = "."
    match_columns: tuple[str, ...] = ()
    currency_decimals: tuple[tuple[str, int], ...] = ()  # (code, decimals) where the books differ from ISO 4217
    memo_prefix_credit: str = "CM-"
    memo_prefix_debit: str = "DM-"
    memo_approval_required: bool = False
    company_name: str = "Your Company Inc."
    company_address: str = ""
    memo_folder: str = "Memos"
    import_csv_columns: str = ""
    kpi_period_days: int = 90
    promise_grace_days: int = 3
    reconcile_columns: str = ""
    report_folder: str = "Reports"
    invoice_prefix: str = "INV-"
    tax_rounding: str = "Line"  # or "Invoice" (TAX_ROUNDINGS)
    invoice_folder: str = "Invoices"
    statement_layout: StatementLayout = StatementLayout.OPEN_ITEMS
    statement_folder: str = "Statements"
    dunning_interval_days: int = 14
    letter_folder: str = "Reminders"
    mail_from: str = ""
    invoice_mail_subject: str = "Invoice {Number} from {CompanyName}"
    invoice_mail_body: str = ("Please find attached our invoice {Number} of {Date} for {Total}, due on {DueDate}. "
                              "Kind regards, {CompanyName}")
    statement_mail_subject: str = "Statement of account {Number} from {CompanyName}"
    statement_mail_body: str = ("Please find attached your statement of account as of {Date}. "
                                "Kind regards, {CompanyName}")
    reminder_mail_subject: str = "{Level}: {Total} overdue, {CompanyName}"
    reminder_mail_body: str = ("Please find attached our letter {Number} about {Total} overdue on your account. "
                               "Kind regards, {CompanyName}")
    memo_mail_subject: str = "Memo {Number} from {CompanyName}"
    memo_mail_body: str = "Please find attached our memo {Number} of {Date} for {Total}. Kind regards, {CompanyName}"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_security: str = "STARTTLS"  # SMTP_SECURITIES


TAX_ROUNDINGS = ("Line", "Invoice")
SMTP_SECURITIES = ("STARTTLS", "SSL", "None")


# --- parsers: text or cell value -> typed value; raise ValueError with a clerk's message ---------

def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return _in_range(value.date())
    if isinstance(value, dt.date):
        return _in_range(value)
    text = str(value).strip()
    if text.lower() == "today":
        return dt.date.today()
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError as exc:
        raise ValueError("not a date: use a date cell or ISO text such as 2026-11-20") from exc
    return _in_range(day)


def _in_range(day: dt.date) -> dt.date:
    if not date_in_range(day):
        raise ValueError(f"a date outside the range arxl reads ({DATE_RANGE})")
    return day


def _currency(value: object) -> str:
    text = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise ValueError("not a three-letter ISO currency code such as USD or EUR")
    return text


def _basis(value: object) -> str:
    key = re.sub(r"[\s_]", "", str(value)).lower()
    for basis in ("DueDate", "InvoiceDate"):
        if key == basis.lower():
            return basis
    raise ValueError("must be DueDate or InvoiceDate")


def _buckets(value: object) -> tuple[int, ...]:
    parts = [p for p in re.split(r"[,;\s]+", str(value).strip()) if p]
    try:
        days = tuple(int(float(p)) for p in parts)
    except ValueError as exc:
        raise ValueError("must be day limits separated by commas, such as 30,60,90,120") from exc
    if not days or any(d <= 0 for d in days) or list(days) != sorted(set(days)):
        raise ValueError("day limits must be positive and increasing, such as 30,60,90,120")
    return days


def _terms(value: object) -> str:
    try:
        parse_terms(str(value))
    except UnknownTerms as exc:
        raise ValueError(str(exc)) from exc
    return str(value).strip()


def _confidence(value: object) -> float:
    try:
        number = float(str(value).strip().rstrip("%"))
    except ValueError as exc:
        raise ValueError("must be a number from 0 to 100") from exc
    if not 0 <= number <= 100:
        raise ValueError("must be a number from 0 to 100")
    return number


def _tolerance(value: object, separator: str = ".") -> WriteOffLimit:
    amount, rate = Decimal(0), Decimal(0)
    parts = re.split(r";|\band\b|\bor\b" if separator == "," else r"[;,]|\band\b|\bor\b", str(value))
    for part in [p.strip() for p in parts if p.strip()]:
        try:
            if part.endswith("%"):
                rate = read_decimal(part[:-1], separator) / 100
            else:
                amount = read_decimal(part, separator)
        except (InvalidOperation, NotAnAmount) as exc:
            raise ValueError("must be an amount (5.00), a percentage (0.5%), or both (5.00; 0.5%)") from exc
    if amount < 0 or rate < 0:
        raise ValueError("a tolerance cannot be negative")
    return WriteOffLimit(amount=amount, rate=rate)


def _separator(value: object) -> str:
    text = str(value).strip()
    if text not in DECIMAL_SEPARATORS:
        raise ValueError("must be . (point: 1,234.50) or , (comma: 1.234,50)")
    return text


def _names(value: object) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"[,;]", str(value)) if p.strip())


def _currency_decimals(value: object) -> tuple[tuple[str, int], ...]:
    """"JPY 2; KRW 2" (or JPY=2, KRW=2): the decimals the books keep these currencies in."""
    found = []
    for part in (p.strip() for p in re.split(r"[,;]", str(value)) if p.strip()):
        pair = re.fullmatch(r"([A-Za-z]{3})\s*[=:]?\s*(\d)", part)
        if pair is None or int(pair[2]) > 4:
            raise ValueError(f"'{part}' is not a currency code and its decimals (0 to 4), such as JPY 2")
        found.append((pair[1].upper(), int(pair[2])))
    return tuple(found)


def _yes_no(value: object) -> bool:
    answer = read_yes_no(value)
    if answer is None:
        raise ValueError("must be Yes or No")
    return answer


def _text(value: object) -> str:
    return str(value).strip()


def _one_of(choices: tuple[str, ...]) -> Callable[[object], str]:
    def parse(value: object) -> str:
        for choice in choices:
            if header_key(value) == header_key(choice):
                return choice
        raise ValueError("must be " + " or ".join(choices))
    return parse


def _layout(value: object) -> StatementLayout:
    return StatementLayout(_one_of(tuple(StatementLayout))(value))


def _template(value: object) -> str:
    return check_template(str(value).strip())


def _port(value: object) -> int:
    try:
        port = int(float(str(value).strip()))
    except ValueError as exc:
        raise ValueError("must be a port number such as 587") from exc
    if not 0 < port < 65536:
        raise ValueError("must be a port number from 1 to 65535, such as 587")
    return port


def _days(value: object) -> int:
    try:
        days = int(float(str(value).strip()))
    except ValueError as exc:
        raise ValueError("must be a whole number of days") from exc
    if days <= 0:
        raise ValueError("must be a positive number of days")
    return days


def _grace(value: object) -> int:
    try:
        days = float(str(value).strip())
    except ValueError as exc:
        raise ValueError("must be a whole number of days") from exc
    if days < 0 or not days.is_integer():
        raise ValueError("must be a whole number of days, 0 or more")
    return int(days)


@dataclass(frozen=True)
class KnownSetting:
    name: str  # as written in the Settings table
    field: str  # the Settings attribute
    default: object  # as written into a new workbook ("" = blank)
    parse: Callable[..., object]  # (value) -> typed value; (value, decimal separator) with amounts
    explanation: str
    amounts: bool = False  # the value holds amounts, read with Settings DecimalSeparator


KNOWN_SETTINGS: tuple[KnownSetting, ...] = (
    KnownSetting("AsOfDate", "as_of", "", _date,
                 "Date the aging and KPIs are taken as of; blank means today."),
    KnownSetting("BaseCurrency", "base_currency", "USD", _currency,
                 "Currency of customers and payments that name none."),
    KnownSetting("AgingBasis", "aging_basis", "DueDate", _basis,
                 "Age items from their DueDate or from their InvoiceDate."),
    KnownSetting("AgingBuckets", "aging_buckets", "30,60,90,120", _buckets,
                 "Upper day limits of the past-due buckets; beyond the last is 'Over N'."),
    KnownSetting("DefaultTerms", "default_terms", "Net 30", _terms,
                 "Terms for customers with none, used to derive a missing due date."),
    KnownSetting("AutoApplyConfidence", "auto_apply_confidence", 90, _confidence,
                 "Matches at or above this confidence (0-100) post without review."),
    KnownSetting("WriteOffTolerance", "write_off_tolerance", "5.00", _tolerance,
                 "Differences up to this amount (in each currency's own units) and/or percentage "
                 "(e.g. 5.00; 0.5%) are written off.", amounts=True),
    KnownSetting("MatchColumns", "match_columns", "", _names,
                 "More Invoices columns that remittances may quote, separated by commas."),
    KnownSetting("CurrencyDecimals", "currency_decimals", "", _currency_decimals,
                 "Currencies your books keep with other decimals than ISO 4217 gives them, e.g. JPY 2; blank: "
                 "as ISO 4217, unless the Invoices table mostly shows otherwise (arxl says so in Exceptions)."),
    KnownSetting("MemoPrefixCredit", "memo_prefix_credit", "CM-", _text,
                 "Prefix of credit memo numbers."),
    KnownSetting("MemoPrefixDebit", "memo_prefix_debit", "DM-", _text,
                 "Prefix of debit memo numbers."),
    KnownSetting("MemoApprovalRequired", "memo_approval_required", "No", _yes_no,
                 "Yes: memos are made only for MemoRequests rows marked Approved."),
    KnownSetting("CompanyName", "company_name", "Your Company Inc.", _text,
                 "Your company's name, printed on memo documents."),
    KnownSetting("CompanyAddress", "company_address", "", _text,
                 "Your company's address, printed on memo documents (use ; between lines)."),
    KnownSetting("MemoFolder", "memo_folder", "Memos", _text,
                 "Folder, next to the workbook, where memo PDFs are written."),
    KnownSetting("ImportCsvColumns", "import_csv_columns", "", _text,
                 "For bank CSV imports: Payments column=CSV header pairs, e.g. Amount=Credit; PayerName=Description."),
    KnownSetting("KPIPeriodDays", "kpi_period_days", 90, _days,
                 "Trailing period, in days, over which CEI and simple DSO are measured."),
    KnownSetting("InvoicePrefix", "invoice_prefix", "INV-", _text,
                 "Prefix of invoice numbers; new invoices follow the highest number in use after it."),
    KnownSetting("TaxRounding", "tax_rounding", "Line", _one_of(TAX_ROUNDINGS),
                 "Line: each invoice line's tax is rounded to the cent; Invoice: the tax of each rate is "
                 "rounded once per invoice."),
    KnownSetting("InvoiceFolder", "invoice_folder", "Invoices", _text,
                 "Folder, next to the workbook, where invoice PDFs and their e-mail drafts are written."),
    KnownSetting("StatementLayout", "statement_layout", "Open items", _layout,
                 "Open items: every open item with its age; Activity: balance forward, what happened in "
                 "the period."),
    KnownSetting("StatementFolder", "statement_folder", "Statements", _text,
                 "Folder, next to the workbook, where statement PDFs and their e-mail drafts are written."),
    KnownSetting("DunningIntervalDays", "dunning_interval_days", 14, _days,
                 "No reminder at a level, or a lower one, goes to a customer who had one at that level or "
                 "higher within this many days."),
    KnownSetting("LetterFolder", "letter_folder", "Reminders", _text,
                 "Folder, next to the workbook, where reminder letters and their e-mail drafts are written."),
    KnownSetting("MailFrom", "mail_from", "", _text,
                 "The sender of arxl's e-mails, e.g. Receivables <ar@yourcompany.com>; blank: SmtpUser."),
    KnownSetting("InvoiceMailSubject", "invoice_mail_subject", Settings.invoice_mail_subject, _template,
                 "Subject of an invoice's e-mail; placeholders in braces such as {Number}."),
    KnownSetting("InvoiceMailBody", "invoice_mail_body", Settings.invoice_mail_body, _template,
                 "Text of an invoice's e-mail (line breaks in the cell are kept)."),
    KnownSetting("StatementMailSubject", "statement_mail_subject", Settings.statement_mail_subject, _template,
                 "Subject of a statement's e-mail."),
    KnownSetting("StatementMailBody", "statement_mail_body", Settings.statement_mail_body, _template,
                 "Text of a statement's e-mail."),
    KnownSetting("ReminderMailSubject", "reminder_mail_subject", Settings.reminder_mail_subject, _template,
                 "Subject of a reminder letter's e-mail."),
    KnownSetting("ReminderMailBody", "reminder_mail_body", Settings.reminder_mail_body, _template,
                 "Text of a reminder letter's e-mail."),
    KnownSetting("MemoMailSubject", "memo_mail_subject", Settings.memo_mail_subject, _template,
                 "Subject of a memo's e-mail."),
    KnownSetting("MemoMailBody", "memo_mail_body", Settings.memo_mail_body, _template,
                 "Text of a memo's e-mail."),
    KnownSetting("SmtpHost", "smtp_host", "", _text,
                 "Your mail server, for sending (--send); blank: arxl writes drafts and sends nothing."),
    KnownSetting("SmtpPort", "smtp_port", 587, _port,
                 "The mail server's port (587 with STARTTLS, 465 with SSL)."),
    KnownSetting("SmtpUser", "smtp_user", "", _text,
                 "The user to log in as; the password comes from the environment variable ARXL_SMTP_PASSWORD, "
                 "never from the workbook. Blank: no login."),
    KnownSetting("SmtpSecurity", "smtp_security", "STARTTLS", _one_of(SMTP_SECURITIES),
                 "STARTTLS, SSL, or None (a relay inside your network only)."),
    KnownSetting("DecimalSeparator", "decimal_separator", ".", _separator,
                 "How amounts and numbers typed as text separate decimals: . (1,234.50) or , (1.234,50). "
                 "Number cells need no setting."),
    KnownSetting("PromiseGraceDays", "promise_grace_days", 3, _grace,
                 "Days after a promised date before a promise to pay not kept counts as broken."),
    KnownSetting("ReconcileColumns", "reconcile_columns", "", _text,
                 "For customer statements: Reconciliation field=their header pairs, e.g. Reference=Invoice No; "
                 "Amount=Open amount."),
    KnownSetting("ReportFolder", "report_folder", "Reports", _text,
                 "Folder, next to the workbook, where the month-end pack (arxl close) is written."),
)

_BY_KEY = {re.sub(r"[\s_]", "", s.name).lower(): s for s in KNOWN_SETTINGS}


def read_settings(rows: list[tuple[int, object, object]], sheet: str = "Settings",
                  as_of: dt.date | None = None) -> tuple[Settings, Problems]:
    """Settings from (row number, Setting, Value) triples. Blank values take the default;
    unknown names and unreadable values are reported, and the default is used."""
    problems = Problems()
    values: dict[str, object] = {}
    found = []
    for row, name, value in rows:
        if name is None or str(name).strip() == "":
            continue
        known = _BY_KEY.get(re.sub(r"[\s_]", "", str(name)).lower())
        if known is None:
            problems.add(sheet, row, "Setting", name, "unknown setting",
                         "Check the spelling against the known settings (docs/WORKBOOK.md, Known settings), "
                         "or delete the row.")
        elif value is not None and str(value).strip() != "":
            found.append((row, known, value))
    # settings with amounts are read with the decimal separator, wherever its row is
    for row, known, value in sorted(found, key=lambda f: f[1].amounts):
        try:
            separator = str(values.get("decimal_separator", "."))
            values[known.field] = known.parse(value, separator) if known.amounts else known.parse(value)
        except ValueError as exc:
            problems.add(sheet, row, "Value", value, f"{known.name}: {exc}",
                         f"Fix the value; until then the default ({known.default or 'blank'}) is used.")
    problems.sort(key=lambda p: p.row or 0)
    if as_of is not None and not date_in_range(as_of):
        problems.add(sheet, None, "AsOfDate", as_of, f"the as-of date given is outside the range arxl reads "
                     f"({DATE_RANGE})", "Give a date in that range; until then AsOfDate from Settings is used.")
    elif as_of is not None:
        values["as_of"] = as_of
    return Settings(**values), problems  # type: ignore[arg-type]  # each parser gives its field's type
