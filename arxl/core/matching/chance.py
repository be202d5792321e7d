"""How often each comparison level occurs by chance: the u probabilities of the fields that compare
a payment with an invoice, measured between the batch's payments and the workbook's open items
as random pairs (as Splink estimates u by random sampling).

- REFERENCE: how many references of each column a remittance reads at each level (counted over
  a sample of the batch's remittances), over how many references the column has; two keying
  errors from the share of the column's references that far from the numbers remittances
  write. Dense numbering makes a keying error common by chance; sparse numbering, rare.
- AMOUNT: how often a random open invoice's balance settles the amount exactly, less its
  discount, within the write-off tolerance, short or over by so much (from the balances).
- PAYER_NAME: how well payers' names fit the customers of random open invoices (a customer with
  many open invoices is drawn as often as they have).
- PAYER_LINK: how a payer's account or link names the customers of random open invoices.
- DATE: days between payments and random open invoices.
OTHER_REFERENCES describes how a candidate was built rather than what it compares: it has no
chance pairs, and its u is left to EM (None).
"""
from __future__ import annotations

import random

import numpy as np

from arxl.core.matching.amounts import DEDUCTION_SHARE
from arxl.core.matching.ids import EXACT, PARTIAL, RANGE
from arxl.core.matching.index import OpenItems
from arxl.core.matching.learning import Links
from arxl.core.matching.model import (
    AMOUNT_ORDER,
    DATE_LEVELS,
    LINK_LEVELS,
    NAME_LEVELS,
    READINGS,
    TWO_KEYING_ERRORS,
    Field,
    date_levels,
    keying_error_level,
    name_level,
)
from arxl.core.matching.propose import Candidate, Facts, PayerView, Payment
from arxl.core.matching.similarity import osa_distances
from arxl.core.matching.text import read_remittance

SAMPLE = 400  # payments the rates are measured on
CUSTOMERS_EACH = 10  # random customers each sampled payer is scored against
KEYS = 4000  # references of a column the numbers remittances write are compared with
TOKENS = 50  # numbers remittances write, compared with them
DATES = 5000  # open invoices' dates the payments' dates are compared with
_LEVEL = {EXACT: 0, RANGE: 1, PARTIAL: 1}
_SEED = 20260630  # the same sample, run after run


def chance_rates(items: OpenItems, payments: list[Payment], links: Links,
                 candidates: list[list[Candidate]]) -> list[np.ndarray | None]:
    """u for every level of each field compared with random pairs (None: left to EM). A
    payment's random pairs leave out the invoices and customers of its own candidates, among
    which its true explanation is: a level the right pairs reach (an invoice named exactly, an
    amount it settles) would otherwise look common by chance."""
    rng = random.Random(_SEED)
    picked = list(range(len(payments))) if len(payments) <= SAMPLE else sorted(rng.sample(range(len(payments)),
                                                                                         SAMPLE))
    out: list[np.ndarray | None] = [None] * len(Field)
    if not picked:
        return out
    sample = [(payments[k], {i for c in candidates[k] for i in c.invoices},
               {c.customer for c in candidates[k] if c.customer >= 0}) for k in picked]
    out[Field.REFERENCE] = _references(items, sample, rng)
    out[Field.AMOUNT] = _amounts(items, sample)
    out[Field.PAYER_NAME] = _names(items, sample, rng)
    out[Field.PAYER_LINK] = _links(items, sample, links, rng)
    out[Field.DATE] = _dates(items, [pay for pay, _, _ in sample])
    return out


_Sampled = list[tuple[Payment, set[int], set[int]]]  # a payment, its candidates' invoices and customers


def _floor(u: np.ndarray, least: float) -> np.ndarray:
    u = np.maximum(u, least)
    out: np.ndarray = u / u.sum()
    return out


