import pytest

from marketplace.auth import credit_code

PUBLIC_CODES = ["91330100716105852F", "9144030071526726XG", "914403001922038216", "91110000802100433B"]


@pytest.mark.parametrize("code", PUBLIC_CODES)
def test_public_codes_pass(code):
    assert credit_code.is_valid(code)
    assert credit_code.complete(code[:17]) == code


@pytest.mark.parametrize("code", PUBLIC_CODES)
def test_any_single_changed_character_is_caught(code):
    for position in range(18):
        for replacement in credit_code.ALPHABET:
            if replacement != code[position]:
                altered = code[:position] + replacement + code[position + 1:]
                assert not credit_code.is_valid(altered), altered


@pytest.mark.parametrize("code, fragment", [
    ("9133010071610585", "18 characters"),
    ("91330100716105852FF", "18 characters"),
    ("91330100716I05852F", "except I, O"),
    ("91330100716105852A", "check character"),
])
def test_problems_are_explained(code, fragment):
    assert fragment in credit_code.problem(code)


def test_lower_case_and_spaces_are_normalised():
    assert credit_code.is_valid(" 9144030071526726xg ")
