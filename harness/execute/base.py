"""The interface every executor implements (``local``, ``docker``, ``cluster``), and the defaults
they share so that their runs compare."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Protocol, runtime_checkable

from harness.execute.result import WorkflowRun

# A workflow's deadline when it sets no activeDeadlineSeconds (every executor's default_deadline_s).
DEFAULT_DEADLINE_S: Final = 600.0

# Argo names a generated workflow `generateName` + 5 random characters. A fixed suffix keeps the
# legacy and new runs (and the two legacy runs) comparable; it is never a real workflow's name.
GENERATED_NAME_SUFFIX: Final = "local"


@runtime_checkable
class Executor(Protocol):
    """Runs one Workflow manifest and reports what it did.

    ``unavailable_reason()`` is None when the executor can run on this machine, otherwise one line
    saying what is missing and how to get it; callers check it first and record the phase as
    inconclusive rather than calling ``run``. ``run`` never raises for anything the workflow does
    (a failing program is a ``Failed`` phase, a feature it cannot run is listed in
    ``unsupported``); ``secrets`` maps ``"secret-name/key"`` to the value an env var from that
    ``secretKeyRef`` gets, and a reference missing from it gets a deterministic fake value.
    Executors are immutable and safe to use from several threads and processes at once.
    """

    @property
    def name(self) -> str:
        """ "local", "docker", "cluster": the name ``--execute`` takes."""

    def unavailable_reason(self) -> str | None: ...

    def run(
        self, manifest: Mapping[str, Any], *, label: str, secrets: Mapping[str, str] | None = None
    ) -> WorkflowRun: ...
