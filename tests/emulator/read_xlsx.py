"""Read a workbook back with a third-party reader (openpyxl) and print it as JSON.

    python read_xlsx.py FILE

Prints {"sheets": [names], "findings": [[cell, ...], ...], "types": [[type, ...], ...],
"frozen": "A2", "autofilter": "A1:O42", "controls": [[cell, ...], ...]}: every cell of the
Findings sheet as text (dates as ISO 8601), with openpyxl's data type of each ("s" string, "n"
number, "d" date, "f" formula), the Controls sheet's rows as text, the Organization sheet's rows
as their values ("organization"), and the Trail changes sheet's ("trail_changes") as text.
"""

import json
import sys
from datetime import datetime

import openpyxl


def main() -> int:
    workbook = openpyxl.load_workbook(sys.argv[1])
    sheet = workbook["Findings"]
    rows, types = [], []
    for row in sheet.iter_rows():
        rows.append(
            [
                cell.value.isoformat() if isinstance(cell.value, datetime) else ("" if cell.value is None else str(cell.value))
                for cell in row
            ]
        )
        types.append([cell.data_type for cell in row])
    controls = [
        ["" if cell.value is None else str(cell.value) for cell in row]
        for row in workbook["Controls"].iter_rows()
    ] if "Controls" in workbook.sheetnames else []
    organization = [
        [cell.value for cell in row]
        for row in workbook["Organization"].iter_rows()
    ] if "Organization" in workbook.sheetnames else []
    changes = [
        [
            cell.value.isoformat() if isinstance(cell.value, datetime) else ("" if cell.value is None else str(cell.value))
            for cell in row
        ]
        for row in workbook["Trail changes"].iter_rows()
    ] if "Trail changes" in workbook.sheetnames else []
    print(
        json.dumps(
            {
                "controls": controls,
                "organization": organization,
                "trail_changes": changes,
                "sheets": workbook.sheetnames,
                "findings": rows,
                "types": types,
                "frozen": sheet.freeze_panes,
                "autofilter": sheet.auto_filter.ref,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
