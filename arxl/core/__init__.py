"""The domain rules of accounts receivable, on DataFrames and plain values.

Conventions every core function relies on (the workbook layer guarantees them):

- frames carry the column names of WORKBOOK.md; the index is the table's sheet row number,
  so a problem can always name its row;
- money columns hold integers in the **minor unit of each row's currency** (Int64): cents of
  USD and EUR, fils of KWD (3 decimals), whole yen (``arxl.core.money``); sums are exact, never
  a stray 0.01, and only amounts of one currency are ever added together;
- date columns are ``datetime64[ns]`` (NaT when blank), from 1900-01-01 to 2199-12-31;
- text columns are ``str`` with ``""`` for blank.
"""
