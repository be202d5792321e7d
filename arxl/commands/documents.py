"""What the commands that make customer documents share: where a document goes (one naming rule,
``document_folder`` and ``document_path``), who it is from and to, and its e-mail draft with the
Outbox row recording it.

Every document is a PDF in its Settings folder next to the workbook, in a folder of the
workbook's own name (two workbooks in one folder never share a file name), named by its number,
which no run gives twice (an invoice, statement, letter or memo number follows the highest in
its ledger), so a document is never written over another. Its draft is the same name with
``.eml``. Documents reach the disk through the run's writer (``arxl.book.documents``): staged,
they are at their names only once the workbook recording them is saved, so a draft attaches the
PDFs as they were drawn, not as files at their names.
"""
from __future__ import annotations

import datetime as dt
import posixpath
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

import pandas as pd

from arxl.contract import ADDRESS_COLUMNS, OUTBOX, DocumentKind, MailEvent
from arxl.core.frames import table_frame
from arxl.core.ledger import CannotRun, Document, Step
from arxl.core.mail import recipients, render
from arxl.core.settings import Settings
from arxl.documents.layout import Party
from arxl.documents.mail import write_draft

DRAFT_SUFFIX = ".eml"
NO_DOCUMENT = "no PDF (the workbook was never saved)"


def document_folder(written: str, setting: str, default: str, workbook: str) -> PurePosixPath:
    """Where a workbook's documents of one kind go: a folder of its own (named like the workbook
    file) in the Settings folder ``setting`` (``written``; blank: ``default``). The setting is
    relative to the workbook's folder and must stay inside it; an absolute path is the clerk's
    deliberate choice of another place and is used as written."""
    written = written.strip() or default
    if Path(written).is_absolute():  # joined to the workbook's folder, it stays itself
        return PurePosixPath(Path(written).as_posix()) / workbook
    folder = PurePosixPath(posixpath.normpath(Path(written).as_posix()))
    if folder.parts[:1] == ("..",):
        raise CannotRun(f"Settings {setting} {written!r} leads outside the workbook's folder. Name a folder "
                        f"inside it (such as {default}), or write a full path (such as D:\\{default}) if the "
                        f"documents belong elsewhere on purpose.")
    return folder / workbook


def document_path(folder: PurePosixPath, number: str, *more: str) -> PurePosixPath:
    """The PDF of document ``number`` (and ``more`` words, such as the CustomerID) in
    ``folder`` (``document_folder``): the one rule for naming documents. A number such as
    CM/2026/7 must not make folders: characters other than letters, digits, - _ and . become _."""
    stem = "_".join(number_part for number_part in (number, *more) if number_part)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)
    return folder / f"{safe}.pdf"


class Pdf:
    """A PDF a step makes (``document``), keeping what it drew for the drafts that attach it."""

    def __init__(self, path: PurePosixPath, render: Callable[[Path], None]):
        self.path = path
        self.content: bytes | None = None
        self._render = render
        self.document = Document(path, self._write)

    def _write(self, target: Path) -> None:
        self._render(target)
        self.content = Path(target).read_bytes()


def company(settings: Settings) -> Party:
    return Party(settings.company_name,
                 address_lines=tuple(part.strip() for part in settings.company_address.split(";") if part.strip()))


def customer_parties(customers: pd.DataFrame) -> dict[str, Party]:
    """Each customer as documents address it: name, ID, postal address (Customers.Address, else
    a BillingAddress column of the clerk's; lines separated by ; or line breaks), e-mail."""
    columns = [c for c in ADDRESS_COLUMNS if c in customers]
    parties = {}
    for _, c in customers.loc[customers["CustomerID"] != ""].iterrows():
        address: tuple[str, ...] = ()
        for column in columns:
            address = tuple(line.strip() for line in str(c[column]).replace("\n", ";").split(";") if line.strip())
            if address:
                break
        parties[c["CustomerID"]] = Party(c["Name"], c["CustomerID"], address, c["Email"])
    return parties


def _templates(settings: Settings, kind: DocumentKind) -> tuple[str, str]:
    return {
        DocumentKind.INVOICE: (settings.invoice_mail_subject, settings.invoice_mail_body),
        DocumentKind.STATEMENT: (settings.statement_mail_subject, settings.statement_mail_body),
        DocumentKind.REMINDER: (settings.reminder_mail_subject, settings.reminder_mail_body),
        DocumentKind.MEMO: (settings.memo_mail_subject, settings.memo_mail_body),
    }[kind]


def draft_path(pdf: PurePosixPath) -> PurePosixPath:
    return pdf.with_suffix(DRAFT_SUFFIX)


def add_draft(step: Step, settings: Settings, now: dt.datetime, kind: DocumentKind, reference: str,
              customer: Party, customer_row: int | None, pdfs: Sequence[Pdf],
              values: Mapping[str, str]) -> None:
    """The e-mail draft of a document whose PDFs are ``pdfs`` (the first names the draft; each
    is in the step's documents already): a Document written after them, and its Outbox row. A
    customer with no Email gets a draft with no recipient (the document may go by post); words
    in Email that are not addresses are a problem."""
    to, unusable = recipients(customer.email)
    if unusable:  # a blank Email is no problem until the draft is to be sent: it may go by post
        goes = f"goes to {', '.join(to)} only" if to else "has no recipient"
        step.problems.add("Customers", customer_row, "Email", customer.email,
                          f"customer {customer.identifier}'s Email holds words that are not e-mail addresses "
                          f"({', '.join(unusable)}): the draft of {kind.lower()} {reference} {goes}",
                          "Correct Customers.Email (addresses separated by ;); the draft keeps the recipients it "
                          "was made with, so add the address there too, or send the document another way.")
    subject_template, body_template = _templates(settings, kind)
    filled = {"CompanyName": settings.company_name, "CustomerName": customer.name,
              "CustomerID": customer.identifier, "Number": reference, **values}
    subject, body = render(subject_template, filled), render(body_template, filled)
    draft = draft_path(pdfs[0].path)

    def write(target: Path) -> None:
        attachments = []
        for pdf in pdfs:
            if pdf.content is None:
                raise RuntimeError(f"the draft {draft} is written before its PDF {pdf.path}")
            attachments.append((pdf.path.name, pdf.content))
        write_draft(target, settings.mail_from, to, subject, body, attachments, now)

    step.documents.append(Document(draft, write))
    step.append("Outbox", table_frame(OUTBOX, {
        "At": [pd.Timestamp(now)], "Event": [MailEvent.DRAFTED.value], "Kind": [kind.value],
        "Reference": [reference], "CustomerID": [customer.identifier], "To": ["; ".join(to)],
        "Subject": [subject], "Draft": [str(draft)], "Detail": [""]}))