def _references(items: OpenItems, sample: _Sampled, rng: random.Random) -> np.ndarray:
    """Exact and partial readings: how many references a remittance reads so, over how many
    the column has. Keying errors: how many references lie one or two keying errors from a
    number a remittance writes (against their digits, or their distinctive core), over how
    many the column has, times how many numbers a remittance writes."""
    columns = len(items.references)
    u = np.zeros(columns * len(READINGS) + 1)
    tokens: list[tuple[str, set[int]]] = []  # with the invoices its own payment's explanations name
    for pay, theirs, _ in sample:
        rem = read_remittance(pay.reference, pay.currency)
        tokens += [(p.text, theirs) for p in rem.parts if p.digits and len(p.text) >= 3]
        for k, (index, positions) in enumerate(items.references):
            mentions, _ = index.find(rem)
            for m in mentions:
                if m.how in _LEVEL:
                    others = sum(1 for p in m.positions if int(positions[p]) not in theirs)
                    u[k * len(READINGS) + _LEVEL[m.how]] += others / max(1, len(index))
    u /= len(sample)
    tokens_each = len(tokens) / len(sample)
    tokens = rng.sample(tokens, min(len(tokens), TOKENS))
    texts = [text for text, _ in tokens]
    for k, (index, positions) in enumerate(items.references):
        picked = range(len(index)) if len(index) <= KEYS else rng.sample(range(len(index)), KEYS)
        digits = ["".join(ch for ch in index.full_keys[p] if ch.isdigit()) for p in picked]
        cores = [index.cores[p] or digits[j] for j, p in enumerate(picked)]
        if not tokens or not digits:
            continue
        # as readings are made: against a reference's digits, its core, its core without leading zeros
        edits = osa_distances(texts, digits, 2)
        for keys in (cores, [c.lstrip("0") or c for c in cores]):
            edits = np.minimum(edits, osa_distances(texts, keys, 2))
        # a number's own payment's references are no chance pairs (a misspelt reference is not chance)
        owned = [int(positions[p]) for p in picked]
        for t, (_, theirs) in enumerate(tokens):
            if theirs:
                edits[t, [j for j, invoice in enumerate(owned) if invoice in theirs]] = 3
        scale = len(index) / len(picked)  # the sample's counts, for the whole column
        one = (edits == 1).sum(axis=1) * scale  # each number's references one keying error away
        for n in one[one > 0]:
            u[k * len(READINGS) + keying_error_level(int(round(n)))] += tokens_each * n / len(tokens) / len(index)
        u[k * len(READINGS) + TWO_KEYING_ERRORS] = tokens_each * float((edits == 2).mean())
    u[-1] = max(0.0, 1.0 - u[:-1].sum())
    # as rare as half a reading in the whole sample
    least = 0.5 / len(sample) / max(1, max(len(index) for index, _ in items.references))
    return _floor(u, least)


def _amounts(items: OpenItems, sample: _Sampled) -> np.ndarray:
    """Per AMOUNT level (both READ_AS groups alike): how a random open invoice's balance
    compares with a payment's amount."""
    is_open = items.balance > 0
    balance = np.sort(items.balance[is_open])
    less = np.sort((items.balance - items.discount)[is_open & (items.discount > 0)])
    n = max(1, len(balance))
    tolerance = items.settings.write_off_tolerance

    def between(values: np.ndarray, low: np.ndarray | int, high: np.ndarray) -> np.ndarray:
        """How many values lie in [low, high), for each pair of bounds (each bound array at once:
        searching a float bound casts the 100,000 balances, once per array, not per payment)."""
        found: np.ndarray = np.searchsorted(values, high, "left") - np.searchsorted(values, low, "left")
        return found

    a = np.array([pay.amount for pay, _, _ in sample], dtype=np.int64)
    slack = np.array([max(tolerance.in_currency(pay.currency).minor, int(pay.amount * tolerance.rate))
                      for pay, _, _ in sample], dtype=np.int64)
    own = [sum(1 for i in theirs if items.balance[i] == pay.amount) for pay, theirs, _ in sample]
    own_less = [sum(1 for i in theirs if items.discount[i] and items.balance[i] - items.discount[i] == pay.amount)
                for pay, theirs, _ in sample]
    exact = between(balance, a, a + 1) - np.array(own, dtype=np.int64)
    bound = a / (1 - DEDUCTION_SHARE)
    # whole numbers of invoices: their sums are exact, in any order
    rates = {"exact": float(exact.sum()),
             "discount": float((between(less, a, a + 1) - np.array(own_less, dtype=np.int64)).sum()),
             "write-off": float((between(balance, a - slack, a + slack + 1) - exact).sum()),
             "short pay": float(between(balance, a + slack + 1, bound).sum()),
             "partial": float(between(balance, bound, np.full(len(a), np.inf)).sum()),
             "overpaid": float(between(balance, 0.8 * a, a - slack).sum()),
             "overpaid much": float(between(balance, 1, 0.8 * a).sum())}
    rare = max(rates["exact"], 0.5) / len(sample) / n  # what only an exact coincidence gives
    u = {k: max(v, 0.5) / len(sample) / n for k, v in rates.items()}
    u.update({"stated": rare, "instalments": rare, "unearned discount": rare})
    one = _floor(np.array([u[k] for k in AMOUNT_ORDER]), 0.5 / len(sample) / n)
    # as read exactly, with keying errors; then found by the sum, nothing (one level each)
    return np.concatenate([one, one, [1.0, 1.0]])


