"""Who paid: payer names as banks print them, payer accounts, and the clerk's own CustomerID.

Names are compared word by word, each word weighted by how rare it is among the customers'
own names (inverse document frequency): common words weigh little without any list of them.
Legal forms (text.LEGAL_FORMS: LTD for Limited, INC, LLC, GMBH, SA...) weigh nothing, however
few names use them: a name differing from another only in its legal form names the same company.
A payer word matches a customer word when it is the same word, an abbreviation of it (its
letters in order, first letter equal: CORP, MFG, INTL, HLDGS), a word cut short, or the same
word with one typing error. The score is the F1 of the two coverages: how much of the
customer's name the payer printed, and how much of what the payer printed belongs to the
customer's name. A name cut at a field length (16 or 22 characters for
ACH) is not blamed for the words it could not hold. Words a payment processor puts in front
("PAYPAL *", "BILL.COM", "STRIPE TRANSFER") are recognised by the star, or by not being words
of any customer while a customer's word follows ("MERIDIAN WEST" is a trading name, not WEST cut
short); words a bank ran together ("MERIDIANELECTRIC", "VEGAINTL") are split where the
first half is a customer's word and the second one is, or stands for one. A customer is found
under its Name, each Alias, and the Name of its parent; a search scores only the names sharing
one of the payer's two rarest words. Accents are dropped on both sides, as banks print names
(Société: SOCIETE); a name with umlauts is found under both spellings German banks use
(Müller: MULLER, MUELLER). A payer printing a name as its initials (HME, A&D LTD, SGC HOLDINGS)
fits the customer fairly, not strongly (``as_initials`` tells the model so).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from arxl.core.matching.similarity import extract_similar
from arxl.core.matching.text import LEGAL_FORMS, account_key, cut_legal_form, german_spelling, name_tokens

_NO_ROWS = np.zeros(0, dtype=np.int64)
CUT_NAME_LENGTHS = (16, 22)  # NACHA company name / individual name fields
_MAX_WORDS = 10
_ABBREVIATION, _CUT_WORD, _TYPO_FLOOR = 0.8, 0.9, 0.74
# A name printed as its initials resembles the customer's (a fair name, not a strong one): three
# letters say less than the words they stand for, and a namesake with the same initials shares it.
_INITIALS = 0.7
_COMMON = 3  # names sharing a word for it to be common (GROUP, HOLDINGS, TRADING): no name's own
NAME, ALIAS, PARENT, INITIALS = "name", "alias", "parent's name", "initials"


@dataclass(frozen=True)
class PayerMatch:
    customer: int  # position in the customers frame
    score: float  # 0..1
    how: str  # what matched, for the Evidence sentence
    row: str = NAME  # the customer's name, an alias, its parent's name or initials (NAME, ALIAS, PARENT, INITIALS)


def _own_words(words: list[str]) -> list[str]:
    """A name's words up to its legal form (after it: a site, "(North)"), without AND."""
    cut = next((k for k, w in enumerate(words) if w in LEGAL_FORMS), len(words))
    return [w for w in words[:cut] if w != "AND"]


def _in_order(letters: str, word: str) -> bool:
    """Every letter of ``letters`` appears in ``word``, in that order (CORP in CORPORATION,
    MFG in MANUFACTURING)."""
    rest = iter(word)
    return all(c in rest for c in letters)


_MANY_ROWS = 48  # rows from which a payer's words are looked up by the rows holding each word


@dataclass(frozen=True)
class _Words:
    """A payer's words compared with the vocabulary (``PayerIndex._word_matrix``)."""

    sims: np.ndarray  # payer word x vocabulary word: similarity 0..1
    weight: np.ndarray  # each payer word's weight
    best: np.ndarray  # each vocabulary word's best similarity to any payer word
    total: float  # the payer words' total weight
    similar: list[list[tuple[int, float]]]  # per payer word: (vocabulary word, similarity), weakest first


