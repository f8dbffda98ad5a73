from __future__ import annotations

from leadstreams.rules.describe import PHRASES, TAG_PHRASES
from tests.support.api import Api


def test_the_vocabulary_lists_fields_with_their_types_values_and_operators(api: Api) -> None:
    answer = api.marketing.get("/api/v1/fields")
    assert answer.status_code == 200
    body = answer.json()
    fields = {f["name"]: f for f in body["fields"]}
    assert fields["category"] == {
        "name": "category",
        "label": "category",
        "type": "enum",
        "values": ["prospect", "customer", "other"],
        "builtin": True,
        "operators": ["eq", "neq", "in", "not_in", "is_set", "is_not_set"],
    }
    assert fields["lead_stage"]["values"] == ["none", "mql", "sql", "opportunity", "won", "lost"]
    assert {"name": "form_submitted", "verb": "submitted", "noun": "form", "builtin": True} in (
        body["event_types"]
    )
    assert body["property_operators"]["boolean"] == ["eq", "neq"]
    # A new number rule starts as a threshold (issue 13, item 8); the others at their first.
    assert body["default_operators"]["number"] == "gte"
    assert body["default_operators"]["string"] == "eq"


def test_the_vocabulary_carries_the_phrase_of_every_operator_for_the_editor(api: Api) -> None:
    body = api.marketing.get("/api/v1/fields").json()
    assert body["phrases"] == {str(op): phrase for op, phrase in PHRASES.items()}
    assert body["tag_phrases"] == {str(op): phrase for op, phrase in TAG_PHRASES.items()}
    used = {op for field in body["fields"] for op in field["operators"]}
    assert used <= set(body["phrases"])


def test_a_new_custom_field_is_answered_as_written(api: Api) -> None:
    new = {"name": "industry", "label": "Industry", "type": "enum", "values": ["Retail", "Tech"]}
    answer = api.marketing.post("/api/v1/fields", json=new)
    assert answer.status_code == 201
    assert answer.json() == new | {"builtin": False}
    again = api.marketing.post("/api/v1/fields", json=new)
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "a field named 'industry' exists already"
