"""docs/WORKBOOK.md and arxl/contract.py say the same thing.

The doc is written for people and the contract module is the same contract as data; this test
reads the doc's tables back and compares them with the specs, so that neither can change
alone. What it reads (see "The tables" in the doc for the form):
- under "## The tables", one "### <Table>" section per sheet, in SHEET_ORDER, the heading
  marked "[arxl, rebuilt]" for output tables and "[ledger]" for ledgers; a "**Role**: `role`"
  line, with "**Row key**: `A` + `B`" for tables that have a key; and a markdown table with the
  columns Column / Kind / Written by / Required / Meaning / Allowed values, one row per column
  in order, "[arxl]" after the name of a column arxl owns;
- the values in backticks of the "Allowed values" cells of the columns that take a word of the
  vocabulary, and the "### <Enum>" tables under "## Vocabulary";
- the "Kind" table of the column kinds, and the "## Known settings" table.
"""
from __future__ import annotations

import dataclasses
import enum
import re
from pathlib import Path

import pytest

from arxl import contract
from arxl.commands.registry import COMMANDS
from arxl.contract import (
    ADDRESS_COLUMNS,
    AGING_SUMMARY,
    IMPORTED_PAYMENT_COLUMNS,
    ON_ACCOUNT,
    READ_COMMAND,
    SHEET_ORDER,
    TABLES,
    YES_MARKS,
    Column,
    Kind,
    Owner,
    Role,
    TableSpec,
)
from arxl.core.settings import KNOWN_SETTINGS

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "WORKBOOK.md"
COLUMN_HEADERS = ["Column", "Kind", "Written by", "Required", "Meaning", "Allowed values"]
HEADING_MARKS = {Role.INPUT: None, Role.OUTPUT: "arxl, rebuilt", Role.LEDGER: "ledger"}

# The columns whose allowed values are the words of each vocabulary enum of the contract.
ENUM_COLUMNS: dict[type[enum.StrEnum], list[tuple[str, str]]] = {
    contract.Decision: [("Matches", "Decision")],
    contract.LinkDecision: [("LearnedPayers", "Decision")],
    contract.MatchStatus: [("Payments", "MatchStatus")],
    contract.Source: [("Applications", "Source")],
    contract.ReasonCode: [("Applications", "ReasonCode")],
    contract.Action: [("Payments", "Action")],
    contract.InvoiceStatus: [("Invoices", "Status")],
    contract.DocType: [("Aging", "DocType")],
    contract.MemoKind: [("MemoRequests", "Kind"), ("Memos", "Kind")],
    contract.MemoType: [("MemoRequests", "Type"), ("Memos", "Type")],
    contract.MemoStatus: [("MemoRequests", "Status")],
    contract.CustomerStatus: [("Customers", "Status")],
    contract.PaymentMethod: [("Payments", "Method")],
    contract.InvoiceRequestStatus: [("InvoiceRequests", "Status")],
    contract.StatementLayout: [("Statements", "Layout")],
    contract.DocumentKind: [("Outbox", "Kind")],
    contract.MailEvent: [("Outbox", "Event")],
}
# Enums that describe the contract itself (kinds, owners, roles), not words in cells.
STRUCTURE_ENUMS = {Kind, Owner, Role}
YES_COLUMNS = [("Invoices", "Disputed"), ("MemoRequests", "Approved"), ("Customers", "TaxExempt"),
               ("DunningLevels", "AttachStatement")]


# ---- reading the doc ---------------------------------------------------------------------------

def sections(text: str, level: int) -> list[tuple[str, str]]:
    """(heading, body) of each section of ``level`` (2 for "## "), the body running to the next
    heading of that level or above."""
    found: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        m = re.match(r"^(#+) (.*)$", line)
        if m and len(m.group(1)) <= level:
            if len(m.group(1)) == level:
                found.append((m.group(2).strip(), []))
                continue
            found.append(("", []))  # a higher heading ends the section
            continue
        if found:
            found[-1][1].append(line)
    return [(h, "\n".join(body)) for h, body in found if h]


def section(text: str, level: int, heading: str) -> str:
    bodies = [body for h, body in sections(text, level) if h == heading]
    assert len(bodies) == 1, f"the doc has {len(bodies)} sections headed {'#' * level} {heading}"
    return bodies[0]


def cells(line: str) -> list[str]:
    inner = line.strip()[1:-1] if line.strip().endswith("|") else line.strip()[1:]
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]


def md_tables(body: str) -> list[list[dict[str, str]]]:
    """Every markdown table in ``body``, as rows of {header: cell}."""
    tables, block = [], []
    for line in [*body.splitlines(), ""]:
        if line.strip().startswith("|"):
            block.append(line)
            continue
        if len(block) >= 2 and re.fullmatch(r"\|?[\s:|-]+\|?", block[1].strip()):
            headers = cells(block[0])
            tables.append([dict(zip(headers, cells(row))) for row in block[2:]])
        block = []
    return tables


def table_with(body: str, first_header: str) -> list[dict[str, str]] | None:
    found = [t for t in md_tables(body) if t and next(iter(t[0])) == first_header]
    return found[0] if found else None


