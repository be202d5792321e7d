"""E-mail drafts as data: who a document goes to, and its subject and body from the Settings
templates.

A template is text with placeholders in braces, from ``TEMPLATE_FIELDS`` only:
``Invoice {Number} from {CompanyName}``. A template that names another placeholder, or whose
braces do not pair, is refused when Settings is read (and the default used), so a draft never
goes out with a stray ``{Nmuber}`` in it. A placeholder a document has no value for (a
statement has no due date) is left blank.
"""
from __future__ import annotations

import re
import string
from collections.abc import Mapping

# Every placeholder a template may use, and what it stands for.
TEMPLATE_FIELDS: dict[str, str] = {
    "CompanyName": "Settings CompanyName",
    "CustomerName": "the customer's Name",
    "CustomerID": "the customer's CustomerID",
    "Number": "the document's number (InvoiceID, StatementID, LetterID or MemoID)",
    "Date": "the document's date",
    "DueDate": "the invoice's or memo's due date (blank for other documents)",
    "Total": "the amount the document asks for or credits, with its currency",
    "Level": "the reminder's level and title (blank for other documents)",
}

_RECIPIENT_SPLIT = re.compile(r"[;,\s]+")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]+$")


def check_template(text: str) -> str:
    """``text`` if it is a template arxl can fill; raises ValueError naming what is wrong."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError("braces { } must come in pairs around a placeholder such as {Number}") from exc
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in TEMPLATE_FIELDS or spec or conversion:
            raise ValueError(f"{{{field}}} is not a placeholder arxl knows; use "
                             + ", ".join(f"{{{name}}}" for name in TEMPLATE_FIELDS))
    return text


def render(template: str, values: Mapping[str, str]) -> str:
    """``template`` (checked by ``check_template``) with its placeholders filled in."""
    return template.format_map({name: values.get(name, "") for name in TEMPLATE_FIELDS})


def recipients(cell: str) -> tuple[list[str], list[str]]:
    """The addresses in a Customers.Email cell (separated by ``;``, ``,`` or spaces): those that
    look like an e-mail address, and the rest (to report)."""
    words = [w for w in _RECIPIENT_SPLIT.split(str(cell or "").strip()) if w]
    good = [w for w in words if _ADDRESS.match(w)]
    return good, [w for w in words if not _ADDRESS.match(w)]
