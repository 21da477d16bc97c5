"""``kubectl create|apply -f`` and ``argo submit``, answered inside a capture.

Build-and-submit code often shells out: ``subprocess.run(["kubectl", "apply", "-f", path])``,
``kubectl create -f -`` fed the YAML on stdin, ``argo submit wf.yaml -p x=1``. During a capture
(``harness.builders.capture``) ``subprocess.Popen`` (which ``run``, ``call``, ``check_call``,
``check_output`` and ``os.popen`` go through) and ``os.system`` answer those commands in-process:
the manifest is read from the files or from stdin, changed the way the tool would change it
(kubectl's namespace defaulting and last-applied annotation, argo's ``-p``/``--entrypoint``/...
options), recorded as a submission, and the command "exits" with what the tool would print
(``workflow.argoproj.io/NAME created``). Input the tool would refuse fails the command the same
way (exit 1, the tool's message on stderr). Any other kubectl or argo command, or one inside a
shell line with pipes or expansions, is refused: it would have reached a cluster. Every other
command runs as usual.

Nothing here knows about captures: a :class:`Session` records and refuses.
"""

from __future__ import annotations

import copy
import inspect
import io
import json
import locale
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn, Protocol

import yaml

from harness.errors import ParityInputError
from harness.yaml_input import load_yaml_documents

TOOLS = frozenset({"kubectl", "argo"})
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_ANSWERED = "capture answers only `kubectl create|apply -f FILE|-` and `argo submit FILE|-`"
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash"})
_MANIFEST_SUFFIXES = (".json", ".yaml", ".yml")
# Kinds -n does not apply to (kubectl leaves them cluster-scoped).
_CLUSTER_KINDS = frozenset(
    {
        "ClusterWorkflowTemplate",
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "PersistentVolume",
        "StorageClass",
        "CustomResourceDefinition",
        "PriorityClass",
        "Node",
    }
)

ORIGINAL_POPEN = subprocess.Popen
ORIGINAL_SYSTEM = os.system
_EXECUTE_CHILD = ORIGINAL_POPEN._execute_child  # type: ignore[attr-defined]
_POPEN_SIGNATURE = inspect.signature(ORIGINAL_POPEN.__init__)


class Session(Protocol):
    """What a command needs from the capture it runs in."""

    def record(self, body: dict[str, Any], namespace: str | None, api: str, plural: str) -> dict[str, Any]:
        """Record a submission; returns the object as the server would have created it."""
        ...

    def refuse(self, message: str) -> NoReturn:
        """Record a refused call and raise the capture's error."""
        ...

    def failed(self, message: str) -> None:
        """Record that a command failed the way the real tool would have."""
        ...


class _Failed(Exception):
    """The command fails as the real tool would: exit status 1, this message on stderr."""


# --- which commands are ours ------------------------------------------------------------------


def tool_argv(session: Session, args: Any, *, shell: bool, executable: Any = None) -> list[str] | None:
    """The argv of a kubectl or argo command, or None for any other command.

    A shell line is split with ``shlex``; kubectl or argo in one that also pipes, redirects,
    chains or expands is refused (the capture cannot know what it would read)."""
    if shell:
        line = os.fsdecode(args if isinstance(args, str | bytes | os.PathLike) else (list(args) or [""])[0])
        argv = _simple_shell_command(session, line)
        if argv is None:
            return None
    elif isinstance(args, str | bytes | os.PathLike):
        argv = [os.fsdecode(args)]
    else:
        argv = [os.fsdecode(arg) for arg in args]
    if not argv:
        return None
    program = os.fsdecode(executable) if executable is not None else argv[0]
    if not _is_tool(program):
        return None
    return [os.path.basename(program), *argv[1:]]


def _simple_shell_command(session: Session, line: str) -> list[str] | None:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: the shell would fail it too
        if any(_is_tool(word) for word in line.split()):
            session.refuse(f"`{line}`: a shell line with unbalanced quotes cannot be captured")
        return None
    compound = any(token and set(token) <= set("();<>|&") for token in tokens)
    expands = any("$" in token or "`" in token for token in tokens)
    if compound or expands:
        if any(_is_tool(token) for token in tokens):
            session.refuse(
                f"`{line}`: kubectl or argo inside a shell line with pipes, redirections or expansions "
                "cannot be captured; run it as a list of arguments (`-f FILE`, or `-f -` with input=)"
            )
        return None
    while tokens and "=" in tokens[0] and tokens[0].partition("=")[0].isidentifier():
        tokens.pop(0)  # NAME=value before the command
    return tokens