def ticks(cell: str) -> list[str]:
    return re.findall(r"`([^`]*)`", cell)


@dataclasses.dataclass
class DocTable:
    name: str
    mark: str | None
    body: str

    @property
    def role(self) -> str | None:
        m = re.search(r"\*\*Role\*\*: `(\w+)`", self.body)
        return m.group(1) if m else None

    @property
    def key(self) -> tuple[str, ...]:
        m = re.search(r"\*\*Row key\*\*: ((?:`\w+`(?: \+ )?)+)", self.body)
        return tuple(ticks(m.group(1))) if m else ()

    @property
    def rows(self) -> list[dict[str, str]] | None:
        found = [t for t in md_tables(self.body) if t and list(t[0]) == COLUMN_HEADERS]
        return found[0] if found else None

    def row(self, column: str) -> dict[str, str]:
        for r in self.rows or []:
            if column_name(r["Column"])[0] == column:
                return r
        raise KeyError(f"the doc's {self.name} table has no column {column}")


def column_name(cell: str) -> tuple[str, bool]:
    """'Paid [arxl]' -> ('Paid', True)."""
    m = re.fullmatch(r"(\w+)( \[arxl\])?", cell)
    return (m.group(1), bool(m.group(2))) if m else (cell, False)


def doc_tables(text: str) -> list[DocTable]:
    found = []
    for heading, body in sections(section(text, 2, "The tables"), 3):
        m = re.fullmatch(r"(\w+)(?: \[([^\]]+)\])?", heading)
        found.append(DocTable(m.group(1), m.group(2), body) if m else DocTable(heading, None, body))
    return found


# ---- comparing -------------------------------------------------------------------------------

def required_mark(col: Column) -> str:
    return ", ".join(w for w, on in (("required", col.required), ("unique", col.unique)) if on)


def written_by(table: TableSpec, col: Column) -> str:
    return "arxl" if col.owner == Owner.ARXL or table.role != Role.INPUT else "clerk"


def table_differences(text: str, tables: dict[str, TableSpec] = TABLES,
                      sheet_order: tuple[str, ...] = SHEET_ORDER) -> list[str]:
    """What the doc's tables say differently from ``tables``: every table, every column, in
    order, with its kind, owner, required/unique marks, the table's role and row key."""
    out: list[str] = []
    docs = doc_tables(text)
    names = [d.name for d in docs]
    if names != list(sheet_order):
        out.append(f"the doc's table sections are {names}, SHEET_ORDER is {list(sheet_order)}")
    out += [f"{name} is a table of the contract but not in SHEET_ORDER" for name in tables if name not in sheet_order]
    by_name = {d.name: d for d in docs}
    for name, table in tables.items():
        doc = by_name.get(name)
        if doc is None:
            out.append(f"{name}: no '### {name}' section under 'The tables'")
            continue
        if doc.mark != HEADING_MARKS[table.role]:
            out.append(f"{name}: heading mark [{doc.mark}], the {table.role} role wants [{HEADING_MARKS[table.role]}]")
        if doc.role != table.role.value:
            out.append(f"{name}: Role `{doc.role}`, the contract says `{table.role.value}`")
        if doc.key != table.key:
            out.append(f"{name}: Row key {list(doc.key)}, the contract says {list(table.key)}")
        rows = doc.rows
        if rows is None:
            out.append(f"{name}: no column table (headers {' / '.join(COLUMN_HEADERS)})")
            continue
        doc_names = [column_name(r["Column"])[0] for r in rows]
        if doc_names != table.names:
            out.append(f"{name}: the doc's columns are {doc_names}, the contract's {table.names}")
        for col, row in zip(table.columns, rows):
            doc_name, marked = column_name(row["Column"])
            if doc_name != col.name:
                continue  # reported above
            if marked != (col.owner == Owner.ARXL):
                out.append(f"{name}.{col.name}: [arxl] mark {'present' if marked else 'missing'}, owner is {col.owner}")
            if row["Kind"] != col.kind.value:
                out.append(f"{name}.{col.name}: kind {row['Kind']!r}, the contract says {col.kind.value!r}")
            who = re.match(r"\w*", row["Written by"]).group()
            if who != written_by(table, col):
                out.append(f"{name}.{col.name}: written by {who!r}, should be {written_by(table, col)!r}")
            if row["Required"] != required_mark(col):
                out.append(f"{name}.{col.name}: Required {row['Required']!r}, should be {required_mark(col)!r}")
    for name in sheet_order:
        if name not in tables and name in by_name and by_name[name].rows is not None:
            out.append(f"{name} is not a table of the contract, yet the doc gives it columns")
    return out


