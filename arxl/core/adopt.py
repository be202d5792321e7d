"""Adopting a workbook the clerk built: which of their sheets holds invoices, customers and
payments, which of their headers holds each column of the contract and how sure arxl is of it
(``propose``), the mapping read back from the ColumnMap table the clerk corrected and accepted
(``read_column_map``), and what clerks keep instead of arxl's tables (customer names for IDs:
``customers_from_names``, ``near_duplicates``).

Pure: headers and cell values in (``Sample``), frames and plain values out. The workbook port
(``arxl.book``) reads the cells and applies the mapping where tables are located and read.

Rules:
- A header is a column's when it is one of the spellings clerks use for it (English, German,
  French, Spanish, Dutch, Italian; case, accents, punctuation and "No."/"#"/"Number" do not
  matter), or contains a long one ("Customer Name (billing)"); the values must fit the column's
  kind too (dates are dates, amounts numbers, IDs unique). Confidence is the two multiplied,
  0 to 100.
- A sheet holds a table when every required column of it is found with a confidence of at
  least ``FOUND``; invoices are looked for first, then payments, then customers, one table a
  sheet; a sheet that reads as invoices at least as well is not taken for payments or customers
  (last year's invoices are not this year's payments).
- Nothing is guessed silently: each line of the proposal says why (``Evidence``), and only the
  lines the clerk accepts (Accepted Yes) are read.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from arxl.contract import (
    ARXL_MARK,
    NEW_BOOK_SHEETS,
    TABLES,
    Kind,
    Owner,
    header_key,
    read_yes_no,
    spec,
)
from arxl.core.frames import table_frame
from arxl.core.matching.similarity import extract_similar
from arxl.core.problems import Problems

# The tables arxl looks for among the clerk's sheets, in the order they are looked for.
ADOPTED = ("Invoices", "Payments", "Customers")
FOUND = 50.0  # the confidence from which a required column counts as found
NEAR_DUPLICATE = 0.9  # names this similar (after case and punctuation) look like one customer

_CURRENCY = ("Currency", "Curr", "Ccy", "Währung", "Devise", "Moneda", "Divisa", "Valuta")

# The spellings clerks use for each column of the tables arxl adopts.
SPELLINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "Invoices": {
        "InvoiceID": ("Invoice Number", "Invoice", "Invoice ID", "Inv No", "Document No", "Doc No", "Bill No",
                      "Rechnungsnummer", "Rechnungs No", "Rechnung No", "Re No", "Belegnummer", "Beleg No",
                      "Numéro de facture", "No facture", "Facture", "Número de factura", "No factura", "Factura",
                      "Factuurnummer", "Factuur No", "Factuur", "Numero fattura", "No fattura", "Fattura"),
        "CustomerID": ("Customer", "Client", "Customer Name", "Customer ID", "Customer No", "Account",
                       "Account Name", "Debtor", "Kunde", "Kundenname", "Kundennummer", "Debitor",
                       "Nom du client", "Code client", "Cliente", "Nombre del cliente", "Klant", "Klantnaam",
                       "Debiteur", "Ragione sociale"),
        "InvoiceDate": ("Issue Date", "Invoice Date", "Inv Date", "Date", "Document Date", "Bill Date",
                        "Rechnungsdatum", "Belegdatum", "Datum", "Date de facture", "Date facture",
                        "Date d'émission", "Fecha de factura", "Fecha factura", "Fecha de emisión", "Fecha",
                        "Factuurdatum", "Data fattura", "Data emissione", "Data"),
        "Amount": ("Amount", "Total", "Amount Due", "Invoice Amount", "Invoice Total", "Gross Amount",
                   "Total Amount", "Betrag", "Rechnungsbetrag", "Bruttobetrag", "Summe", "Montant",
                   "Montant TTC", "Total TTC", "Importe", "Importe total", "Total factura", "Bedrag",
                   "Factuurbedrag", "Totaal", "Importo", "Importo fattura", "Totale"),
        "DueDate": ("Due Date", "Due", "Due On", "Payment Due", "Fälligkeit", "Fälligkeitsdatum", "Fällig am",
                    "Date d'échéance", "Échéance", "Fecha de vencimiento", "Vencimiento", "Vervaldatum",
                    "Data scadenza", "Scadenza"),
        "Currency": _CURRENCY,
        "PONumber": ("PO Number", "PO", "Purchase Order", "Bestellnummer", "Bon de commande", "Orden de compra",
                     "Inkoopordernummer", "Ordine"),
        "TaxAmount": ("Tax", "Tax Amount", "VAT", "Sales Tax", "MwSt", "USt", "TVA", "IVA", "BTW"),
        "Disputed": ("Disputed", "Dispute", "In Dispute", "Strittig", "Litige", "En disputa", "Betwist",
                     "Contestato"),
        "PaidDate": ("Paid On", "Payment Date", "Date Paid", "Paid Date", "Date of Payment", "Bezahlt am",
                     "Zahlungsdatum", "Zahldatum", "Date de paiement", "Payé le", "Date de règlement", "Réglé le",
                     "Fecha de pago", "Pagado el", "Fecha pago", "Betaaldatum", "Betaald op", "Datum betaling",
                     "Data pagamento", "Pagato il", "Data incasso"),
    },
    "Payments": {
        "PaymentID": ("Payment ID", "Payment No", "Receipt No", "Receipt", "Zahlungsnummer", "No paiement",
                      "No pago", "Betaling No", "No pagamento"),
        "ReceivedDate": ("Received Date", "Date Received", "Payment Date", "Receipt Date", "Value Date", "Date",
                         "Eingangsdatum", "Zahlungsdatum", "Wertstellung", "Buchungsdatum", "Datum",
                         "Date de réception", "Date de paiement", "Date de valeur", "Fecha de recepción",
                         "Fecha de pago", "Fecha valor", "Fecha", "Ontvangstdatum", "Betaaldatum",
                         "Data ricezione", "Data pagamento", "Data valuta", "Data"),
        "PayerName": ("Payer", "Payer Name", "Remitter", "Customer", "Name", "From", "Zahler", "Auftraggeber",
                      "Payeur", "Donneur d'ordre", "Pagador", "Ordenante", "Betaler", "Opdrachtgever",
                      "Pagatore", "Ordinante"),
        "Amount": ("Amount", "Amount Received", "Payment Amount", "Received", "Betrag", "Montant", "Importe",
                   "Bedrag", "Importo"),
        "Currency": _CURRENCY,
        "Reference": ("Reference", "Memo", "Remittance", "Description", "Verwendungszweck", "Referenz",
                      "Libellé", "Référence", "Concepto", "Referencia", "Omschrijving", "Kenmerk", "Causale",
                      "Riferimento"),
        "CheckNumber": ("Check No", "Cheque No", "Scheck No", "No chèque", "No de cheque", "Cheque No",
                        "No assegno"),
        "Method": ("Method", "Payment Method", "Zahlungsart", "Mode de paiement", "Forma de pago", "Betaalwijze",
                   "Metodo di pagamento"),
    },
    "Customers": {
        "CustomerID": ("Customer ID", "Customer No", "Customer Code", "Account No", "Account", "Kundennummer",
                       "Code client", "No client", "Código de cliente", "No cliente", "Klantnummer",
                       "Codice cliente"),
        "Name": ("Name", "Customer", "Customer Name", "Client", "Company", "Account Name", "Kunde", "Kundenname",
                 "Firma", "Nom", "Nom du client", "Raison sociale", "Nombre", "Cliente", "Razón social", "Naam",
                 "Klantnaam", "Bedrijf", "Ragione sociale", "Nome"),
        "Terms": ("Terms", "Payment Terms", "Zahlungsbedingungen", "Zahlungsziel", "Conditions de paiement",
                  "Condiciones de pago", "Betalingstermijn", "Termini di pagamento"),
        "CreditLimit": ("Credit Limit", "Kreditlimit", "Plafond", "Límite de crédito", "Kredietlimiet", "Fido"),
        "Currency": _CURRENCY,
        "Email": ("Email", "E-mail", "Mail", "Courriel", "Correo"),
        "Region": ("Region", "Territory", "Région", "Región", "Regio", "Regione"),
        "Salesperson": ("Salesperson", "Sales Rep", "Account Manager", "Vertreter", "Commercial", "Vendedor",
                        "Verkoper", "Venditore"),
    },
}

# Words that say "number" in a header: "Invoice No.", "Invoice #", "Rechnungs-Nr." read alike.
_NUMBER_WORDS = {"#": "no", "number": "no", "nr": "no", "num": "no", "n°": "no", "nº": "no", "no": "no",
                 "nummer": "no", "numero": "no", "número": "no", "n": "no"}


def spelling_key(text: object) -> str:
    """A header as its words: lower case, without accents or punctuation, every way of writing
    "number" as ``no`` ("Invoice No." = "invoice #" = "INVOICE NUMBER")."""
    raw = str(text or "").strip().lower().replace("#", " # ").replace("n°", " n° ").replace("nº", " nº ")
    words = re.split(r"[\s._:/()\-']+", raw)
    words = [_NUMBER_WORDS.get(w, w) for w in words if w]
    plain = " ".join(words)
    return "".join(c for c in unicodedata.normalize("NFKD", plain) if not unicodedata.combining(c))


_KEYS = {table: {column: {spelling_key(s) for s in (column, *spellings)}
                 for column, spellings in columns.items()} for table, columns in SPELLINGS.items()}


def header_score(table: str, column: str, header: str) -> float:
    """How surely ``header`` names ``column`` of ``table``: 1 for a known spelling (or the
    contract's own name), 0.75 for a header containing a known spelling of two words or of
    five letters or more, else 0."""
    key = spelling_key(header)
    if not key:
        return 0.0
    spellings = _KEYS[table][column]
    if key in spellings or header_key(header) == header_key(column):
        return 1.0
    words = f" {key} "
    if any((" " in s or len(s) >= 5) and f" {s} " in words for s in spellings):
        return 0.75
    return 0.0


# ---- checking the values ------------------------------------------------------------------

_DATE_TEXT = re.compile(r"^\s*(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})\s*$")
_NUMBER_TEXT = re.compile(r"^\s*[-+(]?\s*[$€£¥]?\s*\d[\d.,' ]*\s*\)?\s*$")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def looks_like_date_text(value: object) -> bool:
    """Text such as 29/02/2025, 2025-03-01 or 01.03.2025: a date typed as text."""
    return isinstance(value, str) and bool(_DATE_TEXT.match(value))


def impossible_date(text: str) -> bool:
    """Date text whose day cannot exist whichever way it is read (29/02/2025, 31.04.2025)."""
    m = _DATE_TEXT.match(text)
    if not m:
        return False
    a, b, c = (int(g) for g in m.groups())
    orders = [(a, b, c)] if a > 31 else [(c, b, a), (c, a, b)]  # y-m-d, or d-m-y and m-d-y
    for year, month, day in orders:
        try:
            dt.date(year if year > 99 else 2000 + year, month, day)
            return False
        except ValueError:
            continue
    return True


@dataclass(frozen=True)
class Fit:
    """How the values of a column fit a kind: ``share`` (0 to 1) and what was seen, in words."""

    share: float
    seen: str


def value_fit(kind: Kind, values: Sequence[object], unique: bool = False, required: bool = False) -> Fit:
    """How well a column's cell values fit ``kind``: dates are date cells (date text counts
    half), amounts numbers (numeric text half), IDs unique where they must be. Blanks count
    against a required column only."""
    filled = [v for v in values if not _blank(v)]
    if not filled:
        return Fit(0.0 if required else 0.6, "every cell is blank")
    notes: list[str] = []
    if kind in (Kind.DATE, Kind.DATETIME):
        dates = sum(isinstance(v, dt.date) for v in filled)
        texts = sum(looks_like_date_text(v) for v in filled)
        score = dates + texts / 2
        notes.append(f"{dates} of {len(filled)} are dates")
        if texts:
            notes.append(f"{texts} typed as text")
    elif kind == Kind.MONEY:
        numbers = sum(_is_number(v) for v in filled)
        texts = sum(isinstance(v, str) and bool(_NUMBER_TEXT.match(v)) for v in filled)
        score = numbers + texts / 2
        notes.append(f"{numbers} of {len(filled)} are numbers")
        if texts:
            notes.append(f"{texts} typed as text")
    else:
        score = len(filled)
        notes.append(f"{len(filled)} filled")
    share = score / len(filled)
    if unique:
        keys = [str(v).strip() for v in filled]
        distinct = len(set(keys))
        if distinct < len(keys):
            notes.append(f"{len(keys) - distinct} repeated")
        share *= distinct / len(keys)
    if required and len(filled) < len(values):
        notes.append(f"{len(values) - len(filled)} blank")
        share *= len(filled) / len(values)
    return Fit(share, ", ".join(notes))


def names_not_ids(values: Sequence[object]) -> bool:
    """Whether a customer column holds names (words with spaces or lower-case letters) rather
    than codes such as C0042."""
    filled = [str(v).strip() for v in values if not _blank(v)]
    if not filled:
        return False
    wordy = sum(bool(re.search(r"[a-z]", v)) and (" " in v or len(v) > 12 or not re.search(r"\d", v))
                for v in filled)
    return wordy > len(filled) / 2


# ---- proposing a mapping ------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    """What the clerk's workbook holds in one place: ``name`` (a sheet title, or an Excel table's
    name), the ``sheet`` it is on, its header row and its data rows (cell values)."""

    name: str
    sheet: str
    headers: list[str]
    rows: list[list[object]]


@dataclass(frozen=True)
class Line:
    """One line of a proposal: ``column`` of ``table`` is under ``header`` of ``where``."""

    table: str
    column: str
    where: str
    header: str
    confidence: float
    evidence: str


def _column_lines(table: str, sample: Sample) -> list[Line]:
    """The best header of ``sample`` for each column of ``table`` that clerks keep (each
    header used once, surest first); a line with a blank header for a column not found."""
    candidates: list[tuple[float, int, str, str, str]] = []
    columns = list(SPELLINGS[table])
    for order, column in enumerate(columns):
        col = spec(table).column(column)
        for at, header in enumerate(sample.headers):
            by_header = header_score(table, column, header)
            if not by_header:
                continue
            fit = value_fit(col.kind, [r[at] if at < len(r) else None for r in sample.rows], col.unique,
                            col.required)
            confidence = round(100 * by_header * fit.share, 1)
            how = "a spelling of" if by_header == 1 else "contains a spelling of"
            candidates.append((confidence, order, column, header, f"'{header}' is {how} {column}; {fit.seen}"))
    chosen: dict[str, Line] = {}
    used: set[str] = set()
    for confidence, _, column, header, why in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if column in chosen or header in used:
            continue
        chosen[column] = Line(table, column, sample.name, header, confidence, why)
        used.add(header)
    return [chosen.get(column) or Line(table, column, sample.name, "", 0.0, "no header of yours was found for it")
            for column in columns]


def _table_score(table: str, lines: list[Line]) -> float:
    """The sheet's score for ``table``: the mean confidence of its required columns, 0 when one
    of them is not found."""
    required = [line for line in lines if spec(table).column(line.column).required]
    if any(line.confidence < FOUND for line in required):
        return 0.0
    return sum(line.confidence for line in required) / len(required)


@dataclass
class Proposal:
    """Where each adopted table was found (``found``: table -> sample name), the lines of the
    ColumnMap, and whether the invoices name their customers (no Customers table of IDs)."""

    found: dict[str, str] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    customer_names: bool = False

    def rows(self) -> list[dict[str, object]]:
        """The proposal as the ColumnMap table's rows (every line Accepted No)."""
        return [{"Table": line.table, "Column": line.column, "Sheet": line.where, "Header": line.header,
                 "Accepted": "No", "Confidence": line.confidence if line.column else None,
                 "Evidence": line.evidence} for line in self.lines]

    def where(self) -> str:
        """Where each table was found, in words: "Invoices on Sheet1, Payments on Cash"."""
        return ", ".join(f"{table} on {where}" for table, where in self.found.items())


