"""arxl: accounts-receivable work inside the clerk's own Excel workbook.

Layout (arrows point one way: doors -> commands -> core -> contract; commands -> book):

- ``arxl.contract`` the tables, columns, statuses and marks of docs/WORKBOOK.md, once; imports
                    nothing of arxl
- ``arxl.core``     the rules, on pandas DataFrames and plain values; knows nothing of Excel
- ``arxl.book``     the workbook port: load a ledger, apply a step; one adapter over files
                    (openpyxl), one over a live xlwings Book (``arxl.excel.store``)
- ``arxl.commands`` one step per command and the registry every door reads
- ``arxl.cli``      the headless door;  ``arxl.excel``: ribbon buttons and UDFs
"""

__version__ = "0.1.0"