def vocabulary_differences(text: str) -> list[str]:
    out: list[str] = []
    tables = {d.name: d for d in doc_tables(text)}
    vocabulary = dict(sections(section(text, 2, "Vocabulary"), 3))
    enums = [v for v in vars(contract).values() if isinstance(v, type) and issubclass(v, enum.StrEnum)
             and v.__module__ == contract.__name__ and v not in STRUCTURE_ENUMS]
    for e in enums:
        values = [m.value for m in e]
        if e not in ENUM_COLUMNS:
            out.append(f"{e.__name__} is new: say in ENUM_COLUMNS which columns take it, and list it in the doc")
        for table, column in ENUM_COLUMNS.get(e, []):
            allowed = ticks(tables[table].row(column)["Allowed values"])
            if allowed != values:
                out.append(f"{table}.{column} allows {allowed} in the doc, {e.__name__} is {values}")
        body = vocabulary.get(e.__name__)
        listed = [r["Value"].strip("`") for r in table_with(body, "Value") or []] if body else None
        if listed != values:
            out.append(f"Vocabulary '### {e.__name__}' lists {listed}, the contract {values}")
    for table, column in YES_COLUMNS:
        marks = {t.lower() for t in ticks(tables[table].row(column)["Allowed values"])}
        if marks != YES_MARKS:
            out.append(f"{table}.{column} allows {sorted(marks)} as yes, YES_MARKS is {sorted(YES_MARKS)}")
    if f"`{ON_ACCOUNT}`" not in tables["Payments"].row("ApplyTo")["Allowed values"]:
        out.append(f"Payments.ApplyTo does not name `{ON_ACCOUNT}`")
    commands = ticks(tables["Exceptions"].row("Command")["Allowed values"])
    if commands != [READ_COMMAND, *COMMANDS]:
        out.append(f"Exceptions.Command allows {commands}, the commands are {[READ_COMMAND, *COMMANDS]}")
    return out


# ---- the tests -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_table_and_column_of_the_contract_is_in_the_doc_and_no_other(doc):
    assert table_differences(doc) == []


def test_every_word_of_the_vocabulary_is_where_the_doc_lists_allowed_values(doc):
    assert vocabulary_differences(doc) == []


def test_the_column_kinds_are_the_contracts(doc):
    kinds = table_with(section(doc, 2, "Ground rules"), "Kind")
    assert kinds is not None, "the Ground rules have no Kind table"
    assert [r["Kind"] for r in kinds] == [k.value for k in Kind]


def test_every_known_setting_is_in_the_doc_with_its_default(doc):
    rows = table_with(section(doc, 2, "Known settings"), "Setting")
    assert rows is not None, "Known settings has no Setting table"
    assert [r["Setting"] for r in rows] == [s.name for s in KNOWN_SETTINGS]
    for setting, row in zip(KNOWN_SETTINGS, rows):
        if setting.default == "":
            assert row["Default"].startswith("blank"), setting.name
        else:
            assert f"`{setting.default}`" in row["Default"], setting.name


def test_the_columns_arxl_reads_beyond_the_tables_are_named(doc):
    tables = {d.name: d for d in doc_tables(doc)}
    for column in ADDRESS_COLUMNS:
        assert f"`{column}`" in tables["Customers"].body
    line = next(x for x in tables["Payments"].body.splitlines() if x.startswith("**Filled by `arxl import`**"))
    assert ticks(line.split(":", 1)[1]) == list(IMPORTED_PAYMENT_COLUMNS)
    assert tables[AGING_SUMMARY].rows is None  # a report sheet: no columns


def test_the_readme_points_at_the_doc_in_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/WORKBOOK.md)" in readme
    assert "../shared/WORKBOOK.md" not in readme


# ---- the comparison catches a change made on one side only -----------------------------------

def test_a_column_added_to_the_contract_alone_is_caught(doc):
    invoices = TABLES["Invoices"]
    grown = dataclasses.replace(invoices, columns=(*invoices.columns, Column("Region")))
    found = table_differences(doc, {**TABLES, "Invoices": grown})
    assert any("Invoices: the doc's columns" in d for d in found)


def test_a_column_added_to_the_doc_alone_is_caught(doc):
    row = "| LastPaymentDate [arxl] | date | arxl | |"
    assert doc.count(row) == 1
    grown = doc.replace(row, "| Region | text | clerk | | Where. | |\n" + row)
    assert any("Invoices: the doc's columns" in d for d in table_differences(grown))


def test_an_owner_kind_role_or_key_changed_on_one_side_is_caught(doc):
    matches = TABLES["Matches"]
    changed = {
        "owner": dataclasses.replace(matches, columns=tuple(
            dataclasses.replace(c, owner=Owner.ARXL) if c.name == "Reason" else c for c in matches.columns)),
        "kind": dataclasses.replace(matches, columns=tuple(
            dataclasses.replace(c, kind=Kind.TEXT) if c.name == "Reason" else c for c in matches.columns)),
        "role": dataclasses.replace(matches, role=Role.LEDGER),
        "key": dataclasses.replace(matches, key=("PaymentID",)),
    }
    for what, spec in changed.items():
        assert table_differences(doc, {**TABLES, "Matches": spec}), what


def test_a_word_changed_in_the_doc_alone_is_caught(doc):
    assert doc.count("`Short paid`") == 1
    assert vocabulary_differences(doc.replace("`Short paid`", "`Shortpaid`"))
