"""Kubernetes ``resource.Quantity`` values, parsed exactly.

The grammar (k8s.io/apimachinery/pkg/api/resource/quantity.go)::

    <quantity>        ::= <signedNumber><suffix>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
    <signedNumber>    ::= <sign><number> | <number>
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <sign>            ::= "+" | "-"

The value is returned as a :class:`~fractions.Fraction` so that ``1`` equals ``1000m`` and
``1Gi`` equals ``1024Mi`` exactly, with no float rounding (``0.1`` stays one tenth).
As in Kubernetes, an exponent is an integer (``1e3``; ``1e1.5`` is rejected), and ``E`` alone
is the exa suffix while ``E3`` is an exponent.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Final

BINARY_SUFFIXES: Final[dict[str, int]] = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
DECIMAL_SUFFIXES: Final[dict[str, Fraction]] = {
    "n": Fraction(1, 10**9),  # accepted by the parser, used in metrics
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}

_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_QUANTITY = re.compile(
    rf"(?P<number>{_NUMBER})"
    rf"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|[eE](?P<exponent>[+-]?[0-9]+)|(?P<decimal>[numkMGTPE]?))\Z"
)
# Exponents beyond this are certainly typos and would make Fraction arithmetic huge.
_MAX_EXPONENT: Final[int] = 1000


class QuantityError(ValueError):
    pass


def parse_quantity(value: str | int | float) -> Fraction:
    """The exact value of a Kubernetes quantity (``"500m"``, ``"1Gi"``, ``"1e3"``, ``2``, ``0.5``)."""
    if isinstance(value, bool):
        raise QuantityError(f"not a quantity: {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        # YAML `cpu: 0.5`: the float's shortest text is what the author wrote.
        if not math.isfinite(value):
            raise QuantityError(f"not a quantity: {value!r}")
        return Fraction(Decimal(repr(value)))
    if not isinstance(value, str):
        raise QuantityError(f"not a quantity: {value!r}")
    match = _QUANTITY.match(value)
    if match is None:
        raise QuantityError(f"not a quantity: {value!r}")
    number = Fraction(Decimal(match["number"]))
    if match["binary"]:
        return number * BINARY_SUFFIXES[match["binary"]]
    if match["exponent"] is not None:
        exponent = int(match["exponent"])
        if abs(exponent) > _MAX_EXPONENT:
            raise QuantityError(f"quantity exponent out of range: {value!r}")
        return number * Fraction(10) ** exponent
    return number * DECIMAL_SUFFIXES[match["decimal"] or ""]
