"""Spreadsheet exports every audit list shares: CSV in UTF-8 with a BOM (so Excel shows the
Chinese text) and XLSX (openpyxl, write-only)."""
import csv
import io

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(fmt, header, rows, name):
    """A Response with the rows as `name.csv` or `name.xlsx`."""
    rows = list(rows)
    if fmt == "csv":
        body, mimetype = csv_bytes(header, rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = xlsx_bytes(header, rows, name), XLSX
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"})
