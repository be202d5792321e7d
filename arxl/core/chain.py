"""A ledger no one can quietly change: every row of every ledger (Applications, Memos, Contacts
and any table whose role is ledger) carries who posted it (PostedBy), its place in the ledger's
chain (ChainNo: 1, 2, 3, ...) and a hash over its contents and the previous row's hash (RowHash),
as Odoo's inalterability check does.

    RowHash = SHA-256( previous row's RowHash | the table's name | its contents )

Contents are the row's non-blank contract columns, RowHash aside, each as ``Column=value`` in a
canonical form (cents for money, ISO dates, datetimes to the second, text trimmed), so a value
reads back from a cell as it was hashed, whatever the door, and a column added to the contract
later (blank on old rows) changes no hash. Columns a clerk added to a ledger are not hashed.

Checking walks the rows in sheet order. A row is
- *changed* when its contents no longer give its RowHash;
- *inserted* when it carries no chain among rows that do, or repeats a ChainNo already seen;
- *deleted* (the row after the gap is named) when ChainNo jumps and the missing numbers are
  nowhere in the sheet; *moved* when they are further down (the sheet was sorted);
- *unreadable* when arxl cannot read it (reading names the cell).
The last row is anchored in the Chains table: a ledger whose last ChainNo is below the one the
last run recorded lost rows at its end. After a break the walk goes on from the broken row, so
every break is named, the first one first.

Rows without a chain at the end of a ledger are sealed by the next run (``prepare``): a ledger
written before arxl kept a chain is chained whole and the run says so; a row a clerk typed at
the bottom of Contacts gets its chain. Rows without a chain below chained rows of a ledger arxl
writes are inserted rows, not sealed.

A broken ledger takes no new row (``seal`` refuses the step) until the row is put back, or a
clerk acknowledges the break: a ChainAcknowledgements row naming the ledger and the sheet row.
The next run records it (who, when, the break, and a fingerprint: the hash the row's present
contents give), and from then on the walk accepts that break for as long as the row keeps those
contents. A hash is no secret: someone who recomputes every later row can forge a chain; what
the chain catches is the quiet edit, insertion or deletion.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from arxl.contract import (
    CHAIN_ACKNOWLEDGEMENTS,
    CHAIN_NAMES,
    CHAINS,
    TABLES,
    AckStatus,
    ChainBreak,
    ChainStatus,
    Kind,
    Owner,
    Role,
    TableSpec,
    header_key,
)
from arxl.core.frames import table_frame
from arxl.core.ledger import CannotRun, Ledger, Outcome, Step
from arxl.core.problems import Problem, Problems

ACKS = CHAIN_ACKNOWLEDGEMENTS.name
SEPARATOR, FIELD = "\x1e", "\x1f"


def ledger_names(ledger: Ledger) -> list[str]:
    """The ledgers of the contract this workbook holds, in the contract's order."""
    return [name for name, table in TABLES.items() if table.role == Role.LEDGER and name in ledger.tables]


# ---- contents and hashes ----------------------------------------------------------------------

def _canonical(kind: Kind, values: pd.Series) -> pd.Series:
    """Each value as text in the one form a cell reads back as ("" for blank)."""
    if kind in (Kind.ID, Kind.TEXT, Kind.EXTERNAL):
        return values.astype(object).where(values.notna(), "").astype(str).str.strip()
    if kind in (Kind.MONEY, Kind.INTEGER):
        numbers = values.astype("Int64")
        return numbers.astype(str).where(numbers.notna(), "")
    if kind == Kind.DATE:
        stamps = pd.to_datetime(values)
        return stamps.dt.strftime("%Y-%m-%d").where(stamps.notna(), "").astype(object)
    if kind == Kind.DATETIME:
        stamps = pd.to_datetime(values).dt.round("s")
        return stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").where(stamps.notna(), "").astype(object)
    if kind == Kind.NUMBER:
        numbers = values.astype("float64").round(6)
        return numbers.map(lambda v: "" if np.isnan(v) else np.format_float_positional(v, trim="-"))
    # a rate: a Decimal as read, or a float a command computed; a cell holds it as a float, read
    # back to 10 decimal places (arxl.book.convert), so both are hashed as that reading
    return values.map(lambda v: "" if v is None or pd.isna(v)
                      else format(Decimal(str(round(float(v), 10))).normalize(), "f"))


