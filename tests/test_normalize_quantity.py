"""The Kubernetes quantity grammar, parsed exactly."""

from __future__ import annotations

from fractions import Fraction

import pytest

from harness.normalize.quantity import QuantityError, parse_quantity


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1", "1000m"),
        (1, "1000m"),
        ("1Gi", "1024Mi"),
        ("1Ki", "1024"),
        ("1e3", "1k"),
        ("1E3", "1k"),
        ("1e-3", "1m"),
        ("1E", "1000P"),  # E alone is exa
        ("0.5", "500m"),
        (0.5, "500m"),
        (".5", "0.5"),
        ("1.", "1"),
        ("+2", "2"),
        ("0.1", "100m"),
        ("1500m", "1.5"),
        ("1000000n", "1m"),
        ("1000u", "1m"),
        ("2Ei", str(2 * 2**60)),
    ],
)
def test_equal_values(a: str | int | float, b: str) -> None:
    assert parse_quantity(a) == parse_quantity(b)


@pytest.mark.parametrize(("a", "b"), [("1Gi", "1G"), ("1", "1001m"), ("1Mi", "1M"), ("1e3", "1e2"), ("-1", "1")])
def test_different_values(a: str, b: str) -> None:
    assert parse_quantity(a) != parse_quantity(b)


def test_values_are_exact() -> None:
    assert parse_quantity("0.1") == Fraction(1, 10)
    assert parse_quantity(0.1) == Fraction(1, 10)
    assert parse_quantity("1.1Gi") == Fraction(11, 10) * 2**30


@pytest.mark.parametrize(
    "bad", ["", " 1", "1 ", "1e", "1.5.5", "abc", "1KB", "1e1.5", "1mi", ".", "1Mi2", "e3", "1ki", "--1", True, None]
)
def test_rejects_what_kubernetes_rejects(bad: object) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(bad)  # type: ignore[arg-type]


def test_non_finite_floats_are_rejected() -> None:
    for value in (float("inf"), float("nan")):
        with pytest.raises(QuantityError):
            parse_quantity(value)
