"""Printable documents arxl sends on the company's behalf (credit and debit memos), as PDF
files drawn with reportlab. Documents know the core's records, never the workbook."""
from arxl.documents.memo_pdf import InvoiceRef, Party, write_memo_pdf

__all__ = ["InvoiceRef", "Party", "write_memo_pdf"]
