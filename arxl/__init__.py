"""arxl: accounts-receivable work inside the clerk's own Excel workbook.

Layout (arrows point one way: doors -> commands -> core; commands -> book):

- ``arxl.core``     the rules, on pandas DataFrames and plain values; knows nothing of Excel
- ``arxl.book``     the workbook port: the contract of WORKBOOK.md, one adapter over files
                    (openpyxl), one over a live xlwings Book
- ``arxl.commands`` one function per command and the registry every door reads
- ``arxl.cli``      the headless door;  ``arxl.excel``: ribbon buttons and UDFs
"""

__version__ = "0.1.0"
