"""Amounts: exact Decimals in any notation WhiteBIT uses, and nothing else."""

import pytest

from custom_components.whitebit.pywhitebit.amounts import InvalidAmountError, parse_amount


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("0.5", "0.5"),
        ("9.5e-07", "0.00000095"),  # seen from WhiteBIT in balance updates
        ("1E-8", "0.00000001"),
        ("1e5", "100000"),
        ("1.", "1"),
        (".5", "0.5"),
        ("9" * 40 + "." + "1" * 40, "9" * 40 + "." + "1" * 40),
    ],
)
def test_amounts_in_any_decimal_notation(text: str, amount: str) -> None:
    """A finite, non-negative amount is that exact Decimal, written fixed-point as a state."""
    assert f"{parse_amount(text):f}" == amount


@pytest.mark.parametrize(
    "value",
    [
        "-1",
        "NaN",
        "Infinity",
        "inf",
        " 1",
        "0x10",
        "",
        ".",
        "e5",
        "1e",
        "1" * 41,
        "1e41",
        "1e-41",
        "1e999",
        "\u0661",
        1.5,
        1,
        True,
        None,
    ],
)
def test_amounts_that_are_not_amounts(value: object) -> None:
    """Signs, NaN, other scripts' digits, absurd magnitudes and number types are refused."""
    with pytest.raises(InvalidAmountError):
        parse_amount(value)
