"""Run an Argo Workflow manifest the way Argo's controller would, one pod at a time, on a PodRunner.

First the manifest is inspected: every field the run meets must be one the executors run or one
that cannot change a local run (``_argo``); anything else is listed as unsupported and nothing
runs, because a run that skipped an exit handler or a retry would be evidence of the wrong thing.
Then the entrypoint runs: a pod template becomes a ``PodSpec`` (variables substituted, env
resolved and ``$(VAR)``-expanded, volumes bound, the script written to Argo's staging path);
``steps`` run group after group, the steps of a group in parallel; a ``dag`` runs each task once
its dependencies succeeded, independent tasks in parallel. Deadlines are Argo's: the workflow's
``activeDeadlineSeconds`` bounds everything, a template's bounds its pod.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.argo.status import fnv32a
from harness.execute import _argo
from harness.execute._installs import installs_packages
from harness.execute._variables import SUPPORTED_TAG, UnresolvedVariable, expand_env_refs, substitute, tags
from harness.execute._volumes import RunVolumes, VolumeNotFound
from harness.execute.pods import Mount, PodResult, PodRunner, PodSpec
from harness.execute.result import NodeKind, NodeRun, Output, Phase, WorkflowRun, workflow_streams
from harness.execute.secrets import fake_secret_value, secret_ref

_DEPENDS_TERM = re.compile(r"\s*([A-Za-z0-9_-]+)(\.Succeeded)?\s*")

# Why a field is not run, for the features users meet most; others get a generic reason.
_WHY = {
    "onExit": "exit handlers",
    "hooks": "lifecycle hooks",
    "retryStrategy": "retries",
    "artifacts": "artifacts from a repository",
    "when": "conditional steps",
    "withParam": "loops over a parameter",
    "withSequence": "loops over a sequence",
    "continueOn": "continueOn",
    "templateRef": "templates from a WorkflowTemplate",
    "inline": "inline templates",
    "workflowTemplateRef": "WorkflowTemplate references",
    "templateDefaults": "template defaults",
    "podSpecPatch": "pod spec patches",
    "securityContext": "security contexts (the pod runs as the image's user)",
    "initContainers": "init containers",
    "sidecars": "sidecars",
    "envFrom": "envFrom",
    "memoize": "memoization",
    "timeout": "template timeouts",
    "daemon": "daemon templates",
    "resource": "resource templates",
    "suspend": "suspend templates",
    "http": "http templates",
    "plugin": "plugin templates",
    "containerSet": "container sets",
    "data": "data templates",
    "target": "DAG targets",
    "parameters": "output parameters",
}


@dataclass(frozen=True)
class RunSettings:
    executor: str
    default_deadline_s: float = _argo.DEFAULT_DEADLINE_S
    max_parallel: int = 4
    work_root: Path | None = None
    keep_dirs: bool = False
    max_files: int = 1000
    preview_bytes: int = 4096


@dataclass(frozen=True)
class Inspection:
    unsupported: tuple[str, ...] = ()
    invalid: str | None = None  # Argo would reject the workflow: it ends in Error without running


def run_workflow(
    manifest: Mapping[str, Any],
    runner: PodRunner,
    settings: RunSettings,
    *,
    label: str,
    secrets: Mapping[str, str] | None = None,
) -> WorkflowRun:
    """Execute ``manifest``; never raises for anything the workflow does."""
    started = time.perf_counter()
    try:
        inspection = inspect_workflow(manifest, runner)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # a malformed manifest Argo would reject
        inspection = Inspection(invalid=f"malformed workflow: {type(exc).__name__}: {exc}")
    except Exception as exc:  # the runner failed while looking at images (an engine gone away)
        error = "".join(traceback.format_exception_only(exc)).strip()
        return WorkflowRun(executor=settings.executor, label=label, phase=None, error=error)
    if inspection.unsupported:
        return WorkflowRun(
            executor=settings.executor,
            label=label,
            phase=None,
            unsupported=inspection.unsupported,
            message="not run: " + "; ".join(inspection.unsupported),
            duration_s=time.perf_counter() - started,
        )
    if inspection.invalid:
        return WorkflowRun(
            executor=settings.executor,
            label=label,
            phase=Phase.ERROR,
            message=inspection.invalid,
            duration_s=time.perf_counter() - started,
        )
    workdir = Path(tempfile.mkdtemp(prefix="argo-parity-run-", dir=settings.work_root))
    try:
        return _WorkflowExecution(manifest, runner, settings, label, secrets or {}, workdir).run(started)
    except Exception as exc:  # a harness bug costs this run, with the reason, never the caller
        return WorkflowRun(
            executor=settings.executor,
            label=label,
            phase=None,
            error="".join(traceback.format_exception_only(exc)).strip(),
            duration_s=time.perf_counter() - started,
        )
    finally:
        if not settings.keep_dirs:
            shutil.rmtree(workdir, ignore_errors=True)


# --- inspection -----------------------------------------------------------------------------------


def inspect_workflow(manifest: Any, runner: PodRunner | None = None) -> Inspection:
    """What in ``manifest`` the executors cannot run faithfully, and whether Argo would reject it."""
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

    def unsupported_key(self, path: str, key: str) -> None:
        self.unsupported.append(f"{path}.{key}: {_WHY.get(key, 'not run by this executor')}")

    def allowed(self, data: Mapping[str, Any], path: str, *groups: frozenset[str]) -> None:
        for key in data:
            if not any(key in group for group in groups):
                self.unsupported_key(path, str(key))

    def workflow(self, manifest: Any) -> None:
        if not isinstance(manifest, Mapping):
            self.fail("the manifest is not a mapping")
            return
        if manifest.get("kind") != "Workflow":
            self.unsupported.append(f"kind {manifest.get('kind')!r}: only a Workflow can be executed")
            return
        spec = manifest.get("spec")
        if not isinstance(spec, Mapping):
            self.fail("spec is missing")
            return
        self.allowed(spec, "spec", _argo.SPEC_RUN, _argo.SPEC_IGNORED)
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
        self.allowed(arguments, path, frozenset({"parameters"}))
        for parameter in arguments.get("parameters") or []:
            if "valueFrom" in parameter:
                self.unsupported.append(
                    f"{path}.parameters[{parameter.get('name')}].valueFrom: parameters from a source"
                )
            elif "value" not in parameter:
                self.fail(f"{path}.parameters[{parameter.get('name')}]: no value")

    def volumes(self, volumes: Any, path: str) -> None:
        for volume in volumes or []:
            sources = [key for key in volume if key != "name"]
            if not any(source in _argo.VOLUME_SOURCES_RUN for source in sources):
                self.unsupported.append(
                    f"{path}[{volume.get('name')}]: {', '.join(map(str, sources)) or 'no'} volume source"
                )

    def template(self, template: Mapping[str, Any], path: str) -> list[str]:
        kinds = [
            k
            for k in (*_argo.POD_TEMPLATE_TYPES, *_argo.GROUP_TEMPLATE_TYPES, *_argo.OTHER_TEMPLATE_TYPES)
            if k in template
        ]
        self.allowed(
            {k: v for k, v in template.items() if k not in _argo.OTHER_TEMPLATE_TYPES},
            path,
            _argo.TEMPLATE_RUN,
            _argo.TEMPLATE_IGNORED,
        )
        if not kinds:
            self.fail(f"{path}: a template needs one of container, script, steps, dag")
            return []
        if len(kinds) > 1:
            self.fail(f"{path}: a template has exactly one type, found {', '.join(kinds)}")
            return []
        kind = kinds[0]
        if kind in _argo.OTHER_TEMPLATE_TYPES:
            self.unsupported_key(path, kind)
            return []
        self.inputs(template.get("inputs"), f"{path}.inputs")
        self.outputs(template.get("outputs"), f"{path}.outputs")
        self.volumes(template.get("volumes"), f"{path}.volumes")
        for tag in tags({k: v for k, v in template.items() if k != "name"}):
            if not SUPPORTED_TAG.fullmatch(tag):
                self.unsupported.append(f"{path}: variable {{{{{tag}}}}}")
        if kind in _argo.POD_TEMPLATE_TYPES:
            self.pod(template[kind], f"{path}.{kind}", script=kind == "script")
            return []
        if kind == "steps":
            return self.steps(template["steps"], f"{path}.steps")
        return self.dag(template["dag"], f"{path}.dag")

    def inputs(self, inputs: Any, path: str) -> None:
        if not inputs:
            return
        self.allowed(inputs, path, frozenset({"parameters"}))
        for parameter in inputs.get("parameters") or []:
            self.allowed(
                parameter,
                f"{path}.parameters[{parameter.get('name')}]",
                frozenset({"name", "value", "default", "enum", "description"}),
            )

    def outputs(self, outputs: Any, path: str) -> None:
        if outputs:
            self.allowed(outputs, path, frozenset({"result", "exitCode"}))

    def pod(self, body: Mapping[str, Any], path: str, *, script: bool) -> None:
        allowed = _argo.CONTAINER_RUN if script else _argo.CONTAINER_RUN - {"source"}
        self.allowed(body, path, allowed, _argo.CONTAINER_IGNORED)
        if script and not body.get("command"):
            self.unsupported.append(f"{path}: a script template without command")
        image = body.get("image")
        if not isinstance(image, str) or not image:
            self.fail(f"{path}.image: an image is required")
        elif self.runner is not None and "{{" not in image:
            problem = self.runner.image_problem(image)
            if problem:
                self.unsupported.append(f"{path}.image: {problem}")
        for entry in body.get("env") or []:
            name = entry.get("name")
            if "valueFrom" in entry:
                source = entry["valueFrom"]
                if "secretKeyRef" in source:
                    continue
                field_path = (source.get("fieldRef") or {}).get("fieldPath")
                if field_path not in _argo.FIELD_REFS:
                    kind = next(iter(source), "valueFrom")
                    self.unsupported.append(f"{path}.env[{name}].valueFrom.{kind}: env from {field_path or kind}")
        for mount in body.get("volumeMounts") or []:
            self.allowed(mount, f"{path}.volumeMounts[{mount.get('name')}]", _argo.VOLUME_MOUNT_RUN)

    def steps(self, groups: Any, path: str) -> list[str]:
        children: list[str] = []
        for index, group in enumerate(groups or []):
            for step in group if isinstance(group, list) else [group]:
                where = f"{path}[{index}][{step.get('name')}]"
                self.allowed(step, where, _argo.STEP_RUN)
                self.arguments(step.get("arguments"), f"{where}.arguments")
                if isinstance(step.get("template"), str):
                    children.append(step["template"])
                elif "templateRef" not in step and "inline" not in step:
                    self.fail(f"{where}: a step needs a template")
        return children

    def dag(self, dag: Mapping[str, Any], path: str) -> list[str]:
        self.allowed(dag, path, frozenset({"tasks", "failFast"}))
        tasks = {task.get("name"): task for task in dag.get("tasks") or []}
        children: list[str] = []
        for name, task in tasks.items():
            where = f"{path}.tasks[{name}]"
            self.allowed(task, where, _argo.TASK_RUN)
            self.arguments(task.get("arguments"), f"{where}.arguments")
            if isinstance(task.get("template"), str):
                children.append(task["template"])
            elif "templateRef" not in task and "inline" not in task:
                self.fail(f"{where}: a task needs a template")
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


def task_dependencies(task: Mapping[str, Any]) -> tuple[str, ...]:
    """A task's dependencies; ``depends`` only as ``a && b.Succeeded`` (anything else raises)."""
    if "depends" in task:
        expression = str(task["depends"])
        names = []
        for term in expression.split("&&"):
            match = _DEPENDS_TERM.fullmatch(term)
            if not match:
                raise ValueError(f"the expression {expression!r} (only 'a && b.Succeeded' is run)")
            names.append(match.group(1))
        return tuple(names)
    return tuple(task.get("dependencies") or ())


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


