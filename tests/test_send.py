"""Sending: the drafts arxl made reach a real SMTP server (aiosmtpd, started by the test on
127.0.0.1) with their PDFs attached, each recorded in the Outbox once, never sent twice; a
draft without a recipient stays unsent; the password comes from the environment only."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest

from arxl.book.files import open_book
from arxl.cli import main

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


class Inbox:
    """What the local mail server received: (envelope sender, recipients, message bytes)."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def _book(make_book, port, emails=("ap@acme.test",), user=""):
    customers = [{"CustomerID": f"C{n}", "Name": f"Customer {n}", "Email": email} for n, email in enumerate(emails)]
    requests = [{"RequestID": f"R{n}", "CustomerID": f"C{n}", "Description": "Consulting, November",
                 "Quantity": 4, "UnitPrice": 150.00} for n in range(len(emails))]
    return make_book({"Customers": customers, "InvoiceRequests": requests},
                     settings={"SmtpHost": "127.0.0.1", "SmtpPort": port, "SmtpSecurity": "None",
                               "MailFrom": "Receivables <ar@example.test>", "SmtpUser": user})


def test_invoice_send_delivers_the_draft_with_its_pdf(make_book, smtp_server, capsys):
    inbox, port = smtp_server
    path = _book(make_book, port)
    assert main(["--quiet", "invoice", str(path), "--send", "--no-backup"]) == 0, capsys.readouterr().out
    [(sender, to, raw)] = inbox.received
    assert (sender, to) == ("ar@example.test", ["ap@acme.test"])
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Invoice INV-000001 from Your Company Inc."
    assert message["X-Unsent"] is None and message["From"] == "Receivables <ar@example.test>"
    [attachment] = list(message.iter_attachments())
    pdf = path.parent / "Invoices" / "book" / "INV-000001.pdf"
    assert attachment.get_filename() == "INV-000001.pdf" and attachment.get_content() == pdf.read_bytes()
    assert attachment.get_content().startswith(b"%PDF")
    outbox = open_book(path).read("Outbox")
    assert outbox["Event"].tolist() == ["Drafted", "Sent"]
    assert outbox["Detail"].iloc[1] == f"Message-ID {message['Message-ID']}"

    # sending again sends nothing: the Outbox records the draft as sent
    assert main(["--quiet", "send", str(path), "--no-backup"]) == 0
    assert len(inbox.received) == 1 and len(open_book(path).read("Outbox")) == 2


def test_a_draft_without_recipient_stays_unsent(make_book, smtp_server, capsys):
    inbox, port = smtp_server
    path = _book(make_book, port, emails=("ap@acme.test", ""))
    main(["--quiet", "invoice", str(path), "--send", "--no-backup"])
    assert [to for _, to, _ in inbox.received] == [["ap@acme.test"]]
    book = open_book(path)
    outbox = book.read("Outbox")
    assert outbox[["Event", "Reference"]].values.tolist() == [
        ["Drafted", "INV-000001"], ["Drafted", "INV-000002"], ["Sent", "INV-000001"]]
    problems = book.read("Exceptions")["Problem"].tolist()
    assert any("INV-000002.eml has no recipient" in p for p in problems)


def test_a_login_needs_the_password_from_the_environment(make_book, smtp_server, monkeypatch, capsys):
    inbox, port = smtp_server
    path = _book(make_book, port, user="ar@example.test")
    monkeypatch.delenv("ARXL_SMTP_PASSWORD", raising=False)
    assert main(["--quiet", "invoice", str(path), "--no-backup"]) == 0
    # SmtpUser set, no password in the environment: nothing is sent, and the clerk is told why
    assert main(["--quiet", "send", str(path), "--no-backup"]) == 1
    assert "ARXL_SMTP_PASSWORD" in capsys.readouterr().out
    assert inbox.received == [] and open_book(path).read("Outbox")["Event"].tolist() == ["Drafted"]
