#!/usr/bin/env python3
"""Dumps an XLSX workbook as JSON for the export tests, read with openpyxl as a
customer's script would: per sheet its name, frozen pane, column widths, which
header cells are bold, and every cell as {"t": type, "v": value}, where type is
"n" (number), "s" (text), "b" (boolean), "d" (date-time; v in milliseconds
since 1970, the workbook's times being UTC) or null for an empty cell."""

import datetime
import json
import sys

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.escape import unescape

EPOCH = datetime.datetime(1970, 1, 1)


def cell_json(value):
    if value is None:
        return {"t": None, "v": None}
    # bool before int: a Python bool is an int.
    if isinstance(value, bool):
        return {"t": "b", "v": value}
    if isinstance(value, datetime.datetime):
        # Excel keeps days as a double: round away the float noise.
        return {"t": "d", "v": round((value - EPOCH) / datetime.timedelta(milliseconds=1))}
    if isinstance(value, (int, float)):
        return {"t": "n", "v": value}
    if isinstance(value, str):
        # Control characters such as CR are stored as OOXML escapes
        # (_x000D_), which Excel decodes and openpyxl 3.0 leaves as they are.
        return {"t": "s", "v": unescape(value)}
    return {"t": type(value).__name__, "v": str(value)}


def main():
    workbook = openpyxl.load_workbook(sys.argv[1])
    sheets = []
    for sheet in workbook.worksheets:
        columns = sheet.max_column
        sheets.append({
            "name": sheet.title,
            "freeze_panes": sheet.freeze_panes,
            "widths": [sheet.column_dimensions[get_column_letter(c)].width
                       for c in range(1, columns + 1)],
            "header_bold": [bool(sheet.cell(row=1, column=c).font.b)
                            for c in range(1, columns + 1)],
            "rows": [[cell_json(value) for value in row]
                     for row in sheet.iter_rows(values_only=True)],
        })
    json.dump({"sheets": sheets}, sys.stdout)


if __name__ == "__main__":
    main()
