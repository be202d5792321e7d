"""Make reminder letters: one per customer and currency with overdue items, at the highest level
reached and not sent lately (``arxl.core.dunning``), each a PDF with its e-mail draft (and an
open-item statement where the level attaches one), logged in DunningLog; fees and interest
billed by debit memos in the Memos ledger."""
from __future__ import annotations

from collections import Counter
from pathlib import Path, PurePosixPath

import pandas as pd

from arxl.commands import statements as statement_command
from arxl.commands.command import Command, Context
from arxl.commands.documents import (
    NO_DOCUMENT,
    Pdf,
    add_draft,
    company,
    customer_parties,
    document_folder,
    document_path,
)
from arxl.contract import DUNNING_LOG, MEMOS, DocumentKind, MemoKind, MemoType, StatementLayout
from arxl.core.aging import ledger_aging
from arxl.core.disputes import hold_open_deductions
from arxl.core.dunning import LETTER_DIGITS, LETTER_PREFIX, Letter, plan_letters, read_levels
from arxl.core.frames import table_frame
from arxl.core.ledger import CannotRun, Ledger, Outcome, Step
from arxl.core.memos import highest_numbers, memo_number
from arxl.core.money import format_amount
from arxl.core.numbering import next_ids
from arxl.core.statements import first_of_month, statements
from arxl.documents.letter_pdf import write_letter_pdf


def _check_ledgers(ledger: Ledger) -> None:
    for name, why in (("DunningLog", "no letter is sent twice"), ("Memos", "no memo number is used twice")):
        ledger.require_readable(name, "No reminder is made", why)
    statement_command.check_ledger(ledger)


def _fee_memos(letters: list[Letter], ids: list[str], ledger: Ledger) -> dict[str, str]:
    """A debit memo number for each letter charging a fee or interest, by LetterID."""
    prefix = ledger.settings.memo_prefix_debit
    last = highest_numbers(sorted(ledger.ids("Memos")), {prefix})[prefix]
    numbers = {}
    for letter_id, letter in zip(ids, letters):
        if letter.fee + letter.interest:
            last += 1
            numbers[letter_id] = memo_number(prefix, last)
    return numbers


def _memo_rows(letters: list[Letter], ids: list[str], memos: dict[str, str], paths: dict[str, PurePosixPath]
               ) -> pd.DataFrame:
    charged = [(i, letter) for i, letter in zip(ids, letters) if i in memos]

    def reason(letter_id: str, letter: Letter) -> str:
        parts = [f"fee {format_amount(letter.fee, letter.currency)}"] if letter.fee else []
        parts += [f"interest {format_amount(letter.interest, letter.currency)}"] if letter.interest else []
        return f"{letter.level.heading} {letter_id}: " + ", ".join(parts)

    return table_frame(MEMOS, {
        "MemoID": [memos[i] for i, _ in charged],
        "MemoDate": [pd.Timestamp(letter.letter_date) for _, letter in charged],
        "CustomerID": [letter.customer_id for _, letter in charged],
        "Kind": [MemoKind.DEBIT.value] * len(charged),
        "Type": [MemoType.OTHER.value] * len(charged),
        "NetAmount": [letter.fee + letter.interest for _, letter in charged],
        "TaxAmount": [0] * len(charged),
        "TotalAmount": [letter.fee + letter.interest for _, letter in charged],
        "Currency": [letter.currency for _, letter in charged],
        "Reason": [reason(i, letter) for i, letter in charged],
        "Document": [str(paths[i]) if i in paths else "" for i, _ in charged],
    })


