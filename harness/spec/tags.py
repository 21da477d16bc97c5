"""Argo's ``{{...}}`` template tags: the syntax, the variables Argo resolves, and the one resolver.

Where each fact comes from (argoproj/argo-workflows):

- ``util/template`` (fasttemplate with ``{{`` and ``}}``): a tag runs from a ``{{`` to the next
  ``}}``; ``kind.go`` ``parseTag``: ``=`` *right after* ``{{`` makes an expression tag
  (``{{=expr}}``, evaluated with expr-lang), anything else is a simple tag (``{{ =x}}`` too).
- ``util/template/simple_template.go`` ``simpleReplace``: a simple tag is looked up by its text
  less surrounding blanks (Go's ``strings.TrimSpace``). When that fails and the text holds another
  ``{{``, the part after the last one is looked up as written (a *nested* tag) and its value
  replaces ``{{ ... {{name}}`` by ``{{ ... value``. At run time an unresolved tag is written back
  as it was (``allowUnresolved``).
- ``workflow/common/common.go`` ``GlobalVarValidWorkflowVariablePrefix`` and
  ``workflow/validate/validate.go`` (``resolveAllVariables``, ``checkValidWorkflowVariablePrefix``):
  a simple tag whose trimmed name starts with one of :data:`VALIDATED_PREFIXES` must resolve, or
  the workflow fails validation with ``failed to resolve {{name}}``; validation lets a few names
  through to run time (:data:`RESOLVED_AT_RUN_TIME`). Other tags (``{{ jinja }}``, ``{{x}}``) are
  left alone.
- ``docs/variables.md``: the variables (:data:`VARIABLES`). ``lastRetry.*`` and ``cronworkflow.*``
  are not among them: they exist only inside ``retryStrategy.expression`` and a CronWorkflow's
  ``when`` / ``stopStrategy`` expressions (expr-lang environments, never substituted as tags).
- ``workflow/common/util.go`` ``SubstituteParams``: Argo substitutes the *JSON encoding* of a
  template. Go's ``json.Marshal`` escapes control characters (tab, newline...) and U+2028/U+2029,
  so ``TrimSpace`` never sees them as blanks: only :data:`BLANKS` are trimmed.

Tags are found per string here; Argo scans the template's whole JSON text, where a ``{{`` left
open in one string may close in a later one. An open tag is therefore treated with caution: it is
acted on when its start could name a variable (:func:`acted_on`), never substituted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from harness._walk import iter_strings

OPEN: Final = "{{"
CLOSE: Final = "}}"
EXPRESSION: Final = "="  # right after OPEN: an expression tag

# Go's unicode.IsSpace less what json.Marshal escapes (\t \n \v \f \r, U+2028, U+2029).
BLANKS: Final = " \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"

# Argo resolves a simple tag starting with one of these, or fails validation (common.go).
VALIDATED_PREFIXES: Final = ("item.", "steps.", "inputs.", "outputs.", "pod.", "workflow.", "tasks.")
# Validated prefixes whose names validation allows unresolved: they are filled in at run time
# (validate.go resolveAllVariables: metrics' self-reference, timestamps, step and task names).
RESOLVED_AT_RUN_TIME: Final = (
    "outputs.",
    "workflow.creationTimestamp",
    "workflow.scheduledTime",
    "workflow.duration",
    "tasks.name",
    "steps.name",
)
# Variables without a validated prefix that Argo substitutes where they are in scope, and leaves
# as written elsewhere: the loop item (withItems/withParam), the retry number (a template with a
# retryStrategy), the node's full name (every template).
SCOPED_NAMES: Final = frozenset({"item", "retries", "node.name"})

# Argo's variables in the notation of docs/variables.md (``<NAME>`` stands for a name). Metrics'
# own variables (``status``, ``duration``, ``exitCode``, ``resourcesDuration.*``) are left out:
# they exist only in a template's ``metrics``.
VARIABLES: Final = frozenset(
    {
        # all templates
        "inputs.parameters",
        "inputs.parameters.<NAME>",
        "inputs.artifacts.<NAME>",
        "node.name",
        # steps and DAG templates
        *(
            f"{group}.{field}"
            for group in ("steps.<NAME>", "tasks.<NAME>")
            for field in (
                "id",
                "ip",
                "status",
                "exitCode",
                "startedAt",
                "finishedAt",
                "hostNodeName",
                "outputs.result",
                "outputs.parameters",
                "outputs.parameters.<NAME>",
                "outputs.artifacts.<NAME>",
            )
        ),
        "steps.name",
        "tasks.name",
        # container and script templates
        "pod.name",
        "retries",
        "inputs.artifacts.<NAME>.path",
        "outputs.artifacts.<NAME>.path",
        "outputs.parameters.<NAME>.path",
        # loops
        "item",
        "item.<NAME>",
        # global
        *(
            f"workflow.{name}"
            for name in (
                "name",
                "namespace",
                "mainEntrypoint",
                "serviceAccountName",
                "uid",
                "parameters",
                "parameters.<NAME>",
                "parameters.json",
                "outputs.parameters.<NAME>",
                "outputs.artifacts.<NAME>",
                "annotations.<NAME>",
                "annotations.json",
                "labels.<NAME>",
                "labels.json",
                "creationTimestamp",
                "creationTimestamp.<NAME>",
                "creationTimestamp.RFC3339",
                "priority",
                "duration",
                "scheduledTime",
                # exit handlers
                "status",
                "failures",
            )
        ),
    }
)
# What ``<NAME>`` stands for: Argo's names of parameters, steps and tasks (validate.go
# isValidParamOrArtifactName / isValidWorkflowFieldName), item fields, strftime characters.
_NAME: Final = r"[A-Za-z0-9_-]+"


@dataclass(frozen=True, slots=True)
class Tag:
    """One tag in a string: ``text`` is what stands between the braces (as written), ``start`` and
    ``end`` its span in the string, braces included. ``closed`` is False for a ``{{`` without a
    ``}}`` after it in this string (it then runs to the end of the string)."""

    text: str
    start: int
    end: int
    closed: bool = True

    @property
    def name(self) -> str:
        """The text as Argo looks it up: blanks trimmed."""
        return self.text.strip(BLANKS)

    @property
    def expression(self) -> bool:
        return self.text.startswith(EXPRESSION)

    @property
    def nested(self) -> str | None:
        """The text after the last ``{{`` inside the tag (as written), when there is one."""
        index = self.text.rfind(OPEN)
        return self.text[index + len(OPEN) :] if index > 0 else None

    @property
    def written(self) -> str:
        """The tag as it stands in the string."""
        return f"{OPEN}{self.text}{CLOSE}" if self.closed else f"{OPEN}{self.text}"


def find_tags(text: str) -> Iterator[Tag]:
    """Every tag in ``text``, as fasttemplate finds them: each ``{{`` up to the next ``}}``."""
    cursor = text.find(OPEN)
    while cursor >= 0:
        body = cursor + len(OPEN)
        close = text.find(CLOSE, body)
        if close < 0:
            yield Tag(text[body:], cursor, len(text), closed=False)
            return
        yield Tag(text[body:close], cursor, close + len(CLOSE))
        cursor = text.find(OPEN, close + len(CLOSE))


def is_variable(name: str) -> bool:
    """Whether Argo resolves a simple tag of this (trimmed) name: a validated prefix or a scoped name."""
    return name.startswith(VALIDATED_PREFIXES) or name in SCOPED_NAMES


def must_resolve(name: str) -> bool:
    """Whether a tag of this name that Argo cannot resolve fails the workflow (validation)."""
    return name.startswith(VALIDATED_PREFIXES) and not name.startswith(RESOLVED_AT_RUN_TIME)


def acted_on(tag: Tag) -> bool:
    """Whether Argo replaces the tag (or fails on it) instead of leaving it as written: an
    expression, a variable, or a nested variable. An open tag counts when its start could name a
    variable, since Argo may close it further on in the template's JSON."""
    if tag.expression:
        return True
    if not tag.closed:
        return tag.name.startswith(VALIDATED_PREFIXES)
    nested = tag.nested
    return is_variable(tag.name) or (nested is not None and is_variable(nested))


def argo_tags(value: Any) -> Iterator[Tag]:
    """Every tag Argo acts on in ``value``: a string, or strings anywhere in a JSON value."""
    for text in iter_strings(value):
        if OPEN in text:
            yield from (tag for tag in find_tags(text) if acted_on(tag))


def first_argo_tag(text: str) -> Tag | None:
    """The first tag Argo acts on in ``text``, or None."""
    return next(argo_tags(text), None)


def pattern(variables: Iterable[str]) -> re.Pattern[str]:
    """A regex matching the names of ``variables`` written in the notation of :data:`VARIABLES`."""
    alternatives = sorted(re.escape(v).replace(re.escape("<NAME>"), _NAME) for v in variables)
    return re.compile("|".join(alternatives))


class UnresolvedVariable(Exception):
    """A tag Argo must resolve is not in scope: Argo fails the workflow with this message."""

    def __init__(self, tag: str) -> None:
        super().__init__(f"failed to resolve {OPEN}{tag}{CLOSE}")
        self.tag = tag


def bound_by_steps(name: str) -> bool:
    """Whether a variable is one a steps or DAG template's own steps and tasks give a value: their
    outputs (``steps.<NAME>.*``, ``tasks.<NAME>.*``) and the loop item. Argo substitutes such a
    template's inputs and globals when it starts (``ProcessArgs``), and these as each step or task
    is run."""
    return name == "item" or name.startswith(("item.", "steps.", "tasks."))


def substitute(value: Any, scope: Mapping[str, str], *, later: Callable[[str], bool] | None = None) -> Any:
    """A copy of ``value`` with every tag Argo resolves replaced from ``scope`` (variable name ->
    value), as Argo's simple tags do; expression tags and tags Argo leaves alone stay as written.
    Raises :class:`UnresolvedVariable` for a tag that must resolve and is not in scope, unless
    ``later(name)`` says it is resolved in a later substitution (:func:`bound_by_steps`): such a
    tag stays as written too."""
    if isinstance(value, str):
        return replace_tags(value, lambda tag: _resolve(tag, scope, later)) if OPEN in value else value
    if isinstance(value, list):
        return [substitute(item, scope, later=later) for item in value]
    if isinstance(value, Mapping):
        return {key: substitute(item, scope, later=later) for key, item in value.items()}
    return value


def replace_tags(text: str, replacement: Callable[[Tag], str]) -> str:
    """``text`` with each tag (closed or open) replaced by ``replacement(tag)``."""
    out: list[str] = []
    cursor = 0
    for tag in find_tags(text):
        out.append(text[cursor : tag.start])
        out.append(replacement(tag))
        cursor = tag.end
    out.append(text[cursor:])
    return "".join(out)


def _resolve(tag: Tag, scope: Mapping[str, str], later: Callable[[str], bool] | None = None) -> str:
    if not tag.closed or tag.expression:
        return tag.written
    name = tag.name
    if name in scope:
        return scope[name]
    nested = tag.nested
    if nested is not None and nested in scope:
        # Argo writes "{{" + what preceded the nested tag + its value: the closing braces go.
        return f"{OPEN}{tag.text[: tag.text.rfind(OPEN)]}{scope[nested]}"
    if must_resolve(name) and not (later is not None and later(name)):
        raise UnresolvedVariable(name)
    return tag.written
