"""Posting: turn what is decided about each payment into rows of the Applications ledger.

What is decided, strongest first:
1. ``Payments.Action = Reverse`` (a bounced or returned payment): every application of the
   payment not yet reversed gets a reversing row (amounts negated, Source Reversal, ReasonCode
   ``REVERSAL:<ApplicationID>``), and the payment is never posted while the action stands.
2. ``Payments.ApplyTo``, the clerk's override, which wins over any match:
   ``100234; 100240=150.00`` or ``ON ACCOUNT``. Amounts are optional: invoices with an amount get
   it; the cash left goes to the invoices without one, in the order written, each up to its open
   balance; whatever remains goes on account (``ON ACCOUNT=amount`` keeps that much back for the
   account). Overrides apply cash only: a discount or write-off is taken by approving a match.
   An unparseable entry, an unknown invoice, amounts beyond the payment, or an invoice in another
   currency is an Exception naming the row and column, and the payment is not posted.
3. Matches rows whose Decision is Auto, or that the clerk marked Approve (any case). A payment
   waits while any of its rows still awaits a decision (Review / Unmatched); rows marked Reject
   are left out and their cash goes on account with the rest. A row with a blank InvoiceID
   proposes no invoice (the matcher's overpayment remainder, or a whole payment to keep on
   account): the cash the accepted invoice rows leave goes on account in any case, so this row
   needs no decision of its own when the payment names invoices; alone, it posts the payment on
   account when it is Auto or approved. An invoice
   row with a blank ApplyAmount takes what is open, up to the cash left. ShortPay is recorded
   on the invoice (it stays open, see ``arxl.core.balances``), with the deduction reason the
   matcher read (Matches.Reason).

A payment is posted when it has an application that is neither a reversal nor reversed; it is
never posted twice, so posting again posts nothing new. A payment fully reversed and whose
Action was then cleared can be posted again (a re-presented cheque).

Within one run no invoice takes more than its open balance, even when several payments name it:
clerks' overrides go first, then approved matches, then automatic ones, each group in order of
ReceivedDate; a later payment gets what is left and the rest goes on account, with an Exception.
A debit memo can be paid like an invoice, by its MemoID.

Cash is conserved: for every payment posted, AppliedAmount over its rows (invoices plus on
account) equals the payment's Amount to the cent. This is checked before anything is returned;
a violation is a bug and raises.

Reason codes: PAID (settled in full), PARTIAL, DISCOUNT, WRITEOFF, SHORTPAY[:reason] (joined
with "+" when several apply), OVERPAY (the rest of a payment that also paid invoices, on
account), ONACCOUNT (a payment put on account whole), REVERSAL:<ApplicationID>.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from arxl.contract import (
    APPLICATIONS,
    ON_ACCOUNT,
    Decision,
    DocType,
    MatchStatus,
    ReasonCode,
    Source,
    header_key,
)
from arxl.core.balances import active_applications, compute_balances, lookup, resolve_currencies
from arxl.core.frames import table_frame
from arxl.core.ledger import Ledger
from arxl.core.matching.decisions import is_reverse, read_decision
from arxl.core.money import NotAnAmount, format_amount, to_minor
from arxl.core.numbering import next_ids
from arxl.core.problems import Problems

AUTO, APPROVED, OVERRIDE, REVERSAL = Source.AUTO, Source.APPROVED, Source.OVERRIDE, Source.REVERSAL
ID_PREFIX, ID_DIGITS = "A", 7

_ORDER: dict[str, int] = {OVERRIDE: 0, APPROVED: 1, AUTO: 2}
Record = dict[str, Any]  # one row of a frame as plain values
_AMOUNTS = ("AppliedAmount", "DiscountTaken", "WriteOff", "ShortPay")


@dataclass
class Line:
    """One application to make: cash (and discount, write-off, short pay) against one open item,
    or, with a blank target, cash on account."""

    target: str
    applied: int | None  # None: whatever is open, up to the cash left
    discount: int = 0
    write_off: int = 0
    short_pay: int = 0
    short_reason: str = ""
    source: Source = AUTO
    confidence: float = np.nan
    exact: bool = False  # amounts a clerk approved: applied as they are or refused, never cut back


@dataclass
class PostingResult:
    """``applications``: the new ledger rows (typed as the Applications table), to append.
    ``invoices``: the Invoices [arxl] columns for every invoice, after posting.
    ``payment_status``: MatchStatus and Unapplied for the payments posting speaks for (posted,
    reversed, or refused with an Exception); other payments keep the matcher's status.
    ``payment_matches``: MatchedCustomerID and MatchedInvoices of the payments posted in this run
    (what was really applied, overrides included).
    ``settled``: the PaymentIDs posted or reversed, as the ledger now stands: Matches has
    nothing left to propose for them.
    ``counts``: payments posted, reversed, with cash on account, refused (exceptions), and
    awaiting a decision in Matches (awaiting)."""

    applications: pd.DataFrame
    invoices: pd.DataFrame
    payment_status: pd.DataFrame
    payment_matches: pd.DataFrame
    settled: set[str]
    counts: dict[str, int] = field(default_factory=dict)


def _amount(amount: int, currency: str) -> str:
    """An amount in a message, with the decimals of its currency."""
    return format_amount(amount, currency, code=False)


class _Refused(Exception):
    """A payment that cannot be posted as decided; carries the Exception for the clerk."""

    def __init__(self, sheet: str, row: int, column: str, value: object, problem: str, hint: str):
        super().__init__(problem)
        self.where = (sheet, row, column, value, problem, hint)


def parse_apply_to(text: str, currency: str, decimal_separator: str = ".") -> list[tuple[str, int | None]]:
    """A clerk's ApplyTo as (target, amount or None) pairs, amounts in ``currency``'s minor
    unit (the payment's); the target "" means on account. Raises ValueError with a clerk's
    message for anything it cannot read."""
    entries: list[tuple[str, int | None]] = []
    for part in [p.strip() for p in str(text).split(";")]:
        if not part:
            continue
        target, _, amount_text = (s.strip() for s in part.partition("="))
        if not target:
            raise ValueError(f"{part!r} names no invoice")
        amount = None
        if amount_text:
            try:
                amount = to_minor(amount_text, currency, decimal_separator)
            except NotAnAmount as exc:
                raise ValueError(f"{amount_text!r}: {exc.problem}") from None
            if amount <= 0:
                raise ValueError(f"the amount for {target} must be more than zero")
        elif "=" in part:
            raise ValueError(f"{part!r} has '=' but no amount")
        target = "" if header_key(target) == header_key(ON_ACCOUNT) else target
        if any(t == target for t, _ in entries):
            raise ValueError(f"{target or 'ON ACCOUNT'} is named twice")
        entries.append((target, amount))
    if not entries:
        raise ValueError("nothing to apply")
    return entries


class _Targets:
    """The open items cash can be applied to: invoices, and debit memos by MemoID, with their
    customer, currency and open balance (which shrinks as the run applies cash)."""

    def __init__(self, invoices: pd.DataFrame, open_balance: pd.Series, open_items: pd.DataFrame,
                 customers: pd.DataFrame, base_currency: str):
        currency = resolve_currencies(invoices["Currency"], invoices["CustomerID"], customers, base_currency)
        debits = open_items.loc[open_items["DocType"] == DocType.DEBIT_MEMO]
        debit_currency = resolve_currencies(debits["Currency"], debits["CustomerID"], customers, base_currency)
        ids = list(invoices["InvoiceID"]) + list(debits["DocID"])
        self.customer = dict(zip(ids, list(invoices["CustomerID"]) + list(debits["CustomerID"])))
        self.currency = dict(zip(ids, list(currency) + list(debit_currency)))
        self.open = dict(zip(ids, open_balance.fillna(0).astype("int64").tolist() +
                             debits["OpenAmount"].fillna(0).astype("int64").tolist()))
        self._folded = {i.casefold(): i for i in ids}

    def find(self, text: str) -> str | None:
        """The target a clerk meant: exact id, else the same id in another case."""
        return text if text in self.open else self._folded.get(text.casefold())


def reason_code(line: Line, settled: int, open_before: int) -> str:
    """The ReasonCode of an application made as ``line`` says, settling ``settled`` cents of an
    item that had ``open_before`` open."""
    codes: list[str] = []
    if line.discount:
        codes.append(ReasonCode.DISCOUNT)
    if line.write_off:
        codes.append(ReasonCode.WRITEOFF)
    if line.short_pay:
        codes.append(f"{ReasonCode.SHORTPAY}:{line.short_reason}" if line.short_reason else ReasonCode.SHORTPAY)
    if not codes:
        codes.append(ReasonCode.PAID if settled >= open_before else ReasonCode.PARTIAL)
    return "+".join(codes)


def _no_progress(message: str, fraction: float | None = None) -> None:
    """Posting reports progress only where a door listens."""


def post_payments(ledger: Ledger, now: dt.datetime, progress: Callable[[str, float | None], None] = _no_progress
                  ) -> tuple[PostingResult, Problems]:
    """Post every decided payment (see the module docstring) of the ledger. Returns the rows to
    append and the [arxl] columns to write, and the problems."""
    return _Posting(ledger, now, progress).run()


def _records(frame: pd.DataFrame) -> dict[int, Record]:
    """Rows as plain dicts keyed by sheet row, blanks as None (a loop over dicts is far faster
    than over pandas rows)."""
    columns = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame.columns]
    names = list(frame.columns)
    return {int(row): dict(zip(names, values)) for row, values in zip(frame.index, zip(*columns))}


_ACCEPT = {Decision.AUTO: AUTO, Decision.APPROVE: APPROVED}
_WAIT = {Decision.REVIEW, Decision.UNMATCHED}
CORRECT = ("To correct a posted payment: type Reverse in its Action and run Post (every application is "
           "reversed), then clear Action, give it an ApplyTo (or let Match propose again) and run Post.")


class _Posting:
    def __init__(self, ledger: Ledger, now: dt.datetime, progress: Callable[[str, float | None], None]):
        ledger.require_readable("Applications", "Nothing is posted", "no payment is posted twice")
        ledger.require_readable("Matches", "Nothing is posted", "no payment is posted without a row you decided")
        self.invoices = ledger.table("Invoices")
        self.payments = ledger.table("Payments")
        self.unread_payments = ledger.unread_ids("Payments")
        self.matches = ledger.table("Matches", required=False)
        self.applications = ledger.table("Applications", required=False)
        self.application_ids = ledger.ids("Applications") | set(self.applications["ApplicationID"])
        self.memos = ledger.table("Memos", required=False)
        customers = ledger.table("Customers", required=False)
        settings = ledger.settings
        self.now, self.progress, self.decimal_separator = now, progress, settings.decimal_separator
        self.problems = Problems()
        balances, _ = ledger.balances()
        self.targets = _Targets(self.invoices, balances.invoices["OpenBalance"], balances.open_items,
                                customers, settings.base_currency)
        # A payment that names no currency is in the BaseCurrency (WORKBOOK.md, Settings).
        currency = self.payments["Currency"].str.strip().str.upper()
        self.currency = dict(zip(self.payments.index, currency.where(currency != "", settings.base_currency)))
        self.pay = _records(self.payments)
        self.active = self.applications.loc[active_applications(self.applications)]
        self.rows: list[Record] = []
        self.refused: set[int] = set()
        self.match_customer: dict[int, str] = {}  # payment row -> customer its Matches rows name
        self.counts = {"posted": 0, "reversed": 0, "on_account": 0, "exceptions": 0, "awaiting": 0}

    # ---- the run --------------------------------------------------------------------------
    def run(self) -> tuple[PostingResult, Problems]:
        pays = self.payments
        typed = pays["Action"].str.strip() != ""
        reverse = pays["Action"].map(is_reverse).astype(bool)
        # an Action arxl cannot read was reported when the table was read: the payment waits
        self.refused.update(int(row) for row in pays.index[typed & ~reverse])
        for row, payment_id in pays.loc[reverse, "PaymentID"].items():
            self._reverse(row, payment_id)
        posted_ids = set(self.active["PaymentID"])
        self._check_posted(pays.index[~typed & pays["PaymentID"].isin(posted_ids)])
        candidates = pays.index[~typed & ~pays["PaymentID"].isin(posted_ids)]
        plans = self._plans([int(row) for row in candidates])
        # integers compare far faster than Timestamps over thousands of payments
        plans.sort(key=lambda p: (_ORDER[p[1]], self.pay[p[0]]["ReceivedDate"].value, p[0]))
        for i, (row, source, lines) in enumerate(plans):
            if i % 500 == 0:
                self.progress(f"Posting payment {i + 1} of {len(plans)}", i / max(len(plans), 1))
            try:
                self._post(row, source, lines)
            except _Refused as refused:
                self._refuse(row, *refused.where)
        return self._result(), self.problems

    def _refuse(self, payment_row: int, sheet: str, row: int, column: str, value: object, problem: str,
                hint: str) -> None:
        """The payment on ``payment_row`` is not posted; the clerk is told why."""
        self.problems.add(sheet, int(row), column, value, problem, hint)
        self.refused.add(int(payment_row))
        self.counts["exceptions"] += 1

    # ---- deciding what to post --------------------------------------------------------------
    def _plans(self, candidates: list[int]) -> list[tuple[int, Source, list[Line]]]:
        """(payment row, source, lines) for every candidate payment with something decided."""
        by_payment: dict[str, list[tuple[int, Record]]] = {}
        known = set(self.payments["PaymentID"])
        for mrow, m in _records(self.matches).items():
            by_payment.setdefault(m["PaymentID"], []).append((mrow, m))
            if m["PaymentID"] in self.unread_payments:
                self.problems.add("Matches", int(mrow), "PaymentID", m["PaymentID"],
                                  f"payment {m['PaymentID']} is not posted: its row in Payments could not be read "
                                  "(see that row's exception); this row waits as it is",
                                  "Correct the payment's row in Payments; the next Post reads this row again.")
            elif m["PaymentID"] not in known or not m["PaymentID"]:
                self.problems.add("Matches", int(mrow), "PaymentID", m["PaymentID"],
                                  f"payment {m['PaymentID'] or '(blank)'} is not in Payments",
                                  "Run Match again to rebuild the Matches table.")
        plans = []
        for row in candidates:
            pay = self.pay[row]
            try:
                if (pay["ApplyTo"].strip() or pay["PaymentID"] in by_payment) and pay["Amount"] <= 0:
                    raise _Refused("Payments", row, "Amount", _amount(pay["Amount"], self.currency[row]),
                                   "a payment to post must be more than zero",
                                   "Record a returned payment with Action Reverse, not a negative payment.")
                if pay["ApplyTo"].strip():
                    if not pay["PaymentID"]:
                        raise _Refused("Payments", row, "PaymentID", "", "the payment has no PaymentID",
                                       "Run Match first (it numbers blank PaymentIDs), then Post.")
                    plans.append((row, OVERRIDE, self._override_lines(row, pay)))
                elif pay["PaymentID"] and pay["PaymentID"] in by_payment:
                    decided = self._match_lines(row, pay, by_payment[pay["PaymentID"]])
                    if decided is not None:
                        plans.append((row, *decided))
            except _Refused as refused:
                self._refuse(row, *refused.where)
        return plans

    def _override_lines(self, row: int, pay: Record) -> list[Line]:
        text = pay["ApplyTo"]
        try:
            entries = parse_apply_to(text, self.currency[row], self.decimal_separator)
        except ValueError as exc:
            raise _Refused("Payments", row, "ApplyTo", text, f"ApplyTo cannot be read: {exc}",
                           "Write invoice IDs separated by ';', each optionally '=amount' "
                           "(100234; 100240=150.00), or ON ACCOUNT.") from None
        lines = []
        for target, amount in entries:
            found = self.targets.find(target) if target else ""
            if found is None:
                raise _Refused("Payments", row, "ApplyTo", text, f"{target} is not an invoice or debit memo",
                               "Check the invoice ID against the Invoices table.")
            lines.append(Line(found, amount, source=OVERRIDE))
        explicit = sum(line.applied or 0 for line in lines)
        if explicit > pay["Amount"]:
            raise _Refused("Payments", row, "ApplyTo", text,
                           f"ApplyTo asks for {_amount(explicit, self.currency[row])}, more than the "
                           f"payment's {_amount(pay['Amount'], self.currency[row])}",
                           "Lower the amounts so they add up to no more than the payment.")
        self._check_currency(row, "ApplyTo", text, lines)
        # Amounts named first: cash for invoices without one is what remains after them.
        return sorted(lines, key=lambda line: line.applied is None)

    def _match_lines(self, row: int, pay: Record, rows: list[tuple[int, Record]]
                     ) -> tuple[Source, list[Line]] | None:
        """The accepted lines of one payment's Matches rows, with the amounts and invoices as the
        rows show them (a clerk's edits on a row they approve included); None while a row
        awaits a decision or when every row was rejected.

        The payment waits while any invoice row still shows Review or Unmatched (the row for
        cash left over follows the invoice rows' decisions); when the clerk has decided some of
        its rows and not others, an Exception names each row still to decide."""
        decisions = [read_decision(m["Decision"]) for _, m in rows]
        names_invoices = any(m["InvoiceID"] for _, m in rows)
        undecided, unknown = [], False
        for (mrow, m), decision in zip(rows, decisions):
            if decision is None:
                unknown = True  # a word arxl cannot read was reported when Matches was read
                if not m["Decision"]:
                    self.problems.add("Matches", int(mrow), "Decision", "", "no decision",
                                      "Type Approve or Reject; the payment waits until then.")
            elif decision in _WAIT and (m["InvoiceID"] or not names_invoices):
                undecided.append(mrow)
        clerk_decided = any(d in (Decision.APPROVE, Decision.REJECT) for d in decisions)
        if undecided and clerk_decided:
            for mrow in undecided:
                self.problems.add("Matches", int(mrow), "Decision", dict(rows)[mrow]["Decision"],
                                  f"payment {pay['PaymentID']} has rows you decided and this one still to decide",
                                  "Approve or Reject this row too; a payment posts once every row is decided.")
        if undecided or unknown:
            self.counts["awaiting"] += 1
            return None
        accepted = [(mrow, m, _ACCEPT[d]) for (mrow, m), d in zip(rows, decisions) if d in _ACCEPT]
        if not accepted:
            return None
        source = APPROVED if any(src == APPROVED for _, _, src in accepted) else AUTO
        lines = []
        for mrow, m, row_source in accepted:
            if not m["InvoiceID"]:
                continue  # no invoice proposed: the cash left goes on account
            found = self.targets.find(m["InvoiceID"])
            if found is None:
                raise _Refused("Matches", mrow, "InvoiceID", m["InvoiceID"],
                               f"{m['InvoiceID']} is not an invoice or debit memo",
                               "Correct the InvoiceID, run Match again, or give the payment an ApplyTo.")
            amounts = {c: m[c] for c in ("ApplyAmount", "Discount", "WriteOff", "ShortPay")}
            for column, value in amounts.items():
                if value is not None and value < 0:
                    raise _Refused("Matches", mrow, column, _amount(value, self.currency[row]),
                                   "a negative amount", "Amounts in Matches are zero or more.")
            applied, discount, write_off, short_pay = amounts.values()
            if row_source == APPROVED:
                self._check_room(mrow, found, applied or 0, discount or 0, write_off or 0)
            lines.append(Line(found, applied, discount or 0, write_off or 0, short_pay or 0,
                              (m["Reason"] or "") if short_pay else "", row_source,
                              np.nan if m["Confidence"] is None else float(m["Confidence"]),
                              exact=row_source == APPROVED))
        explicit = sum(line.applied or 0 for line in lines)
        if explicit > pay["Amount"]:
            raise _Refused("Payments", row, "Amount", _amount(pay["Amount"], self.currency[row]),
                           f"the accepted Matches rows apply {_amount(explicit, self.currency[row])}, "
                           f"more than the payment",
                           "Correct ApplyAmount in Matches, or give the payment an ApplyTo.")
        self._check_currency(row, "Currency", pay["Currency"], lines)
        self._check_customer(row, pay, accepted)
        return source, sorted(lines, key=lambda line: line.applied is None)

    def _check_room(self, mrow: int, target: str, applied: int, discount: int, write_off: int) -> None:
        """A row a clerk approved settles no more than is open on its invoice: the clerk's
        amounts are applied as typed or not at all, never cut back in silence."""
        room, currency = self.targets.open[target], self.targets.currency[target]
        if applied + discount + write_off > room:
            raise _Refused("Matches", mrow, "ApplyAmount", _amount(applied, currency),
                           f"the row settles {_amount(applied + discount + write_off, currency)} of {target}, "
                           f"which has {_amount(max(room, 0), currency)} open",
                           "Lower ApplyAmount (or Discount, WriteOff) to what is open; the rest of the "
                           "payment goes on account.")

    def _check_customer(self, row: int, pay: Record, accepted: list[tuple[int, Record, Source]]) -> None:
        """The rows name the customer the clerk gave in Payments, if any; and the cash that goes
        on account has a customer to go to."""
        given = pay["CustomerID"]
        for mrow, m, _ in accepted:
            if given and m["CustomerID"] and m["CustomerID"] != given:
                raise _Refused("Matches", mrow, "CustomerID", m["CustomerID"],
                               f"the row names customer {m['CustomerID']} but Payments gives {given}",
                               "Run Match again (it keeps to the customer you gave), or correct one of the two.")
        self.match_customer[row] = next((m["CustomerID"] for _, m, _ in accepted if m["CustomerID"]), "")

    def _check_currency(self, row: int, column: str, value: object, lines: list[Line]) -> None:
        paid_in = self.currency[row]
        for line in lines:
            if line.target and self.targets.currency[line.target] != paid_in:
                raise _Refused("Payments", row, column, value,
                               f"the payment is in {paid_in} but {line.target} is in "
                               f"{self.targets.currency[line.target]}",
                               "Apply a payment only to items in its own currency; put it ON ACCOUNT "
                               "or correct the Currency.")

    # ---- making ledger rows -----------------------------------------------------------------
    def _post(self, row: int, source: Source, lines: list[Line]) -> None:
        """The ledger rows of one payment; nothing is taken from the open balances until the
        whole payment is known to post (a refusal leaves them as they were)."""
        pay = self.pay[row]
        amount, payment_id = pay["Amount"], pay["PaymentID"]
        cash_left = amount
        # ON ACCOUNT=amount keeps that much back from the invoices named without an amount.
        reserved = sum(line.applied or 0 for line in lines if not line.target)
        made: list[Record] = []
        taken: dict[str, int] = {}
        for line in lines:
            if not line.target:
                continue  # on account: takes the remainder at the end
            room = self.targets.open[line.target] - taken.get(line.target, 0)
            wanted = cash_left - reserved if line.applied is None else line.applied
            applied = max(min(wanted, room, cash_left), 0)
            discount = max(min(line.discount, room - applied), 0)
            write_off = max(min(line.write_off, room - applied - discount), 0)
            short_pay = max(min(line.short_pay, room - applied - discount - write_off), 0)
            if room <= 0 or (line.applied is not None and applied < line.applied):
                left = _amount(max(room, 0), self.currency[row])
                self.problems.add("Payments", int(row), "PaymentID", payment_id,
                                  f"{line.target} has only {left} open; the cash meant for it beyond that "
                                  f"goes on account",
                                  "Check whether the invoice was paid twice; apply the cash on "
                                  "account to another invoice, or refund it.")
            if applied == 0 and discount == 0 and write_off == 0:
                continue
            taken[line.target] = taken.get(line.target, 0) + applied + discount + write_off
            cash_left -= applied
            made.append(self._row(payment_id, line.target, self.targets.customer[line.target], applied,
                                  discount, write_off, short_pay,
                                  reason_code(replace(line, discount=discount, write_off=write_off,
                                                       short_pay=short_pay),
                                               applied + discount + write_off, room),
                                  line.source, line.confidence))
        if cash_left:
            customer = self._payment_customer(row, made)
            if not customer:
                raise _Refused("Payments", row, "CustomerID", "",
                               f"{_amount(cash_left, self.currency[row])} would go on account of no customer",
                               "Type the customer's CustomerID in Payments (or give the payment an ApplyTo), "
                               "then run Post again.")
            made.append(self._row(payment_id, "", customer, cash_left, 0, 0, 0,
                                  ReasonCode.OVERPAY if made else ReasonCode.ONACCOUNT, source, np.nan))
            self.counts["on_account"] += 1
        applied_total = sum(r["AppliedAmount"] for r in made)
        if applied_total != amount:
            raise AssertionError(f"cash not conserved for payment {payment_id}: "
                                 f"{applied_total} cents applied of {amount}")
        for target, cents in taken.items():
            self.targets.open[target] -= cents
        self.rows.extend(made)
        self.counts["posted"] += 1

    def _payment_customer(self, row: int, made: list[Record]) -> str:
        """Whose account cash on account belongs to: the clerk's CustomerID, else the customer
        the Matches rows name, else the customer of the first invoice paid."""
        pay = self.pay[row]
        for candidate in (pay["CustomerID"], self.match_customer.get(row), *(r["CustomerID"] for r in made)):
            if candidate:
                return str(candidate)
        return ""

    def _check_posted(self, rows: pd.Index) -> None:
        """A posted payment whose Amount, Currency, CustomerID or ApplyTo the clerk changed
        afterwards no longer agrees with its ledger rows: the clerk is told how to correct it
        (the ledger only grows, so arxl never rewrites what was posted)."""
        ledger = self.active.groupby("PaymentID")
        applied = ledger["AppliedAmount"].sum()
        for row in rows:
            pay = self.pay[int(row)]
            mine = self.active.loc[self.active["PaymentID"] == pay["PaymentID"]]
            posted = int(applied.get(pay["PaymentID"], 0))
            currency = self.currency[int(row)]
            problems = []
            if posted != pay["Amount"]:
                problems.append(("Amount", _amount(pay["Amount"], currency),
                                 f"payment {pay['PaymentID']} was posted as {_amount(posted, currency)}, "
                                 f"but its Amount is now {_amount(pay['Amount'], currency)}"))
            invoices = [i for i in mine["InvoiceID"] if i and i in self.targets.currency]
            other = sorted({self.targets.currency[i] for i in invoices} - {self.currency[int(row)]})
            if other:
                problems.append(("Currency", pay["Currency"],
                                 f"payment {pay['PaymentID']} was applied to items in {', '.join(other)}, "
                                 f"but its Currency is now {self.currency[int(row)]}"))
            customers = {c for c in mine["CustomerID"] if c}
            if pay["CustomerID"] and customers and pay["CustomerID"] not in customers:
                problems.append(("CustomerID", pay["CustomerID"],
                                 f"payment {pay['PaymentID']} was posted to customer {', '.join(sorted(customers))}, "
                                 f"not {pay['CustomerID']}"))
            if pay["ApplyTo"].strip() and not self._applied_as(pay["ApplyTo"], currency, mine):
                problems.append(("ApplyTo", pay["ApplyTo"],
                                 f"payment {pay['PaymentID']} was posted otherwise than its ApplyTo now says"))
            for column, value, problem in problems:
                self.problems.add("Payments", int(row), column, value, problem, CORRECT)

    def _applied_as(self, apply_to: str, currency: str, applications: pd.DataFrame) -> bool:
        """Whether a payment's active applications are what its ApplyTo says: the same
        invoices, with the amounts it names (in the payment's ``currency``)."""
        try:
            entries = parse_apply_to(apply_to, currency, self.decimal_separator)
        except ValueError:
            return False
        by_invoice = applications.groupby("InvoiceID")["AppliedAmount"].sum()
        named = {(self.targets.find(t) or t) if t else "": a for t, a in entries}
        invoices = {i for i in by_invoice.index if i}
        if {t for t in named if t} != invoices:
            return False
        return all(a is None or int(by_invoice.get(t, 0)) == a for t, a in named.items())

    def _reverse(self, row: int, payment_id: str) -> None:
        if not payment_id:
            return
        rows = self.active.loc[self.active["PaymentID"] == payment_id]
        missing = rows.loc[rows["ApplicationID"] == ""]
        for app_row in missing.index:
            self.problems.add("Applications", int(app_row), "ApplicationID", "",
                              "an application without an ApplicationID cannot be reversed",
                              "Give the row a unique ApplicationID, then run Post again.")
        rows = rows.loc[rows["ApplicationID"] != ""]
        for _, app in rows.iterrows():
            applied, discount, write_off, short_pay = (-int(app[c]) if pd.notna(app[c]) else 0
                                                        for c in _AMOUNTS)
            self.rows.append(self._row(payment_id, app["InvoiceID"], app["CustomerID"], applied, discount, write_off,
                                       short_pay, f"{ReasonCode.REVERSAL}:{app['ApplicationID']}", REVERSAL, np.nan))
            if app["InvoiceID"] in self.targets.open:
                self.targets.open[app["InvoiceID"]] -= applied + discount + write_off
        if len(rows):
            self.counts["reversed"] += 1

    def _row(self, payment_id: str, invoice_id: str, customer_id: str, applied: int, discount: int,
             write_off: int, short_pay: int, reason: str, source: Source, confidence: float) -> Record:
        return {"PaymentID": payment_id, "InvoiceID": invoice_id, "CustomerID": customer_id,
                "AppliedAmount": applied, "DiscountTaken": discount, "WriteOff": write_off,
                "ShortPay": short_pay, "ReasonCode": reason, "Source": source, "Confidence": confidence}

    # ---- results ----------------------------------------------------------------------------
    def _result(self) -> PostingResult:
        new = _ledger_frame(self.rows, next_ids(self.application_ids, len(self.rows), ID_PREFIX, ID_DIGITS),
                            self.now)
        ledger = pd.concat([self.applications, new], ignore_index=True) if len(new) else self.applications
        balances, _ = compute_balances(self.invoices, ledger, self.memos, self.payments)
        active = ledger.loc[active_applications(ledger)]
        on_account = active.loc[active["InvoiceID"] == ""].groupby("PaymentID")["AppliedAmount"].sum()
        pays = self.payments
        ids = pays["PaymentID"]
        reversing = pays["Action"].map(is_reverse).astype(bool)
        posted = (ids != "") & ids.isin(set(active["PaymentID"])) & ~reversing
        refused = pays.index.isin(list(self.refused)) & ~posted & ~reversing
        status = pd.Series(np.select([reversing, posted, refused],
                                     [MatchStatus.REVERSED, MatchStatus.POSTED, MatchStatus.EXCEPTION], ""),
                           index=pays.index, dtype=object)
        # Unapplied: cash on account once posted; all of a refused payment; nothing once reversed.
        unapplied = (lookup(ids, on_account.astype("Int64")).fillna(0).where(posted, 0)
                     .where(~refused, pays["Amount"]).astype("Int64"))
        touched = status != ""
        payment_status = pd.DataFrame({"MatchStatus": status[touched], "Unapplied": unapplied[touched]})
        paid: dict[str, list[str]] = {}
        customer: dict[str, str] = {}
        for r in self.rows:
            if r["Source"] != REVERSAL:
                paid.setdefault(r["PaymentID"], [])
                if r["InvoiceID"]:
                    paid[r["PaymentID"]].append(r["InvoiceID"])
                if r["CustomerID"]:
                    customer.setdefault(r["PaymentID"], r["CustomerID"])
        fresh = ids.loc[ids.isin(set(paid))]
        payment_matches = pd.DataFrame({
            "MatchedCustomerID": [customer.get(i, "") for i in fresh],
            "MatchedInvoices": ["; ".join(paid[i]) for i in fresh],
        }, index=fresh.index)
        settled = set(ids[posted | reversing])
        return PostingResult(new, balances.invoices, payment_status, payment_matches, settled, self.counts)


def _ledger_frame(rows: list[dict[str, Any]], ids: list[str], now: dt.datetime) -> pd.DataFrame:
    """New Applications rows, typed as the ledger's columns."""
    values: dict[str, list[Any]] = {c: [r[c] for r in rows] for c in APPLICATIONS.names if rows and c in rows[0]}
    values["ApplicationID"] = ids
    values["PostedAt"] = [pd.Timestamp(now)] * len(rows)
    values["Confidence"] = [None if pd.isna(r["Confidence"]) else r["Confidence"] for r in rows]
    return table_frame(APPLICATIONS, values if rows else {})
