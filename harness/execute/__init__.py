"""Executors: run both workflows and compare what they did.

Names are listed here, without importing any executor, so the CLI and the pytest plugin can
offer them cheaply.

>>> from harness.execute import get_executor
>>> from harness.execute.parity import execute_pair
>>> executor = get_executor("local")
>>> executor.unavailable_reason()          # None, or what to install
>>> outcome = execute_pair(executor, legacy_manifest=old, new_manifest=new,
...                        expectation=scenario.expect.execution, scenario=scenario.name)
>>> outcome.status, outcome.passed, outcome.differences
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.execute.base import Executor

EXECUTORS = ("none", "local", "docker", "cluster")

# name -> "module:class"; imported only when asked for, so `docker` costs nothing to `local` users.
_IMPLEMENTATIONS = {
    "local": "harness.execute.local:LocalExecutor",
    "docker": "harness.execute.docker:DockerExecutor",
    "cluster": "harness.execute.cluster:ClusterExecutor",
}


def get_executor(name: str, **options: Any) -> Executor:
    """The executor called ``name`` ("local", "docker", "cluster"), built with ``options``
    (see each class: deadlines, output caps, image maps). ``unavailable_reason()`` tells whether it
    can run here. Raises ValueError for "none" or an unknown name."""
    if name not in _IMPLEMENTATIONS:
        choices = ", ".join(_IMPLEMENTATIONS)
        hint = " ('none' means: do not execute)" if name == "none" else ""
        raise ValueError(f"unknown executor {name!r}{hint}; choose from {choices}")
    module_name, _, attribute = _IMPLEMENTATIONS[name].partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    executor: Executor = factory(**options)
    return executor


def executes(expect: Any) -> bool:
    """Whether a scenario runs on an executor: exactly when its ``expect.execution`` is set.

    A scenario without one is manifest-only (``deps-numpy-range-manifest-only``: a large wheel
    is compared as a manifest, never installed). Pass the scenario's ``expect`` (or the scenario).
    """
    expect = getattr(expect, "expect", expect)
    if isinstance(expect, Mapping):
        return expect.get("execution") is not None
    return getattr(expect, "execution", None) is not None


__all__ = ["EXECUTORS", "executes", "get_executor"]
