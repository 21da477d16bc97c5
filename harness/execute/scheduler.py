"""Run an Argo Workflow manifest the way Argo's controller would, one pod at a time, on a PodRunner.

First the manifest is checked (``harness.execute.check``): anything the executors cannot run
faithfully is listed as unsupported and nothing runs. Then the entrypoint runs. Each template's
variables are substituted once, as Argo's ``ProcessArgs`` does, before any of its fields is read
(a deadline from a parameter included): a pod template's all at once, a steps or DAG template's
inputs and globals first and what its own steps and tasks give (their outputs, the loop item) as
each one runs. A pod template becomes a ``PodSpec`` (env resolved and ``$(VAR)``-expanded,
volumes bound, the script written to Argo's staging path); ``steps`` run group after group, the
steps of a group in parallel; a ``dag`` runs each task once every task its ``depends`` names has
finished and the condition holds (harness.spec.depends; a false one leaves the task Omitted, not
run), independent tasks in parallel (``failFast``, ``parallelism``). Deadlines are Argo's: the
workflow's ``activeDeadlineSeconds`` bounds everything, a template's bounds its pod.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness.execute.base import DEFAULT_DEADLINE_S, GENERATED_NAME_SUFFIX
from harness.execute.check import Inspection, inspect_workflow
from harness.execute.installs import installs_packages
from harness.execute.pods import Mount, PodResult, PodRunner, PodSpec
from harness.execute.result import NodeKind, NodeRun, Output, RunPhase, WorkflowRun
from harness.execute.secrets import fake_secret_value, secret_ref
from harness.execute.support import task_condition
from harness.execute.volumes import RunVolumes, VolumeNotFound
from harness.spec import depends, fields, naming, tags
from harness.spec.kubernetes_vars import expand_with
from harness.spec.tags import UnresolvedVariable, substitute


class _PodExecutor(Protocol):
    """What ``RunSettings.of`` reads: the options the local and docker executors share."""

    @property
    def name(self) -> str: ...
    @property
    def default_deadline_s(self) -> float: ...
    @property
    def max_parallel(self) -> int: ...
    @property
    def work_root(self) -> Path | None: ...
    @property
    def keep_dirs(self) -> bool: ...


@dataclass(frozen=True)
class RunSettings:
    executor: str
    default_deadline_s: float = DEFAULT_DEADLINE_S
    max_parallel: int = 4
    work_root: Path | None = None
    keep_dirs: bool = False
    max_files: int = 1000
    preview_bytes: int = 4096

    @classmethod
    def of(cls, executor: _PodExecutor) -> RunSettings:
        """The settings of an executor that runs pods through a PodRunner (``local``, ``docker``)."""
        return cls(
            executor=executor.name,
            default_deadline_s=executor.default_deadline_s,
            max_parallel=executor.max_parallel,
            work_root=executor.work_root,
            keep_dirs=executor.keep_dirs,
        )


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
        return WorkflowRun.not_run(settings.executor, label, inspection.unsupported, time.perf_counter() - started)
    if inspection.invalid:
        return WorkflowRun.refused(settings.executor, label, inspection.invalid, time.perf_counter() - started)
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


# --- execution ----------------------------------------------------------------------------------


@dataclass
class _Outcome:
    phase: RunPhase
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
            metadata.get("name") or f"{metadata.get('generateName', 'workflow-')}{GENERATED_NAME_SUFFIX}"
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
        # Integer fields: the check refused any other value, as Argo does.
        deadline = _number(spec.get("activeDeadlineSeconds"))
        self.deadline_s = float(deadline) if deadline is not None else settings.default_deadline_s
        self.deadline_at = 0.0
        parallelism = _number(spec.get("parallelism"))
        slots = min(parallelism, settings.max_parallel) if parallelism else settings.max_parallel
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
        outcome = self.execute(entrypoint, entrypoint, (), {})
        files, truncated = self.volumes.collect(
            max_files=self.settings.max_files, preview_bytes=self.settings.preview_bytes
        )
        nodes = tuple(node for _, node in sorted(self.nodes, key=lambda item: item[0]))
        return WorkflowRun.of_nodes(
            self.settings.executor,
            self.label,
            outcome.phase,
            nodes,
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

    def execute(self, name: str, node: str, order: tuple[int, ...], arguments: Mapping[str, str]) -> _Outcome:
        template = self.templates[name]
        started = time.perf_counter()
        kind: NodeKind = "Steps" if "steps" in template else "DAG" if "dag" in template else "Pod"
        try:
            scope = {**self.globals, **self.inputs(template, arguments)}
            if kind == "Pod":
                return self.run_pod(template, node, order, scope)
            # What its steps and tasks give is substituted as each one runs.
            template = _substituted(template, scope, later=tags.bound_by_steps)
            if kind == "Steps":
                outcome = self.run_steps(template, node, order, scope)
            else:
                outcome = self.run_dag(template, node, order, scope)
        except (_NodeError, UnresolvedVariable) as exc:
            outcome = _Outcome(RunPhase.ERROR, str(exc))
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
        parallelism = _number(template.get("parallelism"))
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
            if worst is not RunPhase.SUCCEEDED:
                failed = next(name for (name, _), o in zip(calls, outcomes, strict=True) if o.phase is worst)
                return _Outcome(worst, f"child '{failed}' {'errored' if worst is RunPhase.ERROR else 'failed'}")
        return _Outcome(RunPhase.SUCCEEDED)

    def run_dag(
        self, template: Mapping[str, Any], node: str, order: tuple[int, ...], scope: dict[str, str]
    ) -> _Outcome:
        dag = template["dag"]
        tasks = {task["name"]: task for task in dag["tasks"]}
        position = {name: index for index, name in enumerate(tasks)}
        conditions = {name: task_condition(task, tasks) for name, task in tasks.items()}
        fail_fast = dag.get("failFast", True) is not False
        parallelism = _number(template.get("parallelism"))
        scope = dict(scope)
        outcomes: dict[str, _Outcome] = {}
        # What each finished task ended with, for the conditions (harness.spec.depends); an
        # Omitted task has no node and no outcome, as in Argo's records of a run.
        results: dict[str, depends.Outcome] = {}
        pending = dict(tasks)
        running: dict[Future[list[_Outcome]], str] = {}
        workers = max(1, min(parallelism or len(tasks), len(tasks)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argo-parity-dag") as pool:
            while pending or running:
                failed = any(o.phase is not RunPhase.SUCCEEDED for o in outcomes.values())
                for name in omit_false_conditions(pending, conditions, results, position):
                    del pending[name]
                for name in sorted(pending, key=position.__getitem__):
                    condition = conditions[name]
                    if condition is not None and not all(dep in results for dep in depends.tasks_of(condition)):
                        continue  # Argo evaluates a condition once every task it names has finished
                    if failed and fail_fast:
                        continue  # failFast: no new task starts once one failed
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
                    finished = future.result()
                    outcome = _Outcome(
                        _worst(o.phase for o in finished), None, finished[0].outputs if len(finished) == 1 else {}
                    )
                    outcomes[name] = outcome
                    results[name] = _task_outcome(outcome.phase, finished if "withItems" in tasks[name] else None)
                    scope.update({f"tasks.{name}.{key}": value for key, value in outcome.outputs.items()})
        worst = _worst(o.phase for o in outcomes.values())
        if worst is not RunPhase.SUCCEEDED:
            failed_task = next(name for name in tasks if name in outcomes and outcomes[name].phase is worst)
            return _Outcome(worst, f"task '{failed_task}' {'errored' if worst is RunPhase.ERROR else 'failed'}")
        return _Outcome(RunPhase.SUCCEEDED)

    # --- pods ---------------------------------------------------------------------------------------

    def run_pod(
        self, template: Mapping[str, Any], node: str, order: tuple[int, ...], scope: dict[str, str]
    ) -> _Outcome:
        kind = "script" if "script" in template else "container"
        with self.lock:
            self.pod_count += 1
            pod_dir = self.workdir / "pods" / f"{self.pod_count:04d}"
        pod_dir.mkdir(parents=True)
        argo_node = naming.argo_node_name(node, self.workflow_name, self.spec["entrypoint"])
        pod_name = naming.pod_name(self.workflow_name, argo_node, template["name"])
        # An image only known now was not checked with the rest of the workflow.
        image_known = tags.first_argo_tag(str(template[kind].get("image"))) is None
        started = time.perf_counter()
        try:
            resolved = _substituted(template, {**scope, "pod.name": pod_name})
            pod = self.pod_spec(resolved, kind, node, pod_name, pod_dir, check_image=not image_known)
        except (_NodeError, UnresolvedVariable, VolumeNotFound) as exc:
            return self.pod_node(node, template, order, _Outcome(RunPhase.ERROR, str(exc)), None, started)
        if pod.deadline_s <= 0:
            outcome = _Outcome(RunPhase.FAILED, "Max duration limit exceeded: the workflow's deadline passed")
            return self.pod_node(node, template, order, outcome, None, started)
        with self.pod_slots:
            result = self.runner.run_pod(pod, pod_dir)
        with self.lock:
            self.unsupported.extend(result.unsupported)
            self.notes.extend(result.notes)
            if result.error:
                self.errors.append(f"{node}: {result.error}")
        if result.error:
            outcome = _Outcome(RunPhase.ERROR, result.error)
        elif result.timed_out:
            outcome = _Outcome(RunPhase.FAILED, "Pod was active on the node longer than the specified deadline")
        elif result.exit_code == 0:
            outcome = _Outcome(RunPhase.SUCCEEDED)
        else:
            outcome = _Outcome(RunPhase.FAILED, f"Error (exit code {result.exit_code})")
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
        self, template: Mapping[str, Any], kind: str, node: str, pod_name: str, pod_dir: Path, *, check_image: bool
    ) -> PodSpec:
        """The pod of ``template``, whose variables were substituted."""
        body: Mapping[str, Any] = template[kind]
        image = body["image"]
        problem = self.runner.image_problem(image) if check_image else None
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
            args.append(fields.SCRIPT_PATH)
            mounts.append(Mount(script, fields.SCRIPT_PATH, read_only=True))
        defaults = self.runner.image_defaults(image)
        if command:
            argv = command + args
        elif args:
            argv = [*defaults.entrypoint, *args]
        else:
            argv = [*defaults.entrypoint, *defaults.cmd]
        if not argv:
            raise _NodeError("no command: the template gives none and the image has no entrypoint or cmd")
        argv = [expand_with(word, defined) for word in argv]
        for mount in body.get("volumeMounts") or []:
            volume = self.volumes.resolve(mount["name"], template, pod_dir)
            host = self.volumes.mounted(volume, mount["mountPath"], str(mount.get("subPath") or ""))
            mounts.append(Mount(host, mount["mountPath"], read_only=bool(mount.get("readOnly"))))
        # The package index only for a pod whose program runs an install: the commands it runs, as
        # parsed (a comment or an echoed "pip install" is no install), the script and the env vars
        # it runs as code (the user's code travels in PYTHON_CODE) included. See harness.execute.installs. Not
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
                value = expand_with(_text(entry.get("value", "")), defined)
            env.append((name, value))
            defined[name] = value
        return env, defined

    def pod_deadline(self, template: Mapping[str, Any]) -> float:
        remaining = self.deadline_at - time.monotonic()
        written = template.get("activeDeadlineSeconds")
        if written is None:
            return remaining
        try:
            own = fields.int_or_string(written)  # Argo's intstr.Int64 when it makes the pod
        except ValueError as exc:
            raise _NodeError(str(exc)) from None
        return min(remaining, own)


# --- helpers ----------------------------------------------------------------------------------------


def _call(function: Callable[..., _Outcome], *args: Any) -> Callable[[], _Outcome]:
    return lambda: function(*args)


def _substituted(
    template: Mapping[str, Any], scope: Mapping[str, str], *, later: Callable[[str], bool] | None = None
) -> dict[str, Any]:
    """``template`` with its variables substituted from ``scope`` (its name as written)."""
    return {key: value if key == "name" else substitute(value, scope, later=later) for key, value in template.items()}


def _number(value: Any) -> int | None:
    """An integer field's value (an int, or a float without a fraction), None when absent."""
    return None if value is None else int(value)


