"""The Python predicate compiled from a rule runs in a namespace of its own."""

from __future__ import annotations

from leadstreams.rules import parse
from leadstreams.rules.evaluate import compile_predicate
from tests.support.rules_world import VOCABULARY


def test_the_compiled_predicate_reaches_only_the_builtins_it_uses() -> None:
    rule = parse({"field": "company", "op": "contains", "value": "acme"}, VOCABULARY)
    predicate = compile_predicate(rule)
    # not the interpreter's builtins (open, __import__, eval ...): only the type tests
    assert set(predicate.__globals__["__builtins__"]) == {"type", "int", "float", "str", "bool"}
