"""Small pieces of English: sizes of files as people read them."""

from generator.wording import a_or_an, file_size


def test_a_size_under_a_kilobyte_is_given_in_bytes():
    assert file_size(0) == "0 bytes"
    assert file_size(1023) == "1023 bytes"


def test_a_size_of_a_kilobyte_or_more_is_given_in_whole_kilobytes():
    assert file_size(1024) == "1 KB"
    assert file_size(350 * 1024 + 600) == "351 KB"


def test_a_size_of_a_megabyte_or_more_is_given_in_whole_megabytes():
    assert file_size(1024 * 1024) == "1 MB"
    assert file_size(200 * 1024 * 1024) == "200 MB"


def test_a_form_type_takes_an_before_a_vowel_and_a_before_a_consonant():
    assert [a_or_an(t) for t in ("explore", "agreement", "review", "monitoring")] == [
        "an explore", "an agreement", "a review", "a monitoring"]
