"""The month-end pack as a printable PDF a controller signs off: the key figures per currency,
the roll-forward of receivables from the opening to the closing AR with its difference, the
allowance for doubtful accounts by aging bucket, how each figure is made, and (when asked for)
the roll-forward of each customer. Currencies are never added together."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, SimpleDocTemplate, Spacer, Table, TableStyle

from arxl.core.disputes import DeductionKpis
from arxl.core.money import format_amount
from arxl.core.rollforward import LINES, Rollforward
from arxl.documents.layout import (
    BAND,
    BODY,
    COMPANY,
    HEAD,
    HEAD_RIGHT,
    INK,
    LABEL,
    RIGHT,
    RIGHT_BOLD,
    RULE,
    SMALL,
    TITLE,
    footer,
    page_size,
    para,
    register_fonts,
    style,
)

# Each movement is shown signed as it moves the AR (cash applied is negative).
LINE_WORDS = {
    "Invoices": "Invoices billed", "DebitMemos": "Debit memos", "CashApplied": "Cash applied",
    "Discounts": "Discounts taken", "WriteOffs": "Write-offs", "CreditMemos": "Credit memos",
    "Reversals": "Reversals (returned payments given back)", "UnappliedCash": "Cash received on account",
}
OK_GREEN, ALARM = colors.HexColor("#1E7B34"), colors.HexColor("#B3261E")
H2 = style("h2", 12, bold=True, leading=15)
BOLD = style("bold", 9, bold=True)
CELL, CELL_RIGHT = style("cell", 7.5), style("cell_right", 7.5, align=2)
TIED, NOT_TIED = style("tied", 9, bold=True, color=OK_GREEN, align=2), style("not_tied", 9, bold=True, color=ALARM,
                                                                            align=2)
NOTES = (
    "Opening AR is the Aging's total as of the day before the period; closing AR its total as of the period's "
    "last day: the same computation of open items as the Aging table, so both tie to it to the cent.",
    "The movements are the ledgers' own rows, each dated as the Aging counts it: invoices by InvoiceDate, memos "
    "by MemoDate, applications by their payment's ReceivedDate, reversals by the day they were posted.",
    "The difference (closing AR less opening AR and the movements) must be 0.00; any other amount is listed in "
    "the workbook's Exceptions with the customers it lies with.",
    "The allowance applies the ProvisionMatrix's rate of each bucket to the receivables in it (invoices and "
    "debit memos open at the period's end; credits and unapplied cash are not receivables).",
    "DSO (count-back) subtracts each month's sales from the AR, latest month first. CEI is the share of what "
    "could be collected in the period that was. Days deductions outstanding: open deductions / deductions "
    "taken in the KPI period x its days.",
)


@dataclass(frozen=True)
class ClosePack:
    company: str
    rollforward: Rollforward
    allowance: pd.DataFrame  # the Allowance table
    deductions: dict[str, DeductionKpis]
    prepared_at: dt.datetime
    prepared_by: str
    base_currency: str = "USD"


def _money(amount: int, currency: str, code: bool = False) -> str:
    """An amount with its currency's decimals; the code only where a figure stands alone."""
    return format_amount(int(amount), currency, code=code)


def _grid(rows: list[list[object]], widths: list[float], bold_rows: tuple[int, ...] = ()) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), BAND), ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.6 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6 * mm),
    ]
    for r in bold_rows:
        commands += [("LINEABOVE", (0, r), (-1, r), 0.8, INK), ("BACKGROUND", (0, r), (-1, r), BAND)]
    table.setStyle(TableStyle(commands))
    return table


