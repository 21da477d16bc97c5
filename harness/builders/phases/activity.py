"""The phases' activities: the backend code each phase runs, which the migration does not touch.

The multi-phase migration moves the *orchestration* (a hard-coded dependency table becomes a
workflow definition); what each phase does stays the backend's code. Both builders therefore run
this one program in every phase's script template, and read the same data-input table: what the
harness compares is the order the two workflows impose, and whether that order still delivers each
phase the records it reads.

Each phase's activity writes one record to the results volume (``/mnt/results/phases/<task>.json``):
the phase, the report it worked on, its activities, and the ``output`` of every earlier record it
read. Records hold no timestamp, host name or random value, so two runs of the same order compare
byte for byte, and a phase that read a different (or no) record shows in its own record and in
every record downstream of it.

Data inputs are declared apart from ordering (:data:`DATA_INPUTS`): Data Provider ID reads the
Scoping record, never the Sample Selection one, so running the two in parallel (the definition's
parallel branches) leaves every record as the legacy chain writes it, while Testing running
before Request Info (a definition that drops that ordering) cannot find the record it reads and
fails, saying so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Where the records go: the job's existing results claim, mounted as the python job mounts it.
RESULTS_VOLUME = "task-results"
RESULTS_CLAIM = "task-results-pvc"
RESULTS_MOUNT = "/mnt/results"
RECORDS_DIR = f"{RESULTS_MOUNT}/phases"
IMAGE = "python:3.11-slim"
# A script template's program is run as `command + [the staged source]`.
COMMAND = ("python",)

# Which earlier records each phase's activity reads, by task name (what the code needs, not the
# order the workflow runs the phases in).
DATA_INPUTS: Mapping[str, tuple[str, ...]] = {
    "planning": (),
    "scoping": ("planning",),
    "sample-selection": ("scoping",),
    "data-provider-id": ("scoping",),
    "request-info": ("sample-selection", "data-provider-id"),
    "testing": ("request-info", "sample-selection"),
    "observations": ("testing",),
}

# The env a phase's activity reads (the program below), in this order on both sides.
ENV_PHASE = "PHASE"
ENV_REPORT_TYPE = "REPORT_TYPE"
ENV_REPORT_ID = "REPORT_ID"
ENV_CYCLE_ID = "CYCLE_ID"
ENV_READS = "READS"
ENV_ACTIVITIES = "ACTIVITIES"
ENV_RECORDS_DIR = "RECORDS_DIR"

# Exit code of an activity whose input record is missing (a phase ran before one it reads from).
MISSING_INPUT_EXIT = 3

ACTIVITY_PROGRAM = f'''\
import hashlib
import json
import os
import sys

phase = os.environ["{ENV_PHASE}"]
records = os.environ["{ENV_RECORDS_DIR}"]
read = {{}}
for name in filter(None, os.environ["{ENV_READS}"].split(",")):
    path = os.path.join(records, name + ".json")
    if not os.path.isfile(path):
        print(f"{{phase}}: the {{name}} record is missing: {{phase}} started before {{name}} finished", file=sys.stderr)
        sys.exit({MISSING_INPUT_EXIT})
    with open(path, encoding="utf-8") as handle:
        read[name] = json.load(handle)["output"]
record = {{
    "phase": phase,
    "report": {{
        "type": os.environ["{ENV_REPORT_TYPE}"],
        "id": int(os.environ["{ENV_REPORT_ID}"]),
        "cycle": int(os.environ["{ENV_CYCLE_ID}"]),
    }},
    "activities": list(filter(None, os.environ["{ENV_ACTIVITIES}"].split(","))),
    "read": read,
}}
record["output"] = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]
os.makedirs(records, exist_ok=True)
target = os.path.join(records, phase + ".json")
with open(target + ".partial", "w", encoding="utf-8") as handle:
    handle.write(json.dumps(record, sort_keys=True, separators=(",", ":")) + "\\n")
os.replace(target + ".partial", target)
print(f"{{phase}}: read {{', '.join(read) or 'nothing'}}; output {{record['output']}}")
'''

_NOT_NAME = re.compile(r"[^a-z0-9]+")


def task_name(label: str) -> str:
    """A phase's task and template name: ``"Data Provider ID"`` and ``data_provider_id`` both give
    ``data-provider-id`` (Argo names tasks with letters, digits and dashes)."""
    return _NOT_NAME.sub("-", label.lower()).strip("-")


def record_path(task: str) -> str:
    """Where the activity of ``task`` leaves its record."""
    return f"{RECORDS_DIR}/{task}.json"
