"""The limits a rule tree must stay within (rules.md, "Limits")."""

MAX_DEPTH = 10
MAX_CONDITIONS = 100  # field, event and property conditions all count
MAX_STRING_LENGTH = 1000
MAX_LIST_LENGTH = 1000
MAX_ABS_NUMBER = 10**15  # beyond this, databases and floats disagree on equality
MAX_MIN_COUNT = 10_000
MAX_DAYS = 36_500  # a hundred years
