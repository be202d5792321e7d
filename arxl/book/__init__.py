"""The workbook port: WORKBOOK.md's tables as typed DataFrames, whatever holds the workbook.

``contract``  the tables, their columns, kinds and owners (WORKBOOK.md as data)
``convert``   cell values <-> typed columns (cents, dates, text that stays text), once for every door
``port``      ``Workbook``: read a table, write arxl columns, rebuild an output table, append to a
              ledger, report problems; it enforces the ground rules over any ``TableStore``
``files``     the ``TableStore`` over workbook files (openpyxl), with safe saving
"""
