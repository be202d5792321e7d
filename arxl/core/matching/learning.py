"""Payers learned, visibly: payer accounts and names that identify a customer without the clerk
having typed them into Customers.

A link says "payments from this account (or under this name) are this customer's". Links come
from:
- the LearnedPayers table: a link the clerk marked Keep is used as if it were on file; one marked
  Remove is never used nor learned again;
- posted payments (the Applications ledger joined to Payments by PaymentID): the account a posted
  payment came from is its customer's; when a clerk decided the posting (Approved, Override),
  so is the name it was paid under, and the link counts as the clerk's;
- this batch: the account and name of a payment whose invoices its remittance names exactly,
  settled by its amount, of one customer and no other (``unambiguous``).
An account or name seen with two customers is linked to neither. A learned link (not the
clerk's) is evidence, never proof: the matcher posts on it without a clerk only when an invoice
named exactly bears it out, and never counts a link learned from a payment as evidence for that
same payment. Every link is written to LearnedPayers with where it was learned, for the clerk to
keep or remove.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from arxl.contract import Decision, LinkDecision, Source
from arxl.core.balances import active_applications
from arxl.core.matching.model import GIVEN, LEARNED, NO_LINK, OTHERS
from arxl.core.matching.text import account_key, name_tokens
from arxl.core.problems import Problems

ACCOUNT, NAME = "account", "name"
_KEEP = {LinkDecision.KEEP.lower(), Decision.APPROVE.lower(), "approved", "kept"}
_REMOVE = {LinkDecision.REMOVE.lower(), Decision.REJECT.lower(), "rejected", "removed"}
_CLERKS = {Source.APPROVED.lower(), Source.OVERRIDE.lower()}


# Each payment's name is looked up among the links many times while its candidates are made:
# its key is worked out once.
@functools.lru_cache(maxsize=1 << 16)
def name_key(text: object) -> str:
    """A payer name as compared: its words, upper case, punctuation dropped."""
    return " ".join(name_tokens(str(text or "")))


@dataclass(frozen=True)
class Link:
    """A payer account or name linked to a customer (position in the customers frame)."""

    kind: str  # ACCOUNT or NAME
    key: str
    shown: str  # as first written
    customer: int
    given: bool  # the clerk's: kept in LearnedPayers, or seen on a posting a clerk decided
    where: str  # "kept by the clerk", "posted", "this batch"
    sources: tuple[str, ...] = ()  # the PaymentIDs it was learned from
    typed: str = ""  # the clerk's Decision as typed, for a link the clerk kept


@dataclass
class Links:
    """Every link the matcher may use, and the ones the clerk removed."""

    links: dict[tuple[str, str], Link] = field(default_factory=dict)
    # (kind, key, customer) -> (as written, the clerk's Decision as typed)
    removed: dict[tuple[str, str, int], tuple[str, str]] = field(default_factory=dict)
    # (kind, key) seen with several customers: linked to none
    ambiguous: set[tuple[str, str]] = field(default_factory=set)
    # LearnedPayers rows the clerk typed that could not be read: not used, written back as typed
    waiting: list[dict[str, object]] = field(default_factory=list)

    def get(self, kind: str, text: object) -> Link | None:
        key = account_key(text) if kind == ACCOUNT else name_key(text)
        return self.links.get((kind, key)) if key else None

    def level(self, account: str, payer: str, customer: int, payment_id: str) -> tuple[int, Link | None]:
        """How the payment's account or name links it to ``customer``: GIVEN (the clerk's link),
        LEARNED (another payment's), OTHERS (linked to another customer) or NO_LINK; with the
        link that says so. A link learned from this very payment alone is not evidence for it."""
        best: tuple[int, Link | None] = (NO_LINK, None)
        for kind, text in ((ACCOUNT, account), (NAME, payer)):
            link = self.get(kind, text)
            if link is None or (not link.given and set(link.sources) <= {payment_id}):
                continue
            if link.customer == customer:
                found = GIVEN if link.given else LEARNED
                if found < best[0]:
                    best = (found, link)
            elif best[0] == NO_LINK:
                best = (OTHERS, link)
        return best

    def customers_of(self, account: str, payer: str, payment_id: str) -> list[tuple[int, Link]]:
        """The customers the payment's account or name links it to (not by itself alone)."""
        out = []
        for kind, text in ((ACCOUNT, account), (NAME, payer)):
            link = self.get(kind, text)
            if link is not None and (link.given or set(link.sources) - {payment_id}):
                out.append((link.customer, link))
        return out

    def learn(self, seen: Iterable[tuple[str, str, str, int, str]], where: str, given: bool = False) -> Links:
        """These links, plus what ``seen`` teaches: (kind, key, shown, customer, PaymentID) of
        payments that identify their customer. A key seen with two customers, or linked to
        another customer already, is linked to none; a link the clerk removed is never learned
        again; the clerk's links stay as they are."""
        by_key: dict[tuple[str, str], list[tuple[str, int, str]]] = {}
        for kind, key, shown, customer, payment in seen:
            if key and (kind, key, customer) not in self.removed:
                by_key.setdefault((kind, key), []).append((shown, customer, payment))
        links = dict(self.links)
        ambiguous = set(self.ambiguous)
        for k, found in by_key.items():
            customers = {c for _, c, _ in found}
            old = links.get(k)
            if old is not None and old.given:
                continue
            if k in ambiguous or len(customers) > 1 or (old is not None and old.customer not in customers):
                ambiguous.add(k)
                links.pop(k, None)
                continue
            sources = tuple(dict.fromkeys((*(old.sources if old else ()), *(p for _, _, p in found))))
            links[k] = Link(k[0], k[1], old.shown if old else found[0][0], found[0][1], given,
                            old.where if old else where, sources)
        return Links(links, dict(self.removed), ambiguous, list(self.waiting))


@dataclass(frozen=True)
class History:
    """What the workbook says of payments before this batch: the links the clerk kept or removed
    and those posted payments teach, and what was applied to each invoice (for instalments)."""

    links: Links
    applied: dict[str, list[tuple[int, str]]]  # InvoiceID -> [(cents applied, PaymentID)]


def read_history(customer_ids: Sequence[str], problems: Problems, payments: pd.DataFrame | None = None,
                 applications: pd.DataFrame | None = None, learned: pd.DataFrame | None = None) -> History:
    """The links and instalments the workbook's history teaches (typed frames as the ledger
    gives them, indexed by sheet row; any may be missing). A LearnedPayers Decision that is
    neither Keep nor Remove, or a link to a customer we do not have, is reported in
    ``problems`` and the row is not used."""
    position = {c: k for k, c in enumerate(customer_ids)}
    links = Links()
    if learned is not None and len(learned):
        kept = []
        for row in learned.itertuples():
            typed = str(row.Decision).strip()
            decision = typed.lower()
            if not decision:
                continue  # learned again from what it was learned from, or not at all
            if decision not in _KEEP | _REMOVE:
                problems.add("LearnedPayers", int(row.Index), "Decision", typed, "not a decision arxl knows",
                             f"Type {LinkDecision.KEEP} to use the link as if it were on file, "
                             f"{LinkDecision.REMOVE} to never use it, or leave it blank; the row waits as typed.")
                links.waiting.append(_as_typed(row))
                continue
            customer = position.get(str(row.CustomerID))
            if customer is None:
                problems.add("LearnedPayers", int(row.Index), "CustomerID", row.CustomerID,
                             "not a CustomerID of Customers",
                             "Correct the CustomerID or remove the row; the row waits as typed.")
                links.waiting.append(_as_typed(row))
                continue
            for kind, text in ((ACCOUNT, row.PayerAccount), (NAME, row.PayerName)):
                key = account_key(text) if kind == ACCOUNT else name_key(text)
                if not key:
                    continue
                if decision in _REMOVE:
                    links.removed[(kind, key, customer)] = (str(text), typed)
                else:
                    kept.append(Link(kind, key, str(text), customer, True, "kept by the clerk", typed=typed))
        for link in kept:
            if (link.kind, link.key) not in links.links:
                links.links[(link.kind, link.key)] = link
    applied: dict[str, list[tuple[int, str]]] = {}
    if payments is not None and applications is not None and len(applications):
        posted = applications[active_applications(applications)]
        for row in posted[posted["InvoiceID"] != ""].itertuples():
            applied.setdefault(str(row.InvoiceID), []).append((int(row.AppliedAmount), str(row.PaymentID)))
        by_payment = posted.groupby("PaymentID")
        customers = by_payment["CustomerID"].agg(lambda s: set(s))
        clerks = by_payment["Source"].agg(lambda s: any(str(v).lower() in _CLERKS for v in s))
        payer = payments.drop_duplicates("PaymentID").set_index("PaymentID")[["PayerAccount", "PayerName"]]
        seen: dict[bool, list[tuple[str, str, str, int, str]]] = {True: [], False: []}
        for pid, owners in customers.items():
            if len(owners) != 1 or pid not in payer.index:
                continue
            customer = position.get(str(next(iter(owners))))
            if customer is None:
                continue
            account, name = payer.loc[pid, "PayerAccount"], payer.loc[pid, "PayerName"]
            by_clerk = bool(clerks[pid])
            seen[by_clerk].append((ACCOUNT, account_key(account), str(account), customer, str(pid)))
            if by_clerk:  # a name variant counts only where a clerk approved the payer
                seen[by_clerk].append((NAME, name_key(name), str(name), customer, str(pid)))
        links = links.learn(seen[True], "posted", given=True).learn(seen[False], "posted")
    return History(links, applied)


def _as_typed(row: Any) -> dict[str, object]:
    """A LearnedPayers row (a ledger frame's itertuples row) as the clerk left it."""
    return {column: getattr(row, column) for column in ("PayerAccount", "PayerName", "CustomerID", "LearnedFrom",
                                                        "Payments", "Decision")}


def learned_rows(links: Links, customer_ids: Sequence[str]) -> list[dict[str, object]]:
    """The LearnedPayers rows: every link learned or kept, with where it was learned, the links
    the clerk removed (so that they stay removed), and the rows the clerk typed that could not be
    read, as typed (so that the clerk can correct them)."""
    rows: list[dict[str, object]] = []
    for link in sorted(links.links.values(), key=lambda x: (customer_ids[x.customer], x.kind, x.key)):
        if link.where == "kept by the clerk":
            where = "kept by the clerk"
        else:
            more = len(link.sources) - 5
            shown = ", ".join(link.sources[:5]) + (f" and {more} more" if more > 0 else "")
            what = ("posted payments" if link.where == "posted" else
                    "payments of this batch naming the customer's invoices exactly, settled by their amounts")
            where = f"{what}: {shown}" + (" (decided by a clerk)" if link.given and link.where == "posted" else "")
        rows.append({"PayerAccount": link.shown if link.kind == ACCOUNT else "",
                     "PayerName": link.shown if link.kind == NAME else "",
                     "CustomerID": customer_ids[link.customer], "LearnedFrom": where,
                     "Payments": len(link.sources), "Decision": link.typed})
    for (kind, _, customer), (shown, typed) in sorted(links.removed.items(),
                                                      key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])):
        rows.append({"PayerAccount": shown if kind == ACCOUNT else "", "PayerName": shown if kind == NAME else "",
                     "CustomerID": customer_ids[customer], "LearnedFrom": "removed by the clerk: never learned again",
                     "Payments": 0, "Decision": typed})
    rows.extend(links.waiting)
    return rows
