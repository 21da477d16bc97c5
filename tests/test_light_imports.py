"""The rollout config, the gates and the report document load only what they need.

Reading ``rollout.yaml``, judging evidence and turning a run's result into the report document
are plain data work: none of it may pull in the bash parser (harness.normalize.shell and
bashlex), the reference builders' libraries (hera, kubernetes) or the engine. Each import runs in
a fresh interpreter, so what another test imported cannot hide a dependency.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# What none of the light modules may load: the bash parser, the builders' libraries, the engine.
HEAVY = ("harness.normalize.shell", "bashlex", "hera", "kubernetes", "harness.engine")

LIGHT_MODULES = (
    "harness.rollout.config",
    "harness.rollout",
    "harness.rollout.gates",
    "harness.report.document",
    "harness.run_result",
)


def loaded_by(module: str) -> set[str]:
    code = f"import json, sys\nimport {module}\nprint(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    return set(json.loads(completed.stdout))


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_a_light_module_loads_neither_the_bash_parser_nor_the_builders_libraries(module: str) -> None:
    loaded = loaded_by(module)
    heavy = sorted(name for name in loaded if any(name == h or name.startswith(h + ".") for h in HEAVY))
    assert heavy == [], f"import {module} loads {heavy}"
