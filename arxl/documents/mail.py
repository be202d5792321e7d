"""E-mails: a document's draft as an ``.eml`` file beside it, and sending drafts over SMTP.

A draft is a complete message (To, Subject, text, the PDFs attached) marked ``X-Unsent: 1``, so
that Outlook and other mail programs open it as a message to review and send. Sending reads the
draft as written (what the clerk saw is what goes), drops that mark, and hands it to the mail
server. The password is never in the workbook: it comes from the environment variable
``ARXL_SMTP_PASSWORD``.
"""
from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, localtime, make_msgid, parseaddr
from pathlib import Path

PASSWORD_VARIABLE = "ARXL_SMTP_PASSWORD"
UNSENT = "X-Unsent"
TIMEOUT = 30  # seconds to wait for the mail server


class CannotSend(Exception):
    """Sending cannot start (no server, no password, no sender): a sentence for the clerk."""


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rsplit("@", 1)[1] if "@" in address else "arxl.invalid"


def write_draft(path: Path, sender: str, to: Sequence[str], subject: str, body: str,
                attachments: Sequence[tuple[str, bytes]], when: dt.datetime) -> Path:
    """The draft of an e-mail carrying ``attachments`` (PDFs: file name and content) at
    ``path``; returns ``path``."""
    message = EmailMessage()
    message[UNSENT] = "1"
    if sender:
        message["From"] = sender
    if to:
        message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(localtime(when))
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message.set_content(body)
    for name, content in attachments:
        message.add_attachment(content, maintype="application", subtype="pdf", filename=name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(message.as_bytes(policy=policy.SMTP))
    return path


@dataclass(frozen=True)
class SmtpAccount:
    host: str
    port: int
    user: str
    security: str  # STARTTLS, SSL or None
    sender: str


def account(host: str, port: int, user: str, security: str, mail_from: str) -> SmtpAccount:
    """The account sending goes through, from the settings; raises CannotSend when it cannot
    be used as set."""
    if not host:
        raise CannotSend("Settings SmtpHost is blank: set your mail server (and SmtpPort, SmtpUser) to send, "
                         "or send the drafts from your mail program.")
    sender = mail_from or (user if "@" in user else "")
    if not sender:
        raise CannotSend("arxl does not know whom the e-mails are from: set Settings MailFrom "
                         "(e.g. Receivables <ar@yourcompany.com>).")
    if user and not os.environ.get(PASSWORD_VARIABLE):
        raise CannotSend(f"Settings SmtpUser is {user}, but the environment variable {PASSWORD_VARIABLE} that "
                         f"holds its password is not set (arxl never keeps a password in the workbook).")
    return SmtpAccount(host, port, user, security, sender)


@contextmanager
def connection(smtp: SmtpAccount) -> Iterator[smtplib.SMTP]:
    """A logged-in connection to the mail server (raises OSError or smtplib.SMTPException)."""
    context = ssl.create_default_context()
    server: smtplib.SMTP
    if smtp.security == "SSL":
        server = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=TIMEOUT, context=context)
    else:
        server = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT)
    try:
        if smtp.security == "STARTTLS":
            server.starttls(context=context)
        if smtp.user:
            server.login(smtp.user, os.environ[PASSWORD_VARIABLE])
        yield server
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()


def send_draft(server: smtplib.SMTP, draft: Path, sender: str, when: dt.datetime) -> str:
    """Send the draft at ``draft`` as written (From set to ``sender`` where it has none; dated
    now); returns what to log: its Message-ID and any recipient the server refused."""
    message = message_from_bytes(draft.read_bytes(), policy=policy.default)
    del message[UNSENT]
    if not message["From"]:
        message["From"] = sender
    del message["Date"]
    message["Date"] = format_datetime(localtime(when))
    refused = server.send_message(message)  # raises when every recipient is refused
    detail = f"Message-ID {message['Message-ID']}"
    if refused:
        detail += "; refused: " + ", ".join(f"{to} ({code} {reply.decode(errors='replace')})"
                                            for to, (code, reply) in refused.items())
    return detail
