"""The Reports page's top lost reasons: counted by the label chosen from the admins' list."""

from __future__ import annotations

from leadstreams.services.reports import OWN_WORDS, UNSAID, top_reasons

LABELS = ["No budget", "Went with a rival", "No"]


def test_a_reason_counts_for_the_label_it_starts_with() -> None:
    counted = [
        ("No budget", 2),
        ("No budget: next year", 3),
        ("Went with a rival: Acme", 4),
        ("No budgets left", 1),  # another text, not "No budget: …" nor "No: …"
    ]
    assert top_reasons(counted, LABELS) == [
        ("No budget", 5),
        ("Went with a rival", 4),
        (OWN_WORDS, 1),
    ]


def test_ties_read_by_label_and_only_the_top_three_are_kept() -> None:
    counted = [("No", 2), ("Went with a rival", 2), (None, 2), ("in my own words", 1)]
    assert top_reasons(counted, LABELS) == [("No", 2), (UNSAID, 2), ("Went with a rival", 2)]
    assert top_reasons([], LABELS) == []
