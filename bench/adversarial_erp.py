"""Adversarial ledgers shaped like an ERP's open-items export, as the ledgers we do not see are.

Issue 13 describes them so: few customers with hundreds of open items each; invoices quoted only by two further
columns named in Settings MatchColumns (BillNo, a sparse ten-digit bill number, and ClearingRef, a
dense clearing reference with a letter prefix), never by the InvoiceID (a dense document number);
each customer's remittances written by one template of its own; each payer account one customer's
(one per company code), none on file; yen amounts with cents, as the ERP keeps them; invoices and
payments of the last sixteen years; vocabularies, ID formats and names our own.

    python bench/adversarial_erp.py [--out bench/out/adversarial] [--seed 13] [--matches 3000]
                                    [--only erp,erpcombined] [--numbered] [--score]

Ledgers (each in OUT/<name>/book.xlsx and truth.csv, score.py's format):
  erp          one kind of noise in three of four matches of payments to invoices
  erpcombined  one to four kinds of noise together in three of four

A match is one payment for one invoice (60%), two to five instalments of one invoice whose
amounts are drawn at random (20%), or one payment for two to ten invoices of one customer, their
bill numbers listed by the customer's own item prefix and separator, which may be nothing at all
("31302943254471209386") (20%). Besides, a fifth more invoices are open and unpaid.
What each payment may carry (truth.csv Kind: the match's kind and its noises, joined by "+"):
  deduct     a few pence less than the invoices (at most 10p a payment, in its currency)
  payer      the payer printed under the name its bank statement carries (an initialism, a
             brand, a coded name such as "HGS_LTD_40981"; two customers may share one), instead
             of the customer's name as in Customers
  bill       the bill number broken: a space inserted, a character dropped, a digit inserted, two
             neighbours swapped, or characters cut from either end (anywhere, the ends too)
  clearing   the clearing reference broken the same ways
Without bill or clearing noise a single invoice's payment quotes each of its two numbers one
time in five (at least one of them); a payment of several invoices quotes their bill numbers.
Some remittances carry a number of the payer's own between the two (sometimes as long as our
document numbers) or a code after them ("TXN 2d4hrg5t").

--numbered: InvoiceIDs numbered 1, 2, 3... (an export's own row numbers, as a dataset's key is)
instead of document numbers: then the digits of codes and the numbers of a list's items spell
InvoiceIDs too.

The matcher must never be tuned to these spellings: they are here to find failure classes.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path

from adversarial import BRANDS, KIN, LEGAL, PLACES, SURNAMES, TRADES, add_text_columns, ledger_arguments, score

from arxl.book.files import new_workbook

AS_OF = dt.date(2026, 6, 30)
# per pound sterling, and each currency's decimals in this ERP: ISO 4217's, but yen kept to the
# hundredth, as some ERPs export it (arxl learns that from the invoices: Settings CurrencyDecimals)
RATES = {"GBP": (1.0, 2), "EUR": (1.17, 2), "USD": (1.27, 2), "JPY": (190.0, 2), "CHF": (1.12, 2),
         "SEK": (13.4, 2), "NOK": (13.6, 2)}
CURRENCY_WEIGHTS = {"GBP": 50, "EUR": 20, "USD": 15, "JPY": 6, "CHF": 4, "SEK": 3, "NOK": 2}
COMPANY_CODES = {"UK10": ("GB", 8), "DE20": ("DE", 4), "FR30": ("FR", 2), "NL40": ("NL", 1)}
PREFIXES = ["REMIT ", "Payment advice: ", "SETTLEMENT ", "TRF ", "voucher no ", "Zahlung ", "our ref ",
            "BACS ", "", ""]
ITEM_PREFIXES = ["#{i} ", "item {i}: ", "nr{i} ", "+", "", ""]
SEPARATORS = ["", " ", ", ", " ; ", " / "]
CODE_WORDS = ["ID", "TXN", "REF", "SEQ", ""]
NOISES = ["deduct", "payer", "bill", "clearing"]


@dataclass
class Customer:
    cid: str
    name: str
    statement_name: str
    currency: str
    country: str
    template: tuple[str, bool]  # the remittance's prefix, and whether the bill number comes first
    listing: tuple[str, str]  # item prefix and separator of a list of bill numbers
    accounts: dict[str, str] = field(default_factory=dict)  # by company code


class ErpLedger:
    def __init__(self, seed: int, matches: int, combined: bool, numbered: bool = False, customers: int = 60):
        self.r = random.Random(seed)
        self.combined = combined
        self.numbered = numbered
        self._names: set[str] = set()
        self._numbers: set[str] = set()
        self._document = 7100000000 + self.r.randint(0, 9999)
        self._clearing = self.r.randint(100, 9999)
        self.customers = [self._customer(k) for k in range(customers)]
        for a, b in self.r.sample(list(zip(self.customers[::2], self.customers[1::2])), 2):
            b.statement_name = a.statement_name  # two customers whose banks print the same name
        self.invoices: list[dict] = []
        self.payments: list[dict] = []
        self.truth: list[dict] = []
        for _ in range(matches):
            self._match()
        for _ in range(len(self.invoices) // 5):
            self._invoice(self.r.choice(self.customers), self.r.choice(list(COMPANY_CODES)))

    # ---- master data -------------------------------------------------------------------------
    def _customer(self, k: int) -> Customer:
        r = self.r
        while True:
            words = [r.choice(SURNAMES), r.choice(KIN)] if r.random() < 0.5 else [r.choice(PLACES), r.choice(TRADES)]
            legal = r.choice(LEGAL)
            name = " ".join(w for w in (*words, legal) if w)
            if name not in self._names:
                self._names.add(name)
                break
        initials = "".join("&" if w == "&" else w[0] for w in " ".join(words).split() if w.lower() != "and")
        roll = r.random()
        if roll < 0.4:
            statement = initials.upper() + " " + r.choice(["TRADING", "HOLDINGS", "GROUP", "SVCS", "CO"])
        elif roll < 0.75:
            statement = r.choice(BRANDS) + r.choice(["", " LTD", " SUPPLY"])
        else:
            statement = f"{initials.upper().replace('&', '')}_{(legal or 'CO').replace('.', '').upper()}" \
                        f"_{r.randint(10000, 99999)}"
        currency = r.choices(list(CURRENCY_WEIGHTS), list(CURRENCY_WEIGHTS.values()))[0]
        country = {"GBP": "GB", "EUR": r.choice(["DE", "FR", "IE"]), "USD": "US", "JPY": "JP", "CHF": "CH",
                   "SEK": "SE", "NOK": "NO"}[currency]
        cid = "".join(r.choices(string.ascii_uppercase, k=2)) + f"{r.randint(10000, 99999)}"
        return Customer(cid, name, statement, currency, country, (r.choice(PREFIXES), r.random() < 0.5),
                        (r.choice(ITEM_PREFIXES), r.choice(SEPARATORS)))

    def _account(self, c: Customer, code: str) -> str:
        if code not in c.accounts:
            r = self.r
            c.accounts[code] = f"{c.country}{r.randint(10, 99)}" + "".join(r.choices(string.digits, k=18))
        return c.accounts[code]

    def _fresh(self, make) -> str:
        while (value := make()) in self._numbers:
            pass
        self._numbers.add(value)
        return value

    def _invoice(self, c: Customer, code: str, year: int | None = None) -> dict:
        r = self.r
        year = year or r.randint(2010, 2025)
        date = dt.date(year, 1, 1) + dt.timedelta(days=r.randrange(365))
        rate, decimals = RATES[c.currency]
        amount = round(r.betavariate(2, 10) * 200000 * rate, decimals)
        self._document += r.randint(1, 2)
        self._clearing += r.randint(1, 3)
        number = len(self.invoices) + 1 if self.numbered else self._document
        inv = dict(InvoiceID=str(number), CustomerID=c.cid, InvoiceDate=date,
                   DueDate=date + dt.timedelta(days=int(r.betavariate(2, 5) * 60)), Amount=amount,
                   Currency=c.currency, BillNo=self._fresh(lambda: f"{r.randint(0, 9999999999):010d}"),
                   ClearingRef=f"CR2{self._clearing:013d}", _code=code)
        self.invoices.append(inv)
        return inv

    # ---- noise -------------------------------------------------------------------------------
    def broken(self, ref: str) -> str:
        """A number as a payer's clerk mistypes it: anywhere in it, its ends too."""
        r = self.r
        roll = r.random()
        if roll < 0.2:
            k = r.randint(1, len(ref) - 1)
            return ref[:k] + r.choice([" ", " ", "-"]) + ref[k:]
        if roll < 0.4:
            k = r.randrange(len(ref))
            return ref[:k] + ref[k + 1:]
        if roll < 0.6:
            k = r.randint(0, len(ref))
            return ref[:k] + r.choice(string.digits) + ref[k:]
        if roll < 0.8:
            k = r.randrange(len(ref) - 1)
            return ref[:k] + ref[k + 1] + ref[k] + ref[k + 2:]
        cut = r.choices(range(1, 6), [4 ** -i for i in range(5)])[0]
        return ref[:-cut] if r.random() < 0.5 else ref[cut:]

    def _noise_number(self) -> str:
        r = self.r
        roll = r.random()
        if roll < 0.4:  # as long as our document numbers, and in their range
            return str(self._document - r.randint(0, 20000))
        if roll < 0.6:
            return f"2{r.randint(0, 99999):013d}"
        return str(r.randint(10 ** 2, 10 ** r.randint(3, 12)))

    def _code(self) -> str:
        r = self.r
        word = r.choice(CODE_WORDS)
        code = "".join(r.choices(string.ascii_lowercase + string.digits, k=r.randint(3, 15)))
        return f" {word} {code}" if word else f" {code}"

    def _text(self, c: Customer, bill: str, clearing: str) -> str:
        r = self.r
        prefix, bill_first = c.template
        pieces = [bill, clearing] if bill_first else [clearing, bill]
        pieces = [p for p in pieces if p]
        if len(pieces) == 2 and r.random() < 0.2:
            pieces.insert(1, self._noise_number())
        text = prefix + " ".join(pieces)
        if r.random() < 0.2:
            text += self._code()
        return text

    def _quoted(self, inv: dict, noises: set[str]) -> tuple[str, str]:
        """The bill number and clearing reference a single invoice's remittance quotes."""
        r = self.r
        bill = self.broken(inv["BillNo"]) if "bill" in noises else (inv["BillNo"] if r.random() < 0.2 else "")
        clearing = self.broken(inv["ClearingRef"]) if "clearing" in noises else \
            (inv["ClearingRef"] if r.random() < 0.2 else "")
        if not bill and not clearing:
            if r.random() < 0.5:
                bill = inv["BillNo"]
            else:
                clearing = inv["ClearingRef"]
        return bill, clearing

    def _noises(self) -> set[str]:
        r = self.r
        if r.random() > 0.75:
            return set()
        if not self.combined:
            return {r.choice(NOISES)}
        return set(r.sample(NOISES, r.randint(1, len(NOISES))))

    def _deduction(self, c: Customer, amount: float) -> float:
        rate, decimals = RATES[c.currency]
        return round(min(amount * 0.1, self.r.betavariate(3, 5) * 0.10 * rate), decimals)

    # ---- matches -----------------------------------------------------------------------------
    def _match(self) -> None:
        r = self.r
        kind = r.choices(["one", "instal", "multi"], [60, 20, 20])[0]
        noises = self._noises()
        c = r.choice(self.customers)
        code = r.choices(list(COMPANY_CODES), [w for _, w in COMPANY_CODES.values()])[0]
        label = "+".join([kind, *sorted(noises)])
        decimals = RATES[c.currency][1]
        if kind == "multi":
            year = r.randint(2010, 2025)
            invoices = [self._invoice(c, code, year) for _ in range(2 + int(r.betavariate(2, 5) * 8))]
            item, between = c.listing
            bills = [self.broken(i["BillNo"]) if "bill" in noises else i["BillNo"] for i in invoices]
            listed = between.join(item.format(i=k + 1) + b for k, b in enumerate(bills))
            amount = round(sum(i["Amount"] for i in invoices), decimals)
            self._pay(c, code, invoices, amount, self._text(c, listed, ""), noises, label)
            return
        inv = self._invoice(c, code)
        if kind == "one":
            self._pay(c, code, [inv], inv["Amount"], self._text(c, *self._quoted(inv, noises)), noises, label)
            return
        shares = [r.random() + 0.05 for _ in range(2 + int(r.betavariate(1, 5) * 3))]
        parts = [round(inv["Amount"] * s / sum(shares), decimals) for s in shares]
        parts[-1] = round(inv["Amount"] - sum(parts[:-1]), decimals)
        for part in parts:
            self._pay(c, code, [inv], part, self._text(c, *self._quoted(inv, noises)), noises, label, part)

    def _pay(self, c: Customer, code: str, invoices: list[dict], amount: float, text: str, noises: set[str],
             kind: str, applied: float | None = None) -> None:
        r = self.r
        decimals = RATES[c.currency][1]
        short = self._deduction(c, amount) if "deduct" in noises else 0.0
        pid = f"Z{len(self.payments) + 1:06d}"
        latest = max(i["InvoiceDate"] for i in invoices)
        received = latest + dt.timedelta(days=int(r.betavariate(2, 5) * 60))
        payer = c.statement_name if "payer" in noises else (c.name if r.random() < 0.7 else c.name.upper())
        self.payments.append(dict(PaymentID=pid, ReceivedDate=min(received, AS_OF), PayerName=payer,
                                  Amount=round(amount - short, decimals), Currency=c.currency,
                                  Method=r.choice(["Bank transfer", "BACS", "SEPA credit", "CHAPS"]),
                                  PayerAccount=self._account(c, code), Reference=text))
        for k, inv in enumerate(invoices):
            paid = inv["Amount"] if applied is None else applied
            last = k == len(invoices) - 1
            self.truth.append(dict(PaymentID=pid, InvoiceID=inv["InvoiceID"],
                                   Applied=round(paid - (short if last else 0), decimals),
                                   Discount=0, ShortPay=short if last else 0, Kind=kind))

    # ---- writing -----------------------------------------------------------------------------
    def write(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        book = out / "book.xlsx"
        book.unlink(missing_ok=True)
        customers = [dict(CustomerID=c.cid, Name=c.name, Terms="Net 30", Currency=c.currency)
                     for c in self.customers]
        invoices = [{k: v for k, v in i.items() if k not in ("BillNo", "ClearingRef") and not k.startswith("_")}
                    for i in self.invoices]
        new_workbook(book, rows={"Customers": customers, "Invoices": invoices, "Payments": self.payments},
                     settings={"AsOfDate": AS_OF, "BaseCurrency": "GBP", "MatchColumns": "BillNo, ClearingRef"})
        add_text_columns(book, "Invoices", {name: [i[name] for i in self.invoices]
                                            for name in ("BillNo", "ClearingRef")})
        with open(out / "truth.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["PaymentID", "InvoiceID", "Applied", "Discount", "ShortPay", "Kind"])
            w.writeheader()
            w.writerows(self.truth)


LEDGERS = {"erp": False, "erpcombined": True}


def main(argv: list[str]) -> None:
    ap = ledger_arguments(__doc__.splitlines()[0], LEDGERS)
    ap.add_argument("--matches", type=int, default=3000)
    ap.add_argument("--numbered", action="store_true", help="InvoiceIDs 1, 2, 3... instead of document numbers")
    a = ap.parse_args(argv)
    for name in a.only.split(","):
        ledger = ErpLedger(a.seed + list(LEDGERS).index(name), a.matches, LEDGERS[name], a.numbered)
        ledger.write(a.out / name)
        print(f"{name}: {len(ledger.customers)} customers, {len(ledger.invoices)} invoices, "
              f"{len(ledger.payments)} payments", flush=True)
        if a.score:
            score(a.out / name)


if __name__ == "__main__":
    main(sys.argv[1:])