def _is_tool(word: str) -> bool:
    return os.path.basename(word) in TOOLS


def display(argv: Sequence[str]) -> str:
    return shlex.join(argv)


# --- the commands -----------------------------------------------------------------------------


@dataclass
class _Flags:
    positionals: list[str] = field(default_factory=list)
    values: list[tuple[str, str | None]] = field(default_factory=list)

    def all(self, *names: str) -> list[str]:
        return [value for name, value in self.values if name in names and value is not None]

    def last(self, *names: str) -> str | None:
        found = self.all(*names)
        return found[-1] if found else None

    def switch(self, *names: str) -> bool:
        state = False
        for name, value in self.values:
            if name in names:
                state = value is None or value.lower() not in ("false", "0")
        return state


def _parse_flags(session: Session, shown: str, words: Sequence[str], takes_value: frozenset[str]) -> _Flags:
    flags = _Flags()
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word == "--":
            flags.positionals.extend(words[index:])
            break
        if not word.startswith("-") or word == "-":
            flags.positionals.append(word)
            continue
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            attached: str | None = value if eq else None
        else:
            name, rest = word[:2], word[2:]
            attached = rest.removeprefix("=") if rest else None
            if rest and name not in takes_value and not rest.startswith("="):
                # -Rw: a cluster of switches
                flags.values.extend((f"-{letter}", None) for letter in word[1:])
                continue
        if name in takes_value and attached is None:
            if index >= len(words):
                session.refuse(f"`{shown}`: {name} needs a value")
            attached = words[index]
            index += 1
        flags.values.append((name, attached))
    return flags


class Command:
    """One kubectl or argo command line: checked when it starts, run when it is waited for."""

    reads_stdin = False

    def __init__(self, session: Session, argv: list[str]) -> None:
        self.session = session
        self.argv = argv
        self.shown = display(argv)

    def run(self, stdin: bytes | None, cwd: str | None) -> tuple[int, bytes, bytes]:
        try:
            code, out = self._run(stdin or b"", Path(cwd) if cwd else Path.cwd())
        except _Failed as exc:
            message = str(exc)
            self.session.failed(f"`{self.shown}` failed: {message}")
            return 1, b"", (message + "\n").encode()
        return code, out.encode(), b""

    def _run(self, stdin: bytes, cwd: Path) -> tuple[int, str]:
        raise NotImplementedError

    def _refuse(self, why: str) -> NoReturn:
        self.session.refuse(f"`{self.shown}`: {why}; {_ANSWERED}")

    def _documents(self, source: str, stdin: bytes, cwd: Path, *, recursive: bool = False) -> list[dict[str, Any]]:
        if source == "-":
            texts: list[tuple[str, bytes]] = [("STDIN", stdin)]
        else:
            path = Path(source) if os.path.isabs(source) else cwd / source
            if path.is_dir() and self.argv[0] == "kubectl":
                found = path.rglob("*") if recursive else path.iterdir()
                files = sorted(p for p in found if p.is_file() and p.suffix in _MANIFEST_SUFFIXES)
            elif path.exists():
                files = [path]
            else:
                raise _Failed(f'error: the path "{source}" does not exist')
            try:
                texts = [(str(file), file.read_bytes()) for file in files]
            except OSError as exc:
                raise _Failed(f"error: cannot read {source}: {exc.strerror or exc}") from None
        documents: list[dict[str, Any]] = []
        for origin, text in texts:
            try:
                loaded = load_yaml_documents(text, source=origin)
            except ParityInputError as exc:
                raise _Failed(f"error: error parsing {origin}: {exc.message}") from None
            for doc in loaded:
                is_list = isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list)
                for item in doc["items"] if is_list else [doc]:
                    if not isinstance(item, dict) or not item.get("apiVersion") or not item.get("kind"):
                        raise _Failed(f"error: unable to decode {origin!r}: Object 'Kind' is missing")
                    documents.append(copy.deepcopy(item))
        return documents


