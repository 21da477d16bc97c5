"""Strategies for the ``volumes`` input: existing PersistentVolumeClaims mounted into the job."""

from __future__ import annotations

import posixpath
from functools import cache
from typing import Any

from hypothesis import strategies as st

from harness.fuzz.names import dns_labels, dns_subdomains

# Paths that look alike after normalisation, sit under system folders, or hold characters a
# shell, YAML or JSON would treat specially.
# fmt: off
MOUNT_PATHS = (
    "/mnt/results", "/data", "/mnt/a b", "/mnt/é", "/tmp", "/mnt/results/", "/var/lib/x", "/mnt/$HOME", "/mnt/{{x}}",
    "/mnt/yes", "/010",
)
# fmt: on
# Volumes the builders must refuse: no claim, bad names, relative or colon paths.
INVALID_VOLUMES: tuple[dict[str, Any], ...] = (
    {"name": "data", "claim_name": "", "mount_path": "/data", "read_only": False},
    {"name": "Data", "claim_name": "data-pvc", "mount_path": "/data", "read_only": False},
    {"name": "data.1", "claim_name": "data-pvc", "mount_path": "/data", "read_only": False},
    {"name": "data", "claim_name": "Data_PVC", "mount_path": "/data", "read_only": False},
    {"name": "data", "claim_name": "data-pvc", "mount_path": "relative/path", "read_only": False},
    {"name": "data", "claim_name": "data-pvc", "mount_path": "", "read_only": False},
    {"name": "data", "claim_name": "data-pvc", "mount_path": "/a:b", "read_only": False},
)


@cache
def mount_paths() -> st.SearchStrategy[str]:
    """An absolute mount path without ``:``: a tricky fixed one (trailing slash, space, ``$``,
    non-ASCII) or one to three generated segments. Shrinks towards ``/mnt/results``."""
    segment = st.text(st.characters(codec="utf-8", exclude_characters="\x00/:"), min_size=1, max_size=10)
    generated = st.lists(segment, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
    return st.one_of(st.sampled_from(MOUNT_PATHS), generated)


@cache
def volumes() -> st.SearchStrategy[dict[str, Any]]:
    """One valid volume: ``{"name": <RFC 1123 label>, "claim_name": <DNS subdomain>, "mount_path":
    <absolute path>, "read_only": bool}``. Shrinks towards
    ``{"name": "task-results", "claim_name": "task-results-pvc", "mount_path": "/mnt/results", "read_only": False}``.
    """
    names = st.one_of(st.just("task-results"), dns_labels())
    claims = st.one_of(st.just("task-results-pvc"), dns_subdomains())
    return st.builds(
        lambda name, claim, path, read_only: {
            "name": name,
            "claim_name": claim,
            "mount_path": path,
            "read_only": read_only,
        },
        names,
        claims,
        mount_paths(),
        st.booleans(),
    )


@cache
def volume_lists(*, valid: bool | None = True, max_size: int = 4) -> st.SearchStrategy[list[dict[str, Any]] | None]:
    """The ``volumes`` input: ``None`` (the default results volume), ``[]`` (no volume at all), or up
    to ``max_size`` volumes with distinct names and distinct mount paths. ``valid=False`` gives a list
    the builders must refuse (a volume without a claim, a bad name or path, a duplicate); ``None`` mixes.

    Shrinks towards ``None``, then ``[]``, then fewer and simpler volumes.
    """
    good = st.lists(
        volumes(),
        max_size=max_size,
        unique_by=(lambda v: v["name"], lambda v: posixpath.normpath(v["mount_path"])),
    )
    if valid is True:
        return st.one_of(st.none(), good)
    duplicate = good.filter(bool).map(lambda vs: [*vs, dict(vs[0])])
    bad = st.one_of(
        st.tuples(good, st.sampled_from(INVALID_VOLUMES)).map(lambda p: [*p[0], dict(p[1])]),
        duplicate,
    )
    return bad if valid is False else st.one_of(st.none(), good, bad)