def own_sheet(table: str, taken: Iterable[str]) -> str:
    """The sheet arxl puts its own ``table`` on: the table's name, or "<name> (arxl)" where the
    clerk has a sheet or table of that name already."""
    keys = {header_key(t) for t in taken}
    return table if header_key(table) not in keys else f"{table} (arxl)"


def own_table_name(table: str, taken: Iterable[str]) -> str:
    """The name of the Excel table arxl makes for its own ``table``: the table's name, or
    arxl_<name> where the clerk has a table or a defined name of that name already (Excel
    allows no two)."""
    return table if table.lower() not in {t.lower() for t in taken} else f"arxl_{table}"


def propose(samples: Sequence[Sample]) -> Proposal:
    """The mapping arxl proposes for a workbook the clerk built (see the module's rules)."""
    proposal = Proposal()
    free = list(samples)
    for table in ADOPTED:
        scored = [(_table_score(table, lines), sample, lines)
                  for sample in free for lines in [_column_lines(table, sample)]]
        # a second list of invoices (last year's) is no list of payments or customers
        scored = [s for s in scored if s[0] > 0
                  and (table == "Invoices" or _table_score("Invoices", _column_lines("Invoices", s[1])) < s[0])]
        if not scored:
            continue
        _, sample, lines = max(scored, key=lambda s: s[0])
        free.remove(sample)
        proposal.found[table] = sample.name
        if table == "Invoices":
            at = sample.headers.index(next(ln.header for ln in lines if ln.column == "CustomerID"))
            proposal.customer_names = names_not_ids([r[at] if at < len(r) else None for r in sample.rows])
            if proposal.customer_names:
                lines = [Line(ln.table, ln.column, ln.where, ln.header, ln.confidence,
                              ln.evidence + "; names, not IDs: arxl lists each name once in its own Customers")
                         if ln.column == "CustomerID" else ln for ln in lines]
        proposal.lines.extend(lines)
    if "Customers" in proposal.found and proposal.customer_names:
        # the clerk's customer list is keyed by codes the invoices do not use: arxl keeps its own
        del proposal.found["Customers"]
        proposal.lines = [ln for ln in proposal.lines if ln.table != "Customers"]
    taken = [s.name for s in samples] + [s.sheet for s in samples]
    for table in NEW_BOOK_SHEETS:
        if table not in proposal.found:
            why = ("arxl's own Customers, one row per customer name of your invoices"
                   if table == "Customers" and proposal.customer_names else f"arxl adds its own {table} sheet")
            proposal.lines.append(Line(table, "", own_sheet(table, taken), "", 0.0, why))
    return proposal


