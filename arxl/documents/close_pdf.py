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
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from arxl.core.disputes import DeductionKpis
from arxl.core.rollforward import LINES, Rollforward
from arxl.documents.layout import (
    INK,
    LABEL,
    SMALL,
    Party,
    items_table,
    letterhead,
    money,
    p,
    page_size,
    style,
    text_width,
    write_pdf,
)

# Each movement is shown signed as it moves the AR (cash applied is negative).
LINE_WORDS = {
    "Invoices": "Invoices billed", "DebitMemos": "Debit memos", "CashApplied": "Cash applied",
    "Discounts": "Discounts taken", "WriteOffs": "Write-offs", "CreditMemos": "Credit memos",
    "Reversals": "Reversals (returned payments given back)", "UnappliedCash": "Cash received on account",
}
OK_GREEN, ALARM = colors.HexColor("#1E7B34"), colors.HexColor("#B3261E")
H2 = style("h2", 12, bold=True, leading=15)
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
    "could be collected in the period that was (at most 100%: a credit is never late). Past due is the share "
    "of what customers owe (invoices and debit memos open) that is past its due date; credits and cash on "
    "account are left out. Days deductions "
    "outstanding: open deductions / deductions taken in the KPI period x its days.",
)


@dataclass(frozen=True)
class ClosePack:
    company: Party
    rollforward: Rollforward
    allowance: pd.DataFrame  # the Allowance table
    deductions: dict[str, DeductionKpis]
    prepared_at: dt.datetime
    prepared_by: str
    base_currency: str = "USD"


def _left(table: Table) -> Table:
    """A table narrower than the page, at the left margin under its heading."""
    table.hAlign = "LEFT"
    return table


def _difference(amount: int, currency: str) -> Paragraph:
    """A roll-forward difference, green where it ties (0) and red where it does not."""
    return p(money(amount, currency), NOT_TIED if amount else TIED)


def _summary(pack: ClosePack, width: float) -> Table:
    rf = pack.rollforward
    currencies = list(rf.currencies["Currency"])
    by = rf.currencies.set_index("Currency")
    allowance = pack.allowance.groupby("Currency")["Allowance"].sum()

    def figure(currency: str, attribute: str, shown: str) -> str:
        value = getattr(rf.kpis[currency], attribute) if currency in rf.kpis else None
        return "n/a" if value is None else shown.format(value)
    deductions = pack.deductions
    rows: list[list[str | Flowable]] = [
        ["Opening AR", *[money(int(by.at[c, "Opening"]), c) for c in currencies]],
        ["Closing AR", *[money(int(by.at[c, "Closing"]), c) for c in currencies]],
        ["Roll-forward difference", *[_difference(int(by.at[c, "Difference"]), c) for c in currencies]],
        ["Allowance for doubtful accounts", *[money(int(allowance.get(c, 0)), c) for c in currencies]],
        ["Closing AR net of the allowance",
         *[money(int(by.at[c, "Closing"]) - int(allowance.get(c, 0)), c) for c in currencies]],
        ["DSO, count-back (days)", *[figure(c, "dso_count_back", "{:.1f}") for c in currencies]],
        ["DSO, simple (days)", *[figure(c, "dso_simple", "{:.1f}") for c in currencies]],
        ["CEI", *[figure(c, "cei", "{:.1f}%") for c in currencies]],
        ["Past due", *[figure(c, "percent_past_due", "{:.1%}") for c in currencies]],
        ["Open deductions (how many)", *[f"{money(deductions[c].open_amount, c)} ({deductions[c].open_count})"
                                         if c in deductions else "none" for c in currencies]],
        ["Days deductions outstanding", *[f"{deductions[c].days_outstanding:.0f}"
                                          if c in deductions and deductions[c].days_outstanding is not None
                                          else "n/a" for c in currencies]],
    ]
    each = 0.66 / max(1, len(currencies))
    return items_table(["", *currencies], rows, [0.34] + [each] * len(currencies), width,
                       right=range(1, len(currencies) + 1), totals=(1, 4), padding=1.6 * mm)


def _rollforward(pack: ClosePack, currency: str, width: float) -> Table:
    rf = pack.rollforward
    r = rf.currencies.set_index("Currency").loc[currency]
    before = rf.start - dt.timedelta(days=1)
    rows: list[list[str | Flowable]] = [[f"Opening AR as of {before.isoformat()}", money(int(r["Opening"]), currency)]]
    rows += [[LINE_WORDS[line], money(int(r[line]), currency)] for line in LINES]
    rows += [["= AR rolled forward", money(int(r["RolledForward"]), currency)],
             [f"Closing AR as of {rf.end.isoformat()} (the Aging)", money(int(r["Closing"]), currency)],
             [f"Difference (must be {money(0, currency)})", _difference(int(r["Difference"]), currency)]]
    return _left(items_table(["", currency], rows, [0.7, 0.3], width, right=(1,), totals=(-3, -2),
                             padding=1.6 * mm))


