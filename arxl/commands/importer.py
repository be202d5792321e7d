"""The Import command: bank and remittance files into the Payments table.

Each file's format is found from its content (``arxl.bankfiles``); every incoming credit becomes
a Payments row typed in on the clerk's behalf, with the structured remittance rendered into
Reference as ``RMR*IV*...\\`` segments for the matcher. A payment's PaymentID is the bank's own
reference where the file gives one, else a key made from what the payment is (date, amount,
currency, payer, remittance, and its occurrence among identical ones in the file), so that
importing a file again, or an export that overlaps an earlier one, adds nothing. Debits,
returns, balances and pending entries are reported in Exceptions, never posted as receipts.

A file that cannot be read (missing, not a bank file, damaged) is reported as that file's
problem, and the other files are still imported. The outcome's counts say how many files gave
nothing (``files_unreadable``) and whether the import read nothing at all (``nothing_read``: 1),
for a door to signal as a failure."""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd

from arxl.bankfiles import ParsedFile, Receipt, Skipped, read_bank_file, reference_text
from arxl.bankfiles.model import BALANCE, BANK_CREDIT, DEBIT, NOTHING, PENDING, RETURN
from arxl.commands.command import Command, Context
from arxl.contract import IMPORTED_PAYMENT_COLUMNS, PAYMENTS
from arxl.core.frames import table_frame
from arxl.core.ledger import Ledger, Outcome, Step
from arxl.core.money import format_amount
from arxl.core.problems import Problems

UNNAMED_PAYER = "(payer not named in the file)"

# Skipped records reported once per file (a statement holds many), and those reported one by one
# because a clerk may have to act on each.
GROUPED = {
    DEBIT: ("debit entr{y|ies} (money out)", "Nothing to do here: debits belong to payables or "
            "the bank reconciliation."),
    BALANCE: ("balance record{|s}", "Nothing to do: balances are not payments."),
    NOTHING: ("entr{y|ies} of zero amount (prenotes, balance notes)", "Nothing to do."),
    BANK_CREDIT: ("credit{|s} from the bank itself (interest, sweeps)",
                  "Nothing to do here: they are not customer payments."),
}
SINGLE = {
    RETURN: ("a returned or reversed payment", "If it returns a customer's payment already in "
             "Payments, type Reverse in that payment's Action cell; it was not imported as a receipt."),
    PENDING: ("an entry the bank has not booked yet", "It is imported from the statement once "
              "the bank books it."),
}


def _plural(template: str, n: int) -> str:
    """'debit entr{y|ies}' -> 'debit entry' / 'debit entries'."""
    head, _, rest = template.partition("{")
    choice, _, tail = rest.partition("}")
    one, _, many = choice.partition("|")
    return f"{n} {head}{one if n == 1 else many}{tail}"


def _totals(items: list[tuple[int, str]]) -> str:
    sums: dict[str, int] = defaultdict(int)
    for cents, currency in items:
        sums[currency] += cents
    return ", ".join(format_amount(c, cur) for cur, c in sums.items())


def report_skipped(name: str, skipped: list[Skipped], problems: Problems) -> None:
    by_kind: dict[str, list[Skipped]] = defaultdict(list)
    for item in skipped:
        by_kind[item.kind].append(item)
    for kind, items in by_kind.items():
        if kind in GROUPED:
            what, hint = GROUPED[kind]
            amounts = [(s.amount, s.currency) for s in items if s.amount is not None]
            total = f" totalling {_totals(amounts)}" if amounts and kind != BALANCE else ""
            lines = ", ".join(str(s.line) for s in items[:10]) + (", ..." if len(items) > 10 else "")
            problems.add(name, items[0].line, "", "", f"{_plural(what, len(items))}{total} "
                         f"(lines {lines}): not receipts, not imported", hint)
        else:
            what, hint = SINGLE[kind]
            for s in items:
                value = format_amount(s.amount, s.currency) if s.amount is not None else ""
                problems.add(name, s.line, "Amount", value, f"{what}: {s.description}"[:250], hint)