# ---- reading the accepted mapping back ----------------------------------------------------

@dataclass(frozen=True)
class Placement:
    """Where a table of the contract is: the clerk's sheet (or Excel table) ``where`` with
    ``headers`` (contract column -> the clerk's header), or arxl's own sheet (no headers)."""

    table: str
    where: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def clerks(self) -> bool:
        return bool(self.headers)


@dataclass(frozen=True)
class ColumnMapping:
    """The accepted lines of a ColumnMap: where each table is, and its columns' headers."""

    placements: dict[str, Placement] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.placements)

    @property
    def locations(self) -> dict[str, str]:
        return {table: p.where for table, p in self.placements.items()}

    def clerks(self, table: str) -> bool:
        """Whether ``table`` is a sheet of the clerk's, read through their headers."""
        placement = self.placements.get(table)
        return placement is not None and placement.clerks

    def translate(self, table: str, headers: Sequence[str]) -> list[str]:
        """The clerk's header row as the contract names its columns: a mapped header becomes
        its column, "Paid [arxl]" becomes Paid; any other header that happens to be a
        contract column's name is set apart, so arxl neither reads nor writes that column."""
        placement = self.placements[table]
        mine = {header_key(h): column for column, h in placement.headers.items()}
        table_spec = spec(table)
        out = []
        for header in headers:
            key = header_key(header)
            if key in mine:
                out.append(mine[key])
            elif header.endswith(ARXL_MARK) and table_spec.has(header[:-len(ARXL_MARK)]):
                out.append(table_spec.column(header[:-len(ARXL_MARK)]).name)
            elif table_spec.has(header):
                out.append(f"{header} (not in ColumnMap)")
            else:
                out.append(header)
        return out

    def clerk_header(self, table: str, column: str) -> str:
        """The header the clerk sees for ``column`` of ``table`` (the column itself elsewhere)."""
        placement = self.placements.get(table)
        if placement is None or not placement.clerks or not spec(table).has(column):
            return column
        name = spec(table).column(column).name
        if name in placement.headers:
            return placement.headers[name]
        return name + ARXL_MARK if spec(table).column(name).owner == Owner.ARXL else column

    def added_header(self, table: str, column: str) -> str:
        """The header of a column arxl adds to ``table``: marked [arxl] on the clerk's sheet."""
        return column + ARXL_MARK if self.clerks(table) else column


