"""How the matcher reads one invoice number written in many ways: the payments of a ledger that
pay one invoice in full have their Reference rewritten, one spelling at a time, and are matched
again; per spelling, how many were posted automatically, posted wrongly, and proposed right.

    python bench/spellings.py [BOOK TRUTH] [--sample 200] [--seed 7] [--only NAME,...] [--partial]
                              [--payer [--reference SPELLING]] [--list] [--amount] [--show N]
                              (default: the shared dev ledger)

The spellings are what banks, lockbox keyers and payers do to any number (split, glued to a
word, a trailing code, leading zeros, each keying error, beside a cheque number or a date), not
one generator's vocabulary: the payments' own numbers are rewritten, whatever their format. A
spelling that loses payments points at a reading to look at; a wrong auto-post is a defect.
Keying errors in dense numbering are often truly ambiguous (another open invoice is one error
away): there, Review is the right answer, and the figure to watch is that none is posted wrongly.
Prints one row per spelling: the share posted automatically and rightly, the wrong auto-posts,
top1 (the proposal's invoices are the truth's) and the share left for review. ``--partial``
takes the payments applied to one invoice in part or with money left over instead (a keying
error with an amount that does not settle is never posted without a clerk: top1 and wrong are
the figures there); ``--show N`` prints up to N payments per spelling whose decision was wrong
(an auto-post wrong, or a right proposal not posted), with their Evidence. ``--payer`` rewrites
the payer's name instead (from the Name of the invoice's customer: upper case, cut at a bank's
field length, without its legal form, abbreviated, behind a processor's prefix, a letter wrong,
initials...), the reference written as it was or, ``--reference SPELLING``, so misspelt (an
invoice named exactly and settled identifies the payer whatever its name: a name is put to the
test where the reference is not exact). ``--list`` takes the payments settling two to four
invoices and writes their list in many ways; ``--amount`` changes what reaches the bank of a
payment settling one invoice (a cent short or over, rounded down, less a wire fee, less 2%, half,
twice): the invoice is still the one to propose, and the clerk decides the difference.
``--column NAME`` writes another column's value of the invoice (PONumber, a MatchColumns column)
in place of its InvoiceID before spelling it.
"""
from __future__ import annotations

import argparse
import csv
import random
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from generated import match_inputs

from arxl.contract import Decision
from arxl.core.matching import match
from arxl.core.money import minor_to_float, to_minor

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "bench"
Spelling = Callable[[str, random.Random], str]


def _digits_at(ref: str) -> list[int]:
    return [k for k, ch in enumerate(ref) if ch.isdigit()]


def _split(sep: str) -> Spelling:
    def spell(ref: str, rng: random.Random) -> str:
        k = rng.randrange(1, len(ref))
        return ref[:k] + sep + ref[k:]
    return spell


def _typo(kind: str) -> Spelling:
    def spell(ref: str, rng: random.Random) -> str:
        at = _digits_at(ref)
        if kind == "swap":  # two neighbouring digits that differ
            pairs = [k for k in at if k + 1 < len(ref) and ref[k + 1].isdigit() and ref[k + 1] != ref[k]]
            k = rng.choice(pairs) if pairs else -1
            return ref[:k] + ref[k + 1] + ref[k] + ref[k + 2:] if pairs else ref
        k = rng.choice(at)
        if kind == "drop":
            return ref[:k] + ref[k + 1:]
        if kind == "double":
            return ref[:k] + ref[k] + ref[k:]
        if kind == "insert":
            return ref[:k] + rng.choice("0123456789") + ref[k:]
        return ref[:k] + rng.choice([x for x in "0123456789" if x != ref[k]]) + ref[k + 1:]
    return spell


def _digits(ref: str) -> str:
    return "".join(ch for ch in ref if ch.isdigit())


def _luhn(digits: str) -> str:
    """A Norwegian KID or a card-style reference: the digits and their mod-10 (Luhn) check digit."""
    doubled = [d if k % 2 else (2 * d if 2 * d < 10 else 2 * d - 9)
               for k, d in enumerate(int(c) for c in reversed(digits))]
    return digits + str(-sum(doubled) % 10)


def _creditor_reference(ref: str) -> str:
    """ISO 11649: RF, two check digits (mod 97 over the reference with RF00 moved to its end), the
    reference; printed in groups of four."""
    body = re.sub(r"[^A-Z0-9]", "", ref.upper())
    numeric = "".join(str(int(ch, 36)) for ch in body + "RF00")
    full = f"RF{98 - int(numeric) % 97:02d}{body}"
    return " ".join(full[k:k + 4] for k in range(0, len(full), 4))


