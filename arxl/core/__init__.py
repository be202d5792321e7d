"""The domain rules of accounts receivable, on DataFrames and plain values.

Conventions every core function relies on (the workbook layer guarantees them):

- frames carry the column names of WORKBOOK.md; the index is the table's sheet row number,
  so a problem can always name its row;
- money columns hold integer **cents** (int64): sums are exact, never a stray 0.01;
- date columns are ``datetime64[ns]`` (NaT when blank);
- text columns are ``str`` with ``""`` for blank.
"""
