"""Unit tests for forwarder_insure.domain.certificates: random, self-checking numbers."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.iso7064 import mod_37_36

from forwarder_insure.domain.certificates import (
    is_valid_certificate_number,
    new_certificate_number,
    normalise_certificate_number,
)

# Written out here so the tests do not depend on the module's own constants.
ALPHABET = string.digits + string.ascii_uppercase
CANONICAL = re.compile(r"FI-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]")

# A fixed number whose check character was computed once with python-stdnum's MOD 37,36.
KNOWN = "FI-7K3M-Q9XD-2HWP-6"

# No example database: these tests must not write a .hypothesis folder into the repository.
quick = settings(database=None, deadline=None)

random_parts = st.text(alphabet=ALPHABET, min_size=12, max_size=12)


def number_from(random_part: str) -> str:
    check = mod_37_36.calc_check_digit(random_part)
    return f"FI-{random_part[:4]}-{random_part[4:8]}-{random_part[8:]}-{check}"


def substitutions(number: str):
    """Every string that differs from ``number`` in exactly one character (0-9, A-Z or dash)."""
    for position, original in enumerate(number):
        for replacement in ALPHABET + "-":
            if replacement != original:
                yield number[:position] + replacement + number[position + 1 :]


def adjacent_transpositions(number: str):
    """Every string made by swapping two neighbouring, different characters of ``number``."""
    for position in range(len(number) - 1):
        left, right = number[position], number[position + 1]
        if left != right:
            yield number[:position] + right + left + number[position + 2 :]


# --- generation -------------------------------------------------------------------------------


def test_new_number_has_the_canonical_format():
    number = new_certificate_number()
    assert CANONICAL.fullmatch(number), number
    assert len(number) == 19


def test_a_thousand_new_numbers_are_unique_and_valid():
    numbers = [new_certificate_number() for _ in range(1000)]
    assert len(set(numbers)) == 1000
    assert all(CANONICAL.fullmatch(number) for number in numbers)
    assert all(is_valid_certificate_number(number) for number in numbers)


def test_new_numbers_draw_on_the_whole_alphabet():
    # 12,000 random characters; the chance that any of 36 never appears is about 1e-146.
    used = {char for _ in range(1000) for char in new_certificate_number()[3:17] if char != "-"}
    assert used == set(ALPHABET)


def test_new_numbers_check_character_is_iso_7064_mod_37_36_over_the_random_part():
    number = new_certificate_number()
    random_part = number[3:17].replace("-", "")
    assert number[-1] == mod_37_36.calc_check_digit(random_part)


def test_known_number_is_valid():
    assert is_valid_certificate_number(KNOWN)


# --- normalisation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "FI-7K3M-Q9XD-2HWP-6",
        "fi-7k3m-q9xd-2hwp-6",
        "  FI-7K3M-Q9XD-2HWP-6\n",
        "FI 7K3M Q9XD 2HWP 6",
        "fi7k3mq9xd2hwp6",
        "FI7K3M-Q9XD2HWP-6",
        "F I - 7 K 3 M - Q 9 X D - 2 H W P - 6",
        "\tfi-7K3m q9xd-2HWP 6 ",
    ],
)
def test_normalisation_accepts_case_spaces_and_missing_dashes(typed):
    assert normalise_certificate_number(typed) == KNOWN


def test_normalisation_canonicalises_shape_without_judging_the_check_character():
    assert normalise_certificate_number("fi7k3mq9xd2hwpc") == "FI-7K3M-Q9XD-2HWP-C"
    assert not is_valid_certificate_number("fi7k3mq9xd2hwpc")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "FI",
        "FX-7K3M-Q9XD-2HWP-6",
        "IF-7K3M-Q9XD-2HWP-6",
        "7K3M-Q9XD-2HWP-6",
        "FI-7K3M-Q9XD-2HWP",
        "FI-7K3M-Q9XD-2HWP-66",
        "FI-7K3M-Q9XD-2HW-6",
        "FI-7K3-MQ9XD-2HWP-6",
        "FI--7K3M-Q9XD-2HWP-6",
        "FI-7K3M_Q9XD-2HWP-6",
        "FI-7K3M-Q9XD-2HWP-6!",
        "FI-7K3M-Q9XD-2HWP-\u0666",
        "FI-7K3M-Q9XD-2HWP-\uff16",
        "\ufb01-7K3M-Q9XD-2HWP-6",
        "FI-7K3M-Q9XD-2HWP-6-FI-7K3M-Q9XD-2HWP-6",
    ],
)
def test_malformed_text_cannot_be_normalised_and_is_not_valid(text):
    with pytest.raises(ValueError, match="certificate number"):
        normalise_certificate_number(text)
    assert is_valid_certificate_number(text) is False


@pytest.mark.parametrize("value", [None, 12, b"FI-7K3M-Q9XD-2HWP-6"])
def test_non_text_is_not_valid_and_does_not_raise(value):
    assert is_valid_certificate_number(value) is False


# --- error detection --------------------------------------------------------------------------


def test_every_single_character_substitution_of_a_number_is_rejected():
    altered = list(substitutions(KNOWN))
    assert len(altered) == len(KNOWN) * len(ALPHABET)
    accepted = [number for number in altered if is_valid_certificate_number(number)]
    assert accepted == []


def test_every_adjacent_transposition_of_a_number_is_rejected():
    altered = list(adjacent_transpositions(KNOWN))
    assert len(altered) == len(KNOWN) - 1
    accepted = [number for number in altered if is_valid_certificate_number(number)]
    assert accepted == []


def test_alterations_are_rejected_even_when_typed_without_dashes():
    compact = KNOWN.replace("-", "")
    for altered in [*substitutions(compact), *adjacent_transpositions(compact)]:
        assert not is_valid_certificate_number(altered), altered


@quick
@given(random_part=random_parts, data=st.data())
def test_any_number_rejects_a_single_substitution(random_part, data):
    number = number_from(random_part)
    assert is_valid_certificate_number(number)
    position = data.draw(st.integers(min_value=0, max_value=len(number) - 1))
    replacement = data.draw(st.sampled_from(ALPHABET + "-").filter(lambda c: c != number[position]))
    altered = number[:position] + replacement + number[position + 1 :]
    assert not is_valid_certificate_number(altered)


def test_a_hybrid_check_character_misses_some_transpositions_which_the_database_then_refuses():
    """MOD 37,36 is a hybrid system: it catches every substitution but not quite every swap
    (here 01 -> 10 keeps the check character), which is why the lookup stays the authority."""
    original = number_from("EH0100000000")
    swapped = original.replace("EH01", "EH10")
    assert is_valid_certificate_number(original)
    assert is_valid_certificate_number(swapped)


@quick
@given(random_part=random_parts)
def test_any_number_round_trips_through_lower_case_compact_form(random_part):
    number = number_from(random_part)
    assert normalise_certificate_number(number.replace("-", "").lower()) == number
    assert is_valid_certificate_number(number.lower())