def contents(table: TableSpec, frame: pd.DataFrame) -> pd.Series:
    """Each row's hashed contents: ``Column=value`` for its non-blank contract columns but
    RowHash, in the contract's order."""
    columns = []
    for col in table.columns:
        if col.name == "RowHash" or col.name not in frame:
            continue
        text = _canonical(col.kind, frame[col.name])
        columns.append([f"{col.name}={v}" if v else "" for v in text.tolist()])
    rows = [FIELD.join(v for v in values if v) for values in zip(*columns)] if columns else []
    return pd.Series(rows, index=frame.index, dtype=object)


def row_hash(table: str, previous: str, content: str) -> str:
    return hashlib.sha256(f"{previous}{SEPARATOR}{table}{SEPARATOR}{content}".encode()).hexdigest()


# ---- the state of one ledger's chain ----------------------------------------------------------

@dataclass(frozen=True)
class Break:
    """Where a ledger left its chain. ``row``: the sheet row named (for rows deleted from the
    end: the row after the last). ``fingerprint``: what an acknowledgement pins."""

    ledger: str
    row: int
    kind: ChainBreak
    chain_no: int | None
    fingerprint: str
    detail: str

    @property
    def words(self) -> str:
        return f"row {self.row}: {self.detail}"


@dataclass
class ChainState:
    """One ledger's chain as it stands. ``unsealed``: sheet rows at its end that carry no chain
    yet (all of a ledger written before the chain: ``legacy``). ``breaks``: the breaks no clerk
    acknowledged, in sheet order; ``accepted``: (break, the ChainAcknowledgements row) of the
    acknowledged ones. ``last_no``/``last_hash``: what the next sealed row follows."""

    ledger: str
    rows: int = 0
    last_no: int = 0
    last_hash: str = ""
    unsealed: list[int] = field(default_factory=list)
    legacy: bool = False
    breaks: list[Break] = field(default_factory=list)
    accepted: list[tuple[Break, int]] = field(default_factory=list)

    @property
    def status(self) -> ChainStatus:
        if self.breaks:
            return ChainStatus.BROKEN
        return ChainStatus.ACKNOWLEDGED if self.accepted else ChainStatus.INTACT


@dataclass(frozen=True)
class Acknowledgement:
    row: int  # its sheet row in ChainAcknowledgements
    ledger: str
    named_row: int | None
    fingerprint: str


def acknowledgements(frame: pd.DataFrame) -> list[Acknowledgement]:
    return [Acknowledgement(int(row), str(r["Ledger"]), None if pd.isna(r["Row"]) else int(r["Row"]),
                            str(r["Fingerprint"]))
            for row, r in frame.iterrows()]


def _accepting(acks: list[Acknowledgement], brk: Break) -> int | None:
    """The acknowledgement that accepts ``brk``: one recorded with its fingerprint, or one newly
    typed naming its ledger and row."""
    for ack in acks:
        if header_key(ack.ledger) != header_key(brk.ledger):
            continue
        if (ack.fingerprint and ack.fingerprint == brk.fingerprint) or (
                not ack.fingerprint and ack.named_row == brk.row):
            return ack.row
    return None


