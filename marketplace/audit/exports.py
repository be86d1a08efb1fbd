"""Spreadsheet exports every list shares: CSV in UTF-8 with a BOM (so Excel shows the Chinese
text) and XLSX (openpyxl, write-only). Amounts are yuan as numbers: a `Decimal` cell (see
`money.yuan`) is written '12345.67' in CSV and as a numeric XLSX cell shown ¥12,345.67."""
import csv
import io
from decimal import Decimal

from flask import Response
from flask_babel import gettext as _

from marketplace.money import yuan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YUAN_FORMAT = '"¥"#,##0.00'


def csv_bytes(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(header, rows, title="Sheet"):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append([money_cell(sheet, value) if isinstance(value, Decimal) else value for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def money_cell(sheet, amount):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=amount)
    cell.number_format = YUAN_FORMAT
    return cell


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
