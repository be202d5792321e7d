"""Send e-mails: every draft in the Outbox not yet sent whose file is still beside the workbook,
through the mail server of Settings SmtpHost, each recorded in the Outbox once the server took it.

This is the one command whose work leaves the workbook: it talks to the mail server while it
runs, so that the Outbox records exactly what the server accepted. A draft the clerk does not
want sent is deleted (or moved) from its folder. A draft with no recipient, or one the server
refuses, is an Exception and stays unsent, to send again on the next run.
"""
from __future__ import annotations

import smtplib

import pandas as pd

from arxl.commands.command import Command, Context
from arxl.contract import OUTBOX, MailEvent
from arxl.core.frames import table_frame
from arxl.core.ledger import CannotRun, Ledger, Outcome, Step
from arxl.documents.mail import CannotSend, account, connection, send_draft


def waiting(outbox: pd.DataFrame) -> pd.DataFrame:
    """The Drafted rows whose draft has no Sent row, once each."""
    sent = set(outbox.loc[outbox["Event"] == MailEvent.SENT.value, "Draft"])
    drafted = outbox.loc[(outbox["Event"] == MailEvent.DRAFTED.value) & (outbox["Draft"] != "")]
    return drafted.loc[~drafted["Draft"].isin(sent)].drop_duplicates("Draft")


def run(ledger: Ledger, ctx: Context) -> Step:
    if ledger.unread.get("Outbox"):
        rows = ", ".join(str(r) for r in sorted(ledger.unread["Outbox"]))
        raise CannotRun(f"The Outbox has rows arxl cannot read (row {rows}; see Exceptions). Nothing is sent until "
                        f"they are fixed, so that nothing is sent twice.")
    if ctx.folder is None:
        raise CannotRun("the workbook was never saved, so it has no drafts beside it to send.")
    folder = ctx.folder
    candidates = waiting(ledger.table("Outbox", required=False))
    present = candidates.loc[[(folder / draft).is_file() for draft in candidates["Draft"]]]
    if present.empty:
        return Step(Outcome("No e-mail waiting to be sent.", {"sent": 0}))
    settings = ledger.settings
    try:
        smtp = account(settings.smtp_host, settings.smtp_port, settings.smtp_user, settings.smtp_security,
                       settings.mail_from)
    except CannotSend as exc:
        raise CannotRun(str(exc)) from exc
    step = Step(Outcome(""))
    sheet = ledger.sheet("Outbox")
    sent: list[tuple[int, str]] = []
    ctx.progress(f"Sending through {smtp.host}", 0.0)
    try:
        with connection(smtp) as server:
            for n, (row, draft) in enumerate(present.iterrows()):
                ctx.progress(f"Sending {draft['Draft']}", n / len(present))
                if not draft["To"]:
                    step.problems.add(sheet, int(row), "To", "", f"the draft {draft['Draft']} has no recipient: "
                                      f"not sent", f"Fill in Customers.Email for {draft['CustomerID']} and make the "
                                      f"document again, or send the draft from your mail program.")
                    continue
                try:
                    sent.append((int(row), send_draft(server, folder / draft["Draft"], smtp.sender, ctx.now)))
                except smtplib.SMTPServerDisconnected:
                    raise
                except (smtplib.SMTPException, OSError, ValueError) as exc:
                    step.problems.add(sheet, int(row), "Draft", draft["Draft"], f"the mail server did not take "
                                      f"{draft['Draft']}: {exc}", "Check the recipients in Customers.Email; the "
                                      "draft stays unsent and is tried again on the next send.")
    except (smtplib.SMTPException, OSError) as exc:
        if not sent:
            raise CannotRun(f"could not send through {smtp.host}:{smtp.port} ({exc}). Check Settings SmtpHost, "
                            f"SmtpPort, SmtpSecurity and SmtpUser (and its password in ARXL_SMTP_PASSWORD); "
                            f"nothing was sent.") from exc
        step.problems.add(sheet, None, "", "", f"the mail server stopped after {len(sent)} e-mail(s): {exc}",
                          "The e-mails sent are recorded in the Outbox; run Send e-mails again for the rest.")
    rows = present.loc[[row for row, _ in sent]]
    step.append("Outbox", table_frame(OUTBOX, {
        "At": [pd.Timestamp(ctx.now)] * len(rows), "Event": [MailEvent.SENT.value] * len(rows),
        "Kind": list(rows["Kind"]), "Reference": list(rows["Reference"]), "CustomerID": list(rows["CustomerID"]),
        "To": list(rows["To"]), "Subject": list(rows["Subject"]), "Draft": list(rows["Draft"]),
        "Detail": [detail for _, detail in sent]}))
    unsent = len(present) - len(sent)
    step.outcome = Outcome(f"Sent {len(sent)} e-mail(s) through {smtp.host}"
                           + (f"; {unsent} not sent (see Exceptions)" if unsent else "") + ".",
                           {"sent": len(sent), "not sent": unsent})
    return step


COMMAND = Command("send", "Send e-mails", "FileSendAsAttachment",
                  "Send every e-mail draft in the Outbox not yet sent (through Settings SmtpHost) and record each "
                  "one sent", run, in_refresh=False)
