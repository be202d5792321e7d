"""The Excel door: ribbon buttons and cell formulas in a live workbook, through xlwings.

``store``    ``XlwingsStore``: the workbook port's ``TableStore`` over an open Excel Book; it
             reads and writes whole ranges, and holds every write until the run has succeeded
``buttons``  what a ribbon button runs: the command, the status bar, the message at the end
``udfs``     ``ARXL_*`` worksheet functions, thin calls into the same rules as the commands
``build``    regenerates ``vba/`` (dispatcher, UDF wrappers, ribbon XML) and ``workbooks/arxl.xlsm``
"""
