"""Spreadsheet exports: CSV in UTF-8 with a BOM (so Excel shows the Chinese text) and XLSX
(openpyxl, write-only). Every CSV or XLSX the application writes goes through `safe_cell`, so
text typed by users (invoice numbers, organisation names, memos) can never become a formula, and
amounts — `Decimal` yuan from `money.yuan` — stay numbers."""
import csv
import io
import re
from decimal import Decimal

from flask import Response
from flask_babel import gettext as _

from marketplace.money import yuan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# OWASP "CSV injection": a cell starting with one of these is read as a formula by spreadsheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What openpyxl refuses (IllegalCharacterError): C0 controls but tab, newline and CR.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
YUAN_FORMAT = '"¥"#,##0.00'


def safe_text(text):
    """A user's text as a spreadsheet shows it, never as a formula: illegal characters dropped,
    a leading = + - @ tab or CR neutralised with an apostrophe."""
    text = ILLEGAL.sub("", text)
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_cell(value):
    """Text made safe; numbers (int, Decimal yuan) left as numbers; None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    return value


def csv_value(value):
    value = safe_cell(value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"  # yuan with two decimals
    return value


def csv_bytes(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_value(value) for value in header])
    writer.writerows([csv_value(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_row(sheet, row):
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in row:
        cell = WriteOnlyCell(sheet, value=safe_cell(value))
        if isinstance(value, Decimal):
            cell.number_format = YUAN_FORMAT
        cells.append(cell)
    return cells


def xlsx_bytes(header, rows, title="Sheet"):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(safe_text(title)[:31])
    sheet.append(xlsx_row(sheet, header))
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def in_yuan(header, rows, money_columns):
    """Header and rows with the fen columns turned into yuan (numbers) and their heading saying 元."""
    header = [_("%(column)s (yuan)", column=text) if i in money_columns else text for i, text in enumerate(header)]
    rows = [[yuan(v) if i in money_columns and v is not None else v for i, v in enumerate(row)] for row in rows]
    return header, rows


def download(fmt, header, rows, name, money_columns=()):
    """A Response with the rows as `name.csv` or `name.xlsx`; `money_columns` hold fen."""
    rows = list(rows)
    if money_columns:
        header, rows = in_yuan(header, rows, money_columns)
    if fmt == "csv":
        body, mimetype = csv_bytes(header, rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = xlsx_bytes(header, rows, name), XLSX
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"})
