"""The rules that keep cash safe: what a proposal must never be posted without a clerk, however
sure the evidence makes the matcher.

How sure it is comes from the evidence alone (``model``: weights learned from the workbook).
These rules are not weights: each names a situation in which a wrong automatic posting would
cost more than a clerk's look, so a proposal it holds is Review whatever its Confidence. They
are stated here, once, as a table (``RULES``: the rule and the sentence the Evidence gives).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# How well a payer name must fit a customer's (0..1) to plainly be it, and to resemble it.
STRONG_NAME, FAIR_NAME = 0.8, 0.6
# "Far ahead": a hundred times as likely, in bits. A payment is posted without a clerk only when
# its explanation is this far ahead of the runner-up, and invoices found by the sum only when
# chance would give such a set this rarely.
FAR_AHEAD_BITS = math.log2(100)


class Rule(StrEnum):
    """A situation in which a proposal is never posted automatically."""

    UNKNOWN_PAYER = "unknown payer"
    SHARED_NAME = "name shared"
    MIXED_CUSTOMERS = "mixed customers"
    NAMES_CLOSED = "names invoices not open"
    DISPUTED = "disputed"
    PARTIAL_SPREAD = "partial payment spread"
    REST_NEAR_INVOICE = "rest near an open invoice"
    DEDUCTION_OR_LEFT_OUT = "deduction, or an invoice left out"
    DEDUCTION_OR_UNPAID = "deduction, or an invoice unpaid"
    SUM_BY_CHANCE = "sum by chance"
    UNEXPLAINED = "unsettled, with more named"
    LOOSE_UNSETTLED = "keying error, unsettled"
    SETTLED_INSTEAD = "another reading settles"
    MISSPELT_INSTEAD = "an invoice number misspelt"
    DEDUCTION_UNBORNE = "a deduction the amount does not bear out"
    SETTLES_ANOTHER = "a part payment that settles another invoice"
    SPOKEN_FOR = "spoken for"
    NAMED_ELSEWHERE = "named by another payment"
    ROUND_REST = "round rest"


@dataclass(frozen=True)
class Row:
    """A rule of the table and the sentence the Evidence gives (``{detail}`` from the proposal)."""

    rule: Rule
    sentence: str


RULES: tuple[Row, ...] = (
    # Known: by name, by an account on file or a link the clerk kept, by the clerk's CustomerID,
    # by a learned link that independent evidence bears out (an invoice named exactly, the only
    # reference a keying error away with an amount that settles it, a sum chance would hardly
    # give), or by invoices with an amount that settles them, one named exactly or with a keying
    # error where no other reference lies that near.
    Row(Rule.UNKNOWN_PAYER, "the payer is not known to be {detail} by name, account, or invoices named exactly "
                            "and settled"),
    # Invoices found by their sum alone, of a customer known by nothing but a name that fits
    # another customer as well (sites, namesakes, the same name but for its legal form): whose
    # invoices these are is the name's guess.
    Row(Rule.SHARED_NAME, "the payer's name fits {detail} as well, and no invoice named or account tells them "
                          "apart"),
    Row(Rule.MIXED_CUSTOMERS, "the invoices belong to {detail} different customers"),
    # An invoice of ours not open (paid already: twice?), or a number one keying error from
    # another open invoice of the customer; or any number shaped like ours naming nothing open,
    # where the amount does not settle what was read by itself (a payer's receipt number beside
    # invoices the amount settles holds nothing: it only counts against the explanation; nor does
    # one read only as other customers' invoices with keying errors, beside invoices the sum found
    # that chance would hardly give, for a payer known to be the customer).
    Row(Rule.NAMES_CLOSED, "it also names {detail}, not open"),
    Row(Rule.DISPUTED, "an invoice named is marked Disputed"),
    Row(Rule.PARTIAL_SPREAD, "a partial payment spread over {detail} invoices"),
    # The rest of an overpayment below another open invoice of the customer by no more than a
    # small deduction: that invoice paid less a deduction, or money to keep on account?
    Row(Rule.REST_NEAR_INVOICE, "the money left over could be {detail} of the same customer, less a deduction"),
    # Several invoices paid less a deduction, while another open invoice of the customer, paid
    # too, would leave a deduction still small: a deduction alone, or an invoice left out of the
    # list and a larger deduction?
    Row(Rule.DEDUCTION_OR_LEFT_OUT, "the shortfall could also be a larger deduction with {detail} of the same "
                                    "customer paid too"),
    # Several invoices named and paid less a deduction as large as one of them (to a cent): all
    # paid less a deduction, or that one not paid at all?
    Row(Rule.DEDUCTION_OR_UNPAID, "the shortfall is what {detail} is open for: it may not be paid at all"),
    # A number read with a keying error undone may be another invoice (or one not open): only an
    # amount that settles what it names bears the reading out.
    Row(Rule.LOOSE_UNSETTLED, "a number read with a keying error undone needs an amount that settles it"),
    # An open invoice named exactly that the amount does not settle, while one keying error from
    # what was written lies another open invoice the amount settles (in full, or less the discount
    # its terms allow): which one is paid is for a clerk (the one named is proposed: it is what
    # the remittance says).
    Row(Rule.SETTLED_INSTEAD, "the amount does not settle the invoice named, but settles {detail}, one keying "
                              "error from what was written"),
    # A number read in part as another column's reference (a PO or order number without its
    # prefix or zeros) that the amount does not settle, while it is one keying error from an
    # invoice number of the customer's: which one is paid is for a clerk.
    Row(Rule.MISSPELT_INSTEAD, "what was written is also {detail} of the same payer with one keying error"),
    # The remittance speaks of a deduction (LESS TDS, DAMAGED), yet the amount pays more than the
    # invoices it names, or so much less that no such deduction explains it: what else is paid,
    # or what was deducted, is for a clerk.
    Row(Rule.DEDUCTION_UNBORNE, "the remittance speaks of a deduction ({detail}) that the amount does not bear out"),
    # Part of the one invoice named is paid, and the amount is what another open invoice of the
    # same customer is open for, to the cent: that one, named too briefly to be read ("PAY 18"),
    # or by another number, is as likely what is paid.
    Row(Rule.SETTLES_ANOTHER, "the amount pays part of the invoice named, and is what {detail} of the same "
                              "customer is open for"),
    # An amount that does not settle the invoices, and more in the text than they explain: what
    # is paid may be what was not read.
    Row(Rule.UNEXPLAINED, "the amount does not settle the invoices, and the remittance also names {detail}"),
    # Invoices found because they add up to (the rest of) the amount, among so many open invoices
    # of the customer that such a set would turn up by chance more than once in a hundred.
    Row(Rule.SUM_BY_CHANCE, "the customer has so many open invoices that some would add up to it by chance "
                            "(about {detail} such sets expected)"),
    # The rest of an overpayment a round sum, which the sum of open invoices makes up: money paid
    # over (rounded up, kept as credit) is as likely as an invoice that happens to be round.
    Row(Rule.ROUND_REST, "the money left over, {detail}, is a round sum, as likely paid over as an invoice of the "
                         "same amount"),
    # Proposed again, against what the batch's surer payments left open.
    Row(Rule.SPOKEN_FOR, "{detail} in this batch"),
    # An invoice found by the amount alone that another payment of the batch names: that payment
    # is likelier what pays it, and a sum that happens to match it (the rest of an overpayment
    # equal to its balance) a coincidence.
    Row(Rule.NAMED_ELSEWHERE, "{detail}"),
)
_ROW = {row.rule: row for row in RULES}


@dataclass(frozen=True)
class Held:
    """A rule found true of a proposal, with what its sentence names (a count, invoices)."""

    rule: Rule
    detail: str = ""

    @property
    def sentence(self) -> str:
        return _ROW[self.rule].sentence.format(detail=self.detail)


HELD = "never posted without a clerk: "  # what begins each held rule's sentence in the Evidence


def held_sentences(held: Iterable[Held]) -> list[str]:
    """What each rule holding a proposal adds to the Evidence, in the order of ``RULES``."""
    found = {h.rule: h for h in held}
    return [HELD + found[row.rule].sentence for row in RULES if row.rule in found]