def check_chain(table: TableSpec, frame: pd.DataFrame, unread: Iterable[int] = (), next_row: int | None = None,
                head: tuple[int, str] | None = None, acks: list[Acknowledgement] | None = None) -> ChainState:
    """The chain of one ledger (``frame`` as read, indexed by sheet row; ``unread``: its rows
    reading left out; ``head``: the (ChainNo, RowHash) of its last row as the last run recorded
    it in Chains; ``acks``: the clerk's acknowledgements). See the module docstring."""
    name = table.name
    acks = acks or []
    state = ChainState(name)
    unread = set(unread)
    order = sorted(set(frame.index) | unread)
    state.rows = len(order)
    if frame.empty and not unread:
        _check_head(state, table, frame, next_row, head, acks)
        return state
    # each row's ChainNo (None: blank), RowHash and contents, by sheet row: read row by row below
    rows = frame.index.tolist()
    numbers: dict[int, int | None] = dict(zip(rows, (None if pd.isna(n) else int(n)
                                                     for n in frame["ChainNo"].astype("Int64").tolist())))
    stored: dict[int, str] = dict(zip(rows, frame["RowHash"].astype(str).str.strip().tolist()))
    chained = {r: numbers[r] is not None or stored[r] != "" for r in rows}
    texts: dict[int, str] = dict(zip(rows, contents(table, frame).tolist()))
    last_chained = max((i for i, r in enumerate(order) if chained.get(r, False)), default=-1)
    clerk_rows = table.appended_by == Owner.CLERK
    position_of: dict[int, list[int]] = {}
    for i, r in enumerate(order):
        if (number := numbers.get(r)) is not None:
            position_of.setdefault(number, []).append(i)

    expected, previous, seen, resync = 1, "", set(), False

    def broken(row: int, kind: ChainBreak, number: int | None, fingerprint: str, detail: str) -> None:
        brk = Break(name, row, kind, number, fingerprint, detail)
        ack = _accepting(acks, brk)
        if ack is None:
            state.breaks.append(brk)
        else:
            state.accepted.append((brk, ack))

    for i, row in enumerate(order):
        if row in unread:
            if i > last_chained and (clerk_rows or last_chained < 0):
                continue  # a row still to seal that cannot be read: reading names the cell
            broken(row, ChainBreak.UNREADABLE, None, f"unreadable:{row}",
                   "arxl cannot read the row, so its place in the chain cannot be checked")
            resync = True
            continue
        if not chained[row]:
            if i > last_chained and (clerk_rows or last_chained < 0):
                state.unsealed.append(row)
                continue
            broken(row, ChainBreak.INSERTED, None, row_hash(name, "", texts[row]),
                   "the row carries no chain among rows that do: it was added by hand")
            continue
        number = numbers[row]
        mine = stored[row]
        if resync and number is not None:
            resync = False
            expected, previous = number + 1, mine
            seen.add(number)
            continue
        computed = row_hash(name, previous, texts[row])
        kind, detail = None, ""
        if number is None or not mine:
            kind, detail = ChainBreak.CHANGED, "its ChainNo or RowHash was cleared"
        elif number != expected:
            if number > expected:
                missing = range(expected, number)
                later = any(p > i for n in missing for p in position_of.get(n, []))
                kind = ChainBreak.MOVED if later else ChainBreak.DELETED
                span = f"ChainNo {expected}" if number - expected == 1 else f"ChainNo {expected} to {number - 1}"
                detail = (f"ChainNo {number} follows {expected - 1}: the rows between are further down "
                          f"(the sheet was sorted, or rows were moved)" if later else
                          f"{span} {'is' if number - expected == 1 else 'are'} missing before it: deleted")
            elif number in seen:
                kind, detail = ChainBreak.INSERTED, f"it repeats ChainNo {number}: a copy added by hand"
            else:
                kind, detail = ChainBreak.MOVED, (f"ChainNo {number} comes after {expected - 1}: the sheet was "
                                                  f"sorted, or rows were moved")
        elif computed != mine:
            kind, detail = ChainBreak.CHANGED, (f"ChainNo {number} was changed after it was posted: its "
                                                f"contents no longer give its RowHash")
        if kind is None and number is not None:
            expected, previous = number + 1, mine
            seen.add(number)
            continue
        if kind is None:
            continue  # not reached: a row without a ChainNo is changed
        broken(row, kind, number, computed, detail)
        if kind == ChainBreak.INSERTED:
            continue  # the chain goes on past the copy
        if number is not None:
            expected = number + 1
            seen.add(number)
        previous = mine or computed
    state.last_no, state.last_hash = expected - 1, previous
    state.legacy = last_chained < 0 and bool(state.unsealed) and not clerk_rows
    _check_head(state, table, frame, next_row, head, acks)
    return state


def _check_head(state: ChainState, table: TableSpec, frame: pd.DataFrame, next_row: int | None,
                head: tuple[int, str] | None, acks: list[Acknowledgement]) -> None:
    """Rows deleted from the end (or the last row rewritten with a new hash): the ledger's last
    ChainNo and RowHash against what the last run recorded in Chains."""
    if head is None or head[0] <= 0:
        return
    recorded_no, recorded_hash = head
    row = next_row if next_row is not None else (int(frame.index.max()) + 1 if len(frame) else 2)
    brk = None
    if recorded_no > state.last_no:
        count = recorded_no - state.last_no
        brk = Break(table.name, row, ChainBreak.DELETED, None, f"tail:{recorded_no}:{recorded_hash}",
                    f"the last {count} row(s), ChainNo {state.last_no + 1} to {recorded_no}, were deleted from "
                    f"the end (the last run left ChainNo {recorded_no})")
    else:
        at = frame.index[frame["ChainNo"].astype("Int64") == recorded_no]
        if len(at) and str(frame.at[at[0], "RowHash"]).strip() != recorded_hash:
            brk = Break(table.name, int(at[0]), ChainBreak.CHANGED, recorded_no, f"head:{recorded_no}:{recorded_hash}",
                        f"ChainNo {recorded_no} does not carry the RowHash the last run recorded: the rows were "
                        f"rewritten")
    if brk is None:
        return
    ack = _accepting(acks, brk)
    if ack is None:
        state.breaks.append(brk)
    else:
        state.accepted.append((brk, ack))


