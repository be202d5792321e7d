"""The workbook port: WORKBOOK.md's tables as typed DataFrames, whatever holds the workbook.

``convert``   cell values <-> typed columns (minor units of money, dates, text that stays text), once for every door
``port``      ``Workbook``: load a run's ``Ledger``, apply a command's ``Step``; it enforces the
              ground rules over any ``TableStore``
``store``     what a store must offer (raw tables of cell values)
``files``     the ``TableStore`` over workbook files (openpyxl), with safe opening and saving
"""
