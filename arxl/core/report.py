"""A report sheet described as data (blocks of cells and charts), so each store draws it in
its own way: openpyxl for files, the Excel object model through xlwings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Block:
    """A rectangle of values whose top-left cell is (``top``, ``left``), 1-based.

    ``rows[0]`` is a header row when ``header`` is set. ``formats`` maps a column offset to an
    Excel number format. ``title`` is written in bold one row above the block."""

    top: int
    left: int
    rows: list[list[Any]]
    formats: dict[int, str] = field(default_factory=dict)
    header: bool = True
    title: str = ""
    bold_last_row: bool = False
    centered: tuple[int, ...] = ()  # column offsets whose cells are centred (short flags: Yes)
    page_break_before: bool = False  # printed, the block (with its title) starts a new page


@dataclass
class Chart:
    """A chart over one block: categories from one column, one series per value column."""

    block: int  # index into Report.blocks
    category_col: int
    value_cols: list[int]
    title: str
    anchor: str  # top-left cell, e.g. "J2"
    kind: str = "col"  # "col" (vertical bars) or "bar"
    stacked: bool = False
    y_title: str = ""
    width_cm: float = 18
    height_cm: float = 9
    first_data_row: int = 1  # offset of the first data row inside the block
    last_data_row: int | None = None  # inclusive offset; None = the block's last row


@dataclass
class Report:
    blocks: list[Block]
    charts: list[Chart] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)  # 1-based column -> width
    title: str = ""  # written large in A1; blocks start below it
