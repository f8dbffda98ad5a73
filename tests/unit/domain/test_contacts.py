from __future__ import annotations

from leadstreams.domain.contacts import normalise_email, normalise_tags


def test_tags_that_differ_only_in_case_are_one_tag_in_its_first_spelling() -> None:
    assert normalise_tags(["VIP", "vip", "Partner", "ViP"]) == ["VIP", "Partner"]


def test_tags_fold_case_as_rules_do_one_character_at_a_time() -> None:
    # Rules compare tags with fold, which maps one character to one: 'ß' is not 'ss', so
    # 'Straße' and 'STRASSE' stay two tags, as a rule on one of them would not match the other.
    assert normalise_tags(["Straße", "STRASSE", "strasse"]) == ["Straße", "STRASSE"]
    # Where str.lower() differs from fold ('İ' to two characters, a final sigma to 'ς'),
    # the tags are still one when rules would find one by the other.
    assert normalise_tags(["İSTANBUL", "istanbul"]) == ["İSTANBUL"]
    assert normalise_tags(["ΟΔΟΣ", "οδοσ"]) == ["ΟΔΟΣ"]


def test_an_email_is_trimmed_and_lower_cased() -> None:
    assert normalise_email("  Ada@Example.COM ") == "ada@example.com"