# --- execution ----------------------------------------------------------------------------------


@dataclass
class _Outcome:
    phase: Phase
    message: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)


class _NodeError(Exception):
    """Argo would fail this node with phase Error (an unresolvable variable, a missing volume)."""


class _WorkflowExecution:
    def __init__(
        self,
        manifest: Mapping[str, Any],
        runner: PodRunner,
        settings: RunSettings,
        label: str,
        secrets: Mapping[str, str],
        workdir: Path,
    ) -> None:
        self.runner = runner
        self.settings = settings
        self.label = label
        self.secrets = secrets
        self.workdir = workdir
        spec = manifest["spec"]
        self.spec = spec
        self.templates = {t["name"]: t for t in spec["templates"]}
        metadata = manifest.get("metadata") or {}
        self.workflow_name = (
            metadata.get("name") or f"{metadata.get('generateName', 'workflow-')}{_argo.GENERATED_NAME_SUFFIX}"
        )
        self.namespace = metadata.get("namespace") or "default"
        self.globals = {
            "workflow.name": self.workflow_name,
            "workflow.namespace": self.namespace,
            "workflow.serviceAccountName": spec.get("serviceAccountName") or "default",
        }
        for parameter in (spec.get("arguments") or {}).get("parameters") or []:
            self.globals[f"workflow.parameters.{parameter['name']}"] = _text(parameter["value"])
        self.volumes = RunVolumes(workdir / "volumes", spec)
        deadline = _argo.as_number(spec.get("activeDeadlineSeconds"))
        self.deadline_s = deadline if deadline is not None else settings.default_deadline_s
        self.deadline_from_spec = deadline is not None
        self.deadline_at = 0.0
        parallelism = _argo.as_number(spec.get("parallelism"))
        slots = min(int(parallelism), settings.max_parallel) if parallelism else settings.max_parallel
        self.pod_slots = threading.BoundedSemaphore(max(1, slots))
        self.lock = threading.Lock()
        self.nodes: list[tuple[tuple[int, ...], NodeRun]] = []
        self.unsupported: list[str] = []
        self.notes: list[str] = []
        self.errors: list[str] = []
        self.secrets_used: set[str] = set()
        self.pod_count = 0

    def run(self, started: float) -> WorkflowRun:
        self.deadline_at = time.monotonic() + self.deadline_s
        entrypoint = self.spec["entrypoint"]
        outcome = self.execute(entrypoint, entrypoint, (), {}, root=True)
        files, truncated = self.volumes.collect(
            max_files=self.settings.max_files, preview_bytes=self.settings.preview_bytes
        )
        nodes = tuple(node for _, node in sorted(self.nodes, key=lambda item: item[0]))
        stdout, stderr, exit_code = workflow_streams(nodes)
        return WorkflowRun(
            executor=self.settings.executor,
            label=self.label,
            phase=outcome.phase,
            exit_code=exit_code,
            stdout=stdout,
            stderr=stderr,
            nodes=nodes,
            files=files,
            files_truncated=truncated,
            duration_s=time.perf_counter() - started,
            unsupported=tuple(dict.fromkeys(self.unsupported)),
            message=outcome.message,
            error=self.errors[0] if self.errors else None,
            notes=tuple(dict.fromkeys(self.notes)),
            secrets_used=tuple(sorted(self.secrets_used)),
        )

    # --- nodes ------------------------------------------------------------------------------------

    def record(self, order: tuple[int, ...], node: NodeRun) -> None:
        with self.lock:
            self.nodes.append((order, node))

    def execute(
        self, name: str, node: str, order: tuple[int, ...], arguments: Mapping[str, str], *, root: bool = False
    ) -> _Outcome:
        template = self.templates[name]
        started = time.perf_counter()
        kind: NodeKind = "Steps" if "steps" in template else "DAG" if "dag" in template else "Pod"
        try:
            scope = {**self.globals, **self.inputs(template, arguments)}
            if kind == "Pod":
                return self.run_pod(template, node, order, scope, root=root)
            if kind == "Steps":
                outcome = self.run_steps(template, node, order, scope)
            else:
                outcome = self.run_dag(template, node, order, scope)
        except (_NodeError, UnresolvedVariable) as exc:
            outcome = _Outcome(Phase.ERROR, str(exc))
        self.record(
            order,
            NodeRun(
                name=node,
                template=name,
                kind=kind,
                phase=outcome.phase,
                message=outcome.message,
                duration_s=time.perf_counter() - started,
            ),
        )
        return outcome

    def inputs(self, template: Mapping[str, Any], arguments: Mapping[str, str]) -> dict[str, str]:
        scope: dict[str, str] = {}
        for parameter in (template.get("inputs") or {}).get("parameters") or []:
            name = parameter["name"]
            if name in arguments:
                value = arguments[name]
            elif "value" in parameter:
                value = _text(parameter["value"])
            elif "default" in parameter:
                value = _text(parameter["default"])
            else:
                raise _NodeError(f"inputs.parameters.{name} was not supplied")
            enum = parameter.get("enum")
            if enum and value not in [_text(item) for item in enum]:
                raise _NodeError(f"inputs.parameters.{name}: value {value!r} is not one of {enum}")
            scope[f"inputs.parameters.{name}"] = value
        return scope

    def run_steps(
        self, template: Mapping[str, Any], node: str, order: tuple[int, ...], scope: dict[str, str]
    ) -> _Outcome:
        scope = dict(scope)
        parallelism = _argo.as_number(template.get("parallelism"))
        for group_index, group in enumerate(template["steps"]):
            steps = group if isinstance(group, list) else [group]
            calls: list[tuple[str, Callable[[], _Outcome]]] = []
            for step_index, step in enumerate(steps):
                for item_index, (suffix, item_scope) in enumerate(_items(step)):
                    child = f"{node}[{group_index}].{step['name']}{suffix}"
                    child_order = (*order, group_index, step_index, item_index)
                    arguments = _arguments(step, {**scope, **item_scope})
                    calls.append((step["name"], _call(self.execute, step["template"], child, child_order, arguments)))
            outcomes = _run_parallel([call for _, call in calls], parallelism)
            for (step_name, _), outcome in zip(calls, outcomes, strict=True):
                if len([n for n, _ in calls if n == step_name]) == 1:  # loop outputs are aggregated by Argo: not run
                    scope.update({f"steps.{step_name}.{key}": value for key, value in outcome.outputs.items()})
            worst = _worst(outcome.phase for outcome in outcomes)
            if worst is not Phase.SUCCEEDED:
                failed = next(name for (name, _), o in zip(calls, outcomes, strict=True) if o.phase is worst)
                return _Outcome(worst, f"child '{failed}' {'errored' if worst is Phase.ERROR else 'failed'}")
        return _Outcome(Phase.SUCCEEDED)

    def run_dag(
        self, template: Mapping[str, Any], node: str, order: tuple[int, ...], scope: dict[str, str]
    ) -> _Outcome:
        dag = template["dag"]
        tasks = {task["name"]: task for task in dag["tasks"]}
        position = {name: index for index, name in enumerate(tasks)}
        dependencies = {name: task_dependencies(task) for name, task in tasks.items()}
        fail_fast = dag.get("failFast", True) is not False
        parallelism = _argo.as_number(template.get("parallelism"))
        scope = dict(scope)
        outcomes: dict[str, _Outcome] = {}
        pending = dict(tasks)
        running: dict[Future[list[_Outcome]], str] = {}
        workers = max(1, min(int(parallelism) if parallelism else len(tasks), len(tasks)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argo-parity-dag") as pool:
            while pending or running:
                failed = any(o.phase is not Phase.SUCCEEDED for o in outcomes.values())
                for name in sorted(pending, key=position.__getitem__):
                    deps = dependencies[name]
                    if any(dep in outcomes and outcomes[dep].phase is not Phase.SUCCEEDED for dep in deps):
                        del pending[name]  # a dependency failed: never runs
                    elif all(dep in outcomes for dep in deps) and not (failed and fail_fast):
                        task = pending.pop(name)
                        calls = [
                            _call(
                                self.execute,
                                task["template"],
                                f"{node}.{name}{suffix}",
                                (*order, position[name], item_index),
                                _arguments(task, {**scope, **item_scope}),
                            )
                            for item_index, (suffix, item_scope) in enumerate(_items(task))
                        ]
                        running[pool.submit(_run_parallel, calls, None)] = name
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    name = running.pop(future)
                    results = future.result()
                    outcome = _Outcome(
                        _worst(o.phase for o in results), None, results[0].outputs if len(results) == 1 else {}
                    )
                    outcomes[name] = outcome
                    scope.update({f"tasks.{name}.{key}": value for key, value in outcome.outputs.items()})
        worst = _worst(o.phase for o in outcomes.values())
        if worst is not Phase.SUCCEEDED:
            failed_task = next(name for name in tasks if name in outcomes and outcomes[name].phase is worst)
            return _Outcome(worst, f"task '{failed_task}' {'errored' if worst is Phase.ERROR else 'failed'}")
        return _Outcome(Phase.SUCCEEDED)

    # --- pods ---------------------------------------------------------------------------------------

    def run_pod(
        self, template: Mapping[str, Any], node: str, order: tuple[int, ...], scope: dict[str, str], *, root: bool
    ) -> _Outcome:
        kind = "script" if "script" in template else "container"
        with self.lock:
            self.pod_count += 1
            pod_dir = self.workdir / "pods" / f"{self.pod_count:04d}"
        pod_dir.mkdir(parents=True)
        pod_name = self.workflow_name if root else _pod_name(self.workflow_name, template["name"], node)
        started = time.perf_counter()
        try:
            pod = self.pod_spec(template, kind, node, pod_name, {**scope, "pod.name": pod_name}, pod_dir)
        except (_NodeError, UnresolvedVariable, VolumeNotFound) as exc:
            return self.pod_node(node, template, order, _Outcome(Phase.ERROR, str(exc)), None, started)
        if pod.deadline_s <= 0:
            outcome = _Outcome(Phase.FAILED, "Max duration limit exceeded: the workflow's deadline passed")
            return self.pod_node(node, template, order, outcome, None, started)
        with self.pod_slots:
            result = self.runner.run_pod(pod, pod_dir)
        with self.lock:
            self.unsupported.extend(result.unsupported)
            self.notes.extend(result.notes)
            if result.error:
                self.errors.append(f"{node}: {result.error}")
        if result.error:
            outcome = _Outcome(Phase.ERROR, result.error)
        elif result.timed_out:
            outcome = _Outcome(Phase.FAILED, "Pod was active on the node longer than the specified deadline")
        elif result.exit_code == 0:
            outcome = _Outcome(Phase.SUCCEEDED)
        else:
            outcome = _Outcome(Phase.FAILED, f"Error (exit code {result.exit_code})")
        if result.exit_code is not None:
            stdout = result.stdout.text
            outcome.outputs = {
                "outputs.result": stdout[:-1] if stdout.endswith("\n") else stdout,  # Argo trims one newline
                "exitCode": str(result.exit_code),
            }
        return self.pod_node(node, template, order, outcome, result, started)

    def pod_node(
        self,
        node: str,
        template: Mapping[str, Any],
        order: tuple[int, ...],
        outcome: _Outcome,
        result: PodResult | None,
        started: float,
    ) -> _Outcome:
        self.record(
            order,
            NodeRun(
                name=node,
                template=template["name"],
                kind="Pod",
                phase=outcome.phase,
                exit_code=result.exit_code if result else None,
                stdout=result.stdout if result else Output(),
                stderr=result.stderr if result else Output(),
                message=outcome.message,
                timed_out=result.timed_out if result else False,
                duration_s=result.duration_s if result else time.perf_counter() - started,
                setup_s=result.setup_s if result else 0.0,
                # outputs.result is stdout less one newline: not repeated here
                outputs={k: v for k, v in outcome.outputs.items() if k != "outputs.result"},
            ),
        )
        return outcome

    def pod_spec(
        self,
        template: Mapping[str, Any],
        kind: str,
        node: str,
        pod_name: str,
        scope: Mapping[str, str],
        pod_dir: Path,
    ) -> PodSpec:
        body: dict[str, Any] = substitute(copy.deepcopy(dict(template[kind])), scope)
        image = body["image"]
        problem = self.runner.image_problem(image) if "{{" in str(template[kind].get("image")) else None
        if problem:
            with self.lock:
                self.unsupported.append(f"{node}: {problem}")
            raise _NodeError(problem)
        env, defined = self.env(body.get("env") or [], pod_name)
        command = [str(word) for word in body.get("command") or []]
        args = [str(word) for word in body.get("args") or []]
        mounts: list[Mount] = []
        if kind == "script":
            script = pod_dir / "script"
            script.write_text(str(body.get("source") or ""), encoding="utf-8")
            script.chmod(0o755)
            args.append(_argo.SCRIPT_PATH)
            mounts.append(Mount(script, _argo.SCRIPT_PATH, read_only=True))
        defaults = self.runner.image_defaults(image)
        if command:
            argv = command + args
        elif args:
            argv = [*defaults.entrypoint, *args]
        else:
            argv = [*defaults.entrypoint, *defaults.cmd]
        if not argv:
            raise _NodeError("no command: the template gives none and the image has no entrypoint or cmd")
        argv = [expand_env_refs(word, defined) for word in argv]
        for mount in body.get("volumeMounts") or []:
            volume = self.volumes.resolve(mount["name"], template, pod_dir)
            host = self.volumes.mounted(volume, mount["mountPath"], str(mount.get("subPath") or ""))
            mounts.append(Mount(host, mount["mountPath"], read_only=bool(mount.get("readOnly"))))
        # The package index only for a pod whose program runs an install: the commands it runs, as
        # parsed (a comment or an echoed "pip install" is no install), the script and the env vars
        # it runs as code (the user's code travels in PYTHON_CODE) included. See _installs. Not
        # every pod, though the proxy allows only the index: a pod that installs nothing reaches
        # nothing, the uv cache is bound only where needed, and docker (no proxy) decides the same.
        source = str(body.get("source") or "") if kind == "script" else None
        network = installs_packages(argv, source, env)
        return PodSpec(
            name=pod_name,
            node=node,
            image=image,
            argv=tuple(argv),
            env=tuple(env),
            working_dir=body.get("workingDir") or None,
            mounts=tuple(mounts),
            deadline_s=self.pod_deadline(template),
            network=network,
        )

    def env(self, entries: Sequence[Mapping[str, Any]], pod_name: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
        env: list[tuple[str, str]] = []
        defined: dict[str, str] = {}
        for entry in entries:
            name = str(entry["name"])
            source = entry.get("valueFrom")
            if isinstance(source, Mapping) and "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                key = secret_ref(ref["name"], ref["key"])
                value = self.secrets[key] if key in self.secrets else fake_secret_value(ref["name"], ref["key"])
                with self.lock:
                    self.secrets_used.add(key)
            elif isinstance(source, Mapping):
                field_path = source["fieldRef"]["fieldPath"]
                value = pod_name if field_path == "metadata.name" else self.namespace
            else:
                value = expand_env_refs(_text(entry.get("value", "")), defined)
            env.append((name, value))
            defined[name] = value
        return env, defined

    def pod_deadline(self, template: Mapping[str, Any]) -> float:
        remaining = self.deadline_at - time.monotonic()
        own = _argo.as_number(template.get("activeDeadlineSeconds"))
        return min(remaining, own) if own is not None else remaining


# --- helpers ----------------------------------------------------------------------------------------


def _call(function: Callable[..., _Outcome], *args: Any) -> Callable[[], _Outcome]:
    return lambda: function(*args)


def _run_parallel(calls: Sequence[Callable[[], _Outcome]], parallelism: float | None) -> list[_Outcome]:
    if len(calls) == 1:
        return [calls[0]()]
    workers = max(1, min(int(parallelism) if parallelism else len(calls), len(calls)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argo-parity-steps") as pool:
        return list(pool.map(lambda call: call(), calls))


def _items(step: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    """(node-name suffix, scope) for each iteration of a step or task; one plain iteration without withItems."""
    items = step.get("withItems")
    if items is None:
        yield "", {}
        return
    for index, item in enumerate(items):
        text = item if isinstance(item, str) else json.dumps(item, separators=(",", ":"), sort_keys=True)
        scope = {"item": text}
        if isinstance(item, Mapping):
            scope.update({f"item.{key}": _text(value) for key, value in item.items()})
        yield f"({index}:{text})", scope


def _arguments(step: Mapping[str, Any], scope: Mapping[str, str]) -> dict[str, str]:
    parameters = (step.get("arguments") or {}).get("parameters") or []
    return {p["name"]: substitute(_text(p["value"]), scope) for p in parameters}


def _worst(phases: Iterator[Phase] | Sequence[Phase]) -> Phase:
    found = set(phases)
    for phase in (Phase.ERROR, Phase.FAILED):
        if phase in found:
            return phase
    return Phase.SUCCEEDED


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _pod_name(workflow: str, template: str, node: str) -> str:
    """Argo's v2 pod name: workflow-template-fnv32a(node name), shortened to a DNS label."""
    digest = fnv32a(f"{workflow}{node}")
    prefix = f"{workflow}-{template}"[: 63 - 11]
    return f"{prefix}-{digest}"