def chain_state(ledger: Ledger, name: str) -> ChainState:
    """``check_chain`` of one ledger of a run, with the heads the last run recorded and the
    clerk's acknowledgements; computed once until a step changes the ledger."""
    cached = ledger.chain_cache.get(name)
    if isinstance(cached, ChainState):
        return cached
    heads = ledger.table(CHAINS.name, required=False)
    recorded = heads.loc[heads["Ledger"].map(header_key) == header_key(name)]
    head = None
    if len(recorded) and pd.notna(recorded["LastChainNo"].iloc[0]):
        head = (int(recorded["LastChainNo"].iloc[0]), str(recorded["LastRowHash"].iloc[0]))
    # a ledger the workbook does not hold yet starts empty (the step that appends to it creates it)
    state = check_chain(TABLES[name], ledger.table(name, required=False), ledger.unread.get(name, set()),
                        ledger.next_rows.get(name), head, acknowledgements(ledger.table(ACKS, required=False)))
    ledger.chain_cache[name] = state
    return state


# ---- what a run does with chains --------------------------------------------------------------

RESTORE_HINT = ("Put the row back as it was (it is in the backup, NAME.bak.xlsx, or an older copy), or, if the "
                "change is right, acknowledge it: add a row to ChainAcknowledgements with Ledger {ledger}, "
                "Row {row} and a Note saying why. Until then nothing is posted to {ledger}.")
SORT_HINT = "Sort the sheet by ChainNo again (smallest first). Until then nothing is posted to {ledger}."


def break_problem(ledger: Ledger, brk: Break) -> Problem:
    hint = SORT_HINT if brk.kind == ChainBreak.MOVED else RESTORE_HINT
    return Problem(ledger.sheet(brk.ledger), brk.row, "RowHash" if brk.kind == ChainBreak.CHANGED else "ChainNo",
                   brk.chain_no if brk.chain_no is not None else "",
                   f"{brk.kind.value.lower()}: {brk.detail}", hint.format(ledger=brk.ledger, row=brk.row))


def sealed(table: TableSpec, rows: pd.DataFrame, state: ChainState, user: str) -> pd.DataFrame:
    """``rows`` (to append after the ledger's last, or its unsealed rows) with their chain:
    PostedBy ``user`` where blank, ChainNo and RowHash following ``state``."""
    typed = table_frame(table, {c: rows[c] for c in rows.columns if table.has(c)}, index=rows.index)
    posted_by = typed["PostedBy"].where(typed["PostedBy"] != "", user)
    typed["PostedBy"] = posted_by
    numbers = list(range(state.last_no + 1, state.last_no + 1 + len(typed)))
    typed["ChainNo"] = pd.Series(numbers, index=typed.index, dtype="Int64")
    previous, hashes = state.last_hash, []
    for content in contents(table, typed).tolist():
        previous = row_hash(table.name, previous, content)
        hashes.append(previous)
    return rows.assign(PostedBy=posted_by, ChainNo=typed["ChainNo"],
                       RowHash=pd.Series(hashes, index=typed.index, dtype=object))


def refusal(ledger: Ledger, state: ChainState) -> str:
    first = state.breaks[0]
    more = f" and {len(state.breaks) - 1} more break(s)" if len(state.breaks) > 1 else ""
    return (f"The {state.ledger} ledger's chain is broken at {first.words}{more}. Nothing is posted to "
            f"{state.ledger} until the row is put back or a clerk acknowledges the break in "
            f"ChainAcknowledgements (Ledger {state.ledger}, Row {first.row}). Run Verify ledgers (arxl verify) "
            f"to see every break.")


def seal(step: Step, ledger: Ledger, user: str) -> None:
    """Give the rows ``step`` appends to ledgers their chain, or refuse the step (CannotRun) when
    a ledger it appends to is broken and no clerk acknowledged the break."""
    for name, rows in list(step.appends.items()):
        table = TABLES[name]
        if table.role != Role.LEDGER:
            continue
        state = chain_state(ledger, name)
        if state.breaks:
            raise CannotRun(refusal(ledger, state))
        step.appends[name] = sealed(table, rows.drop(columns=[c for c in CHAIN_NAMES if c in rows]), state, user)