def _allowance(pack: ClosePack, currency: str, width: float) -> Table:
    mine = pack.allowance.loc[pack.allowance["Currency"] == currency].sort_values("BucketOrder")
    rows: list[list[str | Flowable]] = [
        [str(r["Bucket"]), money(int(r["Receivables"]), currency), f"{float(r['Rate']) * 100:.2f}%",
         money(int(r["Allowance"]), currency)] for _, r in mine.iterrows()]
    total, provided = int(mine["Receivables"].astype("int64").sum()), int(mine["Allowance"].astype("int64").sum())
    rows.append(["Total", money(total, currency), f"{provided / total * 100:.2f}%" if total else "",
                 money(provided, currency)])
    return _left(items_table(["Bucket", "Receivables", "Rate", "Allowance"], rows, [0.31, 0.27, 0.15, 0.27], width,
                             right=(1, 2, 3), totals=(-1,), padding=1.6 * mm))


def _customers(pack: ClosePack, currency: str, width: float) -> Table | None:
    rows = pack.rollforward.table
    mine = rows.loc[(rows["Currency"] == currency) & (rows["CustomerID"] != "")]
    if mine.empty:
        return None
    lines: list[list[str | Flowable]] = []
    for _, r in mine.iterrows():
        billed = int(r["Invoices"]) + int(r["DebitMemos"])
        collected = int(r["CashApplied"]) + int(r["UnappliedCash"])
        other = int(r["Discounts"]) + int(r["WriteOffs"]) + int(r["CreditMemos"]) + int(r["Reversals"])
        amounts = (int(r["Opening"]), billed, collected, other, int(r["Closing"]), int(r["Difference"]))
        lines.append([p(f"{r['CustomerID']} {r['CustomerName']}"[:48], CELL)]
                     + [p(money(v, currency), CELL_RIGHT) for v in amounts])
    return items_table(["Customer", "Opening", "Billed", "Collected", "Other", "Closing", "Diff."], lines,
                       [0.28] + [0.12] * 6, width, right=range(1, 7), padding=1.6 * mm)


def _sign_off(width: float) -> Table:
    """Where the controller signs the pack off."""
    rows = [[p("Reviewed by", LABEL), "", p("Date", LABEL), ""]]
    table = Table(rows, colWidths=[width * 0.14, width * 0.46, width * 0.08, width * 0.22], hAlign="LEFT")
    table.setStyle(TableStyle([("LINEBELOW", (1, 0), (1, 0), 0.6, INK), ("LINEBELOW", (3, 0), (3, 0), 0.6, INK),
                               ("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("TOPPADDING", (0, 0), (-1, -1), 6 * mm)]))
    return table


def write_close_pdf(path: Path, pack: ClosePack) -> Path:
    """Draw the month-end pack at ``path`` (its folder is created); returns ``path``."""
    rf = pack.rollforward
    pagesize = page_size(pack.base_currency)
    width = text_width(pagesize)
    period = f"{rf.start.isoformat()} to {rf.end.isoformat()}"
    currencies = list(rf.currencies["Currency"])
    tied = all(int(d) == 0 for d in rf.currencies["Difference"])
    verdict = ("The roll-forward ties to the Aging in every currency: no difference." if tied else
               "THE ROLL-FORWARD DOES NOT TIE in every currency: see the difference below and the workbook's "
               "Exceptions.")
    facts = [("Period", period), ("Prepared", f"{pack.prepared_at:%Y-%m-%d %H:%M}"), ("Prepared by", pack.prepared_by),
             ("Currencies", ", ".join(currencies) or "none")]
    story: list[Flowable] = [letterhead(pack.company, "MONTH-END", facts, width), Spacer(1, 7 * mm),
                             p("Summary", H2), Spacer(1, 2 * mm),
                             p(verdict, style("verdict", 9.5, bold=True, color=OK_GREEN if tied else ALARM)),
                             Spacer(1, 3 * mm), _summary(pack, width), Spacer(1, 6 * mm),
                             KeepTogether([p("How the figures are made", H2), Spacer(1, 2 * mm),
                                           *[p(f"\u2022 {n}", SMALL) for n in NOTES]]),
                             Spacer(1, 10 * mm), _sign_off(width)]
    for currency in currencies:
        story += [PageBreak(), p(f"Roll-forward, {currency}", H2), Spacer(1, 2 * mm),
                  _rollforward(pack, currency, width * 0.62), Spacer(1, 8 * mm),
                  KeepTogether([p(f"Allowance for doubtful accounts, {currency}, as of {rf.end.isoformat()}", H2),
                                Spacer(1, 2 * mm), _allowance(pack, currency, width * 0.8)])]
    for currency in currencies:
        table = _customers(pack, currency, width)
        if table is not None:
            story += [PageBreak(), p(f"Roll-forward by customer, {currency}", H2), Spacer(1, 1 * mm),
                      p("Billed: invoices and debit memos. Collected: cash applied and cash on account. Other: "
                        "discounts, write-offs, credit memos and reversals.", LABEL), Spacer(1, 2 * mm), table]
    title = f"Receivables month-end {period}"
    return write_pdf(path, story, pagesize, pack.company, title,
                     f"Roll-forward, allowance and key figures, {period}")