# What a ColumnMap line may place: the tables (and the report sheet) of a master workbook.
PLACEABLE = NEW_BOOK_SHEETS


def read_column_map(rows: Sequence[tuple[int, dict[str, object]]], sheet: str) -> tuple[ColumnMapping, Problems]:
    """The accepted lines of the ColumnMap table (``rows``: sheet row, {column: cell value}).
    A line naming an unknown table or column, or a table placed on two sheets, is reported and
    left out."""
    problems = Problems()
    where: dict[str, str] = {}
    headers: dict[str, dict[str, str]] = {}
    for row, cells in rows:
        if read_yes_no(cells.get("Accepted")) is not True:
            continue
        table_name = str(cells.get("Table") or "").strip()
        column = str(cells.get("Column") or "").strip()
        place = str(cells.get("Sheet") or "").strip()
        header = str(cells.get("Header") or "").strip()
        table = next((t for t in PLACEABLE if header_key(t) == header_key(table_name)), None)
        if table is None:
            problems.add(sheet, row, "Table", table_name, f"{table_name or 'a blank'} is not a table of arxl's",
                         f"Write one of {', '.join(PLACEABLE)}.")
            continue
        if column and (table not in TABLES or not spec(table).has(column)):
            problems.add(sheet, row, "Column", column, f"{table} has no column {column}",
                         "Write a column of the table (docs/WORKBOOK.md), or clear the line's Accepted.")
            continue
        if not place:
            problems.add(sheet, row, "Sheet", "", "the line names no sheet",
                         "Write the sheet (or Excel table) that holds the table.")
            continue
        if table in where and header_key(where[table]) != header_key(place):
            problems.add(sheet, row, "Sheet", place, f"{table} is placed on {where[table]} already",
                         "A table is on one sheet: correct the Sheet of one of its lines.")
            continue
        where[table] = place
        if column and header:
            headers.setdefault(table, {})[spec(table).column(column).name] = header
    return ColumnMapping({t: Placement(t, w, headers.get(t, {})) for t, w in where.items()}), problems


