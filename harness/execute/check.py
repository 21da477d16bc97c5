"""Whether the executors can run a workflow, read from the support table (``harness.execute.support``).

* :func:`inspect_workflow`: the local executors' check, before anything runs. Every field the run
  meets (the entrypoint and the templates it calls) must be one they run or one that cannot change
  a local run; anything else is listed as unsupported. What Argo would reject (no entrypoint, an
  unknown template, a dependency cycle, a string in an integer field) is ``invalid``: the run ends
  in ``Error`` without running.
* :func:`inspect_for_cluster`: the cluster executor's check: what a run's fresh namespace cannot
  give the workflow, looked for anywhere in it. Everything else is Argo's own business: the
  cluster runs it, or fails it as production would.
* :func:`argo_refusal`: what Argo's controller refuses before running anything, which both refuse
  the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness._walk import iter_mappings
from harness.execute.pods import PodRunner
from harness.execute.support import (
    CLUSTER_REFUSALS,
    FIELD_REFS,
    GROUP_TEMPLATE_TYPES,
    POD_TEMPLATE_TYPES,
    SUPPORTED_TAG,
    VOLUME_SOURCES,
    local_refusal,
    task_dependencies,
)
from harness.spec import fields, tags


def not_a_workflow(manifest: Mapping[str, Any]) -> str | None:
    """Why ``manifest`` cannot be executed at all: it is not a Workflow."""
    if manifest.get("kind") != "Workflow":
        return f"kind {manifest.get('kind')!r}: only a Workflow can be executed"
    return None


def argo_refusal(manifest: Mapping[str, Any]) -> str | None:
    """What Argo's controller refuses before running anything: it decodes the workflow into Go
    structs first, so ``"4"`` in an integer field (``parallelism``, the workflow's
    ``activeDeadlineSeconds``...) ends the workflow in ``Error`` (``harness.spec.fields``)."""
    spec = manifest.get("spec")
    if not isinstance(spec, Mapping):
        return None
    return next(fields.misread_numbers(spec, "workflowSpec", "spec"), None)


def unprovided_source(volume: Mapping[str, Any]) -> str | None:
    """A volume's sources as written (``"hostPath"``, ``"no"``) when no executor provides any of
    them (``support.VOLUME_SOURCES``); None when one does."""
    sources = [str(key) for key in volume if key != "name"]
    if any(source in VOLUME_SOURCES for source in sources):
        return None
    return ", ".join(sources) or "no"


# --- the local executors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    unsupported: tuple[str, ...] = ()
    invalid: str | None = None  # Argo would reject the workflow: it ends in Error without running


def inspect_workflow(manifest: Any, runner: PodRunner | None = None) -> Inspection:
    """What in ``manifest`` the local executors cannot run faithfully, and whether Argo would
    reject it. With ``runner``, images are checked too (``runner.image_problem``)."""
    checker = _Checker(runner)
    checker.workflow(manifest)
    return Inspection(unsupported=tuple(dict.fromkeys(checker.unsupported)), invalid=checker.invalid)


class _Checker:
    def __init__(self, runner: PodRunner | None) -> None:
        self.runner = runner
        self.unsupported: list[str] = []
        self.invalid: str | None = None

    def fail(self, message: str) -> None:
        self.invalid = self.invalid or message

    def allowed(self, data: Mapping[str, Any], path: str, kind: str) -> None:
        """Each field of ``data`` (an object of ``kind``) the local executors do not run."""
        for key in data:
            why = local_refusal(kind, str(key))
            if why is not None:
                self.unsupported.append(f"{path}.{key}: {why}")

    def workflow(self, manifest: Any) -> None:
        if not isinstance(manifest, Mapping):
            self.fail("the manifest is not a mapping")
            return
        problem = not_a_workflow(manifest)
        if problem:
            self.unsupported.append(problem)
            return
        spec = manifest.get("spec")
        if not isinstance(spec, Mapping):
            self.fail("spec is missing")
            return
        refused = argo_refusal(manifest)
        if refused:
            self.fail(refused)
        self.allowed(spec, "spec", "workflowSpec")
        self.arguments(spec.get("arguments"), "spec.arguments")
        self.volumes(spec.get("volumes"), "spec.volumes")
        templates = {t.get("name"): t for t in spec.get("templates") or [] if isinstance(t, Mapping)}
        entrypoint = spec.get("entrypoint")
        if not entrypoint:
            self.fail("spec.entrypoint is missing")
            return
        seen: set[str] = set()
        queue = [entrypoint]
        while queue:
            name = queue.pop()
            if name in seen:
                continue
            seen.add(name)
            template = templates.get(name)
            if template is None:
                self.fail(f"template {name!r} not found")
                continue
            queue.extend(self.template(template, f"spec.templates[{name}]"))

    def arguments(self, arguments: Any, path: str) -> None:
        if not arguments:
            return
        self.allowed(arguments, path, "arguments")
        for parameter in arguments.get("parameters") or []:
            if "valueFrom" in parameter:
                self.unsupported.append(
                    f"{path}.parameters[{parameter.get('name')}].valueFrom: parameters from a source"
                )
            elif "value" not in parameter:
                self.fail(f"{path}.parameters[{parameter.get('name')}]: no value")

    def volumes(self, volumes: Any, path: str) -> None:
        for volume in volumes or []:
            source = unprovided_source(volume)
            if source is not None:
                self.unsupported.append(f"{path}[{volume.get('name')}]: {source} volume source")

    def template(self, template: Mapping[str, Any], path: str) -> list[str]:
        kinds = [k for k in fields.TEMPLATE_TYPES if k in template]
        self.allowed({k: v for k, v in template.items() if k not in fields.TEMPLATE_TYPES}, path, "template")
        if not kinds:
            self.fail(f"{path}: a template needs one of container, script, steps, dag")
            return []
        if len(kinds) > 1:
            self.fail(f"{path}: a template has exactly one type, found {', '.join(kinds)}")
            return []
        kind = kinds[0]
        if kind not in POD_TEMPLATE_TYPES and kind not in GROUP_TEMPLATE_TYPES:
            self.allowed({kind: template[kind]}, path, "template")
            return []
        self.inputs(template.get("inputs"), f"{path}.inputs")
        if template.get("outputs"):
            self.allowed(template["outputs"], f"{path}.outputs", "outputs")
        self.volumes(template.get("volumes"), f"{path}.volumes")
        for tag in unsupported_variables({k: v for k, v in template.items() if k != "name"}):
            self.unsupported.append(f"{path}: variable {tag}")
        if kind in POD_TEMPLATE_TYPES:
            self.pod(template[kind], f"{path}.{kind}", kind)
            return []
        if kind == "steps":
            return self.steps(template["steps"], f"{path}.steps")
        return self.dag(template["dag"], f"{path}.dag")

    def inputs(self, inputs: Any, path: str) -> None:
        if not inputs:
            return
        self.allowed(inputs, path, "inputs")
        for parameter in inputs.get("parameters") or []:
            self.allowed(parameter, f"{path}.parameters[{parameter.get('name')}]", "parameter")

    def pod(self, body: Mapping[str, Any], path: str, kind: str) -> None:
        self.allowed(body, path, kind)
        if kind == "script" and not body.get("command"):
            self.unsupported.append(f"{path}: a script template without command")
        image = body.get("image")
        if not isinstance(image, str) or not image:
            self.fail(f"{path}.image: an image is required")
        elif self.runner is not None and tags.first_argo_tag(image) is None:  # else: known when it runs
            problem = self.runner.image_problem(image)
            if problem:
                self.unsupported.append(f"{path}.image: {problem}")
        for entry in body.get("env") or []:
            source = entry.get("valueFrom")
            if source is not None:
                self.env_source(source, f"{path}.env[{entry.get('name')}].valueFrom")
        for mount in body.get("volumeMounts") or []:
            self.allowed(mount, f"{path}.volumeMounts[{mount.get('name')}]", "volumeMount")

    def env_source(self, source: Mapping[str, Any], path: str) -> None:
        if "secretKeyRef" in source:
            return
        field_path = (source.get("fieldRef") or {}).get("fieldPath")
        if field_path in FIELD_REFS:
            return
        kind = next(iter(source), "valueFrom")
        self.unsupported.append(f"{path}.{kind}: env from {field_path or kind}")

    def steps(self, groups: Any, path: str) -> list[str]:
        children: list[str] = []
        for index, group in enumerate(groups or []):
            for step in group if isinstance(group, list) else [group]:
                where = f"{path}[{index}][{step.get('name')}]"
                self.allowed(step, where, "workflowStep")
                self.arguments(step.get("arguments"), f"{where}.arguments")
                children.extend(self.called(step, where, "a step"))
        return children

    def dag(self, dag: Mapping[str, Any], path: str) -> list[str]:
        self.allowed(dag, path, "dag")
        tasks = {task.get("name"): task for task in dag.get("tasks") or []}
        children: list[str] = []
        for name, task in tasks.items():
            where = f"{path}.tasks[{name}]"
            self.allowed(task, where, "dagTask")
            self.arguments(task.get("arguments"), f"{where}.arguments")
            children.extend(self.called(task, where, "a task"))
            try:
                dependencies = task_dependencies(task)
            except ValueError as exc:
                self.unsupported.append(f"{where}.depends: {exc}")
                continue
            for dependency in dependencies:
                if dependency not in tasks:
                    self.fail(f"{where}: depends on unknown task {dependency!r}")
        if self.invalid is None and _has_cycle({n: _safe_dependencies(t) for n, t in tasks.items()}):
            self.fail(f"{path}: the tasks' dependencies form a cycle")
        return children

    def called(self, call: Mapping[str, Any], where: str, what: str) -> list[str]:
        """The template a step or task calls (none when it calls one another way, reported as
        unsupported: a templateRef, an inline template)."""
        if isinstance(call.get("template"), str):
            return [call["template"]]
        if "templateRef" not in call and "inline" not in call:
            self.fail(f"{where}: {what} needs a template")
        return []


def unsupported_variables(value: Any) -> list[str]:
    """The tags Argo acts on in ``value`` that the local executors cannot resolve, as written."""
    found = []
    for tag in tags.argo_tags(value):
        if not tag.closed:
            found.append(f"{tag.written} (no closing }}}})")
        elif tag.expression or not SUPPORTED_TAG.fullmatch(tag.name):
            found.append(tag.written if tag.nested is not None else f"{tags.OPEN}{tag.name}{tags.CLOSE}")
    return found


def _safe_dependencies(task: Mapping[str, Any]) -> tuple[str, ...]:
    try:
        return task_dependencies(task)
    except ValueError:
        return ()


def _has_cycle(graph: Mapping[str, Sequence[str]]) -> bool:
    state: dict[str, int] = {}

    def visit(node: str) -> bool:
        if state.get(node) == 1:
            return True
        if state.get(node) == 2:
            return False
        state[node] = 1
        if any(visit(dep) for dep in graph.get(node, ()) if dep in graph):
            return True
        state[node] = 2
        return False

    return any(visit(node) for node in graph)


# --- the cluster executor --------------------------------------------------------------------------


def inspect_for_cluster(manifest: Any) -> tuple[str, ...]:
    """Features a run in a fresh namespace cannot give the workflow; empty when it can run."""
    if not isinstance(manifest, Mapping):
        return ("the manifest is not a mapping",)
    problem = not_a_workflow(manifest)
    if problem:
        return (problem,)
    found: list[str] = []
    # Not the status of a copied live object: its nodes' outputs list Argo's own log artifacts.
    for item in iter_mappings(manifest, skip=frozenset({"status"})):
        for key, refusal in CLUSTER_REFUSALS.items():
            message = refusal(item) if key in item else None
            if message:
                found.append(message)
    spec: Mapping[str, Any] = manifest["spec"] if isinstance(manifest.get("spec"), Mapping) else {}
    templates = [t for t in spec.get("templates") or [] if isinstance(t, Mapping)]
    for where, volumes in [
        ("spec.volumes", spec.get("volumes")),
        *((f"templates[{t.get('name')}].volumes", t.get("volumes")) for t in templates),
    ]:
        for volume in volumes or []:
            if not isinstance(volume, Mapping):
                continue
            source = unprovided_source(volume)
            if source is not None:
                found.append(
                    f"{where}[{volume.get('name')}]: {source} volume source (only claims and emptyDir are provided)"
                )
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if isinstance(claim, str) and tags.first_argo_tag(claim) is not None:
                found.append(f"{where}[{volume.get('name')}]: claim name {claim!r} is only known at run time")
    return tuple(dict.fromkeys(found))
