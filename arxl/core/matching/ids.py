"""Finding the workbook's own reference numbers in remittance text, however they are spelled.

The grammar is learned from the references themselves (InvoiceID, PONumber, MatchColumns).
Each reference splits into parts: runs of letters or of digits ("INV-2024-00123" -> INV | 2024 |
00123). References with the same sequence of part kinds share a shape; within a shape, a
position whose values hardly vary (a prefix, a year) is *fixed*, one that varies is
*distinctive*; a year run into a zero-padded number ("A26001490", "2026001490") counts as a part
of its own. Every reference is then indexed under:
- its full key (all parts, separators and case ignored, O near digits read as 0): exact;
- its spellings without the leading fixed parts ("2024-00123", "00123"), its distinctive core
  without leading zeros ("123"), and its letter prefix with that core ("INV00123", "INV123"):
  partial keys, which several references may share (the same number in two years).
Text is read part by part, the longest run of parts that spells a key winning; a run may join
the pieces of one number ("313029 4325"), and letters run into a prefix ("RCPTF26010487") are
read as that prefix. Runs of parts holding a number that spells nothing are tried with one
keying error undone (a digit replaced, inserted, doubled, dropped, or two swapped); a payer's
own open items are searched for readings two keying errors away (``near``), and for numbers cut
short, a few digits lost at either end (``cut_short``: "51158368" for 2051158368). A reading may
overlap another (a partial key inside a number keyed wrong): the payment's candidate
explanations decide. What no reading explains but looks like ours is an *unknown* reference: a
number that is not open (paid, or never billed).
Ranges ("100234-100236", "100234 TO 36") expand to every reference in between.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, KeysView, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from arxl.core.matching.similarity import osa_distances
from arxl.core.matching.text import Part, Remittance, o_as_zero, without_accents

EXACT, PARTIAL, FUZZY, TWO_EDITS, RANGE = "exact", "partial", "keying error", "two keying errors", "range"
CUT = "cut short"  # a number with a few digits lost at one end: weighed as a keying error, by its neighbours
# A number cut short keeps at least this many digits, and lost at most CUT_MOST (and under half)
CUT_KEPT, CUT_MOST = 6, 4
_MAX_RANGE = 50  # a range wider than this is more likely two unrelated numbers
_RANGE_WORDS = {"TO", "THRU", "THROUGH"}
_PART = re.compile(r"[A-Z]+|\d+")
_MASK = str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "9" * 10 + "A" * 26)


def _edits(digits: str, wanted: set[int]) -> set[str]:
    """Every string one keying error away from a run of digits: a digit replaced, inserted (a
    doubled digit is one), dropped, or two neighbours swapped; of the lengths ``wanted`` only."""
    n = len(digits)
    out: set[str] = set()
    if n - 1 in wanted:
        out.update(digits[:i] + digits[i + 1:] for i in range(n))
    if n in wanted:
        for i in range(n):
            head, tail = digits[:i], digits[i + 1:]
            out.update(head + d + tail for d in "0123456789" if d != digits[i])
            if i + 1 < n and digits[i] != digits[i + 1]:
                out.add(head + digits[i + 1] + digits[i] + digits[i + 2:])
    if n + 1 in wanted:
        out.update(digits[:i] + d + digits[i:] for i in range(n + 1) for d in "0123456789")
    out.discard(digits)
    return out


@dataclass(frozen=True)
class Mention:
    """A reference found in the text: the positions (into the index's references) it may name."""

    positions: tuple[int, ...]
    how: str  # EXACT, PARTIAL, FUZZY or RANGE
    written: str  # as the text spells it
    start: int
    end: int
    column: str  # the Invoices column it was found in (InvoiceID, PONumber, ...)
    quoted: int | None = None  # an amount the text gives for it (EDI, "id amount" pairs)
    quoted_discount: int | None = None  # the discount an EDI segment says was taken
    quoted_deduction: int | None = None  # what an EDI segment says was deducted besides
    deduction_reason: str = ""  # the reason codes the EDI segment gives for it
    neighbours: int = 1  # read with keying errors: how many references lie that near what is written


def _parts(values: Sequence[str]) -> tuple[list[list[str]], list[str]]:
    """Each reference's parts, read as ``fix_ocr`` reads text (plain loops: faster than
    pandas string methods on 100,000 short strings), in the letters remittances are read in
    (``without_accents``: СФ-00123 is SF-00123, not 00123 alone), and the text they were read from."""
    read = [o_as_zero(without_accents(str(v)).upper()) for v in values]
    return [_PART.findall(v) for v in read], read


class _Shared:
    """Keys naming several positions: ``get(key)`` gives them in the order first given (one
    array for all, cut where each key's run begins, rather than a list per key)."""

    def __init__(self, keys: list[str], positions: list[int], starts: list[int]):
        self._row = dict(zip(keys, range(len(keys))))
        self._positions = positions
        self._starts = starts  # key k's positions: positions[starts[k]:starts[k + 1]]

    def __len__(self) -> int:
        return len(self._row)

    def keys(self) -> KeysView[str]:
        return self._row.keys()

    def get(self, key: str) -> tuple[int, ...] | None:
        k = self._row.get(key)
        return None if k is None else tuple(self._positions[self._starts[k]:self._starts[k + 1]])


def _by_key(keys: list[str], positions: list[int]) -> tuple[dict[str, int], _Shared]:
    """Keys naming one position ({key: position}) and keys naming several (``_Shared``); a key
    given twice with the same position counts once."""
    if not keys:
        return {}, _Shared([], [], [0])
    codes, uniques = pd.factorize(np.array(keys, dtype=object))
    where = np.asarray(positions, dtype=np.int64)
    fresh = ~pd.Series(codes * (int(where.max()) + 1) + where).duplicated().to_numpy()
    codes, where = codes[fresh], where[fresh]
    single = np.bincount(codes)[codes] == 1
    one = dict(zip(uniques[codes[single]].tolist(), where[single].tolist()))
    codes, where = codes[~single], where[~single]
    order = np.argsort(codes, kind="stable")
    codes, where = codes[order], where[order]
    starts = np.flatnonzero(np.diff(codes, prepend=-1, append=-1))  # where each key's run begins, and the end
    return one, _Shared(uniques[codes[starts[:-1]]].tolist(), where.tolist(), starts.tolist())


def _joined(table: list[list[str]], columns: Iterable[int]) -> list[str]:
    """The given part columns of each reference, run together."""
    columns = list(columns)
    if len(columns) == 1:
        return table[columns[0]]
    return ["".join(values) for values in zip(*(table[c] for c in columns))]


def _is_year(text: str) -> bool:
    return (len(text) == 2 and 15 <= int(text) <= 40) or (len(text) == 4 and 2015 <= int(text) <= 2040)


def _year_run_in(shape: str, table: list[list[str]]) -> tuple[str, list[list[str]]]:
    """The shape and part columns with a year run into a zero-padded number ("26001490" of
    A26001490, "2026001490") split off as a part of its own, as if written A26-001490: the
    number is then read by itself and without its zeros ("1490"), as payers write it. A run of
    digits is split so where all of them are as long, begin with at most three years (of two or
    four digits) and go on with a zero nine times in ten."""
    for i, kind in enumerate(shape):
        values = table[i]
        for k in (4, 2):
            # (the first value tells most columns apart at once)
            if kind != "D" or len(values[0]) - k < 3 or not _is_year(values[0][:k]) \
                    or len({len(v) for v in values}) != 1:
                continue
            years = {v[:k] for v in values}
            if len(years) <= 3 and all(_is_year(y) for y in years) \
                    and sum(v[k] == "0" for v in values) >= 0.9 * len(values):
                split = [[v[:k] for v in values], [v[k:] for v in values]]
                return shape[:i] + "DD" + shape[i + 1:], table[:i] + split + table[i + 1:]
    return shape, table


def _tight(part: Part) -> bool:
    """Close enough to the part before it to belong to the same reference."""
    return len(part.sep) <= 3 and "," not in part.sep and ";" not in part.sep


def _in_a_code(parts: Sequence[Part], i: int, fixed: set[str]) -> bool:
    """Part i is a number run into letters as codes are ("TXN 2d4hrg5t", "111vr8bbj42",
    "m3nxccp", "6cyeelkygo": a transaction's key): a digit or two touching letters, or a short
    number in a word of two numbers or more, none of them long; not a number of ours by itself.
    A word holding a fixed part of ours ("INV5", "F26-01526") is no code, nor is a piece of a
    number written in pieces ("RCPT74 - 3693199", "F265054 58X")."""
    part = parts[i]
    if not part.digits or (i + 1 < len(parts) and parts[i + 1].digits and _tight(parts[i + 1])) or (
            i and parts[i - 1].digits and _tight(part)):
        return False
    first = i
    while first > 0 and not parts[first].sep:
        first -= 1
    last = i
    while last + 1 < len(parts) and not parts[last + 1].sep:
        last += 1
    word = parts[first:last + 1]
    if len(word) == 1 or any(p.text in fixed for p in word):
        return False
    numbers = [p.text for p in word if p.digits]
    return len(part.text) <= 2 or (len(numbers) >= 2 and all(len(n) <= 4 for n in numbers))


def _list_numbers(parts: Sequence[Part]) -> set[int]:
    """The parts numbering the items of a list ("item 1: 3784146133 / item 2: 9411608791", "#1
    ... #2 ...", "pos 0: ... pos 1: ..."): numbers of a digit or two counting up from 0 or 1 in the
    text's order, each right before a longer number; not numbers of ours."""
    short = [i for i in range(len(parts) - 1) if parts[i].digits and len(parts[i].text) <= 2
             and parts[i + 1].digits and len(parts[i + 1].text) > 2]
    values = [int(parts[i].text) for i in short]
    if len(values) >= 2 and values[0] in (0, 1) and values == list(range(values[0], values[0] + len(values))):
        return set(short)
    return set()


def _year_after(part: Part, before: Part) -> bool:
    """A year written after a number with a slash, as invoice numbers are in much of Europe
    ("F26-007814/2026", "7814/2026", a billing number "131011687/2026"): not another reference of
    ours with its zeros dropped. (Not after a number that may be a year itself: "1987/2001" may
    be two invoices.)"""
    return part.sep == "/" and part.text.startswith("20") and _looks_like_year(part.text) \
        and before.digits and not _looks_like_year(before.text)


def _looks_like_year(text: str) -> bool:
    return len(text) == 4 and text.isdigit() and text[:2] in ("19", "20")


class ReferenceIndex:
    """One Invoices column's references (e.g. InvoiceID), with their learned spellings."""

    def __init__(self, column: str, references: Sequence[str]):
        self.column = column
        self.references = list(references)
        parts, read = _parts(self.references)
        self.max_parts = max(1, max(map(len, parts), default=0))
        # each reference's shape (its parts' kinds), worked out once per spelling with every
        # letter an A and every digit a 9 ("INV-2024-00123": "AAA-9999-99999")
        shape_of: dict[str, str] = {}
        by_shape: dict[str, list[int]] = {}
        for pos, masked in enumerate(v.translate(_MASK) for v in read):
            shape = shape_of.get(masked)
            if shape is None:
                shape = shape_of[masked] = "".join(["D" if x[0].isdigit() else "L" for x in _PART.findall(masked)])
            if shape:
                by_shape.setdefault(shape, []).append(pos)
        self.fixed_values: set[str] = set()  # prefixes and years: parts that hardly vary
        self.fiscal_years: set[str] = set()  # two years run together ("2627" of INV/26-27/04512)
        self.full_keys = [""] * len(self.references)  # each reference's key, and its distinctive core
        self.cores = [""] * len(self.references)
        # every reference's full key, and its partial keys (key list by key list), in one order
        full_keys: list[str] = []
        full_positions: list[int] = []
        partial_keys: list[np.ndarray] = []
        partial_positions: list[np.ndarray] = []
        digit_cores: dict[int, list[str]] = {}  # by length
        stripped_lengths: set[int] = set()  # of the numeric cores, written without their leading zeros
        self.digit_lengths = {0} if len(self.references) > sum(map(len, by_shape.values())) else set()
        for shape in sorted(by_shape):
            rows = by_shape[shape]
            table = [list(column) for column in zip(*(parts[pos] for pos in rows))]
            shape, table = _year_run_in(shape, table)
            varied = [len(set(values)) >= max(2, 0.2 * len(rows)) for values in table]
            if not any(varied):
                varied[-1] = True
            distinctive = [i for i, v in enumerate(varied) if v]
            first = distinctive[0]
            for i, v in enumerate(varied):
                if not v:
                    self.fixed_values.update(table[i])
            years = [i for i in range(first) if shape[i] == "D"]
            if len(years) == 2 and years[1] == years[0] + 1:  # the two years of a fiscal year, as written
                self.fiscal_years.update(_joined(table, years))
            full = _joined(table, range(len(shape)))
            core = _joined(table, distinctive)
            stripped = [c.lstrip("0") or "0" for c in core]
            keys = [_joined(table, range(i, len(shape))) for i in range(1, first + 1)]
            keys += [core, stripped]
            if "D" in shape[:first] and distinctive == [len(shape) - 1] and stripped != core:
                # the whole reference with its number written without its zeros (INV/26-27/4512;
                # with a letter prefix alone, that is the prefix and core key above)
                keys.append([a + b for a, b in zip(_joined(table, range(first)), stripped)])
            letters_before = [i for i in range(first) if shape[i] == "L"]
            if letters_before:
                prefix = _joined(table, letters_before)
                keys += [[a + b for a, b in zip(prefix, core)], [a + b for a, b in zip(prefix, stripped)]]
            fulls, at = np.array(full, dtype=object), np.array(rows, dtype=np.int64)
            done: list[list[str]] = []
            for key in keys:
                if any(key is seen for seen in done):  # the same keys again (a core that is all the rest)
                    continue
                done.append(key)
                keyed = np.array(key, dtype=object)
                usable = (np.fromiter(map(len, key), dtype=np.int64, count=len(key)) >= 3) & (keyed != fulls)
                partial_keys.append(keyed[usable])
                partial_positions.append(at[usable])
            for pos, f, c in zip(rows, full, core):
                self.full_keys[pos] = f
                self.cores[pos] = c
            full_keys += full
            full_positions += rows
            for c in core:
                if c.isdigit():
                    digit_cores.setdefault(len(c), []).append(c)
                    stripped_lengths.add(len(c.lstrip("0")))
            numbers = [j for j, kind in enumerate(shape) if kind == "D"]
            self.digit_lengths.update(map(len, _joined(table, numbers)) if numbers else (0,))
        # a PO number may be quoted on several invoices
        self.exact, self._exact_many = _by_key(full_keys, full_positions)
        # most partial keys name one reference
        self._partial_one, self.partial = _by_key(np.concatenate(partial_keys).tolist() if partial_keys else [],
                                                  np.concatenate(partial_positions).tolist() if partial_keys else [])
        # Numbers shaped like our cores: their lengths, and the span of values each length takes
        # (with room for references issued after the newest one here).
        self.core_spans = {}
        for length in sorted(digit_cores):
            values = list(map(int, digit_cores[length]))
            low, high = min(values), max(values)
            room = max(10, (high - low) // 10)
            self.core_spans[length] = (low - room, high + room)
        # How many digits our keys (above) and their cores have, also without their leading zeros
        # as payers often write them (a run about as long may be one of them keyed wrong: 1384043
        # for 000138043), and the letter prefixes that may be run into a word before them.
        self.digit_lengths |= set(self.core_spans) | stripped_lengths
        self.letter_prefixes = {v for v in self.fixed_values if v.isalpha()}
        self.longest_prefix = max((len(v) for v in self.letter_prefixes), default=0)
        # the lengths of the keys a keying error may be undone into (one_edit)
        self.key_lengths = set(map(len, self.exact)) | set(map(len, self._partial_one))

    def __len__(self) -> int:
        return len(self.references)

    def ends_in_head_of_one(self, rem: Remittance) -> bool:
        """The text stops in the middle of what looks like one of these references (", 1004",
        ", INV-20", ", INV"): it was cut off mid-word."""
        if not rem.parts or rem.parts[-1].end != len(rem.text):
            return False
        last = rem.parts[-1].text
        if not last[0].isdigit():
            return any(v.isalpha() and v.startswith(last) for v in self.fixed_values)
        return (bool(self.core_spans) and len(last) < max(self.core_spans)) or any(
            v.isdigit() and len(v) > len(last) and v.startswith(last) for v in self.fixed_values)

    # ---- lookups ----------------------------------------------------------------------------
    def lookup(self, key: str) -> tuple[tuple[int, ...], str] | None:
        if (pos := self.exact.get(key)) is not None:
            return (pos,), EXACT
        if (found := self._exact_many.get(key)) is not None:
            return found, EXACT
        if (partial := self._partial(key)) is not None:
            return partial, PARTIAL
        if key.isdigit() and key.startswith("0"):
            stripped = key.lstrip("0")
            if (partial := self._partial(stripped)) is not None:
                return partial, PARTIAL
            if (pos := self.exact.get(stripped)) is not None:
                return (pos,), PARTIAL
        return None

    def _partial(self, key: str) -> tuple[int, ...] | None:
        if (pos := self._partial_one.get(key)) is not None:
            return (pos,)
        return self.partial.get(key)

    def looks_like_ours(self, digits: str) -> bool:
        """A run of digits shaped like our references' numeric cores: as many digits, or (leading
        zeros dropped) a value in their range; a year or other fixed part run into it is
        ignored ("202606250" for INV-2026-06250). Where our cores are numbered in sequence with
        leading zeros (F26-004309), as many digits far beyond their range (a receipt number,
        186132) is not ours: no invoice of ours was numbered so, paid or not."""
        for fixed in self.fixed_values:
            if fixed.isdigit() and digits.startswith(fixed) and len(digits) - len(fixed) in self.core_spans:
                return True
        value = int(digits)
        span = self.core_spans.get(len(digits))
        if span is not None and (span[1] >= 10 ** (len(digits) - 1) or span[0] <= value <= span[1]):
            return True
        return len(digits.lstrip("0")) >= 3 and any(
            low <= value <= high and len(digits) <= length for length, (low, high) in self.core_spans.items())

    def one_edit(self, written: str) -> tuple[int, ...]:
        """References one keying error away from ``written`` in one of its runs of digits: a
        digit replaced, inserted (or doubled), dropped, or two neighbours swapped (by their full
        key, or a partial key)."""
        # (runs of digits split by a space or dash are one number: "260111 - 36" keyed wrong in
        # its last two digits is a keying error of 26011136 as much as of 260111)
        parts: list[str] = []
        for is_digits, group in itertools.groupby(_PART.findall(written.upper()), key=str.isdigit):
            run = list(group)
            parts += ["".join(run)] if is_digits else run
        found: set[int] = set()
        exact, one, shared = self.exact, self._partial_one, self.partial
        for k, digits in enumerate(parts):
            if not digits.isdigit() or len(digits) < 3:
                continue
            head, tail = "".join(parts[:k]), "".join(parts[k + 1:])
            # only edits as long as some key can be looked up
            around = len(head) + len(tail)
            lengths = {n for n in (len(digits) - 1, len(digits), len(digits) + 1) if n + around in self.key_lengths}
            # a full key first, else a partial key naming one reference (set operations: the
            # hundred-odd edits of a number are looked up in C rather than one by one)
            keys = _edits(digits, lengths)
            if head or tail:
                keys = {head + v + tail for v in keys}
            full = exact.keys() & keys
            found.update(exact[key] for key in full)
            rest = keys - full if full else keys
            found.update(one[key] for key in one.keys() & rest)
            # and a key several references share (a number used again each month or year)
            for key in shared.keys() & rest:
                found.update(shared.get(key) or ())
        return tuple(sorted(found))

    def near(self, written: str, positions: Sequence[int], most: int = 2) -> list[tuple[int, int]]:
        """Of the references at ``positions`` (a customer's open items), those at most ``most``
        keying errors from ``written`` (its whole key, or its digits against their distinctive
        core), with how many: [(position, edits)], nearest first."""
        if not len(positions):
            return []
        key = "".join(_PART.findall(written.upper()))
        digits = "".join(ch for ch in key if ch.isdigit())
        edits = osa_distances([key], [self.full_keys[p] for p in positions], most + 1)[0]
        if len(digits) >= 4:
            cores = [self.cores[p] or self.full_keys[p] for p in positions]
            edits = np.minimum(edits, osa_distances([digits], cores, most + 1)[0])
        return sorted(((int(positions[int(k)]), int(edits[k])) for k in np.nonzero(edits <= most)[0]),
                      key=lambda x: x[1])

    def cut_short(self, written: str, positions: Sequence[int]) -> list[tuple[int, int]]:
        """Of the references at ``positions`` (a customer's open items), those whose digits begin
        or end with the digits ``written`` has, a few more lost at the other end (a field too
        short, a digit or two not copied: CUT_KEPT, CUT_MOST), each with how many of them do:
        [(position, how many)]."""
        digits = "".join(ch for ch in written if ch.isdigit())
        if len(digits) < CUT_KEPT or not digits.strip("0"):
            return []
        found = []
        for p in positions:
            whole = "".join(ch for ch in self.full_keys[p] if ch.isdigit())
            lost = len(whole) - len(digits)
            if 0 < lost <= CUT_MOST and 2 * lost < len(whole) and (whole.startswith(digits) or whole.endswith(digits)):
                found.append(int(p))
        return [(p, len(found)) for p in found]

    # ---- reading text -----------------------------------------------------------------------
    def find(self, rem: Remittance) -> tuple[list[Mention], list[Part]]:
        """Mentions of this column's references in the remittance, and unknown references
        (numbers shaped like ours that no reading explains): ``read_exactly`` then
        ``read_loosely``."""
        mentions, covered = self.read_exactly(rem)
        loose, unknown = self.read_loosely(rem, covered)
        return mentions + loose, unknown

    def read_exactly(self, rem: Remittance) -> tuple[list[Mention], list[int]]:
        """Runs of parts spelling a key, the longest winning (and ranges); with how each part
        is covered (2: read exactly, 1: read otherwise, 0: not read)."""
        parts = rem.parts
        n = len(parts)
        mentions: list[Mention] = []
        covered = [0] * n
        year = ("", -1)  # a year's parts read before part i ("2526" of INV/25-26/...), and that i
        counting = _list_numbers(parts)
        i = 0
        while i < n:
            if i and _year_after(parts[i], parts[i - 1]):
                covered[i] = 1  # read as the year the number before it was given in
                i += 1
                continue
            if i in counting or _in_a_code(parts, i, self.fixed_values):
                covered[i] = 1  # read as an item's number in a list, or as a piece of a code
                i += 1
                continue
            hit = self._widest(parts, i)
            if hit is None:
                if self._fixed_run(parts[i:i + 2]) and parts[i].digits and _tight(parts[i + 1]):
                    covered[i] = covered[i + 1] = 1  # read as a year's parts ("26-27" of INV/26-27/04512)
                    year = (parts[i].text + parts[i + 1].text, i + 2)
                    i += 2
                    continue
                i += 1
                continue
            width, start, (positions, how) = hit
            if year[1] == i and how == PARTIAL and _tight(parts[i]) and year[0] in self.fiscal_years:
                # the number after a fiscal year of ours is of that year: "INV/25-26/0878" is not
                # 26-27's 00878 (but 25-26's 06878 written with a keying error, which the loose
                # reading finds); after years written wrong ("27-26") it is read as before
                positions = tuple(p for p in positions if year[0] in self.full_keys[p])
                if not positions:
                    i += 1
                    continue
            if width == 1 and parts[i].digits and parts[i].text in self.fixed_values and i + 1 < n \
                    and parts[i + 1].digits and _tight(parts[i + 1]):
                covered[i] = 1  # the fixed head of a number written wrong ("2604-09412" for 2604-0912)
                i += 1
                continue
            last = parts[i + width - 1]
            mentions.append(Mention(positions, how, rem.text[start:last.end], start, last.end, self.column))
            for k in range(i, i + width):
                covered[k] = 2 if how == EXACT else 1
            i += width
            after = self._range(rem, i, mentions, parts[i - width:i])
            for k in range(i, after):
                covered[k] = 1
            i = after
        return mentions, covered

    def read_loosely(self, rem: Remittance, covered: list[int]) -> tuple[list[Mention], list[Part]]:
        """After the exact readings (of every column: ``covered``), every run of parts that
        crosses no exact reading, holds a number no reading explains and has about as many
        digits as our keys, read with one keying error undone (pieces joined: "313029 4325").
        Such a reading may overlap a partial one: both are kept, and the payment's candidate
        explanations decide. Then the numbers shaped like ours that nothing reads."""
        parts = rem.parts
        covered = list(covered)
        mentions = []
        for start, stop, positions in self._keyed_wrong(parts, covered):
            mentions.append(Mention(positions, FUZZY, rem.text[start:stop], start, stop, self.column,
                                    neighbours=len(positions)))
            for k, p in enumerate(parts):
                if start <= p.start < stop and not covered[k]:
                    covered[k] = 1
        unknown = [p for k, p in enumerate(parts) if p.digits and not covered[k] and self.looks_like_ours(p.text)
                   and not (rem.cut and k == len(parts) - 1)]
        return mentions, unknown

    def _heads(self, part: Part) -> list[tuple[str, int]]:
        """How a run's first part may begin a reference: as written, or (letters run into a
        prefix: "RCPTF" before "26010487") as the prefix it ends with; with where that begins."""
        out = [(part.text, part.start)]
        if not part.digits:
            text = part.text
            for k in range(max(1, len(text) - self.longest_prefix), len(text)):
                if text[k:] in self.letter_prefixes:
                    out.append((text[k:], part.start + k))
        return out

    def _fixed_run(self, parts: Sequence[Part]) -> bool:
        """Two or more parts, each a fixed part of our references (a prefix and the years of a
        fiscal year, "INV/26-27" of INV/26-27/04512): never a reference by themselves, whatever
        core they happen to spell."""
        return len(parts) > 1 and all(p.text in self.fixed_values for p in parts)

    def _widest(self, parts: Sequence[Part], i: int) -> tuple[int, int, tuple[tuple[int, ...], str]] | None:
        """The widest run of parts from i that spells a key: (width, where it begins, lookup).
        A run may be two parts wider than our keys: pieces of one number ("313029 4325")."""
        # only runs whose parts after the first all stay close to the one before (``_tight``)
        reach = 1
        while reach < min(self.max_parts + 2, len(parts) - i) and _tight(parts[i + reach]):
            reach += 1
        heads = self._heads(parts[i])
        fixed_head = parts[i].text in self.fixed_values
        for width in range(reach, 0, -1):
            if width > 1 and fixed_head and self._fixed_run(parts[i:i + width]):
                continue  # the fixed parts of a number (a fiscal year "26-27"), never a number by themselves
            rest = "".join([p.text for p in parts[i + 1:i + width]])
            for head, start in heads:
                found = self.lookup(head + rest)
                if found:
                    return width, start, found
        return None

    def _keyed_wrong(self, parts: Sequence[Part], covered: list[int]) -> list[tuple[int, int, tuple[int, ...]]]:
        """Runs of parts read as a reference with one keying error undone: (start, end,
        positions). For each number no reading explains, the widest run holding it that ends in
        a number, crosses no exact reading, has about as many digits as our keys and spells a
        reference one keying error away."""
        n = len(parts)
        found: list[tuple[int, int, tuple[int, ...]]] = []
        done = -1
        for j, part in enumerate(parts):
            if covered[j] or not part.digits or j <= done:
                continue
            runs = sorted(((a, b) for a in range(max(0, j - 2), j + 1) for b in range(j + 1, min(n, j + 3) + 1)
                           if b - a <= self.max_parts + 2), key=lambda r: r[0] - r[1])
            for a, b in runs:
                window = parts[a:b]
                if not window[-1].digits or any(covered[k] == 2 for k in range(a, b)) or not all(
                        _tight(p) for p in window[1:]):
                    continue
                digits = sum(len(p.text) for p in window if p.digits)
                if not self.digit_lengths & {digits - 1, digits, digits + 1}:
                    continue
                rest = "".join(p.text for p in window[1:])
                hit = next(((start, positions) for head, start in self._heads(window[0])
                            if (positions := self.one_edit(head + rest))), None)
                if hit is not None:
                    found.append((hit[0], window[-1].end, hit[1]))
                    done = b - 1
                    break
        return found

    def _range(self, rem: Remittance, i: int, mentions: list[Mention], window: Sequence[Part]) -> int:
        """After a mention ending at part i-1: "-36", "- 100236", "TO 100236" extend it to a range."""
        parts, last = rem.parts, window[-1]
        if not last.digits or i >= len(parts) or last.text in self.fixed_values:
            return i
        j = i
        if parts[j].text in _RANGE_WORDS and j + 1 < len(parts):
            j += 1
        elif parts[j].sep.strip() not in ("-", "–"):
            return i
        end = parts[j]
        if not end.digits or len(end.text) > len(last.text):
            return i
        upper = last.text[:len(last.text) - len(end.text)] + end.text
        low, high = int(last.text), int(upper)
        if not 0 < high - low <= _MAX_RANGE or self.lookup("".join(p.text for p in window[:-1]) + upper) is None:
            return i
        head = "".join(p.text for p in window[:-1])
        for value in range(low + 1, high + 1):
            found = self.lookup(head + str(value).zfill(len(last.text)))
            if found:
                # the text after the first number: the first is a mention of its own, and the
                # two must not overlap, or one explanation could not take both
                mentions.append(Mention(found[0], RANGE, f"{last.text}-{end.text}", last.end,
                                        end.end, self.column))
        return j + 1


def pair_quoted_amounts(mentions: list[Mention], rem: Remittance) -> list[Mention]:
    """Give each mention the amount the text pays for it: the paid amount, discount and
    deductions of the EDI RMR segment that names it; or, when the text pairs every reference
    with one amount ("100234 1,200.00; 100235 80.00"), the amount written right after it."""
    if not mentions:
        return mentions
    if rem.edi_lines:
        out = []
        for m in mentions:
            line = next((e for e in rem.edi_lines if e.start <= m.start < e.end), None)
            out.append(m if line is None else replace(m, quoted=line.paid, quoted_discount=line.discount,
                                                      quoted_deduction=line.deduction,
                                                      deduction_reason=line.deduction_reason))
        return out
    if len(rem.amounts) != len(mentions):
        return mentions
    ordered = sorted(mentions, key=lambda m: m.start)
    out = []
    for k, m in enumerate(ordered):
        stop = ordered[k + 1].start if k + 1 < len(ordered) else len(rem.text) + 1
        quoted = next((a.cents for a in rem.amounts if m.end <= a.start < stop), None)
        if quoted is None:
            return mentions
        out.append(replace(m, quoted=quoted))
    return out
