"""The demo workbook's data: a seeded receivables world with the noise real banks deliver.

``demo_tables(seed=...)`` returns the rows of a master workbook that has been in use for about
six months: Customers, Invoices (history and open items), Payments (the receipts already posted,
then one batch of new remittances received one to five days before the as-of date), the
Applications ledger that posted the history, MemoRequests and Settings. ``write_demo`` writes them
to a new workbook. ``demo_data`` also returns the truth: what each new payment really pays.

Why the history is in the ledger: an invoice is paid because the Applications ledger says so
(aging as of any date reads the ledger), so every paid invoice has its application rows and its
receipt in Payments, posted. The Invoices and Payments [arxl] columns are what arxl's core
computes from that ledger, as the last posting run left them. Six months of invoices give
aging's count-back DSO and CEI their sales and collection history.

Amounts are handed out as ``Decimal``; dates are ``datetime.date``.

The modules, each importing only those above it (and arxl's contract, core and book):
  world          customers and invoices, and the vocabulary they are drawn from
  remittances    how banks and payers write payments: names, invoice numbers, the noise
  history        the paid history: its Payments rows and Applications ledger rows
  arxl_columns   the [arxl] columns, from ``arxl.core.balances``
  batch          the day's new remittances and their truth
  memo_requests  the clerk's memo requests
  tables         the tables, assembled from one seeded ``random.Random``
  workbook       writing them into a new workbook
Nothing in arxl imports the demo but the command line (``arxl demo``).
"""
from arxl.demo.batch import PAYMENT_KINDS
from arxl.demo.memo_requests import MEMO_TYPES
from arxl.demo.remittances import NOISE, bank_name, spell
from arxl.demo.tables import DEMO_AS_OF, DemoData, demo_data, demo_tables
from arxl.demo.workbook import chain_history, demo_rows, write_demo
from arxl.demo.world import DEFAULT_TERMS

__all__ = ["DEFAULT_TERMS", "DEMO_AS_OF", "MEMO_TYPES", "NOISE", "PAYMENT_KINDS", "DemoData", "bank_name",
           "chain_history", "demo_data", "demo_rows", "demo_tables", "spell", "write_demo"]
