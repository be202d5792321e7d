"""Render what customers receive to PNG for a person to look at: an invoice, an open-item and an
activity statement, and a reminder letter of each level, from a small demo workbook.

    .venv/bin/python bench/render_documents.py OUT_DIR

Needs pdftoppm (poppler-utils). Not part of the test suite: it is for eyes."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from arxl.book.files import open_book, save_book
from arxl.commands.command import Context
from arxl.commands.runner import run_commands
from arxl.demo import DEMO_AS_OF, write_demo


def run(path: Path, ids: list[str], **options: object) -> None:
    book = open_book(path)
    result = run_commands(book, ids, Context(options=options))
    save_book(book)
    for cid, outcome in result.outcomes.items():
        print(f"{cid}: {outcome.summary}")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "demo.xlsx"
    write_demo(path, overwrite=True, customers=40, invoices=500, payments=40)
    run(path, ["match", "post", "memos", "aging", "invoice"])
    run(path, ["statements"], layout="Open items")
    run(path, ["statements"], layout="Activity", from_date=DEMO_AS_OF.replace(day=1))
    run(path, ["dunning"])
    book = open_book(path)
    picks = [("invoice", book.read("InvoiceLines")["Document"].iloc[0])]
    statements = book.read("Statements")
    for layout in ("Open items", "Activity"):
        mine = statements.loc[statements["Layout"] == layout]
        busiest = mine.loc[mine["Balance"].astype("int64").idxmax()]
        picks.append((f"statement-{layout.split()[0].lower()}", busiest["Document"]))
    log = book.read("DunningLog")
    for level in sorted(set(log["Level"].astype(int))):
        picks.append((f"letter-level{level}", log.loc[log["Level"] == level, "Document"].iloc[0]))
    for name, document in picks:
        subprocess.run(["pdftoppm", "-png", "-r", "70", str(path.parent / document), str(out / name)], check=True)
        print(name, document)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "render"))
