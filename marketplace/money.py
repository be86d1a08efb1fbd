"""Money is an integer number of fen. These helpers are the only way in from and out to yuan text."""
import re
from decimal import Decimal

from marketplace.errors import ValidationFailed
from marketplace.i18n import N_

# ASCII digits only: '１２００' and '١٢' would otherwise read as amounts nobody typed on purpose.
YUAN_PATTERN = re.compile(r"^\s*[¥￥]?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s*$", re.ASCII)
MAX_FEN = 10**15  # ten trillion yuan: far beyond any contract, well inside BIGINT


def parse_yuan(text, field=None):
    """'12,345.6' → 1234560 fen. Raises ValidationFailed for anything but a non-negative amount
    with at most two decimals."""
    text = str(text or "")
    if any(character.isdigit() and not character.isascii() for character in text):
        raise ValidationFailed(
            N_("Type the amount with the digits 0–9 (half-width); full-width or other digits are not accepted."),
            field=field)
    match = YUAN_PATTERN.match(text)
    if not match:
        raise ValidationFailed(
            N_("Enter an amount in yuan with at most two decimals, e.g. 1234.50."), field=field)
    whole, cents = match.group(1).replace(",", ""), (match.group(2) or "").ljust(2, "0")
    fen = int(whole) * 100 + int(cents)
    if fen >= MAX_FEN:
        raise ValidationFailed(N_("The amount is too large."), field=field)
    return fen


def format_fen(fen, symbol="¥"):
    """1234567 → '¥12,345.67'; negative amounts keep the sign before the symbol."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"


def yuan(fen):
    """1234567 → Decimal('12345.67'): an amount in yuan as a number, for exports (a numeric
    spreadsheet cell, '12345.67' in CSV)."""
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))
