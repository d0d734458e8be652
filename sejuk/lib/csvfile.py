"""Reading an imported CSV file: the checks every importer needs.

``read_rows`` decodes UTF-8 (a BOM is allowed), takes the first row as the
header (names stripped and lower-cased) and returns every data row with its
physical line number and its cells stripped. Problems with the file as a whole
raise ``CsvFileError`` with the line they are on (or None); each importer words
them into its own error list.
"""

from __future__ import annotations

import csv
import io


class CsvFileError(ValueError):
    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(message)


def read_rows(
    raw: bytes, *, max_bytes: int, max_rows: int
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Return (header, [(line, row), ...]); raise CsvFileError on a bad file."""
    if len(raw) > max_bytes:
        raise CsvFileError(f"larger than {max_bytes // 1024 // 1024} MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CsvFileError("not UTF-8 text; save the file as CSV UTF-8", line) from None
    if "\x00" in text:
        # PostgreSQL text cannot hold NUL: refuse the file before anything is stored.
        line = text[: text.index("\x00")].count("\n") + 1
        raise CsvFileError("NUL character; save the file as CSV UTF-8", line)
    reader = csv.DictReader(io.StringIO(text), strict=True)
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        if not reader.fieldnames:
            raise CsvFileError("empty file, expected a header row", 1)
        header = [h.strip().lower() for h in reader.fieldnames]
        reader.fieldnames = header
        for row in reader:
            if None in row:
                raise CsvFileError("more cells than header columns", reader.line_num)
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
            if len(rows) > max_rows:
                raise CsvFileError(f"more than {max_rows} rows; split the file")
    except csv.Error as exc:
        raise CsvFileError(f"not valid CSV ({exc})", reader.line_num) from None
    return header, rows
