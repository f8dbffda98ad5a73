"""The rule language: one meaning, evaluated in Python and in SQL (shared/spec/rules.md).

Pure: nothing here imports a web framework or opens a database. `compile_sql` and
`sql.dialects` speak SQLAlchemy Core, and know tables only through the `SqlColumns` given.
"""

from leadstreams.rules.ast import (
    AllOf,
    AnyOf,
    EventCondition,
    FieldCondition,
    FieldType,
    Not,
    Op,
    PropertyCondition,
    Rule,
)
from leadstreams.rules.describe import describe
from leadstreams.rules.dump import dump
from leadstreams.rules.errors import RuleError, RuleIssue, RuleValidationError
from leadstreams.rules.evaluate import (
    EventRecord,
    Predicate,
    compile_event_filter,
    compile_predicate,
)
from leadstreams.rules.explain import Explainer, Explanation, explain
from leadstreams.rules.fields import FieldDef, Vocabulary
from leadstreams.rules.parse import parse, validate
from leadstreams.rules.reads import Reads, reads

__all__ = [
    "AllOf",
    "AnyOf",
    "EventCondition",
    "EventRecord",
    "Explainer",
    "Explanation",
    "FieldCondition",
    "FieldDef",
    "FieldType",
    "Not",
    "Op",
    "Predicate",
    "PropertyCondition",
    "Reads",
    "Rule",
    "RuleError",
    "RuleIssue",
    "RuleValidationError",
    "Vocabulary",
    "compile_event_filter",
    "compile_predicate",
    "describe",
    "dump",
    "explain",
    "parse",
    "reads",
    "validate",
]
