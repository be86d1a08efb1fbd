import pytest
from hypothesis import given, strategies as st

from marketplace.errors import ValidationFailed
from marketplace.money import format_fen, parse_yuan


@pytest.mark.parametrize("text, fen", [
    ("0", 0), ("1", 100), ("1.5", 150), ("1.05", 105), ("12,345.67", 1234567),
    ("¥100", 10000), (" 99.99 ", 9999), ("￥1,000", 100000),
])
def test_parse_yuan(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "-1", "1.234", "1e3", "1,23", "NaN", "1.2.3", "10" * 20, None])
def test_parse_yuan_rejects(text):
    with pytest.raises(ValidationFailed):
        parse_yuan(text)


@pytest.mark.parametrize("fen, text", [(0, "¥0.00"), (5, "¥0.05"), (1234567, "¥12,345.67"), (-150, "-¥1.50")])
def test_format_fen(fen, text):
    assert format_fen(fen) == text


@given(st.integers(min_value=0, max_value=10**14))
def test_format_then_parse_round_trips(fen):
    assert parse_yuan(format_fen(fen)) == fen
