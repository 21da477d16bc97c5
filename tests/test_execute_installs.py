"""Which programs install packages, read from the typed nodes of the differ's shell parser.

One case per kind of node the reader walks (harness.execute.installs over
harness.normalize.shell.nodes): an install anywhere inside it is found, the same words as data
are not. The network tests (tests/test_execute_network.py) show what a pod gets from the answer.
"""

from __future__ import annotations

import pytest

from harness.execute.installs import installs_packages
from harness.spec.fields import SCRIPT_PATH

INSTALL = "pip install six"
SUBPROCESS = "import subprocess; subprocess.run(['pip', 'install', 'six'])"


@pytest.mark.parametrize(
    ("source", "installs"),
    [
        (f"if true; then {INSTALL}; fi", True),  # a compound command's body
        (f"f() {{ {INSTALL}; }}\nf", True),  # a function's body
        (f"! {INSTALL}", True),  # a pipeline with `!`
        (f"for p in six; do {INSTALL}; done", True),
        (f"x=$({INSTALL})", True),  # a command substitution in an assignment
        (f'echo "$({INSTALL})" > log', True),  # ... inside a quoted word
        (f"{INSTALL} 2>&1 | tee log", True),
        (f'python -c "{SUBPROCESS}"', True),  # python -c CODE: read as Python
        ("python -c \"print('pip install six')\"", False),
        (f"sh -c '{INSTALL}'", True),  # sh -c CODE: read as shell
        ("sh -c 'echo pip install six'", False),
        (f"cat <<'EOF' | python -\n{SUBPROCESS}\nEOF", True),  # a heredoc piped into python
        (f"cat <<'EOF' > f.sh\n{INSTALL}\nEOF", False),  # a file written, not run
        ("echo $PIP install six", False),
    ],
)
def test_an_install_anywhere_in_the_program_is_found(source: str, installs: bool) -> None:
    assert installs_packages(["bash", SCRIPT_PATH], source, []) is installs


def test_a_command_or_code_named_by_an_env_var() -> None:
    env = [("PIP", "pip"), ("CMD", INSTALL), ("CODE", SUBPROCESS)]
    assert installs_packages(["bash", SCRIPT_PATH], "$PIP install six", env)
    assert installs_packages(["bash", SCRIPT_PATH], 'eval "$CMD"', env)
    assert installs_packages(["bash", SCRIPT_PATH], 'python3 -c "$CODE"', env)
    assert not installs_packages(["bash", SCRIPT_PATH], 'echo "$CMD" "$CODE"', env)