_KUBECTL_VALUE_FLAGS = frozenset(
    {
        *("-f", "--filename", "-n", "--namespace", "-o", "--output", "-l", "--selector", "-k", "--kustomize"),
        *("--kubeconfig", "--context", "--cluster", "--user", "-s", "--server", "--token", "--as", "--as-group"),
        *("--as-uid", "--request-timeout", "--certificate-authority", "--client-certificate", "--client-key"),
        *("--tls-server-name", "--username", "--password", "--cache-dir", "--field-manager", "--timeout", "-v"),
        *("--v", "--log-file", "--profile", "--profile-output", "--template", "--prune-allowlist", "--subresource"),
        "--grace-period",
    }
)
# Flags that change where or how the request goes, never what is sent.
_KUBECTL_HARMLESS = frozenset(
    {
        *("--kubeconfig", "--context", "--cluster", "--user", "-s", "--server", "--token", "--as", "--as-group"),
        *("--as-uid", "--request-timeout", "--certificate-authority", "--client-certificate", "--client-key"),
        *("--tls-server-name", "--username", "--password", "--cache-dir", "--insecure-skip-verify", "-v", "--v"),
        *("--field-manager", "--timeout", "--wait", "--log-file", "--profile", "--profile-output", "--validate"),
        *("--force-conflicts", "--overwrite", "--show-managed-fields", "--allow-missing-template-keys"),
        *("--windows-line-endings", "--match-server-version", "--warnings-as-errors", "--disable-compression"),
    }
)
_KUBECTL_HANDLED = frozenset(
    {
        *("-f", "--filename", "-n", "--namespace", "-o", "--output", "-R", "--recursive", "--dry-run"),
        *("--save-config", "--server-side"),
    }
)


class Kubectl(Command):
    """``kubectl create -f`` / ``kubectl apply -f``: FILE, a folder of manifests, or ``-``."""

    def __init__(self, session: Session, argv: list[str]) -> None:
        super().__init__(session, argv)
        flags = _parse_flags(session, self.shown, argv[1:], _KUBECTL_VALUE_FLAGS)
        unknown = [name for name, _ in flags.values if name not in _KUBECTL_HARMLESS | _KUBECTL_HANDLED]
        if flags.positionals[:1] not in (["create"], ["apply"]) or len(flags.positionals) > 1:
            self._refuse("not a submission from files (it would have reached a cluster)")
        if unknown:
            self._refuse(f"{unknown[0]} is not understood by capture")
        self.verb = flags.positionals[0]
        self.sources = [part for value in flags.all("-f", "--filename") for part in value.split(",") if part]
        if not self.sources:
            self._refuse("no -f: nothing to read a manifest from")
        urls = [source for source in self.sources if "://" in source]
        if urls:
            self._refuse(f"reading {urls[0]} would reach the network")
        self.reads_stdin = "-" in self.sources
        self.namespace = flags.last("-n", "--namespace")
        self.output = flags.last("-o", "--output") or ""
        if self.output not in ("", "name", "json", "yaml") and not _jsonpath(self.output):
            self._refuse(f"-o {self.output} is not understood by capture")
        dry_run = flags.last("--dry-run")
        self.dry_run = ("client" if dry_run in (None, "", "true") else dry_run) if flags.switch("--dry-run") else None
        if self.dry_run == "none":
            self.dry_run = None
        self.recursive = flags.switch("-R", "--recursive")
        self.server_side = flags.switch("--server-side")
        # Client-side apply (and create --save-config) sends the object with its own JSON in an
        # annotation: what the server then holds.
        self.annotate = (self.verb == "apply" and not self.server_side) or flags.switch("--save-config")

    def _run(self, stdin: bytes, cwd: Path) -> tuple[int, str]:
        objects = [
            doc for source in self.sources for doc in self._documents(source, stdin, cwd, recursive=self.recursive)
        ]
        if not objects:
            raise _Failed(f"error: no objects passed to {self.verb}")
        done: list[dict[str, Any]] = []
        errors: list[str] = []
        for doc in objects:
            try:
                done.append(self._send(doc))
            except _Failed as exc:
                errors.append(str(exc))
        if errors:
            raise _Failed("\n".join(errors))
        return 0, self._printed(done)

    def _send(self, doc: dict[str, Any]) -> dict[str, Any]:
        metadata = doc.setdefault("metadata", {})
        if not isinstance(metadata, dict):
            raise _Failed("error: metadata is not an object")
        declared = metadata.get("namespace")
        namespace: str | None = None
        if doc["kind"] not in _CLUSTER_KINDS:
            if self.namespace and declared and declared != self.namespace:
                raise _Failed(
                    f'error: the namespace from the provided object "{declared}" does not match the namespace '
                    f"\"{self.namespace}\". You must pass '--namespace={declared}' to perform this operation."
                )
            namespace = declared or self.namespace
            if namespace:
                metadata["namespace"] = namespace
        if self.verb == "apply" and not metadata.get("name"):
            generate = metadata.get("generateName")
            raise _Failed(
                f"error: from {generate}: cannot use generate name with apply"
                if generate
                else "error: resource name may not be empty"
            )
        if self.annotate:
            annotations = metadata.get("annotations") or {}
            annotations.pop(LAST_APPLIED, None)
            metadata["annotations"] = annotations
            if not annotations:
                del metadata["annotations"]
            metadata.setdefault("annotations", {})[LAST_APPLIED] = _go_json(doc)
        if self.dry_run:
            return doc
        return self.session.record(doc, namespace, f"kubectl {self.verb}", _plural(doc["kind"]))

    def _printed(self, objects: list[dict[str, Any]]) -> str:
        if self.output in ("json", "yaml"):
            return _dump(objects, self.output)
        path = _jsonpath(self.output)
        if path is not None:
            return "".join(str(_lookup(obj, path)) for obj in objects)
        suffix = {None: "", "client": " (dry run)", "server": " (server dry run)"}.get(self.dry_run, "")
        lines = []
        for obj in objects:
            name = f"{_resource(obj)}/{_name(obj)}"
            lines.append(name if self.output == "name" else f"{name} created{suffix}")
        return "\n".join(lines) + "\n"