# ---- what clerks keep instead of arxl's tables --------------------------------------------

def customers_from_names(invoices: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Customers rows for the customer names of ``invoices`` not in ``customers`` yet: the name
    is the CustomerID (the link the clerk's invoices keep) and the Name, in sorted order."""
    known = set(customers["CustomerID"])
    names = sorted({n for n in invoices["CustomerID"] if n and n not in known})
    return table_frame(spec("Customers"), {"CustomerID": names, "Name": names})


def _name_key(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", unicodedata.normalize("NFKC", name).lower()).split())


def near_duplicates(names: Sequence[str], cutoff: float = NEAR_DUPLICATE) -> list[tuple[str, str, float]]:
    """Pairs of distinct names that look like one customer ("Rossi M." and "Rossi M", "ACME
    Corp" and "Acme Corp."): alike once case and punctuation are set aside, or nearly so.
    (first, second, similarity), in the order the names first appear."""
    distinct = list(dict.fromkeys(n for n in names if n))
    keys = [_name_key(n) for n in distinct]
    pairs = []
    for i, key in enumerate(keys):
        if not key:
            continue
        for _, score, j in extract_similar(key, keys[i + 1:], cutoff, limit=len(keys)):
            pairs.append((distinct[i], distinct[i + 1 + j], round(score, 3)))
    return pairs