def run(ledger: Ledger, ctx: Context) -> Step:
    if not ledger.has("DunningLevels"):
        return Step(Outcome("No DunningLevels table: no reminder to make.", {"made": 0}))
    settings = ledger.settings
    levels, problems = read_levels(ledger.table("DunningLevels"), settings.base_currency)
    if not levels:
        raise CannotRun("DunningLevels has no level arxl can use (see Exceptions): give level 1 its DaysOverdue.")
    _check_ledgers(ledger)
    ctx.progress("Reminders: what is overdue", 0.1)
    aging, found = ledger_aging(ledger, settings.as_of)
    problems.extend(found)
    aging = hold_open_deductions(aging, ledger.table("Disputes", required=False))  # listed apart, not asked for
    customers = ledger.table("Customers")
    parties = customer_parties(customers)
    # items of customers missing from Customers are reported by the aging; no letter without an addressee
    letters, skipped = plan_letters(aging.loc[aging["CustomerID"].isin(set(parties))], levels,
                                    ledger.table("DunningLog", required=False), settings.as_of,
                                    settings.dunning_interval_days)
    ids = next_ids(ledger.ids("DunningLog"), len(letters), LETTER_PREFIX, LETTER_DIGITS)
    memos = _fee_memos(letters, ids, ledger)
    step = Step(Outcome(""), problems)
    folder = (document_folder(settings.letter_folder, "LetterFolder", "Reminders", ctx.workbook or "book")
              if ctx.folder is not None and letters else None)
    paths = {letter_id: document_path(folder, letter_id, letter.customer_id)
             for letter_id, letter in zip(ids, letters)} if folder is not None else {}
    memo_rows = _memo_rows(letters, ids, memos, paths)

    # the statements sent with letters show the account as the letters leave it (fees and interest billed)
    attach = sorted({letter.customer_id for letter in letters if letter.level.attach_statement})
    attached: dict[str, Pdf] = {}
    if attach:
        ctx.progress("Reminders: statements to attach", 0.4)
        after = ledger.after(Step(Outcome(""), appends={"Memos": memo_rows}))
        made, _ = statements(after, settings.as_of, first_of_month(settings.as_of), StatementLayout.OPEN_ITEMS, attach)
        attached = statement_command.record(made, after, ctx, step, draft=False)

    ctx.progress("Reminders: letters", 0.6)
    sender = company(settings)
    rows = dict(zip(customers["CustomerID"], customers.index))
    for letter_id, letter in zip(ids, letters):
        if folder is None:
            break
        statement = attached.get(letter.customer_id) if letter.level.attach_statement else None

        def write(target: Path, letter: Letter = letter, letter_id: str = letter_id,
                  with_statement: bool = statement is not None) -> None:
            write_letter_pdf(target, letter, letter_id, sender, parties[letter.customer_id], with_statement)

        pdf = Pdf(paths[letter_id], write)
        step.documents.append(pdf.document)
        add_draft(step, settings, ctx.now, DocumentKind.REMINDER, letter_id, parties[letter.customer_id],
                  int(rows[letter.customer_id]), [pdf, *([statement] if statement else [])],
                  {"Date": letter.letter_date.isoformat(), "Total": format_amount(letter.total, letter.currency),
                   "Level": letter.level.heading})

    step.append("DunningLog", table_frame(DUNNING_LOG, {
        "LetterID": ids,
        "LetterDate": [pd.Timestamp(letter.letter_date) for letter in letters],
        "CustomerID": [letter.customer_id for letter in letters],
        "Currency": [letter.currency for letter in letters],
        "Level": [letter.level.number for letter in letters],
        "Items": [letter.items_text for letter in letters],
        "OverdueAmount": [letter.overdue for letter in letters],
        "Fee": [letter.fee or None for letter in letters],
        "Interest": [letter.interest or None for letter in letters],
        "MemoID": [memos.get(i, "") for i in ids],
        "Document": [str(paths[i]) if i in paths else "" for i in ids],
    }))
    step.append("Memos", memo_rows)
    levels_sent = Counter(letter.level.number for letter in letters)
    text = (f"Made {len(letters)} reminder letter(s) as of {settings.as_of.isoformat()}: "
            + ", ".join(f"level {n}: {levels_sent[n]}" for n in sorted(levels_sent))
            if letters else f"No reminder to make as of {settings.as_of.isoformat()}")
    if letters and not folder:
        text += f" ({NO_DOCUMENT})"
    if memos:
        text += f"; fees and interest billed by {len(memos)} debit memo(s)"
    if skipped["reminded recently"]:
        text += (f"; {skipped['reminded recently']} customer(s) already reminded within "
                 f"{settings.dunning_interval_days} days")
    if skipped["credits cover it"]:
        text += f"; {skipped['credits cover it']} whose credits cover what is overdue"
    step.outcome = Outcome(text + ".", {"made": len(letters), **{f"level {n}": c for n, c in levels_sent.items()}})
    return step


COMMAND = Command("dunning", "Reminder letters", "HighImportance",
                  "Make reminder letters (PDF and e-mail draft) by level for every customer with overdue items not "
                  "reminded lately, as of AsOfDate", run, in_refresh=False, drafts_mail=True)