_ARGO_VALUE_FLAGS = frozenset(
    {
        *("-n", "--namespace", "-o", "--output", "-p", "--parameter", "--entrypoint", "--serviceaccount"),
        *("--name", "--generate-name", "-l", "--labels", "--priority", "--kubeconfig", "--context", "--cluster"),
        *("--user", "-s", "--argo-server", "--argo-base-href", "--token", "-H", "--header", "--loglevel"),
        *("--gloglevel", "--as", "--as-group", "--request-timeout", "--instanceid", "--from", "-f"),
        *("--parameter-file", "--scheduled-time", "--node-field-selector"),
    }
)
_ARGO_HARMLESS = frozenset(
    {
        *("--kubeconfig", "--context", "--cluster", "--user", "-s", "--argo-server", "--argo-base-href"),
        *("--token", "-H", "--header", "--loglevel", "--gloglevel", "-k", "--insecure-skip-verify", "-e"),
        *("--argo-http1", "--secure", "--verbose", "-v", "--request-timeout", "--as", "--as-group", "--no-utf8"),
        # after the submission: follow it (the capture returns at once)
        *("-w", "--watch", "--wait", "--log", "--strict"),
    }
)
_ARGO_HANDLED = frozenset(
    {
        *("-n", "--namespace", "-o", "--output", "-p", "--parameter", "--entrypoint", "--serviceaccount"),
        *("--name", "--generate-name", "-l", "--labels", "--priority", "--dry-run", "--server-dry-run"),
    }
)


