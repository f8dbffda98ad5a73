"""The rule editor speaks the form's language (issue 13, items 6 and 8): messages use the
labels the form shows and say what to do; number rules start at "is at least"; the English
says "at least 1 time" where the editor shows the count."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in

INTERNAL = re.compile(r"'\w+'|is_set|gte|should|\d{16}|needs a value")


def _value_error(page: Page) -> str:
    error = page.locator(".condition-editor .field-error")
    expect(error).to_have_count(1)
    text = error.inner_text()
    assert not INTERNAL.search(text), text
    return text


def test_a_number_rule_starts_at_is_at_least_and_its_errors_say_what_to_do(
    page: Page, live: Live
) -> None:
    log_in(page, live, "marketing@example.com")
    page.goto(f"{live.url}/streams/new")
    page.get_by_role("button", name="Add new rule").click()
    page.get_by_label("Field or activity").select_option(label="Lead score")
    expect(page.get_by_label("Operator")).to_have_value("gte")  # "is at least", not "is"
    expect(page.get_by_label("Operator").locator("option:checked")).to_have_text("is at least")

    value = page.get_by_label("Value")
    page.get_by_role("button", name="Apply").click()
    assert _value_error(page) == "Enter a number for “Lead score is at least”."
    expect(value).to_have_attribute("aria-invalid", "true")

    value.fill("1e400")  # the input cannot hold it: it reads as empty
    page.get_by_role("button", name="Apply").click()
    assert _value_error(page) == "Enter a number of at most 15 digits, e.g. 50."

    value.fill("10000000000000000")
    page.get_by_role("button", name="Apply").click()
    assert _value_error(page) == "This number is too large: use at most 15 digits."

    value.fill("50")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#rules-text")).to_have_text("Lead score is at least 50")

    page.get_by_role("button", name="Add new rule").click()
    page.get_by_label("Field or activity").select_option(label="City")
    page.get_by_role("button", name="Apply").click()
    assert _value_error(page).startswith("Type a value. To find contacts without one, choose")
    page.get_by_label("Operator").select_option(label="is not set")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#rules-text")).to_have_text(
        "Lead score is at least 50, and city is not set"
    )


def test_an_activity_says_its_count_of_one_where_the_editor_shows_it(
    page: Page, live: Live
) -> None:
    log_in(page, live, "marketing@example.com")
    page.goto(f"{live.url}/streams/new")
    page.get_by_role("button", name="Add new rule").click()
    page.get_by_label("Field or activity").select_option(label="Visited a page")
    expect(page.get_by_label("At least (times)")).to_have_value("1")
    page.get_by_role("button", name="Add property condition").click()
    page.get_by_label("Property", exact=True).fill("campaign")
    page.get_by_role("button", name="Apply").click()
    assert _value_error(page) == "Enter a value for property “campaign”, or remove it."
    page.get_by_role("button", name="Remove property condition 1").click()
    page.get_by_label("In the last (days)").fill("7")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".rule-summary")).to_have_text(
        "Visited a page, at least 1 time, in the last 7 days"
    )
    expect(page.locator("#rules-text")).to_have_text(
        "Visited a page at least 1 time in the last 7 days"
    )