def _initials_written(words: list[str]) -> tuple[str, list[str]]:
    """The initials a payer name may begin with, and its words after them: one short word ("HME
    LTD"), or single letters, with or without AND between them ("A&D", "S G C")."""
    if not words:
        return "", []
    if len(words[0]) > 1:
        return (words[0], words[1:]) if words[0].isalpha() else ("", words)
    letters, k = [words[0]], 1
    while k < len(words):
        if len(words[k]) == 1 and words[k].isalpha():
            letters.append(words[k])
            k += 1
        elif words[k] == "AND" and k + 1 < len(words) and len(words[k + 1]) == 1:
            letters.append(words[k + 1])
            k += 2
        else:
            break
    return "".join(letters), words[k:]


class PayerIndex:
    def __init__(self, customers: pd.DataFrame):
        self.ids = customers["CustomerID"].tolist()
        self.names = customers["Name"].tolist()
        self.position = {cid: i for i, cid in enumerate(self.ids)}
        named: list[tuple[int, str, str]] = []  # (customer position, how, the name as written)
        for i, (name, aliases) in enumerate(zip(customers["Name"], customers["Aliases"])):
            named.append((i, NAME, str(name)))
            named.extend((i, ALIAS, a) for a in str(aliases).split(";") if a.strip())
        if "ParentID" in customers:
            for i, parent in enumerate(customers["ParentID"]):
                p = self.position.get(parent)
                if p is not None and p != i:
                    named.append((i, PARENT, str(self.names[p])))
        # a name with umlauts is found as banks print it either way (Müller: MULLER, MUELLER)
        rows: list[tuple[int, str, list[str]]] = []
        written: list[str] = []  # each row's name as spelt
        for i, how, name in named:
            for spelt in (name, german_spelling(name)):
                if spelt and (words := name_tokens(spelt)):
                    rows.append((i, how, words))
                    written.append(spelt)
        self.row_customer = np.array([r[0] for r in rows], dtype=np.int64)
        self.row_how = [r[1] for r in rows]
        by_customer = pd.Series(np.arange(len(rows))).groupby(self.row_customer).indices
        self._rows_of_customer = {int(c): np.asarray(r, dtype=np.int64) for c, r in by_customer.items()}
        vocab: dict[str, int] = {}
        for _, _, words in rows:
            for w in words:
                vocab.setdefault(w, len(vocab))
        self.vocab = vocab
        self.words = list(vocab)
        width = min(_MAX_WORDS, max((len(r[2]) for r in rows), default=1))
        self.tokens = np.full((len(rows), width), len(vocab), dtype=np.int64)  # pad = len(vocab)
        for k, (_, _, words) in enumerate(rows):
            ids = [vocab[w] for w in words[:width]]
            self.tokens[k, :len(ids)] = ids
        df = np.bincount(np.unique(np.column_stack([np.arange(len(rows)).repeat(width),
                                                    self.tokens.ravel()]), axis=0)[:, 1],
                         minlength=len(vocab) + 1)[:len(vocab)] if rows else np.zeros(0)
        self.idf = np.append(np.log((1 + len(rows)) / (1 + df)) + 0.1, 0.0)  # pad weighs 0
        # A legal form weighs nothing: "Zhao & Sons Ltd." is "Zhao and Sons Limited" and "Zhao &
        # Sons GmbH", and a bank printing the name without its legal form prints all of it.
        # Nor does the AND (or &) between names: it says who nobody is ("K&S" is not "Szabo and Co").
        self.idf[[vocab[w] for w in (*LEGAL_FORMS, "AND") if w in vocab]] = 0.0
        # A word no customer uses (a processor's, a typing accident) weighs as a typical word.
        self.unknown_weight = float(np.mean(self.idf[:-1])) if len(vocab) else 1.0
        self.token_weight = self.idf[self.tokens]
        # Which rows hold each word (for finding candidates without scoring every customer).
        order = np.argsort(self.tokens.ravel(), kind="stable")
        flat = self.tokens.ravel()[order]
        starts = np.searchsorted(flat, np.arange(len(vocab) + 1))
        self._rows_of = (order // width, starts)
        self._by_initial: dict[str, list[str]] = {}
        for w in self.words:
            self._by_initial.setdefault(w[0], []).append(w)
        self._similar: dict[tuple[str, bool], dict[int, float]] = {}
        self._scored: dict[str, dict[int, float]] = {}  # payer -> customer -> score
        self._read: dict[str, tuple[list[list[str]], bool]] = {}
        self._searched: dict[tuple[str, float], tuple[int, list[PayerMatch]]] = {}  # (limit, the best)
        self._matrices: dict[tuple[tuple[str, ...], bool], _Words] = {}
        self._scratch = np.zeros(len(rows))  # one value per row, zero between uses
        self._rows_like: dict[tuple[str, bool], np.ndarray] = {}  # rows holding a word or one it stands for
        # each row's total word weight, what the share of its name a payer printed is taken of
        self._row_total = np.maximum(self.token_weight.sum(axis=1), 1e-9)
        # each name's initials: of all its own words, or of the first few and the rest spelt out
        # ("SGC HOLDINGS"), a hyphenated word as one or as two (Tri-County Dental Supplies: TDS,
        # TCDS): initials -> (row, the words spelt out after them)
        self._initials: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for k, spelt in enumerate(written):
            spellings = {tuple(_own_words(rows[k][2]))}
            if "-" in spelt:
                spellings.add(tuple(_own_words(name_tokens(spelt.replace("-", "")))))
            for own in spellings:
                for n in range(2, len(own) + 1):
                    self._initials.setdefault("".join(w[0] for w in own[:n]), []).append((k, own[n:]))
        self._by_initials: dict[str, dict[int, None]] = {}  # payer -> the customers it is the initials of
        self.accounts: dict[str, set[int]] = {}
        if "BankAccounts" in customers:
            for i, accounts in enumerate(customers["BankAccounts"]):
                for a in str(accounts).split(";"):
                    if account_key(a):
                        self.accounts.setdefault(account_key(a), set()).add(i)

    # ---- words ------------------------------------------------------------------------------
    def similar_words(self, word: str, last: bool) -> dict[int, float]:
        """Vocabulary words ``word`` may stand for, with a similarity 0..1."""
        key = (word, last)
        if key in self._similar:
            return self._similar[key]
        found: dict[int, float] = {}
        if word in self.vocab:
            found[self.vocab[word]] = 1.0
        if (len(word) >= 2 or last) and not word.isdigit():
            known = word in self.vocab
            for w in self._by_initial.get(word[0], ()):
                if w == word or len(w) < len(word) or not _in_order(word, w):
                    continue
                cut = w.startswith(word)
                if (known or len(word) == 1) and not (cut and last):
                    continue  # a real word stands for another only where the name was cut
                found[self.vocab[w]] = max(found.get(self.vocab[w], 0),
                                           _CUT_WORD if cut else _ABBREVIATION)
        if len(word) >= 4 and word not in self.vocab:
            for w, score, _ in extract_similar(word, self.words, score_cutoff=_TYPO_FLOOR, limit=5):
                found[self.vocab[w]] = max(found.get(self.vocab[w], 0), float(score) * 0.95)
        self._similar[key] = found
        return found

    # ---- scoring ----------------------------------------------------------------------------
    def _split_merged(self, words: list[str]) -> list[str]:
        """Words a bank ran together ("MERIDIANELECTRIC", "VEGAINTL") split back where the first
        half is a word of the customers' names and the second one as well, or stands for one."""
        out: list[str] = []
        for w in words:
            if w not in self.vocab and len(w) >= 6:
                cut = next((k for k in range(2, len(w) - 1) if w[:k] in self.vocab and w[k:] in self.vocab), None)
                if cut is None and not self.similar_words(w, last=False):  # not itself an abbreviation
                    cut = next((k for k in range(2, len(w) - 2) if w[:k] in self.vocab
                                and self.similar_words(w[k:], last=False)), None)
                if cut is not None:
                    out.extend((w[:cut], w[cut:]))
                    continue
            out.append(w)
        return out

    def _readings(self, payer: str) -> list[list[str]]:
        """The payer's words, and the same without a processor's prefix."""
        words = self._split_merged(name_tokens(payer))
        readings = [words]
        if "*" in payer:
            readings.append(name_tokens(payer.split("*", 1)[1]))
        for drop in (1, 2):
            # (a processor's words, not initials: "K&S" is not "S"; and before a customer's word:
            # "MERIDIAN WEST", a trading name, is not WEST cut short, the start of a dozen names)
            if len(words) > drop and not any(w in self.vocab or len(w) == 1 for w in words[:drop]) \
                    and any(w in self.vocab for w in words[drop:]):
                readings.append(words[drop:])
        return [r for r in readings if r]

    def _word_matrix(self, words: tuple[str, ...], cut: bool) -> _Words:
        """For each payer word, its similarity to every vocabulary word, and its weight; the
        best similarity of any of them to each vocabulary word, and their total weight."""
        key = (words, cut)
        if key not in self._matrices:
            sims = np.zeros((len(words), len(self.idf)))
            weight = np.array([0.0 if w in LEGAL_FORMS or w == "AND" else self.unknown_weight for w in words])
            similar = []
            for k, word in enumerate(words):
                found = self.similar_words(word, last=cut and k == len(words) - 1)
                similar.append(sorted(found.items(), key=lambda vs: vs[1]))  # weakest first
                if not found and cut and k == len(words) - 1 and cut_legal_form(word):
                    weight[k] = 0.0  # standing for no word of a name: the legal form it begins
                elif found:
                    ids = np.fromiter(found.keys(), dtype=np.int64)
                    sims[k, ids] = np.fromiter(found.values(), dtype=float)
                    weight[k] = self.idf[ids].max()
            self._matrices[key] = _Words(sims, weight, sims.max(axis=0), max(float(weight.sum()), 1e-9), similar)
        return self._matrices[key]

    def _best_per_word(self, found: _Words, tokens: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """For each payer word (columns) and row (rows), its best similarity to a word of the row
        (``found.sims[:, tokens].max(axis=2)``, transposed as that reduction lays it out in
        memory). Many rows: from the rows holding each similar word, rather than every word of
        every row."""
        if len(rows) < _MANY_ROWS:
            # as found.sims[:, tokens].max(axis=2) gives it (in that memory layout: the product
            # with the words' weights adds up in the same order), gathered by take: faster
            best: np.ndarray = found.sims.T.take(tokens, axis=0).max(axis=1).T
            return best
        out = np.zeros((len(rows), len(found.weight)))
        rows_by_word, starts = self._rows_of
        scratch = self._scratch
        for k, similar in enumerate(found.similar):
            holding = [rows_by_word[starts[v]:starts[v + 1]] for v, _ in similar]
            for held, (_, sim) in zip(holding, similar):  # the weakest first: the best stays
                scratch[held] = sim
            out[:, k] = scratch.take(rows)
            for held in holding:
                scratch[held] = 0.0
        return out.T

    def _score_rows(self, words: list[str], cut: bool, rows: np.ndarray) -> np.ndarray:
        # (``take`` gathers as indexing does, in a few times less time on small arrays)
        tokens = self.tokens.take(rows, axis=0)
        found = self._word_matrix(tuple(words), cut)
        weight, payer_total = found.weight, found.total
        best_for_customer_word = found.best.take(tokens)  # the best payer word for each customer word
        payer_matched = weight @ self._best_per_word(found, tokens, rows)  # payer word x row
        if cut:  # words after the last one the payer printed could not fit
            matched = best_for_customer_word > 0
            last = np.where(matched.any(axis=1), tokens.shape[1] - 1 - np.argmax(matched[:, ::-1], axis=1), -1)
            visible = np.arange(tokens.shape[1])[None, :] <= last[:, None]
            weights = np.where(visible, self.token_weight.take(rows, axis=0), 0.0)
            recall = (weights * best_for_customer_word).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        else:
            recall = ((self.token_weight.take(rows, axis=0) * best_for_customer_word).sum(axis=1)
                      / self._row_total.take(rows))
        precision = payer_matched / payer_total
        both = recall + precision
        return np.where(both > 0, 2 * recall * precision / np.maximum(both, 1e-9), 0.0)

    def _candidate_rows(self, words: list[str]) -> np.ndarray:
        """Names sharing one of the payer's two rarest words (or what they abbreviate)."""
        per_word = [found for k, word in enumerate(words) if len(found := self._rows_with(word, k == len(words) - 1))]
        per_word.sort(key=len)
        if len(per_word) < 2:
            return per_word[0] if per_word else _NO_ROWS
        either = np.zeros(len(self.row_customer), dtype=bool)
        either[per_word[0]] = True
        either[per_word[1]] = True
        return np.flatnonzero(either)

    def _rows_with(self, word: str, last: bool) -> np.ndarray:
        """The rows holding a word the payer's ``word`` may stand for."""
        key = (word, last)
        if key not in self._rows_like:
            rows_by_word, starts = self._rows_of
            ids = list(self.similar_words(word, last=last))
            self._rows_like[key] = (np.unique(np.concatenate([rows_by_word[starts[v]:starts[v + 1]] for v in ids]))
                                    if ids else _NO_ROWS)
        return self._rows_like[key]

    def _looks_cut(self, payer: str) -> bool:
        """Cut at a field length, or ending in the beginning of a word (after a processor's
        prefix, the length no longer tells)."""
        if len(payer.rstrip()) in CUT_NAME_LENGTHS or len(payer) in CUT_NAME_LENGTHS:
            return True
        words = name_tokens(payer)
        if all(len(w) == 1 or w == "AND" for w in words):
            return False  # initials ("K&S"), not a name cut short
        last = words[-1] if words else ""
        return bool(last) and last not in self.vocab and (cut_legal_form(last) or any(
            w.startswith(last) for w in self._by_initial.get(last[0], ())))

    def search(self, payer: str, limit: int = 5, floor: float = 0.5) -> list[PayerMatch]:
        """The customers a payer name most likely is, best first."""
        key = (payer, floor)
        found = self._searched.get(key)
        if found is None or (found[0] < limit and len(found[1]) == found[0]):  # a list cut shorter than asked
            found = self._searched[key] = (limit, self._search(payer, limit, floor))
        return found[1][:limit]

    def _search(self, payer: str, limit: int, floor: float) -> list[PayerMatch]:
        readings, cut = self._reading(payer)
        best: dict[int, tuple[float, str]] = {}
        for words in readings:
            rows = self._candidate_rows(words)
            if not len(rows):
                continue
            scores = self._score_rows(words, cut, rows)
            keep = scores >= floor
            rows = rows[keep].tolist()
            for row, c, score in zip(rows, self.row_customer[rows].tolist(), scores[keep].tolist()):
                if c not in best or score > best[c][0]:
                    best[c] = (score, self.row_how[row])
        if _INITIALS >= floor:
            for c in self._initials_of(payer):
                if c not in best or _INITIALS > best[c][0]:
                    best[c] = (_INITIALS, INITIALS)
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])[:limit]
        return [PayerMatch(c, s, f"payer name matches the customer's {how}", how) for c, (s, how) in ranked]

    def score(self, payer: str, customers: np.ndarray) -> np.ndarray:
        """How well a payer name fits each of the given customers (positions), 0..1."""
        known = self._scored.setdefault(payer, {})
        todo = sorted({int(c) for c in customers} - known.keys())
        if todo:
            rows = (self._rows_of_customer.get(todo[0], _NO_ROWS) if len(todo) == 1 else
                    np.concatenate([self._rows_of_customer.get(c, _NO_ROWS) for c in todo]))
            best = np.zeros(len(rows))
            if len(rows):
                readings, cut = self._reading(payer)
                for words in readings:
                    best = np.maximum(best, self._score_rows(words, cut, rows))
            for c in todo:
                known[c] = 0.0
            for c, b in zip(self.row_customer[rows].tolist(), best.tolist()):
                known[c] = max(known[c], b)
            for c in self._initials_of(payer).keys() & todo:
                known[c] = max(known[c], _INITIALS)
        return np.array([known[int(c)] for c in customers], dtype=float)

    def says_more_than(self, payer: str, customer: int) -> bool:
        """Whether the payer's name holds a word no word of the customer's names may stand for,
        however it is read (legal forms and AND aside): "COTE D'AZUR FARMACEUTI" says more than
        Côte d'Azur Möbelwerk GmbH, "SUMMIT TEXTILES" no more than Summit Textiles Group."""
        rows = self._rows_of_customer.get(customer, _NO_ROWS)
        readings, cut = self._reading(payer)
        for words in readings:
            found = self._word_matrix(tuple(words), cut)
            accounted = found.sims[:, self.tokens.take(rows, axis=0)].max(axis=2) > 0  # payer word x row
            if (accounted | (found.weight == 0)[:, None]).all(axis=0).any():
                return False
        return True

    def _initials_of(self, payer: str) -> dict[int, None]:
        """The customers whose name the payer printed as its initials ("HME", "A&D", "S G C"),
        maybe followed by the rest of the name, a legal form or common words ("KME ENTERPRISES",
        "SGC HOLDINGS", "RB LTD"): not a word of any customer's name itself, and every word of the
        name accounted for. Each scores ``_INITIALS``; in the order found (a search's ties)."""
        found = self._by_initials.get(payer)
        if found is None:
            found = self._by_initials[payer] = {}
            for words in self._reading(payer)[0]:
                letters, rest = _initials_written(words)
                if not (2 <= len(letters) <= 5) or letters in self.vocab:
                    continue
                for row, spelt in self._initials.get(letters, ()):
                    if all(w in LEGAL_FORMS or w in spelt or self._common(w) for w in rest) and set(spelt) <= set(rest):
                        found[int(self.row_customer[row])] = None
        return found

    def as_initials(self, payer: str, customer: int) -> bool:
        """Whether the payer's name fits the customer (``score``) by the customer's initials."""
        if customer not in self._initials_of(payer):
            return False
        scored = self._scored.get(payer, {}).get(customer)
        return (scored if scored is not None else float(self.score(payer, np.array([customer]))[0])) <= _INITIALS

    def _common(self, word: str) -> bool:
        """A word no name uses (a typo of a legal form, a trading word), or many do."""
        k = self.vocab.get(word)
        starts = self._rows_of[1]
        return k is None or starts[k + 1] - starts[k] >= _COMMON

    def _reading(self, payer: str) -> tuple[list[list[str]], bool]:
        if payer not in self._read:
            self._read[payer] = (self._readings(payer), self._looks_cut(payer))
        return self._read[payer]

    def by_account(self, account: str) -> set[int]:
        return self.accounts.get(account_key(account), set()) if account else set()

    def identify(self, name: str, account: str = "", customer_id: str = "") -> PayerMatch | None:
        """Which customer a payer is: the clerk's CustomerID; else the customer a payer account
        on file belongs to (when only one); else the customer its name fits best (None when no
        name fits)."""
        given = self.position.get(str(customer_id or "").strip())
        if given is not None:
            return PayerMatch(given, 1.0, "CustomerID given by the clerk")
        accounts = self.by_account(str(account or ""))
        if len(accounts) == 1:
            return PayerMatch(next(iter(accounts)), 1.0, "payer account on file")
        found = self.search(str(name or ""), limit=1)
        return found[0] if found else None