class ArgoSubmit(Command):
    """``argo submit FILE... | -`` with the options that change the workflow applied as argo does."""

    def __init__(self, session: Session, argv: list[str]) -> None:
        super().__init__(session, argv)
        flags = _parse_flags(session, self.shown, argv[1:], _ARGO_VALUE_FLAGS)
        if flags.positionals[:1] != ["submit"]:
            self._refuse("not a submission (it would have reached a cluster)")
        if "--from" in dict(flags.values):
            self._refuse("--from submits a stored template the capture cannot see")
        unknown = [name for name, _ in flags.values if name not in _ARGO_HARMLESS | _ARGO_HANDLED]
        if unknown:
            self._refuse(f"{unknown[0]} is not understood by capture")
        self.sources = flags.positionals[1:]
        urls = [source for source in self.sources if "://" in source]
        if urls:
            self._refuse(f"reading {urls[0]} would reach the network")
        self.reads_stdin = "-" in self.sources
        self.namespace = flags.last("-n", "--namespace")
        self.output = flags.last("-o", "--output") or ""
        if self.output not in ("", "name", "json", "yaml", "wide"):
            self._refuse(f"-o {self.output} is not understood by capture")
        self.dry_run = flags.switch("--dry-run", "--server-dry-run")
        self.flags = flags

    def _run(self, stdin: bytes, cwd: Path) -> tuple[int, str]:
        if not self.sources:
            raise _Failed("Error: requires at least 1 arg(s), only received 0")
        workflows = [doc for source in self.sources for doc in self._documents(source, stdin, cwd)]
        if not workflows:
            raise _Failed("no workflows to submit")
        done: list[dict[str, Any]] = []
        for index, workflow in enumerate(workflows, start=1):
            if workflow["kind"] != "Workflow":
                raise _Failed(f"document {index} is a {workflow['kind']}, not a Workflow")
            self._apply_options(workflow)
            namespace = workflow["metadata"].get("namespace") or self.namespace
            if namespace:
                workflow["metadata"]["namespace"] = namespace
            sent = workflow if self.dry_run else self.session.record(workflow, namespace, "argo submit", "workflows")
            done.append(sent)
        return 0, self._printed(done)

    def _apply_options(self, workflow: dict[str, Any]) -> None:
        """argo's ``util.ApplySubmitOpts``, for the options capture understands."""
        flags = self.flags
        metadata = workflow.setdefault("metadata", {})
        spec = workflow.setdefault("spec", {})
        if not isinstance(metadata, dict) or not isinstance(spec, dict):
            raise _Failed("metadata and spec must be objects")
        if entrypoint := flags.last("--entrypoint"):
            spec["entrypoint"] = entrypoint
        if account := flags.last("--serviceaccount"):
            spec["serviceAccountName"] = account
        if (priority := flags.last("--priority")) is not None:
            try:
                spec["priority"] = int(priority)
            except ValueError:
                raise _Failed(f'invalid argument "{priority}" for "--priority" flag') from None
        for labels in flags.all("-l", "--labels"):
            for pair in filter(None, labels.split(",")):
                key, eq, value = pair.partition("=")
                if not eq or not key:
                    raise _Failed(f"invalid label spec: {pair}")
                metadata.setdefault("labels", {})[key] = value
        passed = []
        for parameter in flags.all("-p", "--parameter"):
            key, eq, value = parameter.partition("=")
            if not eq:
                raise _Failed(f"expected parameter of the form: NAME=VALUE. Received: {parameter}")
            passed.append({"name": key, "value": value})
        if passed:
            # passed ones first, as given (a bare name and value), then the others unchanged
            arguments = spec.setdefault("arguments", {})
            names = {p["name"] for p in passed}
            kept = [
                p for p in arguments.get("parameters") or [] if not isinstance(p, dict) or p.get("name") not in names
            ]
            arguments["parameters"] = passed + kept
        if generate := flags.last("--generate-name"):
            metadata["generateName"] = generate
        if name := flags.last("--name"):
            metadata["name"] = name

    def _printed(self, workflows: list[dict[str, Any]]) -> str:
        if self.output in ("json", "yaml"):
            return _dump(workflows, self.output)
        if self.output == "name":
            return "".join(f"{_name(workflow)}\n" for workflow in workflows)
        blocks = []
        for workflow in workflows:
            lines = [f"Name:                {_name(workflow)}"]
            if namespace := workflow["metadata"].get("namespace"):
                lines.append(f"Namespace:           {namespace}")
            if account := workflow.get("spec", {}).get("serviceAccountName"):
                lines.append(f"ServiceAccount:      {account}")
            lines.append("Status:              Pending")
            blocks.append("\n".join(lines) + "\n")
        return "\n".join(blocks)


def command_for(session: Session, argv: list[str]) -> Command:
    """The command ``argv`` (kubectl or argo) stands for; refuses any other call of them."""
    return Kubectl(session, argv) if argv[0] == "kubectl" else ArgoSubmit(session, argv)


# --- small helpers -----------------------------------------------------------------------------


