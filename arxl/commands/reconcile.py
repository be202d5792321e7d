"""``arxl reconcile BOOK FILE...``: each customer statement (CSV or XLSX) compared with our ledger
for that customer as of its date, line by line, with a next step for each line and a balance line
that ties both sides. Rebuilds the Reconciliation table. See ``arxl.core.reconcile`` and
``arxl.statements``."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from arxl.commands.command import Command, Context, FileKinds
from arxl.contract import ReconResult
from arxl.core.ledger import Ledger, Outcome, Step
from arxl.core.money import format_amount
from arxl.core.problems import Problems
from arxl.core.reconcile import reconcile_statement, reconciliation_table
from arxl.statements import read_statement

STATEMENTS = FileKinds("Customer statements", ("csv", "xlsx"), lite_folder="statements")


def run(ledger: Ledger, ctx: Context) -> Step:
    problems = Problems()
    rows = []
    summaries = []
    reconciled = 0
    for i, path in enumerate(ctx.files):
        ctx.progress(f"Reconciling {Path(path).name}", i / max(len(ctx.files), 1))
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            problems.add(Path(path).name, None, "", str(path), f"cannot open the file ({exc.strerror or exc})",
                         "Check the file name and that you may read it, then reconcile again.")
            continue
        statement = read_statement(Path(path), data, ledger.settings.reconcile_columns,
                                   ledger.settings.decimal_separator)
        found, more = reconcile_statement(ledger, statement)
        problems.extend(more)
        rows.extend(found)
        reconciled += bool(found)
        for balance in (r for r in found if r["Result"] == ReconResult.BALANCE):  # one per currency
            counts = Counter(r["Result"] for r in found if r["Currency"] == balance["Currency"])
            summaries.append(
                f"{statement.file} ({balance['CustomerID']}, {balance['StatementDate'].date()}): "
                f"{counts[ReconResult.MATCHED]} matched, {counts[ReconResult.DIFFERENCE]} with a difference, "
                f"{counts[ReconResult.THEIRS_ONLY]} theirs only, {counts[ReconResult.OURS_ONLY]} ours only; "
                f"their balance {format_amount(balance['TheirAmount'], balance['Currency'])}, ours "
                f"{format_amount(balance['OurAmount'], balance['Currency'])}")
    lines = sum(r["Result"] != ReconResult.BALANCE for r in rows)
    step = Step(Outcome("; ".join(summaries) + "." if summaries else "No statement could be reconciled.",
                        {"statements": reconciled, "lines": lines}), problems)
    step.rebuild("Reconciliation", reconciliation_table(rows))
    return step


COMMAND = Command("reconcile", "Reconcile statement", "CompareWithOriginal",
                  "Compare customers' own statements (CSV or XLSX) with the ledger line by line: matched, "
                  "different, theirs only, ours only, each with the next step", run, in_refresh=False,
                  needs_files=True, file_kinds=STATEMENTS)
