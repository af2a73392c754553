"""Rows out of a byte stream: CSV, NDJSON or one JSON array, read a piece at a time.

The body of an import may be hundreds of megabytes, so nothing here holds more
than one row (plus a read buffer) in memory. Readers yield `(row_number, data)`
with data rows counted from 1 (blank lines are not rows); `data` is a dict, or a
`RowProblem` when that one row cannot be read but the rest of the stream can.
A stream that cannot be read past some point raises `BadRequest`.
"""

import csv
import io
import json

from service.domain.errors import BadRequest, Invalid

# Media types of an import body; text/csv is UTF-8 (RFC 7111 allows a charset
# parameter, and only UTF-8 or its ASCII subset is accepted).
MEDIA_TYPES = {
    "text/csv": "csv",
    "application/x-ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/json": "json",
}
READ_SIZE = 1 << 16


class RowProblem:
    """One row that could not be read (the stream goes on)."""

    def __init__(self, message):
        self.message = message


def format_of_name(filename):
    """The format a file name suggests (data.csv, data.ndjson, data.jsonl, data.json), or None."""
    name = filename.lower()
    for suffix, fmt in (
        (".csv", "csv"),
        (".ndjson", "ndjson"),
        (".jsonl", "ndjson"),
        (".json", "json"),
    ):
        if name.endswith(suffix):
            return fmt
    return None


def read_rows(stream, fmt, check_columns=None):
    """The rows of a binary `stream` in format `fmt`.

    `check_columns(header)` is called with a CSV file's header before the first row
    (it raises to refuse the file).
    """
    text = _utf8_text(stream)
    state = {"row": 0}
    try:
        if fmt == "csv":
            yield from _csv_rows(text, state, check_columns)
        elif fmt == "ndjson":
            yield from _ndjson_rows(text, state)
        else:
            yield from _json_array_rows(text, state)
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"the body is not UTF-8 text (undecodable bytes after data row {state['row']}); "
            "save the file as UTF-8 and send it again",
            {"body": ["not UTF-8"]},
        ) from exc
    finally:
        # The caller owns the binary stream: don't let the wrapper close it.
        if not text.closed:
            text.detach()


def _utf8_text(stream):
    if not isinstance(stream, io.BufferedIOBase):
        stream = io.BufferedReader(stream, READ_SIZE)
    # utf-8-sig drops the byte order mark spreadsheet programs put first.
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")


def _empty_body():
    return BadRequest(
        "the body is empty: send a header row and data rows, or JSON rows", {"body": ["empty"]}
    )


def _csv_rows(text, state, check_columns):
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)  # blank lines before the header
        if header is None:
            raise _empty_body()
        header = [name.strip() for name in header]
        _check_header(header)
        if check_columns:
            check_columns(header)
        for cells in reader:
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            state["row"] += 1
            if len(cells) != len(header):
                yield (
                    state["row"],
                    RowProblem(
                        f"has {len(cells)} cells where the header has {len(header)} columns"
                    ),
                )
                continue
            yield state["row"], dict(zip(header, cells, strict=True))
    except csv.Error as exc:
        raise BadRequest(
            f"the CSV cannot be read after data row {state['row']}: {exc}",
            {"body": [str(exc)]},
        ) from exc


def _check_header(header):
    if "" in header:
        raise Invalid("columns", "the header row has an empty column name", location="body")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise Invalid("columns", f"repeated column(s): {', '.join(repeated)}", location="body")


def _ndjson_rows(text, state):
    seen_line = False
    for line in text:
        if not line.strip():
            continue
        seen_line = True
        state["row"] += 1
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as exc:
            yield state["row"], RowProblem(f"is not valid JSON: {_json_problem(exc)}")
            continue
        yield state["row"], _object_or_problem(value)
    if not seen_line:
        raise _empty_body()


def _object_or_problem(value):
    if isinstance(value, dict):
        return value
    return RowProblem(f"must be a JSON object, not {type(value).__name__}")


def _json_problem(exc):
    return exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"


class _JsonArray:
    """A buffer over a text stream, parsed one array element at a time."""

    decoder = json.JSONDecoder()

    def __init__(self, text):
        self.text = text
        self.buffer = ""
        self.pos = 0
        self.eof = False

    def more(self, grow=False):
        """Read another piece; False at the end of the stream. `grow` reads as much
        as is buffered already, so a row larger than a piece is not re-parsed once
        per piece."""
        if self.eof:
            return False
        chunk = self.text.read(max(READ_SIZE, len(self.buffer)) if grow else READ_SIZE)
        if not chunk:
            self.eof = True
            return False
        # Drop what was parsed already, so the buffer stays about one piece long.
        self.buffer = self.buffer[self.pos :] + chunk
        self.pos = 0
        return True

    def next_char(self):
        """The next non-blank character (not consumed), or '' at the end."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self.more():
                return ""

    def value(self):
        """The next JSON value. A value that ends exactly at the buffer's end may be
        cut short (a number), so it is only accepted when more text follows or at EOF."""
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError:
                if self.more(grow=True):
                    continue
                raise
            if end < len(self.buffer) or not self.more():
                self.pos = end
                return value


def _json_array_rows(text, state):
    array = _JsonArray(text)

    def broken(problem):
        return BadRequest(
            f"the body is not a JSON array of objects: {problem} (after data row {state['row']})",
            {"body": [problem]},
        )

    first = array.next_char()
    if first == "":
        raise _empty_body()
    if first != "[":
        raise broken("it must start with '['")
    array.pos += 1
    if array.next_char() == "]":
        array.pos += 1
    else:
        while True:
            if array.next_char() == "":
                raise broken("it ends before its closing ']'")
            try:
                value = array.value()
            except (json.JSONDecodeError, RecursionError) as exc:
                raise broken(_json_problem(exc)) from exc
            state["row"] += 1
            yield state["row"], _object_or_problem(value)
            separator = array.next_char()
            array.pos += 1
            if separator == "]":
                break
            if separator != ",":
                raise broken(
                    "expected ',' or ']' between rows"
                    if separator
                    else "it ends before its closing ']'"
                )
    if array.next_char() != "":
        raise broken("text follows the closing ']'")