def _go_json(obj: Any) -> str:
    """JSON as Go's encoder writes it (kubectl's last-applied annotation): sorted keys, compact,
    HTML characters escaped, a newline at the end."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028")):
        text = text.replace(raw, escaped)
    return text.replace("\u2029", "\\u2029") + "\n"


def _plural(kind: str) -> str:
    lower = kind.lower()
    return f"{lower}es" if lower.endswith("s") else f"{lower}s"


def _resource(obj: dict[str, Any]) -> str:
    group = obj["apiVersion"].rpartition("/")[0]
    return f"{obj['kind'].lower()}.{group}" if group else obj["kind"].lower()


def _name(obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    return str(metadata.get("name") or metadata.get("generateName") or "")


def _dump(objects: list[dict[str, Any]], form: str) -> str:
    data: Any = objects[0] if len(objects) == 1 else {"apiVersion": "v1", "kind": "List", "items": objects}
    if form == "json":
        return json.dumps(data, indent=4) + "\n"
    return yaml.safe_dump(data, sort_keys=False)


def _jsonpath(output: str) -> list[str] | None:
    """``jsonpath={.metadata.name}``: the keys, for the plain dotted paths capture answers."""
    form, eq, template = output.partition("=")
    template = template.strip("'\"")
    if form != "jsonpath" or not eq or not (template.startswith("{.") and template.endswith("}")):
        return None
    keys = template[2:-1].split(".")
    return keys if all(key.replace("-", "").replace("_", "").isalnum() for key in keys) else None


def _lookup(obj: Any, keys: list[str]) -> Any:
    for key in keys:
        obj = obj.get(key, "") if isinstance(obj, dict) else ""
    return obj


# --- subprocess.Popen and os.system ------------------------------------------------------------


def popen_class(session: Session) -> type[subprocess.Popen[Any]]:
    """A ``subprocess.Popen`` that answers kubectl and argo commands and runs everything else."""

    class CapturingPopen(ORIGINAL_POPEN):  # type: ignore[type-arg]
        def __new__(cls, args: Any, *positional: Any, **options: Any) -> Any:
            bound = _POPEN_SIGNATURE.bind(None, args, *positional, **options)
            bound.apply_defaults()
            given = bound.arguments
            argv = tool_argv(session, args, shell=bool(given["shell"]), executable=given["executable"])
            if argv is None:
                return super().__new__(cls)
            # Not an instance of cls: Python does not call __init__, nothing is started.
            return AnsweredProcess(command_for(session, argv), args, given)

    CapturingPopen.__name__ = CapturingPopen.__qualname__ = "Popen"
    return CapturingPopen


def guard_execute_child(session: Session) -> Callable[..., Any]:
    """``Popen._execute_child`` refusing kubectl or argo that reached it anyway (a ``Popen`` bound
    with ``from subprocess import Popen`` before the capture started, or a shell line)."""

    def execute_child(popen: Any, args: Any, executable: Any, *rest: Any, **options: Any) -> Any:
        words = [os.fsdecode(arg) for arg in args] if isinstance(args, list | tuple) else [os.fsdecode(args)]
        line = words[2] if len(words) > 2 and os.path.basename(words[0]) in _SHELLS and words[1] == "-c" else None
        argv = tool_argv(session, line, shell=True) if line is not None else tool_argv(session, words, shell=False)
        if argv is not None:
            session.refuse(
                f"`{display(argv)}` was started through a subprocess.Popen bound before the capture began "
                "(`from subprocess import Popen`), so it cannot be answered; call it as subprocess.run or "
                "subprocess.Popen"
            )
        return _EXECUTE_CHILD(popen, args, executable, *rest, **options)

    return execute_child


def system_function(session: Session) -> Callable[[Any], int]:
    def system(command: Any) -> int:
        argv = tool_argv(session, command, shell=True)
        if argv is None:
            return ORIGINAL_SYSTEM(command)
        code, out, err = command_for(session, argv).run(b"", None)
        sys.stdout.flush()
        sys.stderr.flush()
        _write_fd(1, out)
        _write_fd(2, err)
        return code << 8  # a wait status, as os.system returns

    return system


def _write_fd(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


class _StdinBuffer(io.BytesIO):
    """The child's stdin: keeps what was written after it is closed."""

    written = b""

    def close(self) -> None:
        if not self.closed:
            self.written = self.getvalue()
        super().close()

    def data(self) -> bytes:
        return self.written if self.closed else self.getvalue()


class _OutputPipe(io.RawIOBase):
    """The child's stdout or stderr pipe: reading it waits for the command, as with a real one."""

    def __init__(self, process: AnsweredProcess, stream: int) -> None:
        super().__init__()
        self._process, self._stream = process, stream
        self._data: io.BytesIO | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._data is None:
            self._process.finish()
            self._data = io.BytesIO(self._process.output[self._stream])
        return self._data.readinto(buffer)


