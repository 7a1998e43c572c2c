"""CSV files that support leads open in a spreadsheet, written so that opening them is safe.

A cell that starts with "=", "+", "-", "@", a tab or a carriage return is run as a formula by
Excel and LibreOffice: a user who types `=HYPERLINK("http://…","klicka")` into the chat, or a
client that picks such a sender id, would get a live link or worse into the support lead's
spreadsheet (OWASP, "CSV injection"). Such a cell is written with a leading apostrophe, which
makes it text; so is a cell that already starts with one, so that reading the file back
(`read_rows`) takes exactly one apostrophe off and every cell keeps its text. Every cell is
quoted, so a spreadsheet that splits on commas instead of ";" cannot start a cell mid-text.
Swedish spreadsheets expect ";" between columns; the BOM makes them read UTF-8.
"""
import csv
from pathlib import Path
from typing import Dict, Iterable, List, Sequence

DELIMITER = ";"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TEXT_MARK = "'"


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.lstrip(" ").startswith(_FORMULA_STARTS) or text.startswith(_TEXT_MARK):
        return _TEXT_MARK + text
    return text


def cell_as_written(cell: str) -> str:
    return cell[1:] if cell.startswith(_TEXT_MARK) else cell


def write_rows(path: Path, columns: Sequence[str], rows: Iterable[Dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file, delimiter=DELIMITER, quoting=csv.QUOTE_ALL)
        writer.writerow([safe_cell(column) for column in columns])
        writer.writerows([safe_cell(row.get(column, "")) for column in columns] for row in rows)


def read_rows(path: Path) -> List[Dict[str, str]]:
    """The rows of a file written by write_rows (and edited in a spreadsheet since), with
    the cells as they were before they were made safe; ";" or "," between columns."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        sample = file.read(4096)
        file.seek(0)
        delimiter = ";" if sample.count(";") >= sample.count(",") else ","
        return [{cell_as_written(key or ""): cell_as_written(value or "") for key, value in row.items()}
                for row in csv.DictReader(file, delimiter=delimiter)]
