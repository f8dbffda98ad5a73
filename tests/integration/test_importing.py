"""Bulk imports: bad lines are reported by number, the good ones around them are kept."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner, Result

from leadstreams import importing
from leadstreams.cli import cli
from leadstreams.rules import FieldType
from leadstreams.schemas.fields import FieldCreate
from leadstreams.services import contacts, vocabulary
from leadstreams.services.context import Context

CONTACTS = """\
email,first_name,country,lead_score,tags,fields.employees
anna@example.se,Anna,SE,60,vip; newsletter,120
not-an-email,Bad,SE,10,,
bo@example.no,Bo,NO,20,,many
carl@example.dk,Carl,dk,,,
"""


def run(ctx: Context, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database-url", ctx.settings.database_url, *args])


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def emails(ctx: Context) -> list[str]:
    return [c.email for c in contacts.search_contacts(ctx, q=None, limit=100, after_id=0)]


def declare_employees(ctx: Context) -> None:
    field = FieldCreate(name="employees", label="Employees", type=FieldType.NUMBER)
    vocabulary.create_field(ctx, data=field)


def test_importing_contacts_reports_bad_lines_and_keeps_the_good_ones(
    ctx: Context, tmp_path: Path
) -> None:
    declare_employees(ctx)
    result = run(ctx, "import", "contacts", write(tmp_path, "contacts.csv", CONTACTS))
    assert result.exit_code == 1
    assert result.stdout == (
        "contacts.csv: 2 accepted (2 created, 0 updated, 0 unchanged), 2 rejected.\n"
    )
    assert result.stderr == (
        "line 3: email: Value error, not an e-mail address\n"
        "line 4: fields.employees: expected a finite number\n"
    )
    assert emails(ctx) == ["anna@example.se", "carl@example.dk"]
    anna = contacts.search_contacts(ctx, q="anna", limit=1, after_id=0)[0]
    assert (anna.tags, anna.fields, anna.lead_score) == (
        ["vip", "newsletter"],
        {"employees": 120},
        60,
    )


def test_importing_contacts_again_updates_what_changed(ctx: Context, tmp_path: Path) -> None:
    first = "email,first_name,lead_score\na@example.com,Ann,10\nb@example.com,Bo,20\n"
    second = "email,first_name,lead_score\na@example.com,Ann,10\nb@example.com,,25\n"
    run(ctx, "import", "contacts", write(tmp_path, "first.csv", first))
    result = run(ctx, "import", "contacts", write(tmp_path, "second.csv", second))
    assert result.exit_code == 0, result.output
    assert "2 accepted (0 created, 1 updated, 1 unchanged), 0 rejected" in result.stdout
    bo = contacts.search_contacts(ctx, q="b@example.com", limit=1, after_id=0)[0]
    assert (bo.first_name, bo.lead_score) == ("Bo", 25)  # an empty cell changes nothing


def test_a_header_with_an_unknown_column_is_refused_before_any_row(
    ctx: Context, tmp_path: Path
) -> None:
    text = "email,emial,fields.size\na@example.com,x,1\n"
    result = run(ctx, "import", "contacts", write(tmp_path, "bad.csv", text))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: column 'emial': not a contact field (expected ")
    assert lines[1] == "error: column 'fields.size': no such custom field (declare it first)"
    assert emails(ctx) == []


def test_line_numbers_count_quoted_cells_that_span_lines(ctx: Context) -> None:
    lines = ["email,title", 'a@example.com,"Head of', 'Sales"', "", "bad,CEO"]
    lines += ["c@example.com,CEO,extra", "d@example.com,CTO"]
    report = importing.import_contacts(ctx, io.StringIO("\n".join(lines)))
    assert report.counts["created"] == 2
    assert [(r.line, r.problems) for r in report.rejected] == [
        (5, ("email: Value error, not an e-mail address",)),
        (6, ("row: 1 more cell(s) than the header names",)),
    ]


def test_csv_cells_are_typed_for_their_custom_fields() -> None:
    types = {"size": "number", "ratio": "number", "ok": "boolean", "labels": "tags", "d": "enum"}
    row = {"email": " a@b.se ", "tags": "x;;y", "fields.size": "12", "fields.ratio": "1.5"}
    row |= {"fields.ok": "Yes", "fields.labels": "p; q", "fields.d": "Gold", "city": ""}
    assert importing.contact_values(row, types) == {
        "email": "a@b.se",
        "tags": ["x", "y"],
        "fields": {"size": 12, "ratio": 1.5, "ok": True, "labels": ["p", "q"], "d": "Gold"},
    }
    assert importing.custom_value("number", "lots") == "lots"  # the service says what it wants


def event(**fields: object) -> str:
    return json.dumps(fields)


def test_importing_events_reports_bad_lines_and_keeps_the_good_ones(
    ctx: Context, tmp_path: Path
) -> None:
    lines = [
        event(email="anna@example.se", type="form_submitted", event_id="e1"),
        '{"email": "anna@example.se", "type": "page_visited"',
        "",
        event(email="anna@example.se", type="Not A Type"),
        event(email="bo@example.no", type="email_opened", event_id="e2"),
        event(email="anna@example.se", type="form_submitted", event_id="e1"),
        "[1, 2]",
    ]
    path = write(tmp_path, "events.jsonl", "\n".join(lines) + "\n")
    result = run(ctx, "import", "events", path)
    assert result.exit_code == 1
    assert result.stdout == "events.jsonl: 3 accepted (2 created, 1 duplicate), 3 rejected.\n"
    problems = result.stderr.splitlines()
    assert problems[0] == "line 2: json: Expecting ',' delimiter (column 52)"
    assert problems[1].startswith("line 4: type: String should match pattern")
    assert problems[2] == "line 7: json: expected an object, found list"
    assert emails(ctx) == ["anna@example.se", "bo@example.no"]


def test_events_keep_their_line_numbers_across_batches(ctx: Context) -> None:
    lines = [event(email=f"p{n}@example.com", type="page_visited") for n in range(5)]
    lines[3] = event(contact_id=999, type="page_visited")
    report = importing.import_events(ctx, io.StringIO("\n".join(lines)), batch_size=2)
    assert report.counts["created"] == 4
    assert [(r.line, r.problems) for r in report.rejected] == [
        (4, ("contact_id: no such contact",))
    ]


def test_a_clean_events_file_exits_0(ctx: Context, tmp_path: Path) -> None:
    path = write(tmp_path, "ok.jsonl", event(email="a@example.com", type="page_visited"))
    result = run(ctx, "import", "events", path)
    assert result.exit_code == 0
    assert result.stdout == "ok.jsonl: 1 accepted (1 created, 0 duplicate), 0 rejected.\n"


def test_a_byte_that_is_not_utf8_or_an_endless_cell_rejects_only_its_line(
    ctx: Context, tmp_path: Path
) -> None:
    endless = "x" * (csv.field_size_limit() + 1)
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"email,first_name\na@example.com,Ann\nb@example.com,B\xe4rbel\n"
        + f"c@example.com,{endless}\n".encode()
        + b"d@example.com,Dora\n"
    )
    result = run(ctx, "import", "contacts", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "line 3: column 'first_name': byte 0xE4 at character 2 is not UTF-8"
        " (save the file as UTF-8)",
        f"line 4: csv: a cell is longer than {csv.field_size_limit():,} characters"
        " (is a quote left open?)",
    ]
    assert emails(ctx) == ["a@example.com", "d@example.com"]


def test_an_event_line_with_a_byte_that_is_not_utf8_is_rejected_alone(
    ctx: Context, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    good = event(email="a@example.com", type="page_visited").encode()
    bad = b'{"email": "b@example.com", "type": "\xff"}'
    path.write_bytes(good + b"\n" + bad + b"\n" + good + b"\n")
    result = run(ctx, "import", "events", str(path))
    assert result.exit_code == 1
    assert result.stdout == "events.jsonl: 2 accepted (2 created, 0 duplicate), 1 rejected.\n"
    at = bad.index(b"\xff") + 1
    assert result.stderr == (
        f"line 2: line: byte 0xFF at character {at} is not UTF-8 (save the file as UTF-8)\n"
    )
    assert emails(ctx) == ["a@example.com"]
