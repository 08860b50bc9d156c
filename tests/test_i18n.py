import pytest

from admission import i18n


def test_language_codes_are_read_the_ways_staff_write_them() -> None:
    assert [i18n.normalise_language(c) for c in ("sv", "sv_SE", "SV-se", " fi ")] == ["sv", "sv", "sv", "fi"]
    with pytest.raises(i18n.UnknownLanguage, match="choose one of en, sv, da, de, fi"):
        i18n.normalise_language("klingon")


def test_a_request_speaks_its_own_language_and_leaves_the_process_language_alone() -> None:
    i18n.set_language("de")
    try:
        with i18n.speaking("fi"):
            assert i18n.current_language() == "fi"
            assert str(i18n.babel_locale()) == "fi_FI"
        assert i18n.current_language() == "de"
    finally:
        i18n.set_language("en")
