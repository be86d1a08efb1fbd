"""Unified social credit code (统一社会信用代码), GB 32100-2015."""
from marketplace.i18n import N_

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUE = {char: index for index, char in enumerate(ALPHABET)}


def normalise(code):
    return (code or "").strip().upper()


def check_character(first17):
    total = sum(VALUE[char] * weight for char, weight in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code):
    """None when the code is valid, otherwise an English msgid saying what is wrong."""
    if len(code) != 18:
        return N_("A unified social credit code has exactly 18 characters.")
    if any(char not in VALUE for char in code):
        return N_("A unified social credit code uses only digits and capital letters except I, O, S, V and Z.")
    if check_character(code[:17]) != code[17]:
        return N_("The check character (the last one) does not match: please check the code for typing errors.")
    return None


def is_valid(code):
    return problem(normalise(code)) is None


def complete(first17):
    """Append the check character; used to make fictional demo codes that pass the check."""
    return first17 + check_character(first17)
