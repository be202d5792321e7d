"""The day's new remittances: one batch of payments received one to five days before the as-of
date, not yet matched, carrying the noise cash application meets (``PAYMENT_KINDS``, and the
tags of ``arxl.demo.remittances.NOISE``): discounts, deductions, partials, overpayments,
payments with no reference, from parents, aliases, processors and strangers, duplicates, and a
clerk's overrides. Beside each Payments row the batch keeps its truth: what the payment really
pays.

The batch pays from what the ledger says is open (``Invoice.open`` and ``Invoice.status``, from
``arxl.core.balances``), and never takes more than that from an invoice.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable

from arxl.contract import ON_ACCOUNT, InvoiceStatus
from arxl.core.money import minor_to_decimal
from arxl.demo.remittances import SHORT_REASONS, bank_name, bank_wrap, edi_820, range_text, remittance
from arxl.demo.world import CENTS, Customer, Invoice, Line, plain_ascii, weighted

BATCH_DAYS = 5  # the new remittances arrived one to five days before the as-of date

# The kinds of new payment and their share of the batch (each kind appears at least once when
# the batch has room for all of them).
PAYMENT_KINDS = {
    "single": 21, "multi": 10, "long_list": 2, "foreign_currency": 3, "range": 3, "edi_820": 7,
    "discount": 7, "short_pay": 6,
    "small_difference": 3, "partial": 4, "overpay": 3, "no_reference": 7, "no_reference_multi": 3,
    "po_reference": 5, "parent_payer": 4, "alias_payer": 3, "processor": 4, "unknown_payer": 3,
    "already_paid": 2, "paid_twice": 1, "override": 3,
}
PROCESSORS = ["AVIDXCHANGE INC", "BILL.COM", "PAYMODE-X", "CORPAY", "VERSAPAY", "COUPA PAY"]
STRANGERS = ["ZELLE FROM K OBRIEN", "MOBILE DEPOSIT", "IRS TREAS 310 TAX REF", "STATE OF MD REFUND",
             "R GUTIERREZ", "INTEREST PAYMENT", "HARBORVIEW TENANTS ASSN", "MISC CREDIT",
             "NATL UNION FIRE INS CO"]
# Disputed and short-paid invoices wait for the clerk; customers pay only these.
PAYABLE = frozenset({InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID})


def _anyone(customer: Customer) -> bool:
    return True


class Batch:
    """Builds the new remittances, one kind at a time, and remembers the truth of each:
    ``rows`` are Payments rows (without PaymentID), ``truth`` one dict per row."""

    def __init__(self, rng: random.Random, customers: list[Customer], invoices: list[Invoice],
                 as_of: dt.date):
        self.rng = rng
        self.as_of = as_of
        self.days = [d for d in (as_of - dt.timedelta(days=k) for k in range(BATCH_DAYS, 0, -1)) if d.weekday() < 5]
        self.customers = customers
        self.open_by_customer: dict[str, list[Invoice]] = defaultdict(list)
        for inv in invoices:
            if inv.status in PAYABLE and inv.date < self.days[0]:
                self.open_by_customer[inv.customer.id].append(inv)
        self.paid_invoices = [inv for inv in invoices if inv.status == InvoiceStatus.PAID]
        self.children: dict[str, list[Customer]] = defaultdict(list)
        for c in customers:
            if c.parent:
                self.children[c.parent.id].append(c)
        self.rows: list[dict] = []
        self.truth: list[dict] = []

    # -- choosing what is paid --
    def _take(self, inv: Invoice) -> None:
        self.open_by_customer[inv.customer.id].remove(inv)

    def _customer(self, need: int = 1, where: Callable[[Customer], bool] = _anyone) -> Customer | None:
        pool = [c for c in self.customers if len(self.open_by_customer[c.id]) >= need and where(c)]
        if not pool:
            return None
        return self.rng.choices(pool, [c.weight + 1 for c in pool])[0]

    def _due_first(self, customer: Customer, k: int) -> list[Invoice]:
        """``k`` of the customer's open invoices, drawn from those due first (customers pay
        the oldest first, mostly), in number order."""
        opens = sorted(self.open_by_customer[customer.id], key=lambda i: i.due)
        picked = sorted(self.rng.sample(opens[:k + 3], min(k, len(opens))), key=lambda i: i.seq)
        for inv in picked:
            self._take(inv)
        return picked

    def _one_due(self, where: Callable[[Customer], bool] = _anyone) -> Invoice | None:
        """One invoice due first of a customer drawn among those ``where`` allows."""
        c = self._customer(1, where)
        return self._due_first(c, 1)[0] if c else None

    def _made(self, kind: str) -> int:
        """How many payments of ``kind`` the batch has so far (kinds that alternate take turns)."""
        return sum(1 for t in self.truth if t["Kind"] == kind)

    # -- writing a payment --
    def _add(self, kind: str, customer: Customer | None, lines: list[Line], payer: str,
             reference: str, method: str, tags: list[str], day: dt.date | None = None,
             account: str = "", ctx: bool = False, **clerk) -> None:
        """A Payments row of ``lines`` (its Amount is theirs) and its truth; ``clerk`` holds the
        clerk's CustomerID and ApplyTo, when the clerk typed them."""
        rng = self.rng
        amount = sum(line.applied for line in lines)
        day = day or rng.choice(self.days)
        currency = customer.currency if customer else "USD"
        if method in ("ACH", "Wire") or rng.random() < 0.3:
            if not account and customer and customer.accounts and rng.random() < 0.8:
                account = rng.choice(customer.accounts)
                tags.append("payer_account_on_file")
        if method in ("ACH", "Wire"):
            reference = bank_wrap(rng, payer, reference, method, currency, day, tags, ctx)
        if not reference:
            tags.append("ref_none")
        if "ApplyTo" in clerk:
            tags.append("clerk_apply_to")
        if clerk.get("CustomerID"):
            tags.append("clerk_customer")
        self.rows.append(dict(
            ReceivedDate=day, PayerName=payer, Amount=minor_to_decimal(amount, CENTS), Currency=currency, Method=method,
            CheckNumber=str(rng.randint(1000, 99999)) if method in ("Check", "Lockbox") else None,
            PayerAccount=account or None, Reference=reference or None,
            CustomerID=clerk.get("CustomerID"), ApplyTo=clerk.get("ApplyTo"), Action=None,
            MatchStatus=None, MatchedCustomerID=None, MatchedInvoices=None, Confidence=None, Unapplied=None))
        self.truth.append(dict(Kind=kind, CustomerID=customer.id if customer else "",
                               Amount=minor_to_decimal(amount, CENTS), Currency=currency,
                               Lines=[dict(InvoiceID=line.invoice.id if line.invoice else "",
                                           Applied=minor_to_decimal(line.applied, CENTS),
                                           Discount=minor_to_decimal(line.discount, CENTS),
                                           WriteOff=minor_to_decimal(line.write_off, CENTS),
                                           ShortPay=minor_to_decimal(line.short, CENTS))
                                      for line in lines],
                               Noise=sorted(dict.fromkeys(tags))))

    def _payer(self, customer: Customer, method: str, tags: list[str]) -> str:
        if method in ("Check", "Lockbox") and self.rng.random() < 0.5:
            tags.append("payer_clean")
            return customer.name  # as printed on the cheque
        return bank_name(self.rng, customer.name, tags, 35 if method == "Wire" else None)

    def _method(self, customer: Customer) -> str:
        if customer.currency != "USD":
            return "Wire"
        return weighted(self.rng, {"ACH": 45, "Check": 17, "Lockbox": 15, "Wire": 12, "Card": 5})

    def _plain(self, kind: str, customer: Customer, lines: list[Line], note: str = "",
               payer: str | None = None, tags: list[str] | None = None, **clerk) -> None:
        """A payment of ``lines`` by ``customer`` with an ordinary remittance (a line without an
        invoice is cash the payer sent beyond them)."""
        tags = tags if tags is not None else []
        method = self._method(customer)
        payer = payer or self._payer(customer, method, tags)
        ocr = 0.12 if method == "Lockbox" else 0.03
        if note:
            tags.append("ref_reason")
        reference = remittance(self.rng, [line for line in lines if line.invoice], tags, ocr, note)
        self._add(kind, customer, lines, payer, reference, method, tags, **clerk)

    # -- the kinds: each adds its payment(s) and says whether the world had room for it --
    def single(self) -> bool:
        inv = self._one_due()
        if not inv:
            return False
        self._plain("single", inv.customer, [Line(inv, inv.open)])
        return True

    def foreign_currency(self) -> bool:
        """A wire from a customer billed in euros (a name with accents, when there is one) or
        Canadian dollars, in turn."""
        currency = ("EUR", "CAD")[self._made("foreign_currency") % 2]
        c = (self._customer(1, lambda c: c.currency == currency and plain_ascii(c.name) != c.name)
             or self._customer(1, lambda c: c.currency == currency))
        if not c:
            return False
        self._plain("foreign_currency", c, [Line(inv, inv.open) for inv in self._due_first(c, self.rng.randint(1, 3))])
        return True

    def multi(self) -> bool:
        c = self._customer(2)
        if not c:
            return False
        picked = self._due_first(c, self.rng.randint(2, min(8, len(self.open_by_customer[c.id]))))
        self._plain("multi", c, [Line(inv, inv.open) for inv in picked])
        return True

    def long_list(self) -> bool:
        """A dozen invoices or more: the bank keeps only the first 80 (ACH) or 140 (wire)
        characters, so the tail of the list is lost and only the amount can tell."""
        c = self._customer(10)
        if not c:
            return False
        picked = self._due_first(c, self.rng.randint(10, min(16, len(self.open_by_customer[c.id]))))
        tags = ["ref_list"]
        method = "Wire" if c.currency != "USD" or self._made("long_list") % 2 else "ACH"
        text = "INVOICES " + " ".join(inv.id for inv in picked)
        self._add("long_list", c, [Line(inv, inv.open) for inv in picked], self._payer(c, method, tags),
                  text, method, tags)
        return True

    def range(self) -> bool:
        batches: dict[int, list[Invoice]] = defaultdict(list)
        for opens in self.open_by_customer.values():
            for inv in opens:
                if inv.open == inv.amount:
                    batches[inv.batch].append(inv)
        candidates: list[list[Invoice]] = [b for b in batches.values() if len(b) >= 2]
        if not candidates:
            return False
        chosen: list[Invoice] = self.rng.choice(sorted(candidates, key=lambda b: b[0].seq))
        picked = sorted(chosen, key=lambda i: i.seq)
        for inv in picked:
            self._take(inv)
        c = picked[0].customer
        tags: list[str] = []
        method = self._method(c)
        text = self.rng.choice(["INV ", "INVOICES ", "PMT ", ""]) + range_text(self.rng, picked, tags)
        self._add("range", c, [Line(inv, inv.open) for inv in picked], self._payer(c, method, tags),
                  text, method, tags)
        return True

    def edi_820(self) -> bool:
        c = self._customer(1, lambda c: c.currency == "USD")
        if not c:
            return False
        day = self.rng.choice(self.days)
        lines = []
        for inv in self._due_first(c, self.rng.randint(1, 6)):
            discount = c.parsed_terms.discount_on(inv.amount, inv.date, day) if inv.open == inv.amount else 0
            lines.append(Line(inv, inv.open - discount, discount=discount))
        tags: list[str] = []
        self._add("edi_820", c, lines, bank_name(self.rng, c.name, tags, 16),
                  edi_820(self.rng, lines, tags), "ACH", tags, day=day, ctx=True)
        return True

    def discount(self) -> bool:
        day = self.days[-1]
        eligible = [inv for opens in self.open_by_customer.values() for inv in opens
                    if inv.open == inv.amount and inv.customer.parsed_terms.discount_on(inv.amount, inv.date, day)]
        if not eligible:
            return False
        inv = self.rng.choice(sorted(eligible, key=lambda i: i.seq))
        self._take(inv)
        disc = inv.customer.parsed_terms.discount_on(inv.amount, inv.date, day)
        note = self.rng.choice(["LESS 2% DISC", "DISC TAKEN", "", f"LESS DISCOUNT {minor_to_decimal(disc, CENTS)}",
                                "NET OF DISCOUNT"])
        self._plain("discount", inv.customer, [Line(inv, inv.open - disc, discount=disc)], note, day=day)
        return True

    def short_pay(self) -> bool:
        inv = self._one_due()
        if not inv:
            return False
        reason = self.rng.choice(SHORT_REASONS + ["FREIGHT", "TAX EXEMPT"])
        if reason == "FREIGHT" and inv.freight:
            short, note = inv.freight, "FREIGHT NOT ALLOWED"
        elif reason == "TAX EXEMPT" and inv.tax:
            short, note = inv.tax, "TAX EXEMPT - CERT ON FILE"
        else:
            reason = reason if reason not in ("FREIGHT", "TAX EXEMPT") else "PRICING"
            short = min(inv.open // 2, self.rng.choice([2500, 5000, 12050, inv.open * self.rng.randint(2, 15) // 100]))
            note = self.rng.choice([f"LESS {minor_to_decimal(short, CENTS)} {reason}", f"DED {reason}",
                                    f"{reason} DEDUCTION", f"SHORT PAID {reason}"])
        self._plain("short_pay", inv.customer, [Line(inv, inv.open - short, short=short, reason=reason)], note)
        return True

    def small_difference(self) -> bool:
        inv = self._one_due()
        if not inv:
            return False
        diff = self.rng.choice([1, 2, 10, 100, 250, 300, 475])
        self._plain("small_difference", inv.customer, [Line(inv, inv.open - diff, write_off=diff)])
        return True

    def partial(self) -> bool:
        inv = self._one_due()
        if not inv:
            return False
        part = inv.open // self.rng.choice([2, 3, 4])
        note = self.rng.choice(["PARTIAL PMT", "INSTALLMENT 1 OF 3", "PMT PLAN", "PARTIAL PAYMENT", ""])
        self._plain("partial", inv.customer, [Line(inv, part)], note)
        return True

    def overpay(self) -> bool:
        c = self._customer()
        if not c:
            return False
        picked = self._due_first(c, self.rng.randint(1, 2))
        lines = [Line(inv, inv.open) for inv in picked]
        total = sum(line.applied for line in lines)
        extra = self.rng.choice([1000, 2500, 10000, total // 10 or 500])
        self._plain("overpay", c, lines + [Line(None, extra)])
        return True

    def no_reference(self, kind: str = "no_reference") -> bool:
        """A payment with no usable reference: one invoice, or (``no_reference_multi``) two or
        three, sometimes with a statement date."""
        k = 1 if kind == "no_reference" else self.rng.randint(2, 3)
        c = self._customer(k, lambda c: c.currency == "USD")
        if not c:
            return False
        picked = self._due_first(c, k)
        tags: list[str] = []
        method = self.rng.choice(["ACH", "Check", "Lockbox"])
        text = "" if method != "ACH" else self.rng.choice(["", "PAYMENT", "ACH PMT", "VENDOR PAYMENT", "THANK YOU"])
        if kind != "no_reference" and self.rng.random() < 0.5:
            text = f"STATEMENT {self.as_of.replace(day=1) - dt.timedelta(days=1):%m/%d}"
        self._add(kind, c, [Line(inv, inv.open) for inv in picked], self._payer(c, method, tags), text,
                  method, tags)
        return True

    def po_reference(self) -> bool:
        inv = self._one_due(lambda c: bool(c.po_style))
        if not inv:
            return False
        c = inv.customer
        if not inv.po:
            self.open_by_customer[c.id].append(inv)
            return False
        tags = ["ref_po"]
        text = self.rng.choice(["PO ", "P.O. #", "YOUR PO ", "PURCHASE ORDER ", ""]) + inv.po
        method = self._method(c)
        self._add("po_reference", c, [Line(inv, inv.open)], self._payer(c, method, tags), text, method, tags)
        return True

    def parent_payer(self) -> bool:
        parents = [c for c in self.customers if any(self.open_by_customer[k.id] for k in self.children[c.id])]
        if not parents:
            return False
        parent = self.rng.choice(parents)
        invs = [inv for child in self.children[parent.id] for inv in self.open_by_customer[child.id]]
        picked = sorted(self.rng.sample(invs, min(len(invs), self.rng.randint(2, 5))), key=lambda i: i.seq)
        for inv in picked:
            self._take(inv)
        tags = ["payer_parent"]
        payer = bank_name(self.rng, parent.name, tags)
        self._plain("parent_payer", picked[0].customer, [Line(inv, inv.open) for inv in picked], payer=payer, tags=tags)
        return True

    def alias_payer(self) -> bool:
        inv = self._one_due(lambda c: bool(c.aliases))
        if not inv:
            return False
        tags = ["payer_alias"]
        alias = self.rng.choice(inv.customer.aliases)
        payer = alias.upper() if self.rng.random() < 0.6 else bank_name(self.rng, alias, tags)
        self._plain("alias_payer", inv.customer, [Line(inv, inv.open)], payer=payer, tags=tags)
        return True

    def processor(self) -> bool:
        c = self._customer(1, lambda c: c.currency == "USD")
        if not c:
            return False
        picked = self._due_first(c, self.rng.randint(1, 3))
        lines = [Line(inv, inv.open) for inv in picked]
        tags = ["payer_processor"]
        processor = self.rng.choice(PROCESSORS)
        name = bank_name(self.rng, c.name, tags, 22)
        payer = processor if self.rng.random() < 0.5 else f"{processor} {name}"[:35]
        text = f"{remittance(self.rng, lines, tags, 0)} ON BEHALF OF {name}"
        self._add("processor", c, lines, payer, text, "ACH", tags,
                  account=str(self.rng.randint(10**9, 10**10 - 1)))
        return True

    def unknown_payer(self) -> bool:
        tags = ["payer_unknown"]
        amount = int(self.rng.lognormvariate(10.5, 1.0))
        text = self.rng.choice(["", "REFUND", "DEPOSIT", f"REF {self.rng.randint(1000, 99999)}", "RENT NOV"])
        self._add("unknown_payer", None, [Line(None, amount)], self.rng.choice(STRANGERS), text,
                  self.rng.choice(["ACH", "Check"]), tags)
        return True

    def already_paid(self) -> bool:
        if not self.paid_invoices:
            return False
        inv = self.rng.choice(self.paid_invoices)
        c = inv.customer
        tags: list[str] = []
        method = self._method(c)
        text = remittance(self.rng, [Line(inv, inv.amount)], tags, 0)
        self._add("already_paid", c, [Line(None, inv.amount)], self._payer(c, method, tags), text, method, tags)
        return True

    def paid_twice(self) -> bool:
        """A cheque, then an ACH the same day for the same invoice: the second pays nothing."""
        inv = self._one_due(lambda c: c.currency == "USD")
        if not inv:
            return False
        c = inv.customer
        tags: list[str] = []
        text = remittance(self.rng, [Line(inv, inv.open)], tags, 0)
        day = self.rng.choice(self.days)
        self._add("paid_twice", c, [Line(inv, inv.open)], c.name, text, "Check", tags[:], day=day)
        self._add("paid_twice", c, [Line(None, inv.open)], bank_name(self.rng, c.name, tags), text,
                  "ACH", tags, day=day)
        return True

    def override(self) -> bool:
        """The clerk knows better than the remittance and says so in ApplyTo (and CustomerID)."""
        variant = self._made("override") % 3
        if variant == 2:  # a deposit on an order: the clerk keeps it on account
            c = self._customer(0, lambda c: c.currency == "USD")
            if c is None:
                return False
            amount = self.rng.choice([100000, 250000, 500000])
            tags: list[str] = []
            self._add("override", c, [Line(None, amount)], self._payer(c, "ACH", tags),
                      f"DEPOSIT ORDER {self.rng.randint(5000, 9999)}", "ACH", tags,
                      ApplyTo=ON_ACCOUNT, CustomerID=c.id)
            return True
        c = self._customer(2, lambda c: c.currency == "USD")
        if not c:
            return False
        picked = self._due_first(c, 2)
        if variant == 0:  # no reference; the customer's AP emailed the list
            lines = [Line(inv, inv.open) for inv in picked]
            apply_to = ";".join(inv.id for inv in picked)
        else:  # a split the clerk agreed on the phone
            lines = [Line(inv, inv.open // 2) for inv in picked]
            apply_to = ";".join(f"{inv.id}={minor_to_decimal(line.applied, CENTS)}" for inv, line in zip(picked, lines))
        tags = []
        self._add("override", c, lines, self._payer(c, "Check", tags), "", "Check", tags,
                  ApplyTo=apply_to, CustomerID=c.id if variant == 0 else None)
        return True

    def build(self, n: int) -> None:
        """``n`` payments, the kinds in the proportions of ``PAYMENT_KINDS`` in a seeded order; a
        kind the world has no room for becomes a single payment."""
        makers: dict[str, Callable[[], bool]] = {
            "single": self.single, "multi": self.multi, "long_list": self.long_list,
            "foreign_currency": self.foreign_currency, "range": self.range, "edi_820": self.edi_820,
            "discount": self.discount, "short_pay": self.short_pay,
            "small_difference": self.small_difference, "partial": self.partial,
            "overpay": self.overpay, "no_reference": self.no_reference,
            "no_reference_multi": lambda: self.no_reference("no_reference_multi"),
            "po_reference": self.po_reference, "parent_payer": self.parent_payer,
            "alias_payer": self.alias_payer, "processor": self.processor,
            "unknown_payer": self.unknown_payer, "already_paid": self.already_paid,
            "paid_twice": self.paid_twice, "override": self.override}
        plan = _allocate(n, PAYMENT_KINDS)
        self.rng.shuffle(plan)
        for kind in plan:
            room = n - len(self.rows)
            if room <= 0:
                break
            if kind == "paid_twice" and room < 2 or not makers[kind]():
                self.single()


def _allocate(n: int, weights: dict[str, int]) -> list[str]:
    """``n`` kinds in proportion to ``weights`` (largest remainders), each at least once when
    ``n`` leaves room for all."""
    total = sum(weights.values())
    floor = 1 if n >= len(weights) else 0
    counts = {k: max(floor, n * w // total) for k, w in weights.items()}
    by_remainder = sorted(weights, key=lambda k: (-(n * weights[k] % total), k))
    i = 0
    while sum(counts.values()) < n:
        counts[by_remainder[i % len(by_remainder)]] += 1
        i += 1
    while sum(counts.values()) > n:
        biggest = max(counts, key=lambda kind: counts[kind])
        counts[biggest] -= 1
    return [k for k in weights for _ in range(counts[k])]
