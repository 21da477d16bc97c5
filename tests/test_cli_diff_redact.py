"""`parity diff` redacts exactly as the reports do: learned from both manifests, scrubbed from
each difference's left, right and message and from every printed line, in every format."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from harness.cli import cli
from harness.redact import REDACTED

REPO = Path(__file__).resolve().parents[1]
GITHUB_TOKEN = "ghp_" + "zYxWvUtSrQpOnMlKjIhGfEdCbA9876543210"


def manifest(password: str, port: int, token: str, arg_password: str, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "job-", "namespace": "argo"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "container": {
                        "image": "python:3.11-slim",
                        "command": ["bash", "-c"],
                        "args": [
                            f"--password={arg_password}",
                            "--index-url",
                            f"https://reader:{arg_password}@index.example.com/simple",
                        ],
                        "env": [
                            {"name": "DB_PASSWORD", "value": password},
                            {"name": "DATABASE_URL", "value": f"postgres://app:Sup3rS3cret@db:{port}/app"},
                            {"name": "PYTHON_CODE", "value": f'TOKEN = "{token}"\nprint("port {port}")\n'},
                            {"name": "CONFIG", **config},
                            {"name": "REGION", "value": f"eu-west-{port % 10}"},
                        ],
                    },
                }
            ],
        },
    }


LEFT = manifest(
    "hunter2",
    5432,
    GITHUB_TOKEN,
    "Args-Pa55-left",
    {"valueFrom": {"secretKeyRef": {"name": "app-config", "key": "config"}}},
)
# the other builder inlines the Secret under the innocent name CONFIG: learned from the left's
# secretKeyRef, as the reports learn it
RIGHT = manifest("hunter3", 5433, GITHUB_TOKEN[:-1] + "X", "Args-Pa55-right", {"value": "inlined-config-value-42"})
SECRETS = (
    "hunter2",
    "hunter3",
    "Sup3rS3cret",
    GITHUB_TOKEN,
    GITHUB_TOKEN[:-1] + "X",
    "Args-Pa55-left",
    "Args-Pa55-right",
    "inlined-config-value-42",
)


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    left, right = tmp_path / "left.yaml", tmp_path / "right.yaml"
    left.write_text(yaml.safe_dump(LEFT))
    right.write_text(yaml.safe_dump(RIGHT))
    return str(left), str(right)


def diff(*args: str) -> Result:
    return CliRunner().invoke(cli, ["diff", *args])


@pytest.mark.fault(
    group="secrets",
    case="parity diff on `DB_PASSWORD: hunter2` against `hunter3`",
    expected="redacted in text, json and github formats",
)
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_no_secret_is_printed_in_any_format(files: tuple[str, str], fmt: str) -> None:
    result = diff(*files, "--format", fmt, "--show-cosmetic")
    assert result.exit_code == 1, result.output
    printed = result.stdout + result.stderr
    for secret in SECRETS:
        assert secret not in printed, (fmt, secret)
    # what is not secret stays, so the difference is still readable
    for context in (
        "DB_PASSWORD",
        f"postgres://app:{REDACTED}@db:5433/app",
        f"https://reader:{REDACTED}@index.example.com/simple",
        f"--password={REDACTED}",
        "eu-west-3",
    ):
        assert context in printed, (fmt, context)


def test_json_differences_are_redacted_like_the_report(files: tuple[str, str]) -> None:
    result = diff(*files, "--format", "json")
    differences = {d["path"]: d for d in json.loads(result.stdout)["differences"]}
    password = differences["spec.templates[main].container.env[DB_PASSWORD].value"]
    assert (password["left"], password["right"]) == (REDACTED, REDACTED)
    assert password["message"].endswith(f"env DB_PASSWORD: {REDACTED} -> {REDACTED}")
    url = differences["spec.templates[main].container.env[DATABASE_URL].value"]
    assert (url["left"], url["right"]) == (
        f"postgres://app:{REDACTED}@db:5432/app",
        f"postgres://app:{REDACTED}@db:5433/app",
    )
    code = differences["spec.templates[main].container.env[PYTHON_CODE].value"]
    assert code["left"] == f'TOKEN = "{REDACTED}"\nprint("port 5432")\n'


def test_stdin_is_redacted_too(files: tuple[str, str]) -> None:
    left, right = files
    result = CliRunner().invoke(cli, ["diff", left, "-"], input=Path(right).read_text())
    assert result.exit_code == 1
    assert not [secret for secret in SECRETS if secret in result.output]


_PROBE = """
import sys
from harness.cli import main
try:
    main(["diff", sys.argv[1], sys.argv[2]])
except SystemExit as exc:
    code = exc.code
print("SCANNER=" + str("detect_secrets" in sys.modules), "EXIT=" + str(code), file=sys.stderr)
"""


def probe(left: str, right: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, left, right],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    lines = [line for line in proc.stderr.splitlines() if line.startswith("SCANNER=")]
    assert lines, proc.stderr[-2000:]
    return lines[0]


def test_equivalent_manifests_print_nothing_to_redact_and_skip_the_scanner(tmp_path: Path) -> None:
    # detect-secrets pulls in `requests`: `parity diff` of equivalent manifests stays fast
    same = tmp_path / "same.yaml"
    reordered = copy.deepcopy(LEFT)
    reordered["metadata"] = {"namespace": "argo", "generateName": "job-"}
    same.write_text(yaml.safe_dump(reordered))
    left = tmp_path / "left.yaml"
    left.write_text(yaml.safe_dump(LEFT))
    assert probe(str(left), str(same)) == "SCANNER=False EXIT=0"
    right = tmp_path / "right.yaml"
    right.write_text(yaml.safe_dump(RIGHT))
    assert probe(str(left), str(right)) == "SCANNER=True EXIT=1"


def container_args(*args: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "job-", "namespace": "argo"},
        "spec": {
            "entrypoint": "main",
            "templates": [{"name": "main", "container": {"image": "curlimages/curl:8.5.0", "args": list(args)}}],
        },
    }


@pytest.mark.fault(
    group="secrets",
    case="credentials as separate arguments: `--password X`, `--token X`, `-u user:X`, a Bearer header",
    expected="every value redacted by parity diff, in text and json; the options stay readable",
)
def test_credentials_given_as_separate_arguments_are_redacted(tmp_path: Path) -> None:
    secrets = ("Hunter2isMyPass1", "f3a9c2d1e0b4a5968778695a4b3c2d1e0f9a8b7c", "Ks8dLp29xQ", "Zx1cV8bnM2")
    left = container_args("--password", "Hunter2isMyPass0", "-u", "admin:Ks8dLp29xP", "https://x")
    right = container_args(
        "--password", secrets[0], "--token", secrets[1], "-u", f"admin:{secrets[2]}",
        "-H", f"Authorization: Bearer {secrets[3]}", "https://x",
    )  # fmt: skip
    for name, data in (("a.yaml", left), ("b.yaml", right)):
        (tmp_path / name).write_text(yaml.safe_dump(data))
    for fmt in ("text", "json"):
        result = CliRunner().invoke(cli, ["diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--format", fmt])
        assert result.exit_code == 1, result.output
        assert "--password" in result.output and "admin:" in result.output
        for secret in (*secrets, "Hunter2isMyPass0", "Ks8dLp29xP"):
            assert secret not in result.output, (fmt, secret)
