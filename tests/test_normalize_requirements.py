"""PEP 508 requirements and requirements files by meaning (packaging)."""

from __future__ import annotations

import pytest

from harness.normalize.requirements import pip_install, requirement, requirements_file


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Six", "six"),
        ("zope.interface", "Zope_Interface"),
        ("idna>=3,<4", "idna <4, >=3"),
        ("pkg==1.0", "pkg==1.0.0"),
        ("requests[socks,http2]", "requests[HTTP2,Socks]"),
        ('six; python_version < "3.12"', "six;python_version<'3.12'"),
    ],
)
def test_same_requirement(a: str, b: str) -> None:
    assert requirement(a) == requirement(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("six", "six==1"),
        ("idna>=3", "idna>3"),
        ("pkg~=1.4", "pkg~=1.4.0"),  # compatible release: trailing zeros matter
        ("requests[socks]", "requests"),
        ('six; python_version < "3.12"', 'six; python_version < "3.13"'),
        ("pkg @ https://example.org/a.whl", "pkg @ https://example.org/b.whl"),
        ("numpy", "numpy>=1.26"),
    ],
)
def test_different_requirement(a: str, b: str) -> None:
    assert requirement(a) != requirement(b)


def test_invalid_requirement_is_kept_as_text() -> None:
    assert requirement("not a requirement!") == requirement("not a  requirement!")
    assert requirement("not a requirement!") != requirement("not a requirement?")


def test_requirements_file_ignores_comments_blank_lines_order_and_continuations() -> None:
    a = "# deps\nsix==1.16\n\nidna>=3,<4  # network\n"
    b = "IDNA <4,>=3\nsix==1.16.0\n"
    c = "idna>=3,\\\n<4\nsix==1.16\n"
    assert requirements_file(a) == requirements_file(b) == requirements_file(c)


def test_requirements_file_keeps_options_and_pins() -> None:
    base = requirements_file("six\n")
    assert requirements_file("--index-url https://example.org/simple\nsix\n") != base
    assert requirements_file("six==1\n") != base
    assert requirements_file("-i https://x\nsix\n") == requirements_file("--index-url=https://x\nsix\n")


def test_pip_install_arguments() -> None:
    def key(*args: str) -> object:
        return pip_install(list(args), list(args)).key()

    assert key("six", "idna") == key("idna", "six", "--no-cache-dir")
    assert key("-qU", "six") == key("--upgrade", "six")
    assert key("-rreq.txt") == key("-r", "req.txt") == key("--requirement=req.txt")
    assert key("six") != key("--pre", "six")
    assert key("six") != key("--extra-index-url", "https://x", "six")
