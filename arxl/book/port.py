"""``Workbook``: WORKBOOK.md's tables as typed DataFrames over any ``TableStore``.

Every ground rule of the contract is enforced here, once, for every door:
- tables found by name, headers matched loosely, required columns checked;
- each cell read through ``arxl.book.convert``; a row with a bad value is reported (sheet, row,
  column, value, hint) and left out, and the run goes on with the sound rows;
- arxl writes only its own columns of input tables (and fills blank IDs), rebuilds output
  tables (keeping clerk-added columns by each row's key), and only appends to ledgers;
- every string arxl writes is a text cell, never a formula.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd

from arxl.book.contract import ARXL, INPUT, LEDGER, OUTPUT, TABLES, Column, TableSpec, header_key
from arxl.book.convert import NUMBER_FORMATS, cell_values, read_column, typed_column
from arxl.book.report import Report
from arxl.book.store import BookError, RawTable, TableStore
from arxl.core.problems import Problem, Problems
from arxl.core.settings import Settings, read_settings

# The key that carries a clerk's own columns across a rebuild of an output table.
OUTPUT_KEYS = {
    "Matches": ("PaymentID", "InvoiceID"),
    "Aging": ("DocType", "DocID"),
    "Exceptions": ("Sheet", "Row", "Column", "Problem"),
}


def _spec(name: str) -> TableSpec:
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a table of the arxl contract") from None


def empty_frame(name: str, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """A typed frame of the table's columns with no rows (what the core gets for a missing
    optional table)."""
    spec = _spec(name)
    cols = {c.name: typed_column(c.kind, []) for c in spec.columns}
    cols.update({e: typed_column("id", []) for e in extra if e not in cols})
    frame = pd.DataFrame(cols)
    frame.index = pd.Index([], dtype="int64", name="row")
    return frame


class Workbook:
    """One open master workbook, whatever holds it (a file, a live Excel Book)."""

    def __init__(self, store: TableStore, path: Path | None = None, as_of: dt.date | None = None):
        self.store = store
        self.path = Path(path) if path else None
        self._as_of = as_of
        self._raw: dict[str, RawTable | None] = {}
        self.problems = Problems()
        self.rejected: dict[str, set[int]] = {}
        self._reported: set[tuple] = set()
        # typed frames already read, until their table is written: every command of a refresh
        # reads Invoices, and converting 100,000 rows each time would be most of the run
        self._frames: dict[tuple[str, tuple[str, ...]], pd.DataFrame] = {}
        self._settings: Settings | None = None

    # ---- finding tables ---------------------------------------------------------------------
    def raw(self, name: str) -> RawTable | None:
        if name not in self._raw:
            self._raw[name] = self.store.find(name)
        return self._raw[name]

    def exists(self, name: str) -> bool:
        return self.raw(name) is not None

    def sheet_of(self, name: str) -> str:
        raw = self._raw.get(name)
        return raw.sheet if raw else name

    def _offsets(self, raw: RawTable) -> dict[str, int]:
        """Header key -> column offset; the first of duplicated headers wins (and is reported)."""
        offsets: dict[str, int] = {}
        for i, header in enumerate(raw.headers):
            key = header_key(header)
            if key and key not in offsets:
                offsets[key] = i
        return offsets

    # ---- settings ---------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        if self._settings is None:
            raw = self.raw("Settings")
            rows = []
            if raw is not None:
                offsets = self._offsets(raw)
                name_at, value_at = offsets.get("setting"), offsets.get("value")
                if name_at is None or value_at is None:
                    self.problems.add(raw.sheet, raw.first_row - 1, "Setting", "",
                                      "the Settings table needs a Setting and a Value column",
                                      "Name the two header cells Setting and Value.")
                else:
                    rows = [(raw.first_row + i, r[name_at], r[value_at]) for i, r in enumerate(raw.rows)]
            self._settings, problems = read_settings(rows, self.sheet_of("Settings"), self._as_of)
            self.problems.extend(problems)
        return self._settings

    # ---- reading ----------------------------------------------------------------------------
    def read(self, name: str, *, extra: tuple[str, ...] = (), required: bool = True) -> pd.DataFrame:
        """The table as a typed frame indexed by sheet row: the contract's columns (blank where
        the workbook lacks an optional one) plus ``extra`` columns read as IDs (e.g. Settings'
        MatchColumns). Bad rows are reported and left out (see ``rejected``)."""
        cached = self._frames.get((name, extra))
        if cached is not None:
            return cached.copy()
        spec = _spec(name)
        raw = self.raw(name)
        if raw is None:
            if required:
                raise BookError(f"The workbook has no {name} table (an Excel table named {name}, "
                                f"or a sheet named {name} with headers in row 1). Run 'arxl new' to "
                                f"see the expected layout.")
            return empty_frame(name, extra)
        offsets = self._offsets(raw)
        header_row = raw.first_row - 1
        for note in raw.problems:
            self._report_once(Problem(raw.sheet, header_row, "", "", note,
                                      "Unmerge the header cells and give each column its own header."))
        dupes = [h for h, n in Counter(header_key(h) for h in raw.headers if h).items() if n > 1]
        for key in dupes:
            self._report_once(Problem(raw.sheet, header_row, key, key, "the same header appears twice",
                                      "Rename one of the columns; arxl reads the first."))
        missing = [c.name for c in spec.columns if c.required and c.key not in offsets]
        if missing:
            raise BookError(f"{raw.sheet} (header row {header_row}) lacks the required column(s) "
                            f"{', '.join(missing)}. Add them (headers match without regard to case, "
                            f"spaces and underscores).")
        wanted: list[Column] = list(spec.columns)
        for e in extra:
            if not spec.has(e):
                if header_key(e) not in offsets:
                    self._report_once(Problem(raw.sheet, header_row, e, e,
                                              f"the column {e} named in Settings is not in {name}",
                                              "Add the column to the table or remove it from Settings."))
                    continue
                wanted.append(Column(e, "id"))
        rejected = self.rejected.setdefault(name, set())
        n = len(raw.rows)
        blank = [all(v is None or (isinstance(v, str) and not v.strip()) for v in cells) for cells in raw.rows]
        typed: dict[str, list] = {}
        found: list[tuple[int, int, Problem]] = []  # (row, column position, problem), sorted below
        bad_rows: set[int] = set()
        for position, col in enumerate(wanted):
            at = offsets.get(col.key)
            cells = [r[at] for r in raw.rows] if at is not None else [None] * n
            typed[col.name], bad = read_column(col.kind, cells)
            for i, exc in bad.items():
                if not blank[i]:
                    found.append((i, position, Problem(raw.sheet, raw.first_row + i, col.name, cells[i],
                                                       exc.problem, exc.hint)))
                    bad_rows.add(i)
            if col.required:
                for i, v in enumerate(typed[col.name]):
                    if v is None and not blank[i] and i not in bad:
                        found.append((i, position, Problem(raw.sheet, raw.first_row + i, col.name, "",
                                                           f"{col.name} is blank",
                                                           f"Fill in {col.name}; the row is left out until then.")))
                        bad_rows.add(i)
        for _, _, problem in sorted(found, key=lambda t: (t[0], t[1])):
            self._report_once(problem)
        rejected.update(raw.first_row + i for i in bad_rows)
        self._report_empty_rows(raw, blank)
        keep = [i for i in range(n) if not blank[i] and i not in bad_rows]
        kept_rows = [raw.first_row + i for i in keep]
        values = {name: [column[i] for i in keep] for name, column in typed.items()}
        frame = pd.DataFrame({c.name: typed_column(c.kind, values[c.name]) for c in wanted})
        frame.index = pd.Index(kept_rows, dtype="int64", name="row")
        for col in spec.columns:
            if col.unique:
                frame = self._drop_duplicates(raw, frame, col.name, rejected)
        self._frames[(name, extra)] = frame
        return frame.copy()

    def _report_empty_rows(self, raw: RawTable, blank: list[bool]) -> None:
        """Empty rows inside a table hold nothing to lose; each run of them is named once, so
        the clerk knows why the table looks longer than what arxl read."""
        start = None
        for i, empty in enumerate([*blank, False]):
            if empty and start is None:
                start = i
            elif not empty and start is not None:
                first, last = raw.first_row + start, raw.first_row + i - 1
                where = f"row {first} is" if first == last else f"rows {first} to {last} are"
                self._report_once(Problem(raw.sheet, first, "", "", f"{where} empty inside the table",
                                          "Delete the empty rows; arxl skips them."))
                start = None

    def _drop_duplicates(self, raw: RawTable, frame: pd.DataFrame, column: str, rejected: set[int]) -> pd.DataFrame:
        ids = frame[column]
        dup = ids.ne("") & ids.duplicated(keep=False)
        for row_no, value in ids[dup].items():
            others = [str(r) for r in ids.index[dup & ids.eq(value)] if r != row_no]
            self._report_once(Problem(raw.sheet, int(row_no), column, value,
                                      f"{column} {value} appears more than once (also row {', '.join(others)})",
                                      f"Give each row its own {column}; these rows are left out until then."))
            rejected.add(int(row_no))
        return frame[~dup]

    # ---- writing ----------------------------------------------------------------------------
    def _ensure_columns(self, name: str, raw: RawTable, columns: list[Column]) -> dict[str, int]:
        offsets = self._offsets(raw)
        missing = [c for c in columns if c.key not in offsets]
        if missing:
            self.store.add_columns(name, [c.name for c in missing],
                                   [NUMBER_FORMATS[c.kind] for c in missing], [c.width for c in missing])
            raw.headers.extend(c.name for c in missing)
            for r in raw.rows:
                r.extend([None] * len(missing))
            offsets = self._offsets(raw)
        return offsets

    def _forget(self, name: str) -> None:
        for key in [k for k in self._frames if k[0] == name]:
            del self._frames[key]

    def _write(self, name: str, raw: RawTable, col: Column, at: int, start: int, values: list) -> None:
        """Write ``values`` into column ``at`` from data row ``start`` (0-based) on."""
        self._forget(name)
        self.store.write_column(name, at, raw.first_row + start, values, NUMBER_FORMATS[col.kind],
                                as_text=col.kind in ("id", "text", "external"))
        for i, v in enumerate(values):
            raw.rows[start + i][at] = v

    def update(self, name: str, frame: pd.DataFrame, *, fill_blank: tuple[str, ...] = ()) -> None:
        """Write arxl's columns of an input table for the rows in ``frame`` (indexed by sheet
        row); other rows keep their values. ``fill_blank`` names clerk columns that arxl may
        fill where the clerk left the cell blank (numbering blank PaymentIDs)."""
        spec, raw = _spec(name), self.raw(name)
        if raw is None:
            raise BookError(f"The workbook has no {name} table to write to.")
        columns = [spec.column(c) for c in frame.columns]
        for col in columns:
            if col.owner != ARXL and col.name not in fill_blank:
                raise PermissionError(f"{name}.{col.name} belongs to the clerk; arxl never rewrites it")
        offsets = self._ensure_columns(name, raw, columns)
        positions = [r - raw.first_row for r in frame.index]
        if any(p < 0 or p >= len(raw.rows) for p in positions):
            raise IndexError(f"rows outside the {name} table")
        cached = {key: f for key, f in self._frames.items() if key[0] == name}
        for col in columns:
            at = offsets[col.key]
            current = [r[at] for r in raw.rows]
            new = cell_values(col.kind, frame[col.name])
            for p, v in zip(positions, new):
                if col.owner == ARXL or current[p] is None or str(current[p]).strip() == "":
                    current[p] = v
            self._write(name, raw, col, at, 0, current)
        if not fill_blank:
            # the typed values just written are what a fresh read would give: keep the frames
            for key, typed in cached.items():
                rows = frame.index.intersection(typed.index)
                try:
                    for col in columns:
                        typed.loc[rows, col.name] = frame.loc[rows, col.name]
                except (TypeError, ValueError):  # a column of another dtype: read afresh
                    continue
                self._frames[key] = typed

    def replace(self, name: str, frame: pd.DataFrame) -> None:
        """Rebuild an output table with ``frame``'s rows. Columns a clerk added keep their
        values, following each row's key; the contract's columns are arxl's."""
        spec = _spec(name)
        if spec.role != OUTPUT:
            raise PermissionError(f"{name} is not rebuilt by arxl")
        raw = self._raw_or_create(name)
        offsets = self._ensure_columns(name, raw, list(spec.columns))
        ours = {offsets[c.key] for c in spec.columns}
        key_cols = OUTPUT_KEYS.get(name, ())
        key_at = [offsets[header_key(k)] for k in key_cols]
        old = {tuple(str(r[a] or "") for a in key_at): r for r in raw.rows} if key_at else {}
        new_keys = [tuple(str(v or "") for v in vals) for vals in zip(
            *[cell_values(spec.column(k).kind, frame[k]) for k in key_cols])] if key_cols and len(frame) else []
        self.store.resize(name, len(frame))
        raw.rows = [[None] * len(raw.headers) for _ in range(len(frame))]
        for col in spec.columns:
            self._write(name, raw, col, offsets[col.key], 0, cell_values(col.kind, frame[col.name]))
        for at, header in enumerate(raw.headers):
            if at in ours:
                continue
            carried = [old.get(k, [None] * (at + 1))[at] for k in new_keys] if new_keys else [None] * len(frame)
            self.store.write_column(name, at, raw.first_row, carried, None, as_text=False)
            for i, v in enumerate(carried):
                raw.rows[i][at] = v

    def append(self, name: str, frame: pd.DataFrame) -> None:
        """Append rows to a ledger; rows already there are never touched."""
        spec = _spec(name)
        if spec.role != LEDGER:
            raise PermissionError(f"{name} is not a ledger")
        self._append_rows(name, frame, list(spec.columns))

    def add_rows(self, name: str, frame: pd.DataFrame) -> None:
        """Append rows to an input table, typing them in on the clerk's behalf (an import into
        Payments): ``frame``'s clerk columns are written after the last row; rows already there
        are never touched, and arxl's own columns are left for the next run to fill."""
        spec = _spec(name)
        if spec.role != INPUT:
            raise PermissionError(f"{name} is not an input table")
        columns = [spec.column(c) for c in frame.columns]
        for col in columns:
            if col.owner == ARXL:
                raise PermissionError(f"{name}.{col.name} is arxl's; a run fills it, not an import")
        self._append_rows(name, frame, columns)

    def _append_rows(self, name: str, frame: pd.DataFrame, columns: list[Column]) -> None:
        if frame.empty:
            return
        raw = self._raw_or_create(name)
        offsets = self._ensure_columns(name, raw, columns)
        start = len(raw.rows)
        self.store.resize(name, start + len(frame))
        raw.rows.extend([None] * len(raw.headers) for _ in range(len(frame)))
        for col in columns:
            self._write(name, raw, col, offsets[col.key], start, cell_values(col.kind, frame[col.name]))

    def _raw_or_create(self, name: str) -> RawTable:
        raw = self.raw(name)
        if raw is None:
            spec = _spec(name)
            raw = self.store.create(name, spec.names, [NUMBER_FORMATS[c.kind] for c in spec.columns],
                                    [c.width for c in spec.columns])
            self._raw[name] = raw
        return raw

    def write_report(self, sheet: str, report: Report) -> None:
        self.store.write_report(sheet, report)

    # ---- problems ---------------------------------------------------------------------------
    def report(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def _report_once(self, problem: Problem) -> None:
        """A bad cell is reported the first time a run reads it, not by every command that
        reads the table again."""
        key = (problem.sheet, problem.row, problem.column, problem.problem)
        if key not in self._reported:
            self._reported.add(key)
            self.problems.append(problem)

    def write_exceptions(self, entries: list[tuple[str, Problem]], run_at: dt.datetime) -> None:
        """Rebuild the Exceptions table from (command, problem) pairs of this run."""
        frame = pd.DataFrame({
            "RunAt": typed_column("datetime", [pd.Timestamp(run_at)] * len(entries)),
            "Command": typed_column("text", [c for c, _ in entries]),
            "Sheet": typed_column("text", [self.sheet_of(p.sheet) for _, p in entries]),
            "Row": typed_column("integer", [p.row for _, p in entries]),
            "Column": typed_column("text", [p.column for _, p in entries]),
            "Value": typed_column("external", ["" if p.value is None else str(p.value) for _, p in entries]),
            "Problem": typed_column("external", [p.problem for _, p in entries]),
            "Hint": typed_column("external", [p.hint for _, p in entries]),
        })
        self.replace("Exceptions", frame)
