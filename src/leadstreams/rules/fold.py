"""The one way strings are lower-cased for comparison, in Python and in SQL.

Python's str.lower() applies Unicode's context rules (final sigma) and multi-character
mappings ('İ' -> 'i̇'); PostgreSQL's lower() maps one character at a time. We fold one
character at a time too, so both evaluators agree on every string: in Python here, in SQLite
through this same function, in PostgreSQL through lower() (UTF-8 ctype, see store.engine).
"""

from __future__ import annotations

_LAST_CASED_CODE_POINT = 0x1F000  # beyond this Unicode has no upper/lower case pairs


def _simple_lower_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(_LAST_CASED_CODE_POINT):
        lower = chr(code).lower()
        if len(lower) == 1 and lower != chr(code):
            table[code] = lower
    table[0x130] = "i"  # 'İ': one character, as PostgreSQL folds it
    return table


LOWER_TABLE = _simple_lower_table()


def fold(text: str) -> str:
    return text.lower() if text.isascii() else text.translate(LOWER_TABLE)
