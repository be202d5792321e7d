"""Set up arxl here (``arxl adopt --accept``), the part over the ledger: once the ColumnMap is
accepted, the customers the clerk's invoices name but arxl's own Customers does not list are
added to it (their name is their ID: the link the clerk's invoices keep; a customer list of the
clerk's is left to the clerk, and aging names what it lacks), and names that look like
one customer written two ways ("Rossi M." and "Rossi M") are reported, naming the clerk's rows.
Finding the clerk's sheets and accepting the mapping is ``arxl.book.adoption``'s."""
from __future__ import annotations

from arxl.commands.command import Command, Context
from arxl.core.adopt import customers_from_names, near_duplicates
from arxl.core.ledger import Ledger, Outcome, Step


def run(ledger: Ledger, ctx: Context) -> Step:
    invoices = ledger.table("Invoices")
    customers = ledger.table("Customers", required=False)
    step = Step(Outcome(""))
    # the clerk's own customer list is theirs to add to; arxl's own Customers it keeps itself
    added = customers.iloc[0:0] if "Customers" in ledger.clerks else customers_from_names(invoices, customers)
    step.append("Customers", added[["CustomerID", "Name"]])
    names = invoices["CustomerID"]
    pairs = near_duplicates(list(names))
    for first, second, similarity in pairs:
        rows = [int(r) for r in names.index[names == first]][:3]
        others = [int(r) for r in names.index[names == second]][:3]
        step.problems.add("Invoices", others[0], "CustomerID", second,
                          f"'{second}' (row {', '.join(map(str, others))}) and '{first}' (row "
                          f"{', '.join(map(str, rows))}) look like the same customer ({similarity:.0%} alike)",
                          "Write the name the same way on every invoice, or keep both if they are two customers; "
                          "arxl counts each spelling as a customer of its own.")
    step.outcome = Outcome(f"{len(added)} customer(s) added to Customers from the names on the invoices; "
                           f"{len(pairs)} pair(s) of names that look alike",
                           {"customers added": len(added), "names alike": len(pairs)})
    return step


COMMAND = Command("adopt", "Set up arxl here", "TableInsert",
                  "Find your invoices, customers and payments in this workbook and propose a ColumnMap; "
                  "a second click accepts it and adds arxl's own sheets", run, in_refresh=False)
