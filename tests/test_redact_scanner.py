"""Credentials without a telling name (a token in a script, a password in a URL, ``--password=``
in args) never reach a report, the console or stdout/stderr of executed jobs, while what is
not secret around them stays readable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.redact import (
    _DETECTORS,
    _EXCLUDED_DETECTORS,
    REDACTED,
    Redactor,
    _recognise_cached,
    recognise,
)

ROOT = Path(__file__).resolve().parent.parent
GITHUB_TOKEN = "ghp_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
DATABASE_URL = "postgres://app:Sup3rS3cret@db:5432/app"


def scrub(text: str) -> str:
    return Redactor().scrub_text(text)


# --- what the scanner recognises, and only the secret part goes ---------------------------------------


@pytest.mark.fault(
    group="secrets",
    case="`pkg @ https://user:s3cr3t@host/p.whl` in the dependencies",
    expected="the password redacted, package, user and host kept",
)
def test_a_direct_reference_keeps_package_user_and_host() -> None:
    line = "pip install --no-cache-dir 'pkg @ https://user:s3cr3t@pypi.example.com/p.whl' six"
    assert scrub(line) == f"pip install --no-cache-dir 'pkg @ https://user:{REDACTED}@pypi.example.com/p.whl' six"


@pytest.mark.fault(
    group="secrets",
    case="`--index-url https://user:pass@host/simple` in a requirements file",
    expected="the password redacted in every output",
)
def test_an_index_url_in_a_requirements_heredoc_loses_only_its_password() -> None:
    source = (
        "set -euo pipefail\ncat > /tmp/requirements.txt <<'REQUIREMENTS_EOF'\n"
        "--index-url https://user:pass@host/simple\nsix==1.16.0\nREQUIREMENTS_EOF\n"
        "pip install --no-cache-dir -r /tmp/requirements.txt\n"
    )
    assert scrub(source) == source.replace("user:pass@", f"user:{REDACTED}@")


@pytest.mark.fault(
    group="secrets",
    case="a DATABASE_URL value holding a password",
    expected="the password redacted, the URL otherwise readable",
)
def test_a_password_in_a_url_under_an_innocent_name() -> None:
    assert scrub(DATABASE_URL) == f"postgres://app:{REDACTED}@db:5432/app"
    assert scrub(f"connecting to {DATABASE_URL}\n") == f"connecting to postgres://app:{REDACTED}@db:5432/app\n"


@pytest.mark.fault(
    group="secrets",
    case='`TOKEN="ghp_..."` inside python_code',
    expected="the token redacted (secret scanner), the program kept",
)
def test_a_github_token_in_python_code_and_the_rest_of_the_program_stays() -> None:
    code = f'import os\nTOKEN = "{GITHUB_TOKEN}"\nprint("ready")\n'
    assert scrub(code) == f'import os\nTOKEN = "{REDACTED}"\nprint("ready")\n'


@pytest.mark.fault(
    group="secrets",
    case="credentials in container args (`--password=...`, URL userinfo)",
    expected="the credential redacted",
)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("--password=hunter2-args", f"--password={REDACTED}"),
        ("mysql --user=app --password=hunter2 --host=db", f"mysql --user=app --password={REDACTED} --host=db"),
        ("PGPASSWORD=Sup3rS3cret psql -h db", f"PGPASSWORD={REDACTED} psql -h db"),
        ('db_password = "correct horse battery"', f'db_password = "{REDACTED}"'),
        (
            "--index-url=https://ci:Args-Pa55@args.example.com/simple",
            f"--index-url=https://ci:{REDACTED}@args.example.com/simple",
        ),
    ],
)
def test_credentials_in_container_args(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "secret",
    [
        "AKIAIOSFODNN7EXAMPLE",  # AWS access key id
        "xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx",  # Slack
        "sk_live_" + "abcdefghijklmnopqrstuvwx",  # Stripe
        "glpat-" + "abcdefghijklmnopqrst1234",  # GitLab
        # a JWT, signature included (detect-secrets' own match stops before it)
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
)
def test_known_token_formats_go_wherever_they_stand(secret: str) -> None:
    assert scrub(f"Authorization: Bearer {secret} end") == f"Authorization: Bearer {REDACTED} end"


def test_a_private_key_body_goes_and_its_markers_stay() -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1c2\nqQ3r9Xk=\n-----END RSA PRIVATE KEY-----"
    assert scrub(f"cat > id_rsa <<EOF\n{key}\nEOF\n") == (
        f"cat > id_rsa <<EOF\n-----BEGIN RSA PRIVATE KEY-----\n{REDACTED}\n-----END RSA PRIVATE KEY-----\nEOF\n"
    )


# --- what it leaves alone -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # the high-entropy detectors are off: digests, hashes, uuids and generated names stay
        "python@sha256:" + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "six==1.16.0 --hash=sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926",
        "run-id 3f2504e0-4f89-11d3-9a0c-0305e82c3301 on python-job-x7k2p",
        "CONFIG=dGhpcyBpcyBub3QgYSBzZWNyZXQgYXQgYWxs",
        "8.8.8.8 and 2001:4860:4860::8888",
        # references and placeholders are not values
        "https://user:${PASSWORD}@host/simple",
        "https://user:{{inputs.parameters.password}}@host/simple",
        "PASSWORD=$DB_PASSWORD psql",
        'password = os.environ["DB_PASSWORD"]',
        "secret = get_secret()",
        "def login(password: str, user: str) -> None:",
        "if password == confirm:",
        # a URL without a password, report prose
        "git clone ssh://git@github.com/org/repo.git and https://pypi.org/simple",
        "3 scenarios passed; the gate asks for 2 secretKeyRef checks",
    ],
)
def test_what_is_not_a_credential_stays(text: str) -> None:
    assert scrub(text) == text


def test_every_detector_detect_secrets_ships_is_used_or_deliberately_excluded() -> None:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    shipped = {cls.__name__ for cls in get_mapping_from_secret_type_to_class().values()}
    used = {name for _, name, _ in _DETECTORS}
    assert not used & set(_EXCLUDED_DETECTORS)
    assert shipped == used | set(_EXCLUDED_DETECTORS), "a new detector: use it in _DETECTORS or exclude it"


# --- learning: a recognised value goes everywhere else too ----------------------------------------------


def test_a_recognised_value_is_learned_and_scrubbed_from_other_strings_in_any_order() -> None:
    document = {
        "stdout": "password is Sup3rS3cret\n",  # bare, before the string that betrays it
        "env": {"DATABASE_URL": DATABASE_URL},
        "message": f"uses {GITHUB_TOKEN[:20]}... and {GITHUB_TOKEN}",
    }
    scrubbed = Redactor().scrub_strings(document)
    assert "Sup3rS3cret" not in json.dumps(scrubbed)
    assert scrubbed["stdout"] == f"password is {REDACTED}\n"
    assert GITHUB_TOKEN not in scrubbed["message"]


def test_learn_from_inputs_and_manifests_scrubs_a_failure_text_later() -> None:
    redactor = Redactor()
    redactor.learn_from({"python_code": f'TOKEN = "{GITHUB_TOKEN}"', "dependencies": "pkg @ https://u:s3cr3t@h/p.whl"})
    assert redactor.scrub_text("stdout: s3cr3t / " + GITHUB_TOKEN) == f"stdout: {REDACTED} / {REDACTED}"


def test_a_short_or_word_like_find_is_scrubbed_only_where_it_was_found() -> None:
    # "pass" in the URL must not take "passed" out of every report line
    scrubbed = Redactor().scrub_strings(
        {"source": "--index-url https://user:pass@host/simple", "summary": "14 passed, pass rate 100%"}
    )
    assert scrubbed == {
        "source": f"--index-url https://user:{REDACTED}@host/simple",
        "summary": "14 passed, pass rate 100%",
    }


# --- cost: one scan per distinct string ---------------------------------------------------------------


def test_each_distinct_string_is_scanned_once_and_short_ones_not_at_all() -> None:
    _recognise_cached.cache_clear()
    script = "set -euo pipefail\npip install 'pkg @ https://user:s3cr3t@pypi.example.com/p.whl' six\n"
    document = {"scenarios": [{"name": f"s{i}", "status": "ok", "source": script} for i in range(500)]}
    for _ in range(2):  # two redactors, as a run's report and its console summary
        scrubbed = Redactor().scrub_strings(document)
        assert all(s["source"] == script.replace("s3cr3t", REDACTED) for s in scrubbed["scenarios"])
    info = _recognise_cached.cache_info()
    # the script, and its redacted form once (the pass after learning s3cr3t); "s0", "ok": too
    # short to hold a credential, never scanned
    assert info.misses == 2
    assert info.maxsize is not None  # bounded
    assert recognise("pwd=ab") == ()


# --- end to end: parity run, every format, stdout and stderr --------------------------------------------


def leaky_build(inputs: dict[str, Any]) -> dict[str, Any]:
    """The reference Hera build, changed so that every credential sits in a reported difference:
    the database port, the script, the program, and two more container args."""
    from harness.builders import hera

    manifest: dict[str, Any] = hera.build(inputs)
    for template in manifest["spec"]["templates"]:
        body = template.get("script") or template.get("container") or {}
        for env in body.get("env", []):
            if env["name"] == "DATABASE_URL":
                env["value"] = env["value"].replace(":5432/", ":6432/")
            elif env["name"] == "PYTHON_CODE":
                env["value"] += "\n# rebuilt\n"
        if "source" in body:
            body["source"] += "# rebuilt\n"
        if "args" in body:
            body["args"] = [
                *body["args"],
                "--password=Hunter2-Args",
                "--index-url=https://ci:Args-Pa55@args.example.com/s",
            ]
    return manifest


SECRETS = ("s3cr3t", "reader:pass@", GITHUB_TOKEN, "Sup3rS3cret", "Hunter2-Args", "Args-Pa55")
INPUTS = {
    "python_code": f'TOKEN = "{GITHUB_TOKEN}"\nprint("token set:", bool(TOKEN))\n',
    "dependencies": "pkg @ https://user:s3cr3t@pypi.example.com/p.whl, six",
    "requirements_file": "--index-url https://reader:pass@index.example.com/simple\nsix==1.16.0\n",
    "env": {"DATABASE_URL": DATABASE_URL, "REGION": "eu-west-1"},
}


def parity_run(
    tmp_path: Path, scenarios: list[dict[str, Any]], *args: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "credentials.yaml").write_text(yaml.safe_dump(scenarios, sort_keys=False))
    report_dir = tmp_path / "reports"
    proc = subprocess.run(
        [
            *(sys.executable, "-c", "from harness.cli import main; main()", "run", "--no-progress"),
            *("--scenarios", str(folder), "--report-dir", str(report_dir), "--new", f"{__name__}:leaky_build"),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the planted differences: NOT READY
    return proc, report_dir


def outputs(proc: subprocess.CompletedProcess[str], report_dir: Path) -> dict[str, str]:
    texts = {name: (report_dir / name).read_text() for name in ("parity-report.json", "parity-report.md")}
    texts |= {name: (report_dir / name).read_text() for name in ("parity-report.html", "junit.xml")}
    return {**texts, "stdout": proc.stdout, "stderr": proc.stderr}


@pytest.mark.fault(
    group="secrets",
    case="every credential above, end to end through parity run",
    expected="absent from json, md, html, junit, stdout and stderr",
)
def test_credentials_reach_no_report_format_and_no_console(tmp_path: Path) -> None:
    scenarios = [
        {"name": "creds-script", "kind": "dependencies", "inputs": INPUTS},
        {"name": "creds-container", "kind": "container", "inputs": {**INPUTS, "template": "container"}},
    ]
    proc, report_dir = parity_run(tmp_path, scenarios)
    texts = outputs(proc, report_dir)
    for name, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, (name, secret)
    report = texts["parity-report.json"]
    for context in (
        f"pkg @ https://user:{REDACTED}@pypi.example.com/p.whl",
        f"--index-url https://reader:{REDACTED}@index.example.com/simple",
        f'TOKEN = \\"{REDACTED}\\"',
        f"postgres://app:{REDACTED}@db:5432/app",
        f"postgres://app:{REDACTED}@db:6432/app",
        f"--password={REDACTED}",
        f"--index-url=https://ci:{REDACTED}@args.example.com/s",
        "eu-west-1",
    ):
        assert context in report, context
    # the differences are shown in every human format, with their readable context
    for name in ("parity-report.md", "parity-report.html", "junit.xml"):
        assert "db:6432" in texts[name] or "DATABASE_URL" in texts[name], name
    assert "creds-container" in texts["stdout"]
    document = json.loads(report)
    changed = {d["path"]: d for s in document["scenarios"] for d in s["differences"]}
    url_change = next(d for path, d in changed.items() if path.endswith("env[DATABASE_URL].value"))
    assert (url_change["left"], url_change["right"]) == (
        f"postgres://app:{REDACTED}@db:5432/app",
        f"postgres://app:{REDACTED}@db:6432/app",
    )


@pytest.mark.fault(
    group="secrets",
    case="a job prints a DATABASE_URL and a token to stderr/stdout under --execute local",
    expected="absent from every report and the console",
)
def test_credentials_printed_by_an_executed_job_never_reach_a_report(tmp_path: Path) -> None:
    from harness.execute import get_executor
    from tests.requirements import LOCAL_EXECUTOR

    LOCAL_EXECUTOR.require(get_executor("local").unavailable_reason())
    code = (
        "import os, sys\n"
        'url = os.environ["DATABASE_URL"]\n'
        'print("connecting to", url, file=sys.stderr)\n'
        'print("password is", url.split(":")[2].split("@")[0])\n'
        f'print("token {GITHUB_TOKEN}")\n'
    )
    scenario = {
        "name": "prints-credentials",
        "kind": "env",
        "inputs": {"python_code": code, "env": {"DATABASE_URL": DATABASE_URL}},
        "expect": {"execution": {"exit_code": 0}},
    }
    proc, report_dir = parity_run(tmp_path, [scenario], "--execute", "local")
    texts = outputs(proc, report_dir)
    for name, text in texts.items():
        for secret in ("Sup3rS3cret", GITHUB_TOKEN):
            assert secret not in text, (name, secret)
    document = json.loads(texts["parity-report.json"])
    (executed,) = document["scenarios"]
    legacy = executed["execution"]["legacy"]
    assert legacy["stderr"]["text"] == f"connecting to postgres://app:{REDACTED}@db:5432/app\n"
    assert legacy["stdout"]["text"] == f"password is {REDACTED}\ntoken {REDACTED}\n"
    # the new side connects to another port: its stderr differs and is shown, redacted
    assert executed["execution"]["status"] == "different"
    assert "db:6432" in texts["parity-report.json"]