def _owners_of_open(items: OpenItems) -> list[int]:
    """The customer of each open invoice: a random pair's customer is drawn as its invoice is,
    so a customer with many open invoices is as often drawn."""
    owners = items.invoice_customer[(items.balance > 0) & (items.invoice_customer >= 0)]
    return owners.tolist() if len(owners) else list(range(len(items.customer_ids)))


def _names(items: OpenItems, sample: _Sampled, rng: random.Random) -> np.ndarray:
    """How well payers' names fit the customers of random open invoices."""
    counts = np.zeros(len(NAME_LEVELS))
    if not len(items.customer_ids):
        return _floor(counts + 1, 1e-4)
    owners = _owners_of_open(items)
    for pay, _, theirs in sample:
        picks = [c for c in (owners[rng.randrange(len(owners))] for _ in range(CUSTOMERS_EACH)) if c not in theirs]
        for c, score in zip(picks, items.payers.score(pay.payer, np.array(picks, dtype=np.int64)).tolist()):
            counts[name_level(score, items.payers.as_initials(pay.payer, c))] += 1
    return _floor(counts / max(1.0, counts.sum()), 0.5 / max(1.0, counts.sum()))


def _links(items: OpenItems, sample: _Sampled, links: Links, rng: random.Random) -> np.ndarray:
    """How a payer's account or link names the customer of a random open invoice other than its
    candidates', read as candidates read it: "another customer's" when the account names
    someone else."""
    u = np.zeros(len(LINK_LEVELS))
    customers = len(items.customer_ids)
    if not customers:
        return _floor(u + 1, 1e-3)
    owners = _owners_of_open(items)
    for pay, _, theirs in sample:
        payer = PayerView(items, pay, Facts(links))
        for c in (owners[rng.randrange(len(owners))] for _ in range(CUSTOMERS_EACH)):
            if c not in theirs:
                u[payer.link(c)[0]] += 1
    return _floor(u / max(1.0, u.sum()), 0.5 / len(sample) / customers)


def _dates(items: OpenItems, sample: list[Payment]) -> np.ndarray:
    dates = items.invoice_date[(items.balance > 0) & ~np.isnat(items.invoice_date)]
    if len(dates) > DATES:  # the spread of days is as well measured on a sample
        dates = np.random.default_rng(_SEED).choice(dates, DATES, replace=False)
    counts = np.zeros(len(DATE_LEVELS))
    if not len(dates):
        return np.append(_floor(counts + 1, 1e-3), np.nan)
    for pay in sample:
        gaps = (np.datetime64(pay.received, "D") - dates).astype(np.int64)
        counts += np.bincount(date_levels(gaps), minlength=len(DATE_LEVELS))
    # (the level of explanations with no invoice weighs nothing: EM sets it, alone in its group)
    return np.append(_floor(counts / counts.sum(), 1e-4), np.nan)
