"""Builders shared by the tests: tiny master workbooks written from a few rows, so a reader
sees the case, and read back through the same file store the CLI uses."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from arxl.book.files import new_workbook, open_book, save_book
from arxl.commands.command import Context
from arxl.commands.runner import run_commands

# xlwings decides when first imported whether its PRO parts (the remote engine that
# tests/test_excel_door.py clicks buttons against) are licensed: set the key before any test
# module imports it. The noncommercial licence covers arxl's own tests only.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

AS_OF = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 18, 0, 0)


@pytest.fixture
def make_book(tmp_path):
    """make_book(rows={"Customers": [...], ...}, settings={"AsOfDate": ...}, name="book.xlsx") -> Path"""
    def make(rows=None, settings=None, name="book.xlsx") -> Path:
        path = tmp_path / name
        merged = {"AsOfDate": AS_OF}
        merged.update(settings or {})
        new_workbook(path, rows=rows or {}, settings=merged)
        return path
    return make


@pytest.fixture
def run(tmp_path):
    """run(path, *command_ids, now=NOW) -> (RunResult, Workbook reopened after saving)"""
    def go(path, *ids, now=NOW, files=()):
        book = open_book(path)
        result = run_commands(book, list(ids), Context(now=now, files=tuple(files)))
        save_book(book)
        return result, open_book(path)
    return go
