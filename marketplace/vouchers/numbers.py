"""Voucher numbers: `<PROGRAM>-<serial>-<check>`, e.g. HJ2026-000123-K.

The check character is Luhn mod 36 over the program code and serial, so any single mistyped
character and most swaps of neighbours are caught when a number is read out or typed in."""
import re

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NUMBER = re.compile(r"^([A-Z0-9]{2,12})-(\d{6,})-([0-9A-Z])$")


def check_character(payload):
    factor, total, n = 2, 0, len(ALPHABET)
    for char in reversed(payload):
        addend = factor * ALPHABET.index(char)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def voucher_number(program_code, serial):
    body = f"{program_code}-{serial:06d}"
    return f"{body}-{check_character(body.replace('-', ''))}"


def is_valid(number):
    match = NUMBER.match(number or "")
    return bool(match) and check_character(match.group(1) + match.group(2)) == match.group(3)
