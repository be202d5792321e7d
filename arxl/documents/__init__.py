"""Printable documents arxl sends on the company's behalf (invoices, statements, reminder letters,
credit and debit memos), as PDF files drawn with reportlab, and their e-mails. Documents know the
core's records, never the workbook. ``layout`` holds what every document shares."""
from arxl.documents.layout import Party
from arxl.documents.memo_pdf import InvoiceRef, write_memo_pdf

__all__ = ["InvoiceRef", "Party", "write_memo_pdf"]
