"""The parity property: for one input, the two builders agree.

They agree when both build manifests with no semantic difference (``harness.diff.compare``), or
when both refuse the input with a ``ValueError`` (``BuilderInputError`` is one): the same rule as
``parity run``'s, :func:`harness.outcomes.decide_sides`. Everything else is a :class:`Divergence`:
a semantic difference, one builder refusing what the other builds, a builder crashing (any other
exception, an exit, a hang, a network call, or a result that is not a manifest), or the harness
itself failing on the two manifests.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from harness.builders import Builder
from harness.builders.result import BuildResult, run_build
from harness.diff import Category, Difference, compare
from harness.diff.model import show_value
from harness.diff.waivers import WaiverSet
from harness.outcomes import SideResult, Status, decide_sides

if TYPE_CHECKING:
    from harness.input_models.model import InputModel

# One builder's result for one input, as everywhere else in the harness.
Side = SideResult


class DivergenceKind(StrEnum):
    SEMANTIC_DIFFERENCE = "semantic-difference"  # both built; the manifests run differently
    ONE_SIDED_REJECTION = "one-sided-rejection"  # one refused (ValueError), the other built
    BUILDER_CRASH = "builder-crash"  # a builder raised something else, or returned no manifest
    HARNESS_ERROR = "harness-error"  # normalising or comparing the two manifests failed


@dataclass(frozen=True)
class Divergence:
    """Why the two builders disagree on ``inputs``."""

    kind: DivergenceKind
    inputs: dict[str, Any]
    legacy: Side
    new: Side
    differences: tuple[Difference, ...] = ()  # the semantic ones (for SEMANTIC_DIFFERENCE)
    detail: str = ""  # the traceback, for HARNESS_ERROR

    @property
    def signature_parts(self) -> frozenset[str]:
        """What kinds of failure this shows, independent of the input that shows them: one part per
        place a semantic difference is (list items and script/container generalised), or one part
        for an error. Two inputs sharing a part most likely show the same bug; the search uses the
        parts to keep looking for *other* failures."""
        if self.kind is DivergenceKind.SEMANTIC_DIFFERENCE:
            return frozenset(f"{self.kind}|{_generalise(d.path)}" for d in self.differences)
        if self.kind is DivergenceKind.HARNESS_ERROR:
            last = self.detail.strip().splitlines()[-1].split(":")[0] if self.detail else ""
            return frozenset({f"{self.kind}|{last}"})
        # The error type, and the first word of its message: refusals name the input they refuse
        # ("namespace 'X' is not...", "env name ...", "dependencies: ..."), so two refusals of
        # different inputs count as two failures.
        sides = [
            f"{name}:{side.error.type}:{_first_word(side.error.message)}"
            for name, side in (("legacy", self.legacy), ("new", self.new))
            if side.error
        ]
        return frozenset({f"{self.kind}|{','.join(sides)}"})

    @property
    def signature(self) -> str:
        """The signature parts as one string."""
        return " & ".join(sorted(self.signature_parts))

    @property
    def short_id(self) -> str:
        """10 hex digits naming the input (the promoted fixture is ``fuzz-<short_id>``)."""
        text = json.dumps(self.inputs, sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def summary(self) -> str:
        """One line saying what diverged."""
        if self.kind is DivergenceKind.SEMANTIC_DIFFERENCE:
            first = self.differences[0]
            more = f" (and {len(self.differences) - 1} more)" if len(self.differences) > 1 else ""
            return f"semantic difference at {first.path} [{first.rule}]: {first.message}{more}"
        if self.kind is DivergenceKind.HARNESS_ERROR:
            last = self.detail.strip().splitlines()[-1] if self.detail else "unknown error"
            return f"the harness failed comparing the two manifests: {last}"
        parts = []
        for name, side in (("legacy", self.legacy), ("new", self.new)):
            if side.error is not None:
                verb = "refused" if side.rejected else "crashed"
                parts.append(f"{name} {verb} ({side.error.type}: {_first_line(side.error.message)})")
            else:
                parts.append(f"{name} built a manifest")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "signature": self.signature,
            "summary": self.summary(),
            "inputs": self.inputs,
            "differences": [d.to_dict() for d in self.differences],
            "legacy_error": self.legacy.error.to_dict() if self.legacy.error else None,
            "new_error": self.new.error.to_dict() if self.new.error else None,
            "detail": self.detail or None,
        }

    def report(self) -> str:
        """A readable, multi-line account: the minimal input, then the differences or the errors."""
        lines = [f"{self.kind}: {self.summary()}", "minimal input:"]
        lines += [f"  {key}: {show_value(value)}" for key, value in self.inputs.items()]
        if self.differences:
            lines.append("differences:")
            for d in self.differences:
                lines.append(f"  {d.path}  [{d.rule}]  {d.message}")
                lines.append(f"    legacy: {_clip(show_value(d.left))}")
                lines.append(f"    new:    {_clip(show_value(d.right))}")
        for name, side in (("legacy", self.legacy), ("new", self.new)):
            if side.error is not None:
                lines.append(f"{name} error: {side.error.type}: {side.error.message}")
        if self.detail:
            lines.append(self.detail.rstrip())
        return "\n".join(lines)


@dataclass(frozen=True)
class Agreement:
    """Both built equivalent manifests (``both_rejected`` False) or both refused the input."""

    inputs: dict[str, Any]
    both_rejected: bool
    differences: tuple[Difference, ...] = field(default=())  # non-semantic ones, for the curious


Outcome = Agreement | Divergence


class Builds(Protocol):
    """Anything that builds an input with the "legacy" or the "new" builder: the harness's
    isolated :class:`~harness.builders.isolation.BuilderHost`, or :class:`InProcessBuilds`."""

    def build(self, side: str, inputs: Mapping[str, Any]) -> BuildResult: ...

    def build_all(self, requests: Sequence[tuple[str, Mapping[str, Any]]]) -> list[BuildResult]: ...


@dataclass(frozen=True)
class InProcessBuilds:
    """Two builder callables run in this process (for ``@given`` tests of your own builders):
    failures are classified as in the harness, but an ``os._exit`` or a hang is not contained.
    ``input_model`` and ``call`` say how a builder takes the plain inputs (harness.input_models:
    None and "dict", one plain dict, as the python-job builders do)."""

    legacy: Builder
    new: Builder
    input_model: InputModel | None = None
    call: str = "dict"

    def build(self, side: str, inputs: Mapping[str, Any]) -> BuildResult:
        builder: Callable[[Any], Any] = self.legacy if side == "legacy" else self.new
        if self.input_model is not None or self.call != "dict":
            from harness.input_models.model import DEFAULT_INPUT_MODEL

            builder = (self.input_model or DEFAULT_INPUT_MODEL).caller(builder, self.call)
        return run_build(builder, copy.deepcopy(dict(inputs)))

    def build_all(self, requests: Sequence[tuple[str, Mapping[str, Any]]]) -> list[BuildResult]:
        return [self.build(side, inputs) for side, inputs in requests]


def check_parity(
    legacy: Builder,
    new: Builder,
    inputs: Mapping[str, Any],
    *,
    waivers: WaiverSet | None = None,
    compare_manifests: Callable[..., Any] = compare,
    input_model: InputModel | None = None,
    call: str = "dict",
) -> Outcome:
    """Build ``inputs`` with both builders (in this process) and decide whether they agree;
    ``input_model`` and ``call`` as for :class:`InProcessBuilds`."""
    builds = InProcessBuilds(legacy, new, input_model=input_model, call=call)
    return check_builds(builds, inputs, waivers=waivers, compare_manifests=compare_manifests)


def check_builds(
    builds: Builds,
    inputs: Mapping[str, Any],
    *,
    waivers: WaiverSet | None = None,
    compare_manifests: Callable[..., Any] = compare,
) -> Outcome:
    """Build ``inputs`` on both sides of ``builds`` and decide whether they agree (see the module
    docstring). Differences a waiver accepts are not failures; metadata and cosmetic ones never are.
    """
    snapshot = copy.deepcopy(dict(inputs))
    built = builds.build_all([("legacy", inputs), ("new", inputs)])
    left, right = SideResult.of("legacy", built[0]), SideResult.of("new", built[1])
    status = decide_sides(left, right)
    if status is Status.BOTH_REJECTED:
        return Agreement(snapshot, both_rejected=True)
    if status is not None:
        kind = DivergenceKind.BUILDER_CRASH if left.crashed or right.crashed else DivergenceKind.ONE_SIDED_REJECTION
        return Divergence(kind, snapshot, left, right)
    assert left.manifest is not None and right.manifest is not None
    try:
        comparison = compare_manifests(left.manifest, right.manifest, waivers=waivers, scenario="fuzz")
    except Exception:
        return Divergence(DivergenceKind.HARNESS_ERROR, snapshot, left, right, detail=traceback.format_exc())
    semantic = tuple(d for d in comparison.differences if d.category is Category.SEMANTIC)
    if semantic:
        return Divergence(DivergenceKind.SEMANTIC_DIFFERENCE, snapshot, left, right, differences=semantic)
    return Agreement(snapshot, both_rejected=False, differences=tuple(comparison.differences))


class ParityPropertyError(AssertionError):
    """Raised by :func:`assert_parity`; ``divergence`` says what happened."""

    def __init__(self, divergence: Divergence) -> None:
        self.divergence = divergence
        super().__init__(divergence.report())


def assert_parity(
    legacy: Builder, new: Builder, inputs: Mapping[str, Any], *, waivers: WaiverSet | None = None
) -> None:
    """The property as an assertion, for ``@given`` tests of your own builders::

    @given(builder_inputs())
    def test_my_builders_agree(inputs):
        assert_parity(legacy.build, my_new_builder, inputs)
    """
    outcome = check_parity(legacy, new, inputs, waivers=waivers)
    if isinstance(outcome, Divergence):
        raise ParityPropertyError(outcome)


# Keyed list items and indices vary with the input; the bug is where, not which item. The job's
# bash program is one thing whether a script template holds it (source) or a container (args).
_ITEM = re.compile(r"\[(?!main\])[^\]]*\]")
_PROGRAM = re.compile(r"\.(script\.source|container\.args\[\*\])$")
_BODY = re.compile(r"\.(script|container)\.")


def _generalise(path: str) -> str:
    path = _PROGRAM.sub(".<program>", _ITEM.sub("[*]", path))
    return _BODY.sub(".<body>.", path)


def _first_word(text: str) -> str:
    words = text.split()
    return re.sub(r"[^A-Za-z_]", "", words[0]) if words else ""


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
