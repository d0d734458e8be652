"""Readers for the public territory files (MySQL dumps from cahyadsn/wilayah*).

No Django here: these functions turn files into validated rows, or raise
``SourceError`` naming the file, line and record at fault. Nothing is written
until a whole file has been read, so a truncated or malformed file can never
leave a half-imported database behind.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

KODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>/\*.*?\*/|--[^\n]*|\#[^\n]*)
  | (?P<opencomment>/\*)
  | (?P<str>'(?:[^'\\]|''|\\.)*')
  | (?P<openstr>')
  | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z_0-9]*|`[^`]*`|"[^"]*")
  | (?P<punct>[(),;.=])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_UNESCAPE = re.compile(r"''|\\(.)", re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "Z": "\x1a"}


class SourceError(ValueError):
    """A problem in an input file, with the place it was found."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


def _unquote(literal: str) -> str:
    body = literal[1:-1]

    def repl(m: re.Match) -> str:
        if m.group(0) == "''":
            return "'"
        ch = m.group(1)
        return _ESCAPES.get(ch, ch)

    return _UNESCAPE.sub(repl, body)


class _Lines:
    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


@dataclass(frozen=True)
class InsertRow:
    table: str
    columns: tuple[str, ...]
    values: tuple[object, ...]
    line: int

    def as_dict(self) -> dict[str, object]:
        return dict(zip(self.columns, self.values, strict=True))


def _tokens(text: str, path: str | Path, lines: _Lines) -> Iterator[tuple[str, str, int]]:
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        if kind == "opencomment":
            raise SourceError(path, lines.at(m.start()), "comment opened here is never closed")
        if kind == "openstr":
            raise SourceError(
                path, lines.at(m.start()), "string opened here is never closed (truncated file?)"
            )
        yield kind, m.group(0), m.start()


def iter_inserts(text: str, path: str | Path = "<text>") -> Iterator[InsertRow]:
    """Yield every row of every ``INSERT INTO t (cols) VALUES (...), ...;`` statement.

    Other statements (DROP, CREATE, DELETE...) are skipped. A statement that
    does not end with ``;`` is reported as truncated.
    """
    lines = _Lines(text)
    toks = _tokens(text, path, lines)
    pending: list[tuple[str, str, int]] = []

    def nxt(expect_desc: str, start_line: int) -> tuple[str, str, int]:
        if pending:
            return pending.pop()
        try:
            return next(toks)
        except StopIteration:
            raise SourceError(
                path,
                start_line,
                f"file ends inside the statement that starts here (expected {expect_desc}); "
                "the file is truncated",
            ) from None

    for kind, val, off in toks:
        if kind == "word" and val.upper() == "INSERT":
            stmt_line = lines.at(off)
            k, v, o = nxt("INTO", stmt_line)
            if v.upper() == "IGNORE":
                k, v, o = nxt("INTO", stmt_line)
            if v.upper() != "INTO":
                raise SourceError(path, lines.at(o), f"expected INTO after INSERT, got {v!r}")
            k, table, o = nxt("a table name", stmt_line)
            table = table.strip('`"')
            k, v, o = nxt("a column list", stmt_line)
            if v != "(":
                raise SourceError(
                    path, lines.at(o), "INSERT without a column list is not supported"
                )
            columns: list[str] = []
            while True:
                k, v, o = nxt("a column name", stmt_line)
                if k != "word":
                    raise SourceError(path, lines.at(o), f"expected a column name, got {v!r}")
                columns.append(v.strip('`"').lower())
                k, v, o = nxt("',' or ')'", stmt_line)
                if v == ")":
                    break
                if v != ",":
                    raise SourceError(
                        path, lines.at(o), f"expected ',' or ')' in column list, got {v!r}"
                    )
            k, v, o = nxt("VALUES", stmt_line)
            if v.upper() not in ("VALUES", "VALUE"):
                raise SourceError(path, lines.at(o), f"expected VALUES, got {v!r}")
            cols = tuple(columns)
            while True:
                k, v, o = nxt("'('", stmt_line)
                if v != "(":
                    raise SourceError(path, lines.at(o), f"expected '(' to start a row, got {v!r}")
                row_line = lines.at(o)
                values: list[object] = []
                while True:
                    k, v, o = nxt("a value", row_line)
                    if k == "str":
                        values.append(_unquote(v))
                    elif k == "num":
                        values.append(float(v) if any(c in v for c in ".eE") else int(v))
                    elif k == "word" and v.upper() == "NULL":
                        values.append(None)
                    else:
                        raise SourceError(path, lines.at(o), f"expected a value, got {v!r}")
                    k, v, o = nxt("',' or ')'", row_line)
                    if v == ")":
                        break
                    if v != ",":
                        raise SourceError(
                            path, lines.at(o), f"expected ',' or ')' in a row, got {v!r}"
                        )
                if len(values) != len(cols):
                    raise SourceError(
                        path,
                        row_line,
                        f"row has {len(values)} values for {len(cols)} columns {cols}",
                    )
                yield InsertRow(table, cols, tuple(values), row_line)
                k, v, o = nxt("',' or ';'", row_line)
                if v == ";":
                    break
                if v != ",":
                    raise SourceError(
                        path, lines.at(o), f"expected ',' or ';' after a row, got {v!r}"
                    )
        elif kind == "other":
            continue
        else:
            continue