def _summary(pack: ClosePack, width: float) -> Table:
    rf = pack.rollforward
    currencies = list(rf.currencies["Currency"])
    head = [para("", HEAD)] + [para(c, HEAD_RIGHT) for c in currencies]
    by = rf.currencies.set_index("Currency")

    def row(label: str, values: list[str], bold: bool = False) -> list[object]:
        return [para(label, BOLD if bold else BODY)] + [para(v, RIGHT_BOLD if bold else RIGHT) for v in values]

    allowance = pack.allowance.groupby("Currency")["Allowance"].sum()
    rows = [head,
            row("Opening AR", [_money(by.at[c, "Opening"], c) for c in currencies]),
            row("Closing AR", [_money(by.at[c, "Closing"], c) for c in currencies], bold=True),
            [para("Roll-forward difference")] + [para(_money(by.at[c, "Difference"], c),
                                                     NOT_TIED if by.at[c, "Difference"] else TIED) for c in currencies],
            row("Allowance for doubtful accounts", [_money(int(allowance.get(c, 0)), c) for c in currencies]),
            row("Closing AR net of the allowance",
                [_money(by.at[c, "Closing"] - int(allowance.get(c, 0)), c) for c in currencies], bold=True)]

    def figure(currency: str, attribute: str, shown: str) -> str:
        value = getattr(rf.kpis[currency], attribute) if currency in rf.kpis else None
        return "n/a" if value is None else shown.format(value)
    rows += [row("DSO, count-back (days)", [figure(c, "dso_count_back", "{:.1f}") for c in currencies]),
             row("DSO, simple (days)", [figure(c, "dso_simple", "{:.1f}") for c in currencies]),
             row("CEI", [figure(c, "cei", "{:.1f}%") for c in currencies]),
             row("Past due", [figure(c, "percent_past_due", "{:.1%}") for c in currencies])]
    deductions = pack.deductions
    rows += [row("Open deductions (how many)", [f"{_money(deductions[c].open_amount, c)} ({deductions[c].open_count})"
                                     if c in deductions else "none" for c in currencies]),
             row("Days deductions outstanding", [f"{deductions[c].days_outstanding:.0f}"
                                                 if c in deductions and deductions[c].days_outstanding is not None
                                                 else "n/a" for c in currencies])]
    label_width = width * 0.34
    each = (width - label_width) / max(1, len(currencies))
    return _grid(rows, [label_width] + [each] * len(currencies), bold_rows=(2, 5))


def _rollforward(pack: ClosePack, currency: str, width: float) -> Table:
    rf = pack.rollforward
    r = rf.currencies.set_index("Currency").loc[currency]
    before = rf.start - dt.timedelta(days=1)
    rows: list[list[object]] = [[para("", HEAD), para(currency, HEAD_RIGHT)],
                                [para(f"Opening AR as of {before.isoformat()}"),
                                 para(_money(r["Opening"], currency), RIGHT)]]
    for line in LINES:
        rows.append([para(LINE_WORDS[line]), para(_money(r[line], currency), RIGHT)])
    rows += [[para("= AR rolled forward", BOLD), para(_money(r["RolledForward"], currency), RIGHT_BOLD)],
             [para(f"Closing AR as of {rf.end.isoformat()} (the Aging)", BOLD),
              para(_money(r["Closing"], currency), RIGHT_BOLD)],
             [para(f"Difference (must be {_money(0, currency)})"),
              para(_money(r["Difference"], currency), NOT_TIED if r["Difference"] else TIED)]]
    return _grid(rows, [width * 0.7, width * 0.3], bold_rows=(len(rows) - 3,))


def _allowance(pack: ClosePack, currency: str, width: float) -> Table:
    mine = pack.allowance.loc[pack.allowance["Currency"] == currency].sort_values("BucketOrder")
    rows: list[list[object]] = [[para("Bucket", HEAD), para("Receivables", HEAD_RIGHT), para("Rate", HEAD_RIGHT),
                                 para("Allowance", HEAD_RIGHT)]]
    for _, r in mine.iterrows():
        rows.append([para(str(r["Bucket"])), para(_money(r["Receivables"], currency), RIGHT),
                     para(f"{float(r['Rate']) * 100:.2f}%", RIGHT), para(_money(r["Allowance"], currency), RIGHT)])
    total, provided = int(mine["Receivables"].astype("int64").sum()), int(mine["Allowance"].astype("int64").sum())
    rate = f"{provided / total * 100:.2f}%" if total else ""
    rows.append([para("Total", BOLD), para(_money(total, currency), RIGHT_BOLD), para(rate, RIGHT_BOLD),
                 para(_money(provided, currency), RIGHT_BOLD)])
    return _grid(rows, [width * 0.31, width * 0.27, width * 0.15, width * 0.27], bold_rows=(len(rows) - 1,))


