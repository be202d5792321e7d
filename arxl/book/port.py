"""``Workbook``: the port between a workbook store and a run. ``load`` reads WORKBOOK.md's tables
into a ``Ledger`` of typed frames once per run; ``apply`` writes a command's ``Step`` back.

Every ground rule of the contract is enforced here, once, for every door:
- tables found by name, headers matched loosely, required columns checked;
- each cell read through ``arxl.book.convert``; a row with a bad value is reported (sheet, row,
  column, value, hint) and left out, and the run goes on with the sound rows;
- arxl writes only its own columns of input tables (and fills blank IDs), rebuilds output
  tables (keeping clerk-added columns by each row's key), and only appends to ledgers;
- every string arxl writes is a text cell, never a formula (a clerk's text carried through a
  rebuilt table included);
- money cells are read and written in the minor unit of each row's own currency, found by the
  table's currency rule (``arxl.contract.TableSpec.currency``: its own Currency cell, else the
  currency of the customer, invoice or payment it names, else Settings BaseCurrency), and text
  amounts with Settings DecimalSeparator; each currency has ISO 4217's decimals, unless Settings
  CurrencyDecimals, or the workbook's own Invoices, say its books keep it otherwise
  (``Workbook.currency_decimals``);
- in a workbook the clerk built (``arxl adopt``), the accepted lines of its ColumnMap say where
  each table is and which of the clerk's headers holds each column (``arxl.core.adopt``): the
  clerk's sheet is read through them, arxl's columns go beside it marked [arxl], and every
  problem names the clerk's own header.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from itertools import compress, repeat
from operator import itemgetter, setitem
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar, cast

import pandas as pd

from arxl.book.convert import cell_values, read_column
from arxl.book.store import AdoptableStore, BookError, RawTable, TableReader, TableStore, blank
from arxl.contract import (
    ADDRESS_COLUMNS,
    COLUMN_MAP,
    EXCEPTIONS,
    NUMBER_FORMATS,
    READ_COMMAND,
    TABLES,
    Column,
    Kind,
    Owner,
    Role,
    header_key,
    read_choice,
    spec,
)
from arxl.core.adopt import ColumnMapping, read_column_map
from arxl.core.frames import empty_frame, table_frame, typed_column
from arxl.core.ledger import Ledger, Step, check_step
from arxl.core.money import DEFAULT_MINOR_UNITS, NotAnAmount, iso_minor_units, kept_decimals, to_decimal
from arxl.core.problems import Problem, Problems
from arxl.core.settings import Settings, read_settings

# What one Excel sheet holds: rows, and characters in a cell.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767

# The tables a run reads: the clerk's and the ledgers, and the output tables whose rows a run
# carries on (Matches, Disputes and LearnedPayers hold the clerk's decisions; Chains each ledger's
# last row). The other output tables are arxl's alone and only written. Settings is read on its own.
READ_BACK = ("Matches", "LearnedPayers", "Disputes", "Chains")
LOADED = tuple(name for name, table in TABLES.items()
               if name != "Settings" and (table.role in (Role.INPUT, Role.LEDGER) or name in READ_BACK))
# A currency of fewer decimals than two (JPY) is taken to be kept to the cent when at least this
# many of its invoices, and at least half of them, show cents: an ERP that keeps yen so exports
# nearly all with cents; a clerk's slip in books of whole yen is one or two, and stays refused.
FINER_INVOICES = 3

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _in_its_currencies(method: Callable[Concatenate[Workbook, _P], _R]) -> Callable[Concatenate[Workbook, _P], _R]:
    """The method reads or writes amounts with the decimals the workbook keeps its currencies in."""
    @functools.wraps(method)
    def within(book: Workbook, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with kept_decimals(book.currency_decimals()):
            return method(book, *args, **kwargs)
    return within


def _reads_currency_of(table: str, written: str) -> bool:
    """Whether the currency of ``table``'s rows depends on table ``written``: it is that table,
    or its currency rule names a key into a table that does."""
    return table == written or any(source.table and _reads_currency_of(source.table, written)
                                   for source in spec(table).currency)


def _currency_inputs(table: str) -> set[str]:
    """The columns of ``table`` its rows' currencies, or other tables' by them, are read from:
    its ID and the columns of its currency rule."""
    contract = spec(table)
    found = {source.column for source in contract.currency}
    if contract.id_column:
        found.add(contract.id_column)
    return found


class Workbook:
    """One open master workbook, whatever holds it (a file, a live Excel Book)."""

    def __init__(self, store: TableReader, path: Path | None = None, as_of: dt.date | None = None):
        self.store = store
        self.path = Path(path) if path else None
        self._as_of = as_of
        self._settings_read: tuple[Settings, Problems] | None = None
        self._row_currencies: dict[str, list[str]] = {}  # table -> the currency of each raw row
        self._linked: dict[str, dict[str, str]] = {}  # table -> {row key: the row's currency}
        self._raw: dict[str, RawTable | None] = {}
        self._problems = Problems()
        self._reported: set[tuple[object, ...]] = set()
        self._write_problems = Problems()  # what writing a step found: text cut to fit, a clerk's note left out
        self._mapping: ColumnMapping | None = None
        self._decimals: dict[str, int] | None = None

    # ---- finding tables ---------------------------------------------------------------------
    def _table(self, name: str) -> RawTable | None:
        if name == COLUMN_MAP.name:
            return self._column_map_raw()
        if name not in self._raw:
            mapping = self.mapping
            raw = self.store.find(name)
            if raw is not None and mapping.clerks(name):
                raw.headers = mapping.translate(name, raw.headers)
            self._raw[name] = raw
        return self._raw[name]

    @property
    def mapping(self) -> ColumnMapping:
        """The accepted lines of the workbook's ColumnMap (empty for a workbook without one),
        read once, before any other table: the store looks for tables where they place them."""
        if self._mapping is None:
            raw = self._column_map_raw()
            rows = []
            if raw is not None:
                at = self._offsets(raw)
                rows = [(raw.first_row + i, {c: r[at[k]] for c, k in ((c.name, c.key) for c in COLUMN_MAP.columns)
                                             if k in at}) for i, r in enumerate(raw.rows)]
            self._mapping, problems = read_column_map(rows, raw.sheet if raw else COLUMN_MAP.name)
            self._problems.extend(problems)
            if isinstance(self.store, AdoptableStore):
                self.store.mapping = self._mapping
        return self._mapping

    def _column_map_raw(self) -> RawTable | None:
        if COLUMN_MAP.name not in self._raw:
            self._raw[COLUMN_MAP.name] = self.store.find(COLUMN_MAP.name)
        return self._raw[COLUMN_MAP.name]

    def remap(self) -> ColumnMapping:
        """Read the ColumnMap as it now stands (lines just accepted) and every other table afresh
        through it."""
        self._raw = {k: v for k, v in self._raw.items() if k == COLUMN_MAP.name}
        self._mapping = None
        self._settings_read = None
        self._written()
        if isinstance(self.store, AdoptableStore):
            self.store.forget(keep=(COLUMN_MAP.name,))
        return self.mapping

    def write_clerk_column(self, name: str, column: str, values: list[object]) -> None:
        """Write a clerk's column of an input table from its first row: only on the clerk's word
        (``arxl adopt --accept`` marks ColumnMap lines Accepted)."""
        raw = self._table(name)
        if raw is None:
            raise BookError(f"The workbook has no {name} table to write to.")
        col = spec(name).column(column)
        at = self._ensure_columns(name, raw, [col])[col.key]
        self._write(name, raw, col, at, 0, values)
        self._written(name)

    def _clerk_column(self, sheet: str, column: str) -> str:
        """The header a problem's column has in the clerk's own sheet (``sheet``: a table's name
        or its sheet)."""
        mapping = self.mapping
        if not mapping or not column:
            return column
        for table in mapping.placements:
            raw = self._raw.get(table)
            if sheet == table or (raw is not None and raw.sheet == sheet):
                return mapping.clerk_header(table, column)
        return column

    def _sheet_of(self, name: str) -> str:
        raw = self._raw.get(name)
        return raw.sheet if raw else name

    def has_table(self, name: str) -> bool:
        return self._table(name) is not None

    def sheet_of(self, name: str) -> str:
        """The sheet a table is on (its own name when there is none)."""
        raw = self._table(name)
        return raw.sheet if raw else name

    def _offsets(self, raw: RawTable) -> dict[str, int]:
        """Header key -> column offset; the first of duplicated headers wins (and is reported)."""
        offsets: dict[str, int] = {}
        for i, header in enumerate(raw.headers):
            key = header_key(header)
            if key and key not in offsets:
                offsets[key] = i
        return offsets

    # ---- loading ----------------------------------------------------------------------------
    def currency_decimals(self) -> dict[str, int]:
        """The decimals this workbook keeps currencies in where they are not ISO 4217's: as
        Settings CurrencyDecimals says; else, for a currency of fewer than two (JPY), two where
        its invoices mostly show cents (an ERP that keeps yen to the hundredth), said once in
        Exceptions. Read once; a run works within them (``arxl.core.money.kept_decimals``)."""
        if self._decimals is None:
            settings = self._settings()[0]
            kept = dict(settings.currency_decimals)
            raw = self._table("Invoices")
            if raw is not None:
                for code, found in self._finer_invoices(raw, settings.decimal_separator).items():
                    if code not in kept:
                        kept[code] = DEFAULT_MINOR_UNITS
                        self._report_once(found)
            self._decimals = kept
        return self._decimals

    def _finer_invoices(self, raw: RawTable, separator: str) -> dict[str, Problem]:
        """Currencies of fewer than two decimals whose invoices mostly show cents, each with the
        note that says so (naming its first such invoice)."""
        at = self._offsets(raw).get(header_key("Amount"))
        currencies = self._raw_currencies("Invoices", raw)
        fewer = {c: iso_minor_units(c) for c in set(currencies) if iso_minor_units(c) < DEFAULT_MINOR_UNITS}
        if at is None or not fewer:  # (most workbooks: every currency has two decimals or more)
            return {}
        counts: dict[str, list[int]] = {}  # code -> [invoices, with cents]
        first: dict[str, tuple[int, object]] = {}
        for i, currency in enumerate(currencies):
            digits = fewer.get(currency)
            cells = raw.rows[i]
            if digits is None or blank(cells[at]):
                continue
            try:
                amount = to_decimal(cells[at], separator)
            except NotAnAmount:
                continue
            seen = counts.setdefault(currency, [0, 0])
            seen[0] += 1
            scaled = amount.scaleb(digits)
            if scaled != scaled.to_integral_value() and amount.scaleb(DEFAULT_MINOR_UNITS) == \
                    amount.scaleb(DEFAULT_MINOR_UNITS).to_integral_value():
                seen[1] += 1
                first.setdefault(currency, (raw.first_row + i, cells[at]))
        found = {}
        for code, (total, cents) in counts.items():
            if cents >= FINER_INVOICES and 2 * cents >= total:
                row, value = first[code]
                found[code] = Problem(
                    raw.sheet, row, "Amount", value,
                    f"{code} amounts are read to the cent in this workbook, as {cents} of its {total} {code} "
                    f"invoices are written (ISO 4217 gives {code} {iso_minor_units(code)} decimals)",
                    f"Type CurrencyDecimals '{code} {DEFAULT_MINOR_UNITS}' in Settings to keep this (and this "
                    f"note goes); '{code} {iso_minor_units(code)}' to refuse such amounts instead.")
        return found

    @_in_its_currencies
    def load(self) -> Ledger:
        """Every table a run reads, once, as typed frames, with the settings and every problem
        reading found (see the module docstring)."""
        settings, problems = self._settings()
        self._problems.extend(problems)
        ledger = Ledger(settings=settings, decimals=self.currency_decimals())
        extras = {"Invoices": tuple(settings.match_columns), "Customers": ADDRESS_COLUMNS}
        for name in LOADED:
            raw = self._table(name)
            if raw is None:
                continue
            ledger.sheets[name] = raw.sheet
            if self.mapping.clerks(name):
                ledger.clerks.add(name)
            ledger.first_rows[name] = raw.first_row
            ledger.next_rows[name] = raw.first_row + len(raw.rows)
            table = spec(name)
            if table.id_column:
                ledger.all_ids[name] = self._all_ids(raw, table.id_column)
            try:
                frame, unread = self._read(name, raw, extras.get(name, ()), optional=name == "Customers")
            except BookError as exc:
                ledger.unusable[name] = str(exc)
                continue
            ledger.tables[name] = frame
            ledger.unread[name] = unread
        ledger.problems.extend(self._problems)
        self._problems = Problems()
        return ledger

    @_in_its_currencies
    def read(self, name: str, required: bool = True) -> pd.DataFrame:
        """One table of the contract as a typed frame, read afresh (bad rows left out): to look
        at a workbook's tables after a run. A run reads through ``load``."""
        raw = self._table(name)
        if raw is None:
            if required:
                raise BookError(f"The workbook has no {name} table.")
            return empty_frame(spec(name))
        frame, _ = self._read(name, raw, ())
        return frame

    def _settings(self) -> tuple[Settings, Problems]:
        """The workbook's settings and what reading them found, read once."""
        if self._settings_read is None:
            raw = self._table("Settings")
            rows = []
            found = Problems()
            if raw is not None:
                offsets = self._offsets(raw)
                name_at, value_at = offsets.get("setting"), offsets.get("value")
                if name_at is None or value_at is None:
                    found.add(raw.sheet, raw.first_row - 1, "Setting", "",
                              "the Settings table needs a Setting and a Value column",
                              "Name the two header cells Setting and Value.")
                else:
                    rows = [(raw.first_row + i, r[name_at], r[value_at]) for i, r in enumerate(raw.rows)]
            settings, problems = read_settings(rows, self._sheet_of("Settings"), self._as_of)
            found.extend(problems)
            self._settings_read = (settings, found)
        return self._settings_read

    # ---- the currency of each row (WORKBOOK.md, Amounts) -------------------------------------
    def _texts(self, raw: RawTable, column: str | None) -> list[str]:
        """A column of the raw table read as text ("" for blank or absent), every row."""
        at = self._offsets(raw).get(header_key(column)) if column else None
        if at is None:
            return [""] * len(raw.rows)
        values, _ = read_column(Kind.TEXT, [r[at] for r in raw.rows])
        return [v or "" for v in values]

    def _currencies(self, name: str, values: Callable[[str], Sequence[object]], n: int) -> list[str]:
        """The currency of each of ``n`` rows of table ``name`` by its currency rule, given
        ``values(column)``: that column's text for each row."""
        found = [""] * n
        for source in spec(name).currency:
            column = values(source.column)
            if source.table:
                keyed = self._keyed_currencies(source.table)
                step = [keyed.get(str(v or ""), "") for v in column]
            else:
                step = [str(v or "").strip().upper() for v in column]
            found = [f or s for f, s in zip(found, step)]
        base = self._settings()[0].base_currency
        return [f or base for f in found]

    def _keyed_currencies(self, name: str) -> dict[str, str]:
        """{ID: currency} of every row of table ``name`` (rows a run leaves out included): the
        currency a row of another table names it for."""
        if name not in self._linked:
            raw = self._table(name)
            keyed: dict[str, str] = {}
            if raw is not None:
                for key, currency in zip(self._texts(raw, spec(name).id_column), self._raw_currencies(name, raw)):
                    if key:
                        keyed.setdefault(key, currency)
            self._linked[name] = keyed
        return self._linked[name]

    def _raw_currencies(self, name: str, raw: RawTable) -> list[str]:
        """The currency of each row of the raw table ``name`` (until arxl writes to a table)."""
        if name not in self._row_currencies:
            self._row_currencies[name] = self._currencies(name, lambda c: self._texts(raw, c), len(raw.rows))
        return self._row_currencies[name]

    def _written(self, name: str | None = None, columns: Iterable[str] | None = None) -> None:
        """Table ``name`` was written (None: any table), in ``columns`` only (None: rows added or
        replaced): the currency of its rows, or the ID another row names it by, may have changed
        (a blank PaymentID numbered, payments imported), and so may those of every table whose
        currency rule reads it. Columns that are neither (a status arxl writes) change none."""
        if name is not None and columns is not None and not _currency_inputs(name) & set(columns):
            return
        for cached in (self._row_currencies, self._linked):
            for table in [t for t in cached if name is None or _reads_currency_of(t, name)]:
                del cached[table]

    def _frame_currencies(self, name: str, frame: pd.DataFrame, columns: Sequence[Column]) -> list[str] | None:
        """The currency of each row of a frame arxl writes to table ``name`` (None when none of
        the ``columns`` written holds money)."""
        if not any(c.kind == Kind.MONEY for c in columns):
            return None
        return self._currencies(name, lambda c: frame[c].tolist() if c in frame else [""] * len(frame), len(frame))

    def _all_ids(self, raw: RawTable, column: str) -> set[str]:
        at = self._offsets(raw).get(header_key(column))
        if at is None:
            return set()
        values, _ = read_column(Kind.ID, [r[at] for r in raw.rows])
        return {v for v in values if v}

    def _read(self, name: str, raw: RawTable, extra: tuple[str, ...], optional: bool = False
              ) -> tuple[pd.DataFrame, set[int]]:
        """The table as a typed frame indexed by sheet row: the contract's columns (blank where
        the workbook lacks an optional one) plus ``extra`` columns read as IDs (Settings'
        MatchColumns; with ``optional``, only those the table has). Bad rows are reported and
        left out; their sheet rows are returned too."""
        table = spec(name)
        offsets = self._offsets(raw)
        header_row = raw.first_row - 1
        for note in raw.problems:
            self._report_once(Problem(raw.sheet, header_row, "", "", note,
                                      "Unmerge the header cells and give each column its own header."))
        if raw.below is not None:
            first, last = raw.below
            where, them = (f"row {first} holds", "it") if first == last else (f"rows {first} to {last} hold", "them")
            self._report_once(Problem(raw.sheet, first, "", "", f"{where} data right below the {name} table, outside "
                                      f"it: arxl does not read {them}",
                                      f"If {them} belong to the table, extend the table over {them} (Table Design > "
                                      f"Resize Table); if not (a total, a note), leave a blank row above {them}."))
        dupes = [h for h, n in Counter(header_key(h) for h in raw.headers if h).items() if n > 1]
        for key in dupes:
            self._report_once(Problem(raw.sheet, header_row, key, key, "the same header appears twice",
                                      "Rename one of the columns; arxl reads the first."))
        missing = [c.name for c in table.columns if c.required and c.key not in offsets]
        if missing:
            raise BookError(f"{raw.sheet} (header row {header_row}) lacks the required column(s) "
                            f"{', '.join(missing)}. Add them (headers match without regard to case, "
                            f"spaces and underscores).")
        wanted: list[Column] = list(table.columns)
        for e in extra:
            if table.has(e):
                continue
            if header_key(e) not in offsets:
                if not optional:
                    self._report_once(Problem(raw.sheet, header_row, e, e,
                                              f"the column {e} named in Settings is not in {name}",
                                              "Add the column to the table or remove it from Settings."))
                continue
            wanted.append(Column(e, Kind.ID))
        n = len(raw.rows)
        blank = [all(v is None or (isinstance(v, str) and not v.strip()) for v in cells) for cells in raw.rows]
        typed: dict[str, list[object]] = {}
        found: list[tuple[int, int, Problem]] = []  # (row, column position, problem), sorted below
        bad_rows: set[int] = set()
        currencies: list[str] | None = None
        separator = self._settings()[0].decimal_separator
        # money last: each row's currency comes from the row's text columns, read by then
        for position, col in sorted(enumerate(wanted), key=lambda pc: pc[1].kind == Kind.MONEY):
            if col.kind == Kind.MONEY and currencies is None:
                currencies = self._currencies(name, lambda c: typed[c], n)
                self._row_currencies[name] = currencies
            at = offsets.get(col.key)
            cells = list(map(itemgetter(at), raw.rows)) if at is not None else [None] * n
            typed[col.name], bad = read_column(col.kind, cells, currencies, separator)
            if col.kind == Kind.MONEY and self.mapping.clerks(name):
                found.extend((i, position, self._text_amount(raw, col, i, v))
                             for i, v in enumerate(cells) if isinstance(v, str) and i not in bad and v.strip())
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
        found.extend(self._unread_choices(raw, wanted, typed, blank, bad_rows))
        for _, _, problem in sorted(found, key=lambda t: (t[0], t[1])):
            self._report_once(problem)
        unread = {raw.first_row + i for i in bad_rows}
        self._report_empty_rows(raw, blank)
        keep = [i for i in range(n) if not blank[i] and i not in bad_rows]
        every = len(keep) == n  # the common case: every row read
        index = pd.Index([raw.first_row + i for i in keep], dtype="int64", name="row")
        frame = pd.DataFrame({c.name: typed_column(c.kind, typed[c.name] if every else [typed[c.name][i] for i in keep],
                                                   index=index) for c in wanted}, index=index)
        for col in table.columns:
            if col.unique:
                frame = self._drop_duplicates(raw, frame, col.name, unread)
        return frame, unread

    @staticmethod
    def _text_amount(raw: RawTable, col: Column, i: int, value: str) -> Problem:
        """An amount typed as text in the clerk's sheet: arxl reads it, but Excel's SUM, pivots
        and charts leave it out, so the clerk's own totals and arxl's differ."""
        return Problem(raw.sheet, raw.first_row + i, col.name, value, "an amount typed as text: arxl reads it, "
                       "but Excel's SUM, pivot tables and charts leave it out",
                       "Retype it as a number (or Data > Text to Columns > Finish on the column).")

    @staticmethod
    def _unread_choices(raw: RawTable, columns: list[Column], typed: dict[str, list[object]], blank: list[bool],
                        bad_rows: set[int]) -> list[tuple[int, int, Problem]]:
        """Every word a clerk typed in a column of fixed choices (Decision, Action, Kind,
        Disputed...) is read, or reported here, once, naming the cell. The row stays: the
        rules say what an unread word does (a payment waits, a memo is not made, an invoice
        counts as disputed)."""
        found = []
        for position, col in enumerate(columns):
            if not col.choices or not col.strict:
                continue
            hint = col.prompt or f"Type one of {', '.join(col.choices)}."
            for i, value in enumerate(typed[col.name]):
                if i in bad_rows or blank[i] or read_choice(col, value) is not None:
                    continue
                found.append((i, position, Problem(raw.sheet, raw.first_row + i, col.name, value,
                                                   f"{col.name} {value!r} is not one of {', '.join(col.choices)}",
                                                   hint)))
        return found

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

    def _drop_duplicates(self, raw: RawTable, frame: pd.DataFrame, column: str, unread: set[int]) -> pd.DataFrame:
        ids = frame[column]
        dup = ids.ne("") & ids.duplicated(keep=False)
        label = self._clerk_column(raw.sheet, column)
        for row_no, value in ids[dup].items():
            others = [str(r) for r in ids.index[dup & ids.eq(value)] if r != row_no]
            self._report_once(Problem(raw.sheet, int(row_no), column, value,
                                      f"{label} {value} appears more than once (also row {', '.join(others)})",
                                      f"Give each row its own {label}; these rows are left out until then."))
            unread.add(int(row_no))
        return frame[~dup]

    def _report_once(self, problem: Problem) -> None:
        """A bad cell is reported once per run, however often its table is read (under the
        clerk's own header in a sheet of theirs)."""
        column = self._clerk_column(problem.sheet, problem.column)
        if column != problem.column:
            problem = Problem(problem.sheet, problem.row, column, problem.value, problem.problem, problem.hint)
        key = (problem.sheet, problem.row, problem.column, problem.problem)
        if key not in self._reported:
            self._reported.add(key)
            self._problems.append(problem)

    # ---- writing ----------------------------------------------------------------------------
    @property
    def _writer(self) -> TableStore:
        if not isinstance(self.store, TableStore):
            raise TypeError("this workbook was opened to be read only")
        return self.store

    @_in_its_currencies
    def apply(self, step: Step) -> None:
        """Write a command's changes: arxl's columns of input tables, rows appended to ledgers
        (and imports to input tables), rebuilt output tables and report sheets."""
        check_step(step)
        self._check_rows(step)
        self._write_problems = Problems()
        # appends first: an update may fill arxl's columns of rows the step appends (new invoices)
        for name, rows in step.appends.items():
            self._append_rows(name, rows, [spec(name).column(c) for c in rows.columns])
        for update in step.updates:
            self._update(update.table, update.frame, update.fill_blank)
        for name, frame in step.rebuilds.items():
            self._replace(name, frame)
        for sheet, report in step.reports.items():
            self._writer.write_report(self.mapping.locations.get(sheet, sheet), report)
        self._writer.step_written()
        step.problems.extend(self._write_problems)

    def _check_rows(self, step: Step) -> None:
        """Refuse a step that would grow a table past Excel's last row, before writing any of it."""
        sizes = {name: len(frame) for name, frame in step.rebuilds.items()}
        for name, rows in step.appends.items():
            raw = self._table(name)
            sizes[name] = (len(raw.rows) if raw else 0) + len(rows)
        for name, n in sizes.items():
            raw = self._table(name)
            first = raw.first_row if raw else 2
            if first + n - 1 > EXCEL_MAX_ROWS:
                raise BookError(f"{self._sheet_of(name)}: the {name} table would need {n:,} rows, ending past row "
                                f"{EXCEL_MAX_ROWS:,}, the last row of an Excel sheet. Nothing of this command was "
                                f"written. Move older rows of {name} to an archive workbook and run again.")

    def _ensure_columns(self, name: str, raw: RawTable, columns: list[Column]) -> dict[str, int]:
        offsets = self._offsets(raw)
        missing = [c for c in columns if c.key not in offsets]
        if missing:
            self._writer.add_columns(name, [self.mapping.added_header(name, c.name) for c in missing],
                                   [NUMBER_FORMATS[c.kind] for c in missing], [c.width for c in missing])
            raw.headers.extend(c.name for c in missing)
            for r in raw.rows:
                r.extend([None] * len(missing))
            offsets = self._offsets(raw)
        return offsets

    def _write(self, name: str, raw: RawTable, col: Column, at: int, start: int, values: list[object]) -> None:
        """Write ``values`` into column ``at`` from data row ``start`` (0-based) on. Text longer
        than a cell holds is cut, and each cut is a problem naming the cell."""
        texts = cast("Iterable[str]", compress(values, map(isinstance, values, repeat(str))))
        if max(map(len, texts), default=0) > EXCEL_MAX_TEXT:
            values = [self._fit(name, raw, col, raw.first_row + start + i, v) for i, v in enumerate(values)]
        self._writer.write_column(name, at, raw.first_row + start, values, NUMBER_FORMATS[col.kind],
                                as_text=col.is_text)
        assert start + len(values) <= len(raw.rows)
        deque(map(setitem, raw.rows[start:start + len(values)], repeat(at), values), maxlen=0)  # (in C)

    def _fit(self, name: str, raw: RawTable, col: Column, row: int, value: object) -> object:
        if not isinstance(value, str) or len(value) <= EXCEL_MAX_TEXT:
            return value
        self._write_problems.add(raw.sheet, row, col.name, value[:80] + "...",
                                 f"{len(value):,} characters, more than the {EXCEL_MAX_TEXT:,} an Excel cell "
                                 f"holds: the text was cut after {EXCEL_MAX_TEXT:,}",
                                 "The whole text is still in the file it came from; keep what matters in the "
                                 f"first {EXCEL_MAX_TEXT:,} characters.")
        return value[:EXCEL_MAX_TEXT]

    def _update(self, name: str, frame: pd.DataFrame, fill_blank: tuple[str, ...]) -> None:
        """arxl's columns of an input table for the rows in ``frame`` (indexed by sheet row);
        other rows keep their values; ``fill_blank`` columns only where the cell is blank."""
        table, raw = spec(name), self._table(name)
        if raw is None:
            raise BookError(f"The workbook has no {name} table to write to.")
        columns = [table.column(c) for c in frame.columns]
        offsets = self._ensure_columns(name, raw, columns)
        positions = [r - raw.first_row for r in frame.index]
        if any(p < 0 or p >= len(raw.rows) for p in positions):
            raise IndexError(f"rows outside the {name} table")
        currencies = None
        if any(c.kind == Kind.MONEY for c in columns):
            of_rows = self._raw_currencies(name, raw)
            currencies = [of_rows[p] for p in positions]
        for col in columns:
            at = offsets[col.key]
            current = list(map(itemgetter(at), raw.rows))
            new = cell_values(col.kind, frame[col.name], currencies)
            rewrites = col.owner == Owner.ARXL and table.role == Role.INPUT  # a ledger's cells are only filled in
            for p, v in zip(positions, new):
                if rewrites or current[p] is None or str(current[p]).strip() == "":
                    current[p] = v
            self._write(name, raw, col, at, 0, current)
        self._written(name, frame.columns)

    def _replace(self, name: str, frame: pd.DataFrame) -> None:
        """Rebuild an output table with ``frame``'s rows. Columns a clerk added keep their
        values, following each row's key; the contract's columns are arxl's."""
        table = spec(name)
        raw = self._raw_or_create(name)
        offsets = self._ensure_columns(name, raw, list(table.columns))
        ours = {offsets[c.key] for c in table.columns}
        clerks = [at for at in range(len(raw.headers)) if at not in ours]  # columns a clerk added
        key_at = [offsets[header_key(k)] for k in table.key] if clerks else []
        old = {tuple(str(r[a] or "") for a in key_at): r for r in raw.rows} if key_at else {}
        new_keys = [tuple(str(v or "") for v in vals) for vals in zip(
            *[cell_values(table.column(k).kind, frame[k]) for k in table.key])] if key_at and len(frame) else []
        if old:
            self._report_left_out(name, raw, key_at, clerks, set(new_keys))
        currencies = self._frame_currencies(name, frame, table.columns)
        self._writer.resize(name, len(frame))
        raw.rows = [[None] * len(raw.headers) for _ in range(len(frame))]
        for col in table.columns:
            self._write(name, raw, col, offsets[col.key], 0, cell_values(col.kind, frame[col.name], currencies))
        for at in clerks:
            carried = [old.get(k, [None] * (at + 1))[at] for k in new_keys] if new_keys else [None] * len(frame)
            self._carry(name, at, raw.first_row, carried)
            for i, v in enumerate(carried):
                raw.rows[i][at] = v
        self._written(name)

    def _report_left_out(self, name: str, raw: RawTable, key_at: list[int], clerks: list[int],
                         kept: set[tuple[str, ...]]) -> None:
        """What a clerk typed in a column of their own, on a row the rebuild leaves out (its key
        is gone: a customer off the worklist, an invoice paid), is named with its text rather
        than lost without a word."""
        for i, cells in enumerate(raw.rows):
            key = tuple(str(cells[a] or "") for a in key_at)
            if key in kept:
                continue
            for at in clerks:
                if not blank(cells[at]):
                    self._write_problems.add(raw.sheet, raw.first_row + i, raw.headers[at], cells[at],
                                             f"{' '.join(k for k in key if k)} is no longer in {name}: what was "
                                             f"typed in {raw.headers[at]} is not carried to another row",
                                             f"Keep what must outlive a {name} row elsewhere (Contacts, a sheet "
                                             "of your own); this row of Exceptions keeps the text.")

    def _carry(self, name: str, at: int, first_row: int, values: list[object]) -> None:
        """Write a clerk's column as it was: its text as text cells (never a formula), its other
        values (numbers, dates) as they were. Runs of text and of other values are written
        apart, since a store sets text-ness per write."""
        start = 0
        for i in range(1, len(values) + 1):
            if i == len(values) or isinstance(values[i], str) != isinstance(values[start], str):
                run = values[start:i]
                self._writer.write_column(name, at, first_row + start, run, None, as_text=isinstance(run[0], str))
                start = i

    def _append_rows(self, name: str, frame: pd.DataFrame, columns: list[Column]) -> None:
        if frame.empty:
            return
        raw = self._raw_or_create(name)
        offsets = self._ensure_columns(name, raw, columns)
        currencies = self._frame_currencies(name, frame, columns)
        start = len(raw.rows)
        self._writer.resize(name, start + len(frame))
        raw.rows.extend([None] * len(raw.headers) for _ in range(len(frame)))
        for col in columns:
            self._write(name, raw, col, offsets[col.key], start, cell_values(col.kind, frame[col.name], currencies))
        self._written(name)

    def _raw_or_create(self, name: str) -> RawTable:
        raw = self._table(name)
        if raw is None:
            table = spec(name)
            raw = self._writer.create(name, table.names, [NUMBER_FORMATS[c.kind] for c in table.columns],
                                    [c.width for c in table.columns])
            self._raw[name] = raw
        return raw

    def fill_new(self, name: str, rows: list[dict[str, object]]) -> None:
        """A new table of the contract, with ``rows`` typed in (cell values) if any: what
        ``arxl new`` and the demo write."""
        table = spec(name)
        raw = self._raw_or_create(name)
        if not rows:
            return
        self._writer.resize(name, len(rows))
        raw.rows = [[None] * len(raw.headers) for _ in rows]
        for offset, col in enumerate(table.columns):
            self._write(name, raw, col, offset, 0, [r.get(col.name) for r in rows])
        self._written(name)

    # ---- Exceptions -------------------------------------------------------------------------
    def write_exceptions(self, entries: list[tuple[str, Problem]], commands: list[str], run_at: dt.datetime,
                         sheets: dict[str, str]) -> int:
        """Rebuild the Exceptions table: the (command, problem) pairs of this run, after the rows
        of earlier runs by commands that did not run now (each command replaces only its own
        rows; reading the workbook is part of every run). Returns the rows kept from before."""
        kept = self._earlier_exceptions({*commands, READ_COMMAND})
        frame = table_frame(EXCEPTIONS, {
            "RunAt": [pd.Timestamp(run_at)] * len(entries),
            "Command": [c for c, _ in entries],
            "Sheet": [sheets.get(p.sheet, p.sheet) for _, p in entries],
            "Row": [p.row for _, p in entries],
            "Column": [self._clerk_column(p.sheet, p.column) for _, p in entries],
            "Value": ["" if p.value is None else str(p.value) for _, p in entries],
            "Problem": [p.problem for _, p in entries],
            "Hint": [p.hint for _, p in entries],
        })
        self._replace("Exceptions", pd.concat([kept, frame], ignore_index=True) if len(kept) else frame)
        self._write_problems = Problems()  # a Value cut to fit is a copy of a cell already named above
        return len(kept)

    def _earlier_exceptions(self, replaced: set[str]) -> pd.DataFrame:
        raw = self._table("Exceptions")
        if raw is None or not raw.rows:
            return empty_frame(EXCEPTIONS)
        try:
            frame, _ = self._read("Exceptions", raw, ())
        except BookError:
            return empty_frame(EXCEPTIONS)
        self._problems = Problems()  # a damaged old row is simply not kept
        return frame.loc[~frame["Command"].isin(replaced)].reset_index(drop=True)