def read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(path, line, f"not valid UTF-8 ({exc.reason})") from None


@dataclass(frozen=True)
class CodeRow:
    kode: str
    nama: str
    level: int
    parent: str | None
    line: int


def read_codes(path: Path) -> list[CodeRow]:
    """Read ``wilayah.sql``: every (kode, nama), validated, parents before children."""
    text = read_text(path)
    rows: dict[str, CodeRow] = {}
    for ins in iter_inserts(text, path):
        if ins.table.lower() != "wilayah":
            continue
        rec = ins.as_dict()
        kode, nama = rec.get("kode"), rec.get("nama")
        if not isinstance(kode, str) or not KODE_RE.match(kode):
            raise SourceError(
                path, ins.line, f"bad kode {kode!r} (expected PP, PP.KK, PP.KK.CC or PP.KK.CC.DDDD)"
            )
        if not isinstance(nama, str) or not nama.strip() or len(nama) > 100:
            raise SourceError(path, ins.line, f"bad nama {nama!r} for kode {kode}")
        if kode in rows:
            raise SourceError(
                path, ins.line, f"kode {kode} appears twice (first at line {rows[kode].line})"
            )
        parent = kode.rsplit(".", 1)[0] if "." in kode else None
        rows[kode] = CodeRow(kode, nama.strip(), kode.count(".") + 1, parent, ins.line)
    if not rows:
        raise SourceError(path, None, "no INSERT INTO wilayah rows found")
    for row in rows.values():
        if row.parent is not None and row.parent not in rows:
            raise SourceError(
                path, row.line, f"kode {row.kode} has no parent {row.parent} in the file"
            )
    return sorted(rows.values(), key=lambda r: (r.level, r.kode))


@dataclass(frozen=True)
class BoundaryRow:
    kode: str
    nama: str | None
    path_json: str
    source: str
    line: int


def boundary_files(directory: Path) -> list[Path]:
    files = sorted(p for p in directory.rglob("*.sql") if not p.name.startswith("ddl"))
    if not files:
        raise SourceError(directory, None, "no boundary .sql files found")
    return files


def read_boundaries(directory: Path) -> list[BoundaryRow]:
    """Read every ``wilayah_boundaries`` row under ``directory`` (recursively)."""
    out: dict[str, BoundaryRow] = {}
    for file in boundary_files(directory):
        text = read_text(file)
        for ins in iter_inserts(text, file):
            if ins.table.lower() != "wilayah_boundaries":
                continue
            rec = ins.as_dict()
            kode, path_json = rec.get("kode"), rec.get("path")
            if not isinstance(kode, str) or not KODE_RE.match(kode):
                raise SourceError(file, ins.line, f"bad kode {kode!r}")
            if not isinstance(path_json, str) or not path_json.strip():
                raise SourceError(file, ins.line, f"kode {kode}: empty path")
            if kode in out:
                prev = out[kode]
                raise SourceError(
                    file,
                    ins.line,
                    f"kode {kode} has a second boundary (first in {prev.source}:{prev.line})",
                )
            nama = rec.get("nama")
            out[kode] = BoundaryRow(
                kode, nama if isinstance(nama, str) else None, path_json, str(file), ins.line
            )
    return sorted(out.values(), key=lambda r: r.kode)