def payment_ids(receipts: list[Receipt]) -> list[str]:
    """The stable PaymentID of each receipt of one file (see the module docstring)."""
    ids: list[str] = []
    seen: Counter[str] = Counter()
    for r in receipts:
        if r.bank_reference:
            key = r.bank_reference
        else:
            content = "|".join([r.received.isoformat(), str(r.amount), r.currency, r.payer_name,
                                r.payer_account, r.check_number, reference_text(r)])
            key = "IMP-" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:10].upper()
        seen[key] += 1
        ids.append(key if seen[key] == 1 else f"{key}-{seen[key]}")
    return ids


def receipts_frame(rows: list[tuple[str, Receipt]], base_currency: str) -> pd.DataFrame:
    frame = table_frame(PAYMENTS, {
        "PaymentID": [pid for pid, _ in rows],
        "ReceivedDate": [pd.Timestamp(r.received) for _, r in rows],
        "PayerName": [r.payer_name.strip() or UNNAMED_PAYER for _, r in rows],
        "Amount": [r.amount for _, r in rows],
        "Currency": [(r.currency or base_currency).upper() for _, r in rows],
        "Method": [r.method for _, r in rows],
        "CheckNumber": [r.check_number for _, r in rows],
        "PayerAccount": [r.payer_account for _, r in rows],
        "Reference": [reference_text(r) for _, r in rows],
    })
    return frame[list(IMPORTED_PAYMENT_COLUMNS)]


def read_file(path: Path, currency: str, csv_columns: str, decimal_separator: str,
              problems: Problems) -> ParsedFile | None:
    """The file's records, or None (with its problem) when it cannot be read at all."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.add(path.name, None, "", str(path), f"cannot open the file ({exc.strerror or exc})",
                     "Check the file name and that you may read it, then import it again.")
        return None
    try:
        return read_bank_file(path.name, data, currency=currency, csv_columns=csv_columns,
                              decimal_separator=decimal_separator)
    except Exception as exc:  # a damaged file is its own problem; the other files still import
        problems.add(path.name, None, "", "", f"the file could not be read ({type(exc).__name__}: {exc})"[:250],
                     "Ask the bank for the file again; nothing was imported from it.")
        return None


def run(ledger: Ledger, ctx: Context) -> Step:
    settings = ledger.settings
    known = ledger.ids("Payments") | set(ledger.table("Payments", required=False)["PaymentID"])
    problems = Problems()
    rows: list[tuple[str, Receipt]] = []
    counts = Counter(files=0, imported=0, already_there=0, not_receipts=0, files_unreadable=0)
    for i, path in enumerate(ctx.files):
        ctx.progress(f"Reading {Path(path).name}", i / max(len(ctx.files), 1))
        parsed = read_file(Path(path), settings.base_currency, settings.import_csv_columns,
                           settings.decimal_separator, problems)
        if parsed is None or not (parsed.receipts or parsed.skipped):
            counts["files_unreadable"] += 1
        if parsed is None:
            continue
        counts["files"] += 1
        problems.extend(parsed.problems)
        report_skipped(Path(path).name, parsed.skipped, problems)
        counts["not_receipts"] += len(parsed.skipped)
        for pid, receipt in zip(payment_ids(parsed.receipts), parsed.receipts):
            if pid in known:
                counts["already_there"] += 1
                continue
            known.add(pid)
            rows.append((pid, receipt))
    step = Step(Outcome(""), problems).append("Payments", receipts_frame(rows, settings.base_currency))
    counts["imported"] = len(rows)
    ctx.progress("Imported", 1.0)
    total = _totals([(r.amount, r.currency or settings.base_currency) for _, r in rows])
    counts["nothing_read"] = int(bool(ctx.files) and counts["files_unreadable"] == len(ctx.files))
    summary = (f"Imported {len(rows)} payment(s){' totalling ' + total if rows else ''} from "
               f"{counts['files']} file(s); {counts['already_there']} already in Payments; "
               f"{counts['not_receipts']} record(s) that are not receipts reported in Exceptions.")
    if counts["files_unreadable"]:
        summary += (" Nothing could be read from any file given; see Exceptions." if counts["nothing_read"]
                    else f" {counts['files_unreadable']} file(s) could not be read; see Exceptions.")
    step.outcome = Outcome(summary, dict(counts), failed=bool(counts["nothing_read"]))
    return step


COMMAND = Command("import", "Import bank file", "ImportTextFile",
                  "Append the incoming payments of bank and remittance files (camt.053/054, BAI2, MT940, "
                  "X12 820, NACHA, lockbox, CSV) to Payments", run, in_refresh=False, needs_files=True)
