"""What only a spreadsheet program can show, shown by LibreOffice in two locales: the colouring of
a clerk's edits in Matches (spreadsheet formulas, computed on rows a clerk changed and rows nobody
touched, against the rule arxl itself applies, ``arxl.core.matching.decisions``: a row differs
from its Proposed), and dates in the locale's own short format. Skipped where LibreOffice is not
installed; it is not on the suite's required path."""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from arxl.book.guidance import EDITED_FILL, formula_for, table_guide
from arxl.contract import MATCHES
from arxl.core.matching.decisions import proposal_text

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(SOFFICE is None, reason="needs LibreOffice (soffice)")]
LOCALES = ["en_US.UTF-8", "de_DE.UTF-8"]  # a decimal point and a decimal comma


def computed(path: Path, locale: str) -> list[list[str]]:
    """The first sheet of ``path`` as LibreOffice computes and shows it in ``locale``."""
    env = {**os.environ, "LC_ALL": locale, "LANG": locale}
    subprocess.run([SOFFICE, "--headless", "--convert-to", "csv", "--outdir", str(path.parent), str(path)],
                   check=True, capture_output=True, timeout=180, env=env)
    with open(path.with_suffix(".csv"), newline="", encoding="utf-8") as f:
        return list(csv.reader(f))

COLUMNS = ["PaymentID", "CustomerID", "InvoiceID", "ApplyAmount", "Discount", "WriteOff", "ShortPay"]
# (as proposed, as the clerk left it): None for "unchanged"
CASES = [
    (("P1", "C1", "INV-1", 1234.50, 0, 0, 0), None),
    (("P2", "C1", "INV-1", 60.00, 1.20, 0, 0), None),
    (("P3", "", "", 99.00, 0, 0, 0), None),
    (("P4", "C1", "INV-1", 1234567.89, 0, 0.50, 12.00), None),
    (("P5", "C1", "INV-1", 60.00, 0, 0, 0), ("P5", "C1", "INV-1", 30.00, 0, 0, 0)),
    (("P6", "C1", "INV-1", 60.00, 0, 0, 0), ("P6", "C1", "INV-10", 60.00, 0, 0, 0)),
    (("P7", "C1", "INV-10", 60.00, 0, 0, 0), ("P7", "C1", "INV-1", 60.00, 0, 0, 0)),
    (("P8", "C1", "INV-1", 60.00, 0, 0, 0), ("P8", "C2", "INV-1", 60.00, 0, 0, 0)),
    (("P9", "C1", "INV-1", 60.00, 1.20, 0, 0), ("P9", "C1", "INV-1", 60.00, 0, 0, 0)),
    (("P10", "C1", "INV-1", 60.00, 0, 0, 0), ("P10", "C1", "INV-1", 60.00, 0, 0.75, 0)),
    (("P11", "C1", "INV-1", 1200.00, 0, 0, 35.00), ("P11", "C1", "INV-1", 1200.00, 0, 0, 53.00)),
    (("P12", "", "", 99.00, 0, 0, 0), ("P12", "C3", "", 99.00, 0, 0, 0)),
    (("P13", "C1", "", 2500.00, 0, 0, 0), ("P13", "C1", "", 2500.01, 0, 0, 0)),
]


def _frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for money in COLUMNS[3:]:
        frame[money] = (frame[money] * 100).round().astype("Int64")
    return frame


@pytest.mark.parametrize("locale", LOCALES)
def test_libreoffice_colours_exactly_the_rows_a_clerk_changed(tmp_path, locale):
    rows = [changed or proposed for proposed, changed in CASES]
    proposed_text = proposal_text(_frame([proposed for proposed, _ in CASES]), {})
    expected = list(proposal_text(_frame(rows), {}) != proposed_text)  # arxl's own rule
    assert expected.count(True) == 9  # every case a clerk changed is one
    added = ("P99", "C1", "INV-1", 5.00, 0, 0, 0)  # a row the clerk added: no Proposed
    blank = ("", "", "", None, None, None, None)  # the table's blank row: nothing to colour

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(MATCHES.names)
    for values, text in [*zip(rows, proposed_text), (added, ""), (blank, "")]:
        cells = {**dict(zip(COLUMNS, values)), "Proposed": text}
        ws.append([None if cells.get(name) == "" else cells.get(name) for name in MATCHES.names])
    letters = {name: get_column_letter(i) for i, name in enumerate(MATCHES.names, 1)}
    edits = [h for h in table_guide("Matches").highlights if h.fill == EDITED_FILL]
    check = len(MATCHES.names) + 2
    for r in range(2, ws.max_row + 1):
        rule = ",".join(formula_for(h.formula, letters, r) for h in edits)
        ws.cell(r, check).value = f"=IF(OR({rule}),1,0)"
    path = tmp_path / "edits.xlsx"
    wb.save(path)
    shown = [line[check - 1] for line in computed(path, locale)[1:]]
    assert shown == [str(int(e)) for e in expected] + ["1", "0"]


@pytest.mark.parametrize("locale, as_of", [("en_US.UTF-8", "11/20/2026"), ("de_DE.UTF-8", "20.11.2026")])
def test_dates_show_in_the_locales_short_date(make_book, locale, as_of):
    path = make_book()  # Settings comes first; its AsOfDate is 2026-11-20
    rows = computed(path, locale)
    assert rows[1][:2] == ["AsOfDate", as_of]
