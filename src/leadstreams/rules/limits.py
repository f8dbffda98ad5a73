"""The limits a rule tree must stay within (rules.md, "Limits"), and the custom values that
rules read with it."""

MAX_DEPTH = 10
MAX_CONDITIONS = 100  # field, event and property conditions all count
MAX_STRING_LENGTH = 1000
MAX_LIST_LENGTH = 1000
MAX_ABS_NUMBER = 10**15  # beyond this, databases and floats disagree on equality
MAX_MIN_COUNT = 10_000
MAX_DAYS = 36_500  # a hundred years
# A datetime custom value is kept as fixed-width text (store.types.to_iso_text), and strftime
# writes a year before 1000 with fewer digits: such a value would not sort as time.
MIN_STORED_YEAR = 1000