def _belgian(ref: str) -> str:
    """Belgium's structured communication: ten digits (the number, zero-padded) and their mod-97
    check, as +++123/4567/89012+++."""
    ten = _digits(ref)[-10:].rjust(10, "0")
    twelve = f"{ten}{int(ten) % 97 or 97:02d}"
    return f"+++{twelve[:3]}/{twelve[3:7]}/{twelve[7:]}+++"


SPELLINGS: dict[str, Spelling] = {
    "as is": lambda ref, rng: ref,
    "INV prefix": lambda ref, rng: f"INV {ref}",
    "lower case": lambda ref, rng: f"inv# {ref.lower()}",
    "split by space": _split(" "),
    "split by dash": _split("-"),
    "split by dot": _split("."),
    "glued to a word": lambda ref, rng: rng.choice(["PAY", "INVNO", "RCPT", "REF", "PMT", "INVOICE"]) + ref,
    "trailing code": lambda ref, rng: ref + rng.choice(["/01", "-A", "X", "REF", " 01", "/2026"]),
    "leading zeros": lambda ref, rng: re.sub(r"\d+", lambda m: "00" + m.group(0), ref, count=1),
    "O for 0": lambda ref, rng: ref.replace("0", "O"),
    "cheque number beside": lambda ref, rng: f"CHK {rng.randrange(1000, 99999)} {ref}",
    "date beside": lambda ref, rng: f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/2026 {ref}",
    "payee words": lambda ref, rng: f"PAY TO THE ORDER OF ACME FOR {ref}",
    "SWIFT /INV/ field": lambda ref, rng: f"/INV/{ref}/ROC/{rng.randrange(10**6, 10**7)}",
    "KID check digit": lambda ref, rng: _luhn(_digits(ref)),
    "RF creditor reference": lambda ref, rng: _creditor_reference(ref),
    "Belgian +++ +++": lambda ref, rng: _belgian(ref),
    "digit dropped": _typo("drop"),
    "digit doubled": _typo("double"),
    "digit inserted": _typo("insert"),
    "digit replaced": _typo("replace"),
    "digits swapped": _typo("swap"),
}


_SHORT = {"MANUFACTURING": "MFG", "INTERNATIONAL": "INTL", "SERVICES": "SVCS", "CORPORATION": "CORP",
          "COMPANY": "CO", "HOLDINGS": "HLDGS", "INDUSTRIAL": "IND", "MEDICAL": "MED", "ELECTRIC": "ELEC",
          "DISTRIBUTION": "DIST", "TECHNOLOGIES": "TECH", "TECHNOLOGY": "TECH", "ASSOCIATES": "ASSOC",
          "BROTHERS": "BROS", "ENTERPRISES": "ENT", "PRODUCTS": "PRODS", "LABORATORIES": "LABS",
          "LIMITED": "LTD", "INCORPORATED": "INC", "ENGINEERING": "ENG", "SUPPLIES": "SUPPL",
          "LOGISTICS": "LOGIST", "CHEMICALS": "CHEM", "PHARMACEUTICALS": "PHARMA", "EQUIPMENT": "EQUIP",
          "GROUP": "GRP", "SYSTEMS": "SYS", "MANAGEMENT": "MGMT", "SOLUTIONS": "SOLNS"}
_FORMS = {"INC", "LLC", "LTD", "CO", "CORP", "CORPORATION", "COMPANY", "LIMITED", "GMBH", "AG", "SA", "SARL",
          "BV", "NV", "PLC", "LLP", "LP", "PTY", "SPA", "SRL", "AB", "AS", "OY", "KG"}


def _words(name: str) -> list[str]:
    return re.sub(r"[^\w&]+", " ", name.upper()).split()


def _no_form(name: str) -> list[str]:
    words = _words(name)
    while len(words) > 1 and words[-1] in _FORMS:
        words.pop()
    return words


def _letter_wrong(name: str, rng: random.Random) -> str:
    words = _words(name)
    k = max(range(len(words)), key=lambda j: len(words[j]))
    word = words[k]
    at = rng.randrange(1, len(word)) if len(word) > 1 else 0
    words[k] = word[:at] + rng.choice([c for c in "ABCDEFGHIJKLMNOPRSTUVWY" if c != word[at]]) + word[at + 1:]
    return " ".join(words)


