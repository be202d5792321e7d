"""``arxl adopt``: set arxl up in a workbook the clerk built, and take it out again.

1. ``propose``: find the clerk's sheets of invoices, payments and customers and write the
   mapping arxl proposes to a ColumnMap table (``arxl.core.adopt.propose``). Nothing else
   changes.
2. ``accept``: mark the ColumnMap's lines Accepted (a line whose column was not found stays as
   it is; a required one stops the acceptance), then add arxl's own tables beside the clerk's
   (Settings with every default, Customers, Payments, Matches... each on the sheet its line
   names). From then on every command reads the clerk's sheets through the accepted lines.
3. ``undo``: remove what arxl added: the columns marked [arxl] beside the clerk's tables, the
   sheets the ColumnMap lists as arxl's own, the AgingSummary and the ColumnMap itself. A sheet
   a line names for one of arxl's own tables that does not hold the table as arxl writes it (a
   sheet of the clerk's the line was pointed at) is left where it is, and said so.

The cells are moved by the store; the rules of the mapping are in ``arxl.core.adopt``.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from arxl.book.files import starting_rows
from arxl.book.port import Workbook
from arxl.book.store import AdoptableStore, BookError, UndoableStore
from arxl.contract import AGING_SUMMARY, ARXL_MARK, COLUMN_MAP, NEW_BOOK_SHEETS, header_key, spec
from arxl.core.adopt import ADOPTED, Proposal, Sample
from arxl.core.adopt import propose as propose_mapping


def _column_map(book: Workbook) -> pd.DataFrame | None:
    frame = book.read(COLUMN_MAP.name, required=False)
    return frame if book.has_table(COLUMN_MAP.name) else None


def samples(book: Workbook) -> list[Sample]:
    """The clerk's sheets, as arxl's detection looks at them (a sheet the clerk called
    Invoices included)."""
    if not isinstance(book.store, AdoptableStore):
        raise TypeError("this workbook was opened to be read only")
    return [Sample(raw.name, raw.sheet, raw.headers, raw.rows) for raw in book.store.samples()]


def propose(book: Workbook) -> Proposal:
    """Write the ColumnMap arxl proposes (every line Accepted No). Refused when the workbook has
    one already (the clerk may have corrected it) or holds no list of invoices arxl can find."""
    if _column_map(book) is not None:
        raise BookError("This workbook has a ColumnMap already: correct it where it is wrong and run "
                        "arxl adopt --accept (or Set up arxl here again) to accept it. Nothing was changed.")
    proposal = propose_mapping(samples(book))
    if "Invoices" not in proposal.found:
        raise BookError("arxl found no list of invoices in this workbook: a sheet with a header row in row 1 "
                        "holding an invoice number, a customer, a date and an amount (Invoice Number, "
                        "Customer, Issue Date, Amount, or the like). Nothing was changed.")
    book.fill_new(COLUMN_MAP.name, proposal.rows())
    return proposal


def accept(book: Workbook) -> list[str]:
    """Accept the ColumnMap (proposing it first when there is none) and add arxl's own tables.
    Returns what was done, in sentences for the clerk."""
    notes = []
    if _column_map(book) is None:
        proposal = propose(book)
        notes.append(f"proposed a ColumnMap: {proposal.where()}")
    lines = book.read(COLUMN_MAP.name)
    missing = [f"{r.Table}.{r.Column} (ColumnMap row {row})" for row, r in lines.iterrows()
               if r.Table in ADOPTED and r.Column and not str(r.Header).strip() and spec(r.Table).has(r.Column)
               and spec(r.Table).column(r.Column).required
               and any(lines.loc[lines["Table"] == r.Table, "Header"].astype(str).str.strip() != "")]
    if missing:
        raise BookError(f"No header of yours is named for {', '.join(missing)}, which arxl needs. Write the header "
                        f"of your column holding it in the line's Header and run again. Nothing was changed.")
    accepted = ["Yes" if (str(r.Header).strip() or not r.Column) else r.Accepted for _, r in lines.iterrows()]
    book.write_clerk_column(COLUMN_MAP.name, "Accepted", accepted)
    mapping = book.remap()
    added = []
    start = starting_rows()
    for table in NEW_BOOK_SHEETS:
        if table == AGING_SUMMARY or mapping.clerks(table) or book.has_table(table):
            continue
        book.fill_new(table, start.get(table, []))
        added.append(mapping.locations.get(table, table))
    notes.append(f"accepted {accepted.count('Yes')} line(s) of the ColumnMap")
    if added:
        notes.append(f"added arxl's own sheets: {', '.join(added)}")
    return notes


def proposed(book: Workbook) -> list[str]:
    """``propose``, told in a sentence for the clerk."""
    return [f"found {propose(book).where()}; wrote the ColumnMap: check it, correct it, then run arxl adopt "
            f"--accept"]


def undo(book: Workbook) -> list[str]:
    """Remove what arxl added to a workbook it adopted (see the module's docstring)."""
    store = book.store
    if not isinstance(store, UndoableStore):
        raise TypeError("undo works on workbook files")
    lines = _column_map(book)
    if lines is None:
        raise BookError("This workbook has no ColumnMap, so arxl adopt did not set arxl up in it; there is "
                        "nothing to undo. Nothing was changed.")
    mapping = book.mapping
    notes = []
    for table in mapping.placements:
        if not mapping.clerks(table):
            continue
        raw = store.find(table)
        ours = [i for i, h in enumerate(raw.headers) if h.endswith(ARXL_MARK)] if raw else []
        if raw is not None and ours:
            store.remove_columns(table, ours)
            notes.append(f"removed {len(ours)} [arxl] column(s) from {raw.sheet}")
    own = {str(line.Sheet): str(line.Table) for line in lines.itertuples() if not line.Column
           and str(line.Sheet).strip()}
    arxls = [sheet for sheet, table in own.items() if _arxls(store, table, sheet)]
    removed = [sheet for sheet in dict.fromkeys([*arxls, book.sheet_of(COLUMN_MAP.name)]) if store.remove_sheet(sheet)]
    notes.append(f"removed the sheets {', '.join(removed)}")
    left = [sheet for sheet in own if sheet not in arxls and store.find(own[sheet]) is not None]
    if left:
        notes.append(f"left the sheets {', '.join(left)} as they are: a line of the ColumnMap names them for arxl's "
                     f"own tables, but they hold no table arxl made")
    return notes


def _arxls(store: UndoableStore, table: str, sheet: str) -> bool:
    """Whether ``sheet`` holds arxl's own ``table`` (the header row begins with the table's
    columns in the contract's order, as arxl writes it), not a sheet of the clerk's a line was
    pointed at. The report sheet is arxl's wherever it is: a refresh redraws it whole."""
    if table == AGING_SUMMARY:
        return True
    raw = store.find(table)
    columns = [c.key for c in spec(table).columns]
    return raw is not None and raw.sheet == sheet and [header_key(h) for h in raw.headers[:len(columns)]] == columns


# The phases of ``arxl adopt`` by name (a batch job carries the name to its worker).
PHASES: dict[str, Callable[[Workbook], list[str]]] = {"propose": proposed, "accept": accept, "undo": undo}
