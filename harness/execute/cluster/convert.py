"""A finished workflow's typed Argo status as the ``WorkflowRun`` the local executors report: node
names relative to the entrypoint, nodes in definition order, each pod's log as its stdout.

Retries: a Retry node's attempts are ``NAME(0)``, ``NAME(1)``...; every attempt but the last is
superseded, as in Argo, whose phase for the step is the last attempt's. Superseded attempts and
everything that ran inside them are left out of the nodes (a note names each), so a step that
failed once and then succeeded counts as succeeded, with the last attempt's exit code."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.argo.status import ArgoPhase, NodeStatus, NodeType, WorkflowStatus
from harness.execute.result import FileResult, NodeKind, NodeRun, Output, RunPhase, WorkflowRun
from harness.spec.naming import relative_node_name

FINAL_PHASES = {
    ArgoPhase.SUCCEEDED: RunPhase.SUCCEEDED,
    ArgoPhase.FAILED: RunPhase.FAILED,
    ArgoPhase.ERROR: RunPhase.ERROR,
}
_KINDS: dict[NodeType, NodeKind] = {NodeType.POD: "Pod", NodeType.STEPS: "Steps", NodeType.DAG: "DAG"}
_NOT_RUN = (ArgoPhase.SKIPPED, ArgoPhase.OMITTED)
# A retry attempt's suffix, "(N)", at the end of a name or before a child's part.
_ATTEMPT = re.compile(r"\((\d+)\)(?=$|[\[.])")
# What may follow an item's ")" in a node name: an attempt suffix, the end, or a child.
_AFTER_ITEM = re.compile(r"(?:\(\d+\))?(?:$|[\[.])")


def workflow_run_from_status(
    status: WorkflowStatus,
    manifest: Mapping[str, Any],
    *,
    label: str,
    executor: str = "cluster",
    logs: Mapping[str, Output] | None = None,
    files: tuple[FileResult, ...] = (),
    files_truncated: bool = False,
    notes: tuple[str, ...] = (),
    secrets_used: tuple[str, ...] = (),
    namespace: tuple[str, str] | None = None,
) -> WorkflowRun:
    """A finished workflow's status as the ``WorkflowRun`` the local executors would report.

    ``manifest`` gives the entrypoint and the definition order; ``logs`` maps pod node ids to
    their captured logs. Only Pod, Steps and DAG nodes become nodes (the local executors record
    no step groups, task groups or retries); Skipped and Omitted nodes never ran and are left
    out, as the local executors leave out a task whose dependency failed; so are superseded retry
    attempts (see the module doc). A workflow that did not reach a final phase has no phase and an
    error saying where it was. ``namespace`` is (the run's namespace, the text shown instead) for
    logs, messages and output parameters.
    """
    logs = logs or {}
    spec = manifest.get("spec") or {}
    entrypoint = str(spec.get("entrypoint") or "")
    templates = {t.get("name"): t for t in spec.get("templates") or [] if isinstance(t, Mapping)}
    phase = FINAL_PHASES.get(status.argo_phase) if status.argo_phase is not None else None
    shown = _Replacer(*namespace) if namespace else _Replacer("", "")
    superseded = superseded_attempts(status)
    ordered: list[tuple[tuple[Any, ...], NodeRun]] = []
    for node in status.nodes.values():
        if node.id in superseded:
            continue
        run = _node_run(node, status.name, entrypoint, logs, shown)
        if run is not None:
            ordered.append((_order(run.name, node, entrypoint, templates), run))
    nodes = tuple(run for _, run in sorted(ordered, key=lambda item: item[0]))
    error = None
    if phase is None:
        where = status.phase or "no phase: the controller never picked it up"
        error = f"the workflow did not finish ({where})"
    return WorkflowRun.of_nodes(
        executor,
        label,
        phase,
        nodes,
        files=files,
        files_truncated=files_truncated,
        duration_s=status.duration_s or 0.0,
        message=shown.text(status.message),
        error=error,
        notes=(*notes, *_superseded_notes(status, entrypoint, superseded, shown)),
        secrets_used=secrets_used,
    )


def superseded_attempts(status: WorkflowStatus) -> frozenset[str]:
    """Ids of the retry attempts a later attempt of the same Retry node replaced, and of every
    node that ran inside them (their names start with the attempt's)."""
    attempts: set[str] = set()
    for node in status.nodes.values():
        if node.type is not NodeType.RETRY:
            continue
        children = [status.nodes[child] for child in node.children if child in status.nodes]
        ordered = sorted(enumerate(children), key=lambda item: _attempt_number(item[1].name, node.name, item[0]))
        attempts.update(child.id for _, child in ordered[:-1])
    if not attempts:
        return frozenset()
    prefixes = tuple(f"{status.nodes[attempt].name}{separator}" for attempt in attempts for separator in (".", "["))
    inside = {node.id for node in status.nodes.values() if node.name.startswith(prefixes)}
    return frozenset(attempts | inside)


def _attempt_number(name: str, retry_name: str, position: int) -> int:
    """N of an attempt named ``<retry_name>(N)``; its position among the children otherwise."""
    match = _ATTEMPT.fullmatch(name[len(retry_name) :]) if name.startswith(retry_name) else None
    return int(match.group(1)) if match else position


def _superseded_notes(
    status: WorkflowStatus, entrypoint: str, superseded: frozenset[str], shown: _Replacer
) -> tuple[str, ...]:
    """A note for each superseded attempt (not for what ran inside one)."""
    retries = {child: node for node in status.nodes.values() if node.type is NodeType.RETRY for child in node.children}
    notes = []
    for node in status.nodes.values():
        retry = retries.get(node.id)
        if node.id not in superseded or retry is None or retry.id in superseded:
            continue
        name = relative_node_name(node.name, status.name, entrypoint)
        exit_code = f", exit code {node.exit_code}" if node.exit_code is not None else ""
        message = f" ({shown.text(node.message)})" if node.message else ""
        notes.append(
            f"{name}: {node.phase_text or 'no phase'}{exit_code}{message}, then retried: a superseded attempt "
            "is left out of the nodes and the exit code, as Argo's phase for the step leaves it out"
        )
    return tuple(notes)


class _Replacer:
    """Replaces the run's namespace with the text shown instead (nothing when ``old`` is empty)."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def text(self, value: str | None) -> str | None:
        return value.replace(self.old, self.new) if value and self.old else value

    def output(self, output: Output) -> Output:
        if not self.old or self.old not in output.text:
            return output
        count = output.text.count(self.old)
        size = output.size + count * (len(self.new.encode()) - len(self.old.encode()))
        return Output(output.text.replace(self.old, self.new), max(0, size), output.truncated)


def _node_run(
    node: NodeStatus, workflow: str | None, entrypoint: str, logs: Mapping[str, Output], shown: _Replacer
) -> NodeRun | None:
    kind = _KINDS.get(node.type) if node.type is not None else None
    if kind is None or node.phase in _NOT_RUN:
        return None
    phase = FINAL_PHASES.get(node.phase) if node.phase is not None else None
    message = shown.text(node.message)
    if phase is None:  # still Pending or Running when the workflow ended: it did not complete
        phase = RunPhase.ERROR
        message = f"{node.phase_text or 'no phase'} when the workflow ended" + (f": {message}" if message else "")
    outputs = {f"parameters.{name}": shown.text(value) or "" for name, value in node.parameters.items()}
    if node.exit_code is not None:
        outputs["exitCode"] = str(node.exit_code)
    return NodeRun(
        name=relative_node_name(node.name, workflow, entrypoint),
        template=node.template or "",
        kind=kind,
        phase=phase,
        exit_code=node.exit_code,
        stdout=shown.output(logs.get(node.id, Output())),
        stderr=Output(),
        message=message,
        timed_out=bool(message and ("deadline" in message.lower() or "max duration" in message.lower())),
        duration_s=node.duration_s or 0.0,
        outputs=outputs,
    )


def _order(name: str, node: NodeStatus, entrypoint: str, templates: Mapping[Any, Any]) -> tuple[Any, ...]:
    """Sort key: definition order when the name can be followed through the templates, else
    after those, by start time and name."""
    key = definition_order(name, entrypoint, templates)
    if key is not None:
        return (0, key, name)
    started = node.started_at.timestamp() if node.started_at else float("inf")
    return (1, (started,), name)


def definition_order(name: str, entrypoint: str, templates: Mapping[Any, Any]) -> tuple[int, ...] | None:
    """The position of node ``name`` (entrypoint-relative) in the workflow's definition, as the
    local executor orders nodes: (group, step, item) per steps level, (task, item) per DAG level.
    None when the name cannot be followed through the templates."""
    if not entrypoint or not name.startswith(entrypoint):
        return None
    rest, template = name[len(entrypoint) :], templates.get(entrypoint)
    key: list[int] = []
    while rest:
        if not isinstance(template, Mapping):
            return None
        if rest.startswith("[") and isinstance(template.get("steps"), list):
            match = re.match(r"\[(\d+)\]", rest)
            if not match or int(match.group(1)) >= len(template["steps"]):
                return None
            group_index = int(match.group(1))
            group = template["steps"][group_index]
            rest = rest[match.end() :]
            if not rest:
                return (*key, group_index)
            calls = group if isinstance(group, list) else [group]
            found = _call(rest, calls)
            if found is None:
                return None
            index, rest, item = found
            key += [group_index, index, *item]
            template = templates.get(calls[index].get("template"))
        elif rest.startswith(".") and isinstance(template.get("dag"), Mapping):
            calls = list(template["dag"].get("tasks") or [])
            found = _call(rest, calls)
            if found is None:
                return None
            index, rest, item = found
            key += [index, *item]
            template = templates.get(calls[index].get("template"))
        else:
            return None
    return tuple(key)


def _call(rest: str, calls: Sequence[Any]) -> tuple[int, str, tuple[int, ...]] | None:
    """Match ``.NAME``, ``.NAME(i:item)``, and either followed by a retry attempt's ``(N)``, at the
    start of ``rest`` against steps or tasks: (the call's index, what follows, (item[, attempt]))."""
    if not rest.startswith("."):
        return None
    rest = rest[1:]
    best: tuple[int, str] | None = None
    for index, call in enumerate(calls):
        name = call.get("name") if isinstance(call, Mapping) else None
        if (
            isinstance(name, str)
            and rest.startswith(name)
            and rest[len(name) : len(name) + 1] in ("", "[", ".", "(")
            and (best is None or len(name) > len(best[1]))
        ):
            best = (index, name)
    if best is None:
        return None
    index, name = best
    rest = rest[len(name) :]
    key = [0]
    match = re.match(r"\((\d+):", rest)
    if match:
        key = [int(match.group(1))]
        # The item's text may hold anything; it ends at the first ")" followed by the end, a child
        # or a retry attempt's suffix.
        end = next(
            (i for i in range(match.end(), len(rest)) if rest[i] == ")" and _AFTER_ITEM.match(rest, i + 1)), None
        )
        if end is None:
            return None
        rest = rest[end + 1 :]
    attempt = _ATTEMPT.match(rest)
    if attempt:  # NAME(N): attempt N of a retried step, in the order Argo made them
        key.append(int(attempt.group(1)))
        rest = rest[attempt.end() :]
    return index, rest, tuple(key)
