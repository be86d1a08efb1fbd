from datetime import date, datetime, timezone

import pytest

from marketplace.vouchers import numbers
from marketplace.vouchers.rules import SHANGHAI, Holding, end_of_day, local_date, reclaim_blocked


def test_voucher_number_format_and_check_character():
    number = numbers.voucher_number("HJ2020", 123)
    assert number.startswith("HJ2020-000123-") and len(number) == 15
    assert numbers.is_valid(number)


def test_any_single_mistyped_character_is_caught():
    number = numbers.voucher_number("HJ2026", 4567)
    for position, char in enumerate(number):
        if char == "-":
            continue
        for replacement in "0123456789ABCDEFGHJKXYZ":
            if replacement != char:
                altered = number[:position] + replacement + number[position + 1:]
                assert not numbers.is_valid(altered), altered


@pytest.mark.parametrize("text", ["", "HJ2026-123-0", "hj2026-000001-X", "HJ2026000001X"])
def test_malformed_numbers_are_invalid(text):
    assert not numbers.is_valid(text)


def test_dates_are_shanghai_calendar_days():
    # 2026-12-31 16:00 UTC is 2027-01-01 00:00 in Shanghai.
    assert local_date(datetime(2026, 12, 31, 15, 59, 59, tzinfo=timezone.utc)) == date(2026, 12, 31)
    assert local_date(datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)) == date(2027, 1, 1)
    assert end_of_day(date(2026, 12, 31)) == datetime(2027, 1, 1, tzinfo=SHANGHAI)


@pytest.mark.parametrize("face, available, blocked", [(0, 0, False), (100_00, 100_00, True), (100_00, 21_00, True),
                                                      (100_00, 20_00, False), (100_00, 0, False)])
def test_reclaim_threshold_at_eighty_percent(face, available, blocked):
    assert reclaim_blocked(Holding(face, available, 0, 10**9), 8000) is blocked


def test_remaining_cap_counts_pending_applications():
    assert Holding(30_000_00, 0, 20_000_00, 100_000_00).remaining_cap == 50_000_00
    assert Holding(90_000_00, 0, 20_000_00, 100_000_00).remaining_cap == 0
