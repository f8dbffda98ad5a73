"""Bulk loads: contacts from CSV, events from JSON lines. A bad line is reported by its number
and skipped; the good lines around it are kept.

Contacts CSV: a header naming contact fields (`email`, `external_id`, `first_name`, ...),
`tags` separated by `;`, custom fields as `fields.NAME`. An empty cell leaves the value as
it is. Events: one `EventCreate` JSON object per line, recorded 1,000 to a transaction.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from pydantic import ValidationError

from leadstreams.errors import ErrorDetail, InvalidInput, LeadstreamsError, error_path
from leadstreams.rules.fold import fold
from leadstreams.schemas.contacts import ContactCreate, ContactWrite
from leadstreams.schemas.events import EventRefused
from leadstreams.services import contacts, ingest, vocabulary
from leadstreams.services.context import Context

Progress = Callable[[int], object]  # told how many more lines are done (tqdm.update fits)
CONTACT_COLUMNS = frozenset(ContactWrite.model_fields) - {"fields"}
CUSTOM_PREFIX = "fields."
EVENT_BATCH = 1000
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    problems: tuple[str, ...]  # "path: message"


@dataclass
class ImportReport:
    counts: Counter[str] = field(default_factory=Counter)  # created, updated, duplicate, ...
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(self.counts.values())

    def reject(self, line: int, details: Iterable[ErrorDetail]) -> None:
        problems = tuple(f"{d.path}: {d.message}" for d in details)
        self.rejected.append(Rejected(line, problems))


def _nothing(_: int) -> None:
    return None


# -- contacts ---------------------------------------------------------------------------------


def import_contacts(
    ctx: Context, source: TextIO, *, progress: Progress = _nothing, delimiter: str = ","
) -> ImportReport:
    """One upsert per row (by email, else external_id); InvalidInput for an unusable header."""
    reader = csv.DictReader(source, delimiter=delimiter)
    if reader.fieldnames:
        reader.fieldnames = [name.strip() for name in reader.fieldnames]
    custom_types = _custom_types(ctx)
    _check_header(reader.fieldnames, custom_types)
    report = ImportReport()
    for line, row, lines_read in _rows(reader, report):
        if row is not None:
            _import_contact(ctx, line, row, custom_types, report)
        progress(lines_read)
    return report


def _custom_types(ctx: Context) -> dict[str, str]:
    described = vocabulary.describe_vocabulary(ctx).fields
    return {f.name: str(f.type) for f in described if not f.builtin}


def _check_header(names: Sequence[str] | None, custom_types: dict[str, str]) -> None:
    if not names:
        raise InvalidInput.at("line 1", "the file is empty; the first line names the columns")
    problems = [ErrorDetail(f"column {n!r}", _column_problem(n, custom_types)) for n in names]
    problems = [p for p in problems if p.message]
    if not {"email", "external_id"} & set(names):
        problems.append(ErrorDetail("columns", "name an 'email' or 'external_id' column"))
    if len(set(names)) != len(names):
        problems.append(ErrorDetail("columns", "a column is named twice"))
    if problems:
        raise InvalidInput("the header line is not usable", problems)


def _column_problem(name: str, custom_types: dict[str, str]) -> str:
    if name in CONTACT_COLUMNS:
        return ""
    if name.startswith(CUSTOM_PREFIX):
        known = name.removeprefix(CUSTOM_PREFIX) in custom_types
        return "" if known else "no such custom field (declare it first)"
    expected = ", ".join(sorted(CONTACT_COLUMNS))
    return f"not a contact field (expected {expected} or fields.NAME)"


def _rows(
    reader: csv.DictReader[str], report: ImportReport
) -> Iterator[tuple[int, dict[Any, Any] | None, int]]:
    """(the record's first line, its cells or None when unreadable, lines it took)."""
    lines = reader.reader  # its count moves on a bad record too (the DictReader's does not)
    done = lines.line_num  # the header
    while True:
        try:
            row: dict[Any, Any] | None = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            report.reject(lines.line_num, [ErrorDetail("csv", _csv_problem(error))])
            row = None
        if lines.line_num == done:  # nothing consumed: stop rather than loop
            return
        yield _first_line(lines.line_num, row), row, lines.line_num - done
        done = lines.line_num


def _csv_problem(error: csv.Error) -> str:
    if "field limit" in str(error):
        limit = csv.field_size_limit()
        return f"a cell is longer than {limit:,} characters (is a quote left open?)"
    return str(error)


def _first_line(last_line: int, row: dict[Any, Any] | None) -> int:
    """A quoted cell may span lines (and blank lines before a record are skipped)."""
    cells = [] if row is None else [c for v in row.values() for c in _cells(v)]
    return last_line - sum(cell.count("\n") for cell in cells)


def _cells(value: Any) -> list[str]:
    if isinstance(value, list):  # the cells beyond the header's columns
        return [str(v) for v in value]
    return [value] if isinstance(value, str) else []


def _import_contact(
    ctx: Context,
    line: int,
    row: dict[Any, Any],
    custom_types: dict[str, str],
    report: ImportReport,
) -> None:
    extra = len(row.pop(None, None) or [])
    if extra:
        report.reject(line, [ErrorDetail("row", f"{extra} more cell(s) than the header names")])
        return
    undecodable = [
        ErrorDetail(f"column {column!r}", problem)
        for column, cell in row.items()
        if (problem := not_utf8(cell or ""))
    ]
    if undecodable:
        report.reject(line, undecodable)
        return
    try:
        data = ContactCreate.model_validate(contact_values(row, custom_types))
        _, change = contacts.upsert_contact(ctx, data=data)
    except ValidationError as error:
        report.reject(line, _validation_details(error))
    except LeadstreamsError as error:
        report.reject(line, error.details or [ErrorDetail("row", error.message)])
    else:
        outcome = "created" if change.created else "updated" if change.changed else "unchanged"
        report.counts[outcome] += 1


def contact_values(row: dict[str, Any], custom_types: dict[str, str]) -> dict[str, Any]:
    """A CSV row as a contact body: empty cells left out, tags split, custom values typed."""
    values: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for column, cell in row.items():
        text = (cell or "").strip()
        if not text:
            continue
        if column.startswith(CUSTOM_PREFIX):
            name = column.removeprefix(CUSTOM_PREFIX)
            custom[name] = custom_value(custom_types[name], text)
        elif column == "tags":
            values["tags"] = _split(text)
        else:
            values[column] = text
    if custom:
        values["fields"] = custom
    return values


def custom_value(field_type: str, text: str, *, tag_separator: str = ";") -> Any:
    """Text typed for a custom field (a CSV cell, or a box of the contact page, whose tags are
    separated by commas); left as text when it does not read as the type (the service then
    says what it expected)."""
    if field_type == "number":
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                continue
    elif field_type == "boolean" and fold(text) in _TRUE | _FALSE:
        return fold(text) in _TRUE
    elif field_type == "tags":
        return _split(text, tag_separator)
    return text


def _split(text: str, separator: str = ";") -> list[str]:
    return [part.strip() for part in text.split(separator) if part.strip()]


def not_utf8(text: str) -> str:
    """What is wrong with text read with errors="surrogateescape" (each byte that is not
    UTF-8 became a code point U+DC80..U+DCFF), or "" when it was all UTF-8."""
    for column, char in enumerate(text, start=1):
        if "\udc80" <= char <= "\udcff":
            byte = ord(char) - 0xDC00
            return f"byte 0x{byte:02X} at character {column} is not UTF-8 (save the file as UTF-8)"
    return ""


def _validation_details(error: ValidationError) -> list[ErrorDetail]:
    return [ErrorDetail(error_path(item["loc"]) or "row", item["msg"]) for item in error.errors()]


# -- events -----------------------------------------------------------------------------------


def import_events(
    ctx: Context,
    source: TextIO,
    *,
    progress: Progress = _nothing,
    batch_size: int = EVENT_BATCH,
) -> ImportReport:
    """Lines parsed one by one, recorded `batch_size` to a transaction; blank lines skipped."""
    report = ImportReport()
    batch: list[tuple[int, Any]] = []
    lines = 0
    for number, text in enumerate(source, start=1):
        lines += 1
        item = _parse_event_line(number, text, report)
        if item is not None:
            batch.append((number, item))
        if len(batch) >= batch_size:
            _record(ctx, batch, report)
            progress(lines)
            batch, lines = [], 0
    _record(ctx, batch, report)
    progress(lines)
    report.rejected.sort(key=lambda rejected: rejected.line)
    return report


def _parse_event_line(number: int, text: str, report: ImportReport) -> dict[str, Any] | None:
    text = text.rstrip("\r\n")  # so that an error's column counts on this line
    if not text.strip():
        return None
    if problem := not_utf8(text):
        report.reject(number, [ErrorDetail("line", problem)])
        return None
    try:
        item = json.loads(text)
    except json.JSONDecodeError as error:
        report.reject(number, [ErrorDetail("json", f"{error.msg} (column {error.colno})")])
        return None
    if not isinstance(item, dict):
        found = type(item).__name__
        report.reject(number, [ErrorDetail("json", f"expected an object, found {found}")])
        return None
    return item


def _record(ctx: Context, batch: list[tuple[int, Any]], report: ImportReport) -> None:
    if not batch:
        return
    results = ingest.record_events(ctx, items=[item for _, item in batch])
    for result in results:
        line = batch[result.index][0]
        if isinstance(result, EventRefused):
            details = [ErrorDetail(d.path, d.message) for d in result.details]
            report.reject(line, details or [ErrorDetail("event", result.message)])
        else:
            report.counts[result.status] += 1