def _run_parallel(calls: Sequence[Callable[[], _Outcome]], parallelism: int | None) -> list[_Outcome]:
    if len(calls) == 1:
        return [calls[0]()]
    workers = max(1, min(parallelism or len(calls), len(calls)))
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


def omit_false_conditions(
    pending: Mapping[str, Any],
    conditions: Mapping[str, depends.Expression | None],
    results: dict[str, depends.Outcome],
    position: Mapping[str, int],
) -> list[str]:
    """The pending tasks whose condition is false now that every task it names has finished
    (Argo marks them Omitted and runs nothing), recorded in ``results``; an Omitted task can
    make another one's condition decidable, so this repeats until nothing changes."""
    omitted: list[str] = []
    changed = True
    while changed:
        changed = False
        for name in sorted(pending, key=position.__getitem__):
            condition = conditions[name]
            if name in omitted or condition is None:
                continue
            if all(dep in results for dep in depends.tasks_of(condition)) and not depends.evaluate(condition, results):
                results[name] = depends.outcome(depends.OMITTED)
                omitted.append(name)
                changed = True
    return omitted


# A node's phase as the result a DAG condition reads (Argo's evaluateDependsLogic).
_RESULT_OF_PHASE = {
    RunPhase.SUCCEEDED: depends.SUCCEEDED,
    RunPhase.FAILED: depends.FAILED,
    RunPhase.ERROR: depends.ERRORED,
}


def _task_outcome(phase: RunPhase, children: Sequence[_Outcome] | None) -> depends.Outcome:
    """What a finished task's condition operands see: its result, and for a task with
    ``withItems`` (a task group) AnySucceeded / AllFailed over its iterations."""
    facts = [_RESULT_OF_PHASE[phase]]
    if children is not None:
        if any(c.phase is RunPhase.SUCCEEDED for c in children):
            facts.append(depends.ANY_SUCCEEDED)
        if children and all(c.phase is RunPhase.FAILED for c in children):
            facts.append(depends.ALL_FAILED)
    return frozenset(facts)


def _worst(phases: Iterator[RunPhase] | Sequence[RunPhase]) -> RunPhase:
    found = set(phases)
    for phase in (RunPhase.ERROR, RunPhase.FAILED):
        if phase in found:
            return phase
    return RunPhase.SUCCEEDED


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))