# what banks, processors and payers do to a customer's name (the Name column's own words)
PAYER_SPELLINGS: dict[str, Spelling] = {
    "name as is": lambda name, rng: name,
    "upper case": lambda name, rng: name.upper(),
    "cut at 16": lambda name, rng: name.upper()[:16].rstrip(),
    "cut at 22": lambda name, rng: name.upper()[:22].rstrip(),
    "no legal form": lambda name, rng: " ".join(_no_form(name)),
    "abbreviated": lambda name, rng: " ".join(_SHORT.get(w, w) for w in _words(name)),
    "processor prefix": lambda name, rng: rng.choice(["PAYPAL *", "SQ *", "ACH CR ", "WIRE FROM "]) + name.upper(),
    "THE first": lambda name, rng: "THE " + name.upper(),
    "words run together": lambda name, rng: "".join(_no_form(name)[:2]) + " " + " ".join(_no_form(name)[2:]),
    "a letter wrong": _letter_wrong,
    "AND for &": lambda name, rng: name.upper().replace("&", "AND") if "&" in name
    else name.upper().replace(" AND ", " & "),
    "first word only": lambda name, rng: _no_form(name)[0],
    "initials": lambda name, rng: "".join(w[0] for w in _no_form(name) if w not in ("&", "AND")),
}


def _shorthand(refs: list[str], rng: random.Random) -> str:
    """The first number in full, each next one by the digits it changes ("104173/74/80")."""
    out = [refs[0]]
    for prev, ref in zip(refs, refs[1:]):
        same = next((k for k, (a, b) in enumerate(zip(prev, ref)) if a != b), len(ref))
        out.append(ref[min(same, len(ref) - 2):] if ref[:same] == prev[:same] and ref[-2:].isdigit() else ref)
    return "/".join(out)


# what payers do to a list of invoices paid together
LIST_SPELLINGS: dict[str, Callable[[list[str], random.Random], str]] = {
    "comma": lambda refs, rng: ", ".join(refs),
    "space": lambda refs, rng: " ".join(refs),
    "plus": lambda refs, rng: "+".join(refs),
    "and": lambda refs, rng: ", ".join(refs[:-1]) + " AND " + refs[-1],
    "ampersand": lambda refs, rng: " & ".join(refs),
    "semicolon": lambda refs, rng: ";".join(refs),
    "slash": lambda refs, rng: "/".join(refs),
    "shuffled": lambda refs, rng: " ".join(rng.sample(refs, len(refs))),
    "INV before each": lambda refs, rng: " ".join(f"INV {r}" for r in refs),
    "shorthand": _shorthand,
    "last one left out": lambda refs, rng: ", ".join(refs[:-1]),
    "one misspelt": lambda refs, rng: ", ".join([_typo("swap")(refs[0], rng)] + refs[1:]),
}


# what reaches the bank of a payment meant to settle one invoice (cents in, cents out)
AMOUNT_SPELLINGS: dict[str, Callable[[int, random.Random], int]] = {
    "as billed": lambda cents, rng: cents,
    "a cent short": lambda cents, rng: cents - 1,
    "a cent over": lambda cents, rng: cents + 1,
    "rounded down": lambda cents, rng: cents - cents % 100 if cents % 100 else cents - 100,
    "less a wire fee": lambda cents, rng: cents - rng.choice([1000, 1500, 2500, 3500]),
    "less 2%": lambda cents, rng: cents - round(cents * 0.02),
    "half": lambda cents, rng: cents // 2,
    "twice": lambda cents, rng: cents * 2,
}