def _customers(pack: ClosePack, currency: str, width: float) -> Table | None:
    rows = pack.rollforward.table
    mine = rows.loc[(rows["Currency"] == currency) & (rows["CustomerID"] != "")]
    if mine.empty:
        return None
    heads = ["Customer", "Opening", "Billed", "Collected", "Other", "Closing", "Diff."]
    table: list[list[object]] = [[para(h, HEAD if i == 0 else HEAD_RIGHT) for i, h in enumerate(heads)]]
    for _, r in mine.iterrows():
        billed = int(r["Invoices"]) + int(r["DebitMemos"])
        collected = int(r["CashApplied"]) + int(r["UnappliedCash"])
        other = int(r["Discounts"]) + int(r["WriteOffs"]) + int(r["CreditMemos"]) + int(r["Reversals"])
        amounts = (r["Opening"], billed, collected, other, r["Closing"], r["Difference"])
        table.append([para(f"{r['CustomerID']} {r['CustomerName']}"[:48], CELL)]
                     + [para(_money(v, currency), CELL_RIGHT) for v in amounts])
    return _grid(table, [width * 0.28] + [width * 0.12] * 6)


def _sign_off(width: float) -> Table:
    """Where the controller signs the pack off."""
    rows = [[para("Reviewed by", LABEL), "", para("Date", LABEL), ""]]
    table = Table(rows, colWidths=[width * 0.14, width * 0.46, width * 0.08, width * 0.22], hAlign="LEFT")
    table.setStyle(TableStyle([("LINEBELOW", (1, 0), (1, 0), 0.6, INK), ("LINEBELOW", (3, 0), (3, 0), 0.6, INK),
                               ("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("TOPPADDING", (0, 0), (-1, -1), 6 * mm)]))
    return table


def write_close_pdf(path: Path, pack: ClosePack) -> Path:
    """Draw the month-end pack at ``path`` (its folder is created); returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    register_fonts()
    rf = pack.rollforward
    pagesize = page_size(pack.base_currency)
    margin = 16 * mm
    width = pagesize[0] - 2 * margin
    title = f"Receivables month-end {rf.start.isoformat()} to {rf.end.isoformat()}"
    draw_footer = footer(f"{pack.company}  \u00b7  {title}", margin, pagesize)
    doc = SimpleDocTemplate(str(path), pagesize=pagesize, leftMargin=margin, rightMargin=margin, topMargin=margin,
                            bottomMargin=22 * mm, title=title, author=pack.company, creator="arxl",
                            subject=f"Roll-forward, allowance and key figures, {rf.start} to {rf.end}")
    currencies = list(rf.currencies["Currency"])
    tied = all(int(d) == 0 for d in rf.currencies["Difference"])
    header = Table([[[para(pack.company, COMPANY), Spacer(1, 1.5 * mm),
                      para(f"Prepared {pack.prepared_at:%Y-%m-%d %H:%M} by {pack.prepared_by} with arxl", SMALL)],
                     [para("MONTH-END", TITLE), para(f"{rf.start.isoformat()} to {rf.end.isoformat()}", RIGHT_BOLD)]]],
                   colWidths=[width * 0.55, width * 0.45])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    verdict = ("The roll-forward ties to the Aging in every currency: no difference." if tied else
               "THE ROLL-FORWARD DOES NOT TIE in every currency: see the difference below and the workbook's "
               "Exceptions.")
    story: list[object] = [header, Spacer(1, 7 * mm), para("Summary", H2), Spacer(1, 2 * mm),
                           para(verdict, style("verdict", 9.5, bold=True, color=OK_GREEN if tied else ALARM)),
                           Spacer(1, 3 * mm), _summary(pack, width), Spacer(1, 6 * mm),
                           KeepTogether([para("How the figures are made", H2), Spacer(1, 2 * mm),
                                         *[para(f"\u2022 {n}", SMALL) for n in NOTES]]),
                           Spacer(1, 10 * mm), _sign_off(width)]
    for currency in currencies:
        story += [PageBreak(), para(f"Roll-forward, {currency}", H2), Spacer(1, 2 * mm),
                  _rollforward(pack, currency, width * 0.62), Spacer(1, 8 * mm),
                  KeepTogether([para(f"Allowance for doubtful accounts, {currency}, as of {rf.end.isoformat()}", H2),
                                Spacer(1, 2 * mm), _allowance(pack, currency, width * 0.8)])]
    for currency in currencies:
        table = _customers(pack, currency, width)
        if table is not None:
            story += [PageBreak(), para(f"Roll-forward by customer, {currency}", H2), Spacer(1, 1 * mm),
                      para("Billed: invoices and debit memos. Collected: cash applied and cash on account. Other: "
                           "discounts, write-offs, credit memos and reversals.", LABEL), Spacer(1, 2 * mm), table]
    doc.build(story, onFirstPage=draw_footer, onLaterPages=draw_footer)
    return path