class AnsweredProcess(ORIGINAL_POPEN):  # type: ignore[type-arg]
    """A finished-on-demand stand-in for a kubectl or argo child process: nothing is started."""

    def __init__(self, command: Command, args: Any, given: dict[str, Any]) -> None:
        self.args = args
        self.pid = None  # type: ignore[assignment]  # no process: never a pid to signal
        self.returncode: int | None = None
        self._child_created = False  # Popen.__del__ has nothing to reap
        self._command = command
        self._cwd = os.fsdecode(given["cwd"]) if given["cwd"] is not None else None
        self.encoding, self.errors = given["encoding"], given["errors"]
        self.text_mode = bool(given["text"] or given["universal_newlines"] or self.encoding or self.errors)
        self._specs = (given["stdin"], given["stdout"], given["stderr"])
        self.output: tuple[bytes, bytes] = (b"", b"")
        self._stdin_buffer: _StdinBuffer | None = None
        self.stdin: IO[Any] | None = None
        self.stdout: IO[Any] | None = None
        self.stderr: IO[Any] | None = None
        if given["stdin"] == subprocess.PIPE:
            self._stdin_buffer = _StdinBuffer()
            self.stdin = self._wrap(self._stdin_buffer, write=True)
        if given["stdout"] == subprocess.PIPE:
            self.stdout = self._wrap(io.BufferedReader(_OutputPipe(self, 0)), write=False)
        if given["stderr"] == subprocess.PIPE:
            self.stderr = self._wrap(io.BufferedReader(_OutputPipe(self, 1)), write=False)

    def _wrap(self, stream: Any, *, write: bool) -> IO[Any]:
        if not self.text_mode:
            return stream  # type: ignore[no-any-return]
        return io.TextIOWrapper(stream, encoding=self._encoding(), errors=self.errors, write_through=write)

    def _encoding(self) -> str:
        return self.encoding or locale.getpreferredencoding(False)

    def finish(self, given_input: bytes | None = None) -> None:
        if self.returncode is not None:
            return
        if self.stdin is not None and not self.stdin.closed:
            self.stdin.flush()
        data = given_input if given_input is not None else self._read_stdin()
        code, out, err = self._command.run(data, self._cwd)
        if self._specs[2] == subprocess.STDOUT:
            out, err = out + err, b""
        self.output = (out, err)
        self.returncode = code
        self._deliver(self._specs[1], out, sys.stdout)
        self._deliver(self._specs[2], err, sys.stderr)

    def _read_stdin(self) -> bytes:
        spec = self._specs[0]
        if not self._command.reads_stdin:
            return b""
        if self._stdin_buffer is not None:
            return self._stdin_buffer.data()
        if isinstance(spec, int) and spec >= 0:
            return _read_fd(spec)
        if spec is not None and hasattr(spec, "fileno") and spec not in (subprocess.DEVNULL,):
            return _read_fd(spec.fileno())
        return b""

    def _deliver(self, spec: Any, data: bytes, default: IO[str]) -> None:
        if not data or spec in (subprocess.PIPE, subprocess.DEVNULL, subprocess.STDOUT):
            return
        if spec is None:
            default.write(data.decode(errors="replace"))
            default.flush()
        elif isinstance(spec, int):
            _write_fd(spec, data)
        else:
            spec.flush()
            _write_fd(spec.fileno(), data)

    def communicate(self, input: Any = None, timeout: float | None = None) -> tuple[Any, Any]:
        given = None
        if input is not None:
            given = input.encode(self._encoding(), self.errors or "strict") if isinstance(input, str) else bytes(input)
        self.finish(given)
        if self.stdin is not None:
            self.stdin.close()
        return self._piped(1, self.output[0]), self._piped(2, self.output[1])

    def _piped(self, index: int, data: bytes) -> Any:
        if self._specs[index] != subprocess.PIPE:
            return None
        return data.decode(self._encoding(), self.errors or "strict") if self.text_mode else data

    def poll(self) -> int | None:
        self.finish()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self.finish()
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        pass

    def terminate(self) -> None:
        pass

    def kill(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        for stream in (self.stdout, self.stderr, self.stdin):
            if stream is not None:
                stream.close()
        self.finish()


def _read_fd(fd: int) -> bytes:
    chunks = []
    with os.fdopen(os.dup(fd), "rb") as stream:
        while chunk := stream.read(65536):
            chunks.append(chunk)
    return b"".join(chunks)