def paid_invoices(truth: Path) -> dict[str, list[tuple[str, str]]]:
    """PaymentID -> [(InvoiceID, amount applied, as written)] of the payments applied to invoices
    without a discount or a deduction."""
    rows: dict[str, list[dict[str, str]]] = {}
    with truth.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows.setdefault(row["PaymentID"], []).append(row)
    return {pid: [(x["InvoiceID"], x["Applied"]) for x in r] for pid, r in rows.items()
            if all(x["InvoiceID"] and float(x["Discount"] or 0) == 0 and float(x["ShortPay"] or 0) == 0 for x in r)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book", nargs="?", type=Path, default=SHARED / "dev" / "book.xlsx")
    parser.add_argument("truth", nargs="?", type=Path, default=SHARED / "dev" / "truth.csv")
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", help="comma-separated spellings")
    parser.add_argument("--partial", action="store_true",
                        help="payments applied to one invoice in part, or with money left over, instead")
    parser.add_argument("--payer", action="store_true",
                        help="rewrite the payer's name (from the customer's Name) instead of the reference")
    parser.add_argument("--reference", default="as is",
                        help="with --payer: the reference spelt so too (a spelling of the reference's list)")
    parser.add_argument("--list", action="store_true",
                        help="payments settling two to four invoices exactly, their list written in many ways")
    parser.add_argument("--amount", action="store_true",
                        help="payments settling one invoice: the amount changed as banks and payers change it")
    parser.add_argument("--column", help="write this Invoices column's value (PONumber, a MatchColumns column) "
                                         "instead of the InvoiceID, then spell it")
    parser.add_argument("--show", type=int, default=0, help="print up to N payments not posted right, per spelling")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:  # a copy: the shared ledger is read-only
        copy = Path(tmp) / args.book.name
        shutil.copyfile(args.book, copy)
        payments, invoices, customers, settings, open_balance, disputed, history = match_inputs(copy)
    balance = dict(zip(invoices["InvoiceID"].astype(str), open_balance.tolist()))
    currency = dict(zip(invoices["InvoiceID"].astype(str), invoices["Currency"].astype(str).str.strip()
                        .replace("", settings.base_currency)))
    paid = {pid: lines for pid, lines in paid_invoices(args.truth).items() if all(i in balance for i, _ in lines)}

    def wanted(pid: str, ref: str, cents: int) -> bool:
        """Paying one invoice wholly (--partial: in part or over; --list: two to four wholly),
        naming each as it is spelt."""
        lines = paid.get(pid)
        if not lines or not all(i in ref for i, _ in lines) or (len(lines) == 1) == args.list or len(lines) > 4:
            return False
        settled = all(to_minor(amount, currency[i]) == balance[i] for i, amount in lines) and \
            sum(balance[i] for i, _ in lines) == cents
        return settled != args.partial

    other = dict(zip(invoices["InvoiceID"].astype(str), invoices[args.column].astype(str))) if args.column else {}
    chosen = [k for k, (pid, ref, cents) in enumerate(zip(payments["PaymentID"], payments["Reference"].astype(str),
                                                           payments["Amount"].tolist())) if wanted(pid, ref, cents)]
    sample = random.Random(args.seed).sample(chosen, min(args.sample, len(chosen)))
    spellings: dict[str, Callable[..., object]] = LIST_SPELLINGS if args.list else (
        PAYER_SPELLINGS if args.payer else AMOUNT_SPELLINGS if args.amount else SPELLINGS)
    names = args.only.split(",") if args.only else list(spellings)
    owner = dict(zip(invoices["InvoiceID"].astype(str), invoices["CustomerID"].astype(str)))
    customer_name = dict(zip(customers["CustomerID"].astype(str), customers["Name"].astype(str)))
    kind = ("settling two to four invoices exactly" if args.list else
            "paying one invoice in part or over" if args.partial else "settling one invoice exactly")
    print(f"{len(sample)} payments of {len(chosen)} {kind} and naming them as spelt")
    print(f"{'spelling':24} {'auto':>6} {'wrong':>6} {'top1':>6} {'review':>7}")
    at = {c: payments.columns.get_loc(c) for c in ("PaymentID", "PayerName", "Reference", "Amount")}
    for name in names:
        spell = spellings[name]
        changed = payments.copy()
        for k in sample:
            pid = changed.iat[k, at["PaymentID"]]
            refs = [i for i, _ in paid[pid]]
            rng = random.Random(f"{args.seed}{name}{pid}")
            if args.amount:
                changed.iat[k, at["Amount"]] = spell(int(changed.iat[k, at["Amount"]]), rng)
            elif args.payer:
                changed.iat[k, at["PayerName"]] = spell(customer_name[owner[refs[0]]], rng)
                changed.iat[k, at["Reference"]] = SPELLINGS[args.reference](refs[0], rng)
            else:
                if args.column:
                    refs = [other.get(i, "") or i for i in refs]
                changed.iat[k, at["Reference"]] = spell(refs, rng) if args.list else spell(refs[0], rng)
        found = match(changed, invoices, customers, settings, open_balance, disputed, history).matches
        by_payment = dict(tuple(found.groupby("PaymentID", sort=False)))
        auto = wrong = top1 = review = 0
        shown: list[str] = []
        for k in sample:
            pid = changed.iat[k, at["PaymentID"]]
            rows = by_payment[pid]
            named = set(rows["InvoiceID"]) - {""}
            # (with the amount changed, the invoice is still the one to propose, in part or with
            # money left over: the clerk decides what becomes of the difference)
            right = named == {i for i, _ in paid[pid]}
            posted = bool((rows["Decision"] == str(Decision.AUTO)).any())
            top1 += right
            auto += posted and right
            wrong += posted and not right
            review += not posted
            if posted != right and len(shown) < args.show:
                first = rows.iloc[0]
                shown.append(f"  {pid} {changed.iat[k, at['PayerName']]!r} {changed.iat[k, at['Reference']]!r} "
                             f"{minor_to_float(int(changed.iat[k, at['Amount']]), currency[paid[pid][0][0]]):.2f} "
                             f"(truth {sorted(i for i, _ in paid[pid])}): {sorted(named)} "
                             f"{first['Decision']} {first['Confidence']}: {first['Evidence']}")
        n = len(sample)
        print(f"{name:24} {auto / n:6.3f} {wrong:6d} {top1 / n:6.3f} {review / n:7.3f}")
        if shown:
            print("\n".join(shown))


if __name__ == "__main__":
    main()
