"""The saved ``parity fuzz --report`` file: written by the search, read back as rollout evidence.

A canary gate counts clean fuzz examples. A report counts only for the builders it fuzzed: it
names each builder reference with a sha256 of that builder's source
(:class:`~harness.builders.isolation.BuilderSource`), and the harness compares both with the
builders of the run before any scenario runs. A report about other builders, or about an older
version of these, is no evidence; a file that is not a fuzz report at all (hand-typed, truncated,
``"failures": "x"``) is bad input, found before the run starts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.builders.isolation import BuilderSource
from harness.errors import ParityInputError

# The version of the saved fuzz report (`parity fuzz --report`), not of the parity report.
FUZZ_REPORT_SCHEMA_VERSION = 2
FUZZ_REPORT_KIND = "parity-fuzz"


class _Lenient(BaseModel):
    # The report carries more than the gate reads (rounds, timings, failures' details).
    model_config = ConfigDict(extra="ignore", frozen=True)


class SavedSource(_Lenient):
    reference: str
    files: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class SavedBuilders(_Lenient):
    legacy: SavedSource
    new: SavedSource


class SavedFuzzReport(_Lenient):
    """The fields of a saved report that rollout evidence depends on."""

    schema_version: Literal[2]
    kind: Literal["parity-fuzz"]
    builders: SavedBuilders
    examples: int = Field(ge=0)
    clean_examples: int = Field(ge=0)
    failures: list[dict[str, Any]]

    def mismatch(self, sources: Mapping[str, BuilderSource]) -> str | None:
        """Why this report is not evidence about ``sources`` (the run's builders); None if it is."""
        for side in ("legacy", "new"):
            saved: SavedSource = getattr(self.builders, side)
            current = sources.get(side)
            if current is None:
                return f"the run has no {side} builder"
            if saved.reference != current.reference:
                return f"it fuzzed {side} builder {saved.reference}, this run's is {current.reference}"
            if saved.sha256 != current.sha256:
                return f"the {side} builder's source ({current.reference}) changed since it was fuzzed"
        return None


def load_saved_report(path: Path, *, option: str = "--fuzz-report") -> SavedFuzzReport:
    """Read and validate a saved report; a ParityInputError naming the file and field otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParityInputError("fuzz report not found", file=str(path), field=option) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParityInputError(f"not a `parity fuzz --report` file: {exc}", file=str(path), field=option) from None
    if (
        isinstance(data, dict)
        and data.get("kind") == FUZZ_REPORT_KIND
        and data.get("schema_version") != FUZZ_REPORT_SCHEMA_VERSION
    ):
        raise ParityInputError(
            f"fuzz report schema {data.get('schema_version')!r} is not {FUZZ_REPORT_SCHEMA_VERSION}: "
            "run `parity fuzz --report` again",
            file=str(path),
        )
    try:
        return SavedFuzzReport.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        message = "required field is missing" if error["type"] == "missing" else error["msg"]
        raise ParityInputError(f"not a `parity fuzz --report` file ({message})", file=str(path), field=field) from None
