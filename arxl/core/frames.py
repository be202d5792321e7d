"""Typed frames: how each column kind of the contract is held in a pandas frame, for the core's
inputs (what the workbook port reads) and its outputs (what the commands write).

  id, text, external   object dtype, "" for blank
  money, integer       nullable Int64 (money in the minor unit of the row's currency)
  date, datetime       datetime64[ns], NaT for blank
  number               float64, NaN for blank
  rate                 object holding Decimal (or None)
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from arxl.contract import TEXT_KINDS, Kind, TableSpec


def typed_column(kind: Kind | str, values: Iterable[Any], index: Any = None) -> pd.Series:
    """A list of typed values (None for blank) as a column of the dtype the core expects.
    Pass ``index`` (sheet rows) when the column joins a frame indexed by row."""
    values = list(values)
    kind = Kind(kind)
    if kind in TEXT_KINDS:
        return pd.Series(["" if v is None else v for v in values], dtype=object, index=index)
    if kind in (Kind.MONEY, Kind.INTEGER):
        return pd.Series(values, dtype="Int64", index=index)
    if kind in (Kind.DATE, Kind.DATETIME):
        # astype, not to_numpy: a date pandas cannot hold raises instead of wrapping around
        stamps = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]").to_numpy()
        return pd.Series(stamps, dtype="datetime64[ns]", index=index)
    if kind == Kind.NUMBER:
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64", index=index)
    return pd.Series(values, dtype=object, index=index)  # rate


def each_distinct(values: pd.Series, reading: Callable[[Any], Any]) -> np.ndarray:
    """``reading`` of each value, aligned with ``values``: worked out once per distinct value,
    since a ledger column's hundred thousand rows hold a handful of words. A missing value (None,
    NaN, NA) is read as it is, each on its own (they may read differently)."""
    held = values.to_numpy(dtype=object)
    codes, distinct = pd.factorize(held, use_na_sentinel=True)
    read = np.empty(len(distinct) + 1, dtype=object)
    read[:-1] = [reading(value) for value in distinct]
    out: np.ndarray = read[codes]
    for at in np.flatnonzero(codes == -1):
        out[at] = reading(held[at])
    return out


def table_frame(spec: TableSpec, values: Mapping[str, Sequence[Any] | pd.Series] | None = None,
                index: Any = None) -> pd.DataFrame:
    """A typed frame with exactly ``spec``'s columns, in order: each from ``values`` (lists of
    typed values, or Series), blank where not given. Every output of the core is built here, so
    no module spells a table's column list."""
    values = values or {}
    unknown = set(values) - set(spec.names)
    if unknown:
        raise KeyError(f"{spec.name} has no column(s) {', '.join(sorted(unknown))}")
    lengths = {len(v) for v in values.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths for {spec.name}: {sorted(lengths)}")
    n = lengths.pop() if lengths else (0 if index is None else len(index))
    index = pd.RangeIndex(n) if index is None else index
    columns = {}
    for col in spec.columns:
        given = values.get(col.name)
        if given is None:
            columns[col.name] = typed_column(col.kind, [None] * n, index=index)
        elif isinstance(given, pd.Series):
            columns[col.name] = _as_kind(col.kind, given, index)
        else:
            columns[col.name] = typed_column(col.kind, given, index=index)
    return pd.DataFrame(columns, columns=spec.names, index=index)


def _as_kind(kind: Kind, series: pd.Series, index: Any) -> pd.Series:
    """A Series the core computed, cast to its kind's dtype (positionally onto ``index``)
    without a round trip through Python lists."""
    values = pd.Series(series.to_numpy(), index=index)
    if kind in TEXT_KINDS:
        return values.astype(object).where(values.notna(), "")
    if kind in (Kind.MONEY, Kind.INTEGER):
        return values.astype("Int64")
    if kind in (Kind.DATE, Kind.DATETIME):
        return pd.to_datetime(values).astype("datetime64[ns]")
    if kind == Kind.NUMBER:
        return values.astype("float64")
    return values.astype(object)


def empty_frame(spec: TableSpec, extra: Iterable[str] = ()) -> pd.DataFrame:
    """A typed frame of the table's columns (and ``extra`` ones, read as IDs) with no rows, as
    the core gets it for a missing optional table."""
    frame = table_frame(spec)
    for name in extra:
        if name not in frame:
            frame[name] = typed_column(Kind.ID, [])
    frame.index = pd.Index([], dtype="int64", name="row")
    return frame