def prepare(ledger: Ledger, user: str, now: dt.datetime) -> Step:
    """What every run does before its commands: record the clerk's new acknowledgements, seal
    the rows at the end of each ledger that carry no chain yet (a ledger from before the chain,
    the clerk's new Contacts rows), and say which ledgers are broken."""
    step = Step(Outcome(""))
    acks = ledger.table(ACKS, required=False)
    used: dict[int, Break] = {}
    for name in ledger_names(ledger):
        state = chain_state(ledger, name)
        used.update({ack: brk for brk, ack in state.accepted})
        if state.breaks:
            step.problems.append(Problem(
                ledger.sheet(name), state.breaks[0].row, "", "",
                f"the {name} ledger's chain is broken ({state.breaks[0].words}): nothing is posted to it",
                "Run Verify ledgers (arxl verify) to see every break and how to mend or acknowledge it."))
            continue
        if not state.unsealed:
            continue
        table = TABLES[name]
        frame = ledger.table(name).loc[state.unsealed]
        blank_by = table.appended_by == Owner.ARXL  # who posted a row from before the chain is not known
        chained = sealed(table, frame.assign(PostedBy="") if blank_by else frame, state, "" if blank_by else user)
        step.update(name, chained[list(CHAIN_NAMES)], fill_blank=CHAIN_NAMES)
        if state.legacy:
            step.problems.add(ledger.sheet(name), state.unsealed[0], "RowHash", "",
                              f"the {len(frame)} row(s) of {name} written before arxl kept a chain were chained "
                              f"now: from today every change to them is caught, a change made before cannot be",
                              "Nothing to do. Keep the backup this run made (NAME.bak.xlsx) with your records: "
                              "it is the ledger as it stood when its chain began.")
    if len(acks):
        step.update(ACKS, _acknowledged(acks, used, user, now))
    return step


def _acknowledged(acks: pd.DataFrame, used: dict[int, Break], user: str, now: dt.datetime) -> pd.DataFrame:
    """The [arxl] columns of ChainAcknowledgements: a recorded acknowledgement keeps what was
    recorded; a new one is recorded when it names a break, else said not to."""
    out = acks[["AcknowledgedBy", "AcknowledgedAt", "Break", "ChainNo", "Fingerprint", "Status"]].copy()
    for row in acks.index:
        if acks.at[row, "Fingerprint"]:
            continue
        brk = used.get(int(row))
        if brk is None:
            out.at[row, "Status"] = AckStatus.NOT_A_BREAK.value
            continue
        out.at[row, "AcknowledgedBy"] = acks.at[row, "AcknowledgedBy"] or user
        out.at[row, "AcknowledgedAt"] = acks.at[row, "AcknowledgedAt"] if pd.notna(
            acks.at[row, "AcknowledgedAt"]) else pd.Timestamp(now)
        out.at[row, "Break"] = brk.kind.value
        out.at[row, "ChainNo"] = brk.chain_no if brk.chain_no is not None else pd.NA
        out.at[row, "Fingerprint"] = brk.fingerprint
        out.at[row, "Status"] = AckStatus.ACCEPTED.value
    return out


def heads(ledger: Ledger, now: dt.datetime) -> pd.DataFrame:
    """The Chains table after a run: each ledger's last row as it now stands, or, for a broken
    ledger, the last row the previous run recorded (so that rows deleted from its end stay
    missing until acknowledged)."""
    previous = ledger.table(CHAINS.name, required=False)
    rows = []
    for name in ledger_names(ledger):
        state = chain_state(ledger, name)
        last_no, last_hash = state.last_no, state.last_hash
        if state.breaks:
            kept = previous.loc[previous["Ledger"].map(header_key) == header_key(name)]
            if len(kept):
                last_no = kept["LastChainNo"].iloc[0]
                last_hash = kept["LastRowHash"].iloc[0]
        first = state.breaks[0].words if state.breaks else (
            f"{state.accepted[0][0].words} (acknowledged)" if state.accepted else "")
        rows.append({"Ledger": name, "Rows": state.rows, "LastChainNo": last_no if last_no else None,
                     "LastRowHash": last_hash, "Status": state.status.value, "FirstBreak": first,
                     "CheckedAt": pd.Timestamp(now)})
    return table_frame(CHAINS, {c: [r[c] for r in rows] for c in CHAINS.names})


def verify(ledger: Ledger) -> tuple[list[ChainState], Problems]:
    """Every ledger's chain and a problem for each break no clerk acknowledged."""
    states = [chain_state(ledger, name) for name in ledger_names(ledger)]
    problems = Problems()
    for state in states:
        problems.extend(break_problem(ledger, brk) for brk in state.breaks)
    return states, problems
