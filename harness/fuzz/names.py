"""Strategies for Kubernetes names: namespaces (RFC 1123 labels), claim and Secret names (subdomains)."""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

LABEL_MAX = 63
# Looks plausible, is not an RFC 1123 label: the builders must refuse every one.
# fmt: off
INVALID_NAMESPACES = (
    "", "Team", "-team", "team-", "team_a", "team.a", "a" * (LABEL_MAX + 1), "é", "team a", " argo", "argo\n", "Yes",
)
# fmt: on
# Valid labels YAML or a careless template would retype, plus the usual ones.
VALID_NAMESPACES = ("argo", "default", "data-science-jobs", "a", "0", "010", "yes", "null", "1e3", "a" * LABEL_MAX)


LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def shaped_names(edge: str, inner: str, *, max_size: int, last: str | None = None) -> st.SearchStrategy[str]:
    """Names shaped like ``[edge]([inner]*[last])?`` of one to ``max_size`` characters (``last``
    defaults to ``edge``): the shape of Kubernetes, PEP 508 and env var names.

    One Hypothesis choice per name (text over ``inner``, then the ends repaired), so much cheaper
    than ``st.from_regex``. Shrinks towards the first character of ``edge``.
    """
    last_chars = last or edge

    def repair(text: str) -> str:
        if not text or text[0] not in edge:
            text = edge[0] + text[1:]
        if len(text) > 1 and text[-1] not in last_chars:
            text = text[:-1] + last_chars[0]
        return text

    return st.text(inner, min_size=1, max_size=max_size).map(repair)


@cache
def dns_labels() -> st.SearchStrategy[str]:
    """An RFC 1123 label (``[a-z0-9]([-a-z0-9]*[a-z0-9])?``, at most 63 characters). Shrinks towards ``a``."""
    return shaped_names(LOWER_ALNUM, LOWER_ALNUM + "-", max_size=LABEL_MAX)


@cache
def dns_subdomains() -> st.SearchStrategy[str]:
    """An RFC 1123 subdomain: one to three labels of up to 22 characters joined by dots. Shrinks towards ``a``."""
    label = shaped_names(LOWER_ALNUM, LOWER_ALNUM + "-", max_size=22)
    return st.lists(label, min_size=1, max_size=3).map(".".join)


@cache
def namespaces(*, valid: bool | None = True) -> st.SearchStrategy[str]:
    """A namespace. ``valid=True``: an RFC 1123 label (``argo``, YAML-special labels such as ``yes``
    and ``010``, the 63-character maximum, or generated). ``valid=False``: something the builders must
    refuse (uppercase, leading or trailing dash, underscore, dot, 64 characters, empty, blanks).
    ``None`` mixes both.

    Shrinks towards ``argo`` (valid) or ``""`` (invalid).
    """
    good = st.one_of(st.sampled_from(VALID_NAMESPACES), dns_labels())
    bad = st.sampled_from(INVALID_NAMESPACES)
    if valid is True:
        return good
    if valid is False:
        return bad
    return st.one_of(good, bad)


@cache
def template_kinds() -> st.SearchStrategy[str]:
    """The ``template`` input: ``script`` or ``container``. Shrinks towards ``script``."""
    return st.sampled_from(("script", "container"))
