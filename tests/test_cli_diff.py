"""`parity diff LEFT RIGHT`: exit codes, output formats, options, bad input, start-up imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.cli import cli
from harness.diff.render import _escape_data, _escape_property

FIXTURES = Path(__file__).parent / "fixtures" / "diff"
REPO = Path(__file__).resolve().parents[1]
JOB = str(FIXTURES / "job.yaml")


def run(*args: str, stdin: str | bytes | None = None, color: bool = False) -> Result:
    return CliRunner().invoke(cli, ["diff", *args], input=stdin, color=color)


def changed_job(tmp_path: Path, edit: str = "image", name: str = "changed.yaml") -> Path:
    doc = yaml.safe_load((FIXTURES / "job.yaml").read_text())
    script = doc["spec"]["templates"][0]["script"]
    if edit == "image":
        script["image"] = "python:3.12-slim"
    elif edit == "label":
        doc["metadata"]["labels"]["team"] = "platform"
    elif edit == "percent":
        script["env"][1]["value"] = "100%\r\nnext"
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return path


# --- exit codes and formats --------------------------------------------------------------------------


def test_equivalent_manifests_exit_0() -> None:
    result = run(JOB, str(FIXTURES / "job-reformatted.yaml"))
    assert result.exit_code == 0, result.output
    assert "equivalent" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes


def test_live_object_from_kubectl_is_equivalent_to_the_built_manifest() -> None:
    assert run(JOB, str(FIXTURES / "job-live.yaml")).exit_code == 0


def test_semantic_difference_exits_1_with_path_rule_and_message(tmp_path: Path) -> None:
    result = run(JOB, str(changed_job(tmp_path)))
    assert result.exit_code == 1
    assert "spec.templates[main].script.image" in result.stdout
    assert "[value-change]" in result.stdout
    assert "python:3.11-slim -> python:3.12-slim" in result.stdout


def test_metadata_difference_is_shown_but_exits_0(tmp_path: Path) -> None:
    result = run(JOB, str(changed_job(tmp_path, "label")), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["equivalent"] is True
    assert [(d["path"], d["category"]) for d in data["differences"]] == [("metadata.labels.team", "metadata")]


def test_json_output_has_exactly_the_product_shape(tmp_path: Path) -> None:
    result = run(JOB, str(changed_job(tmp_path)), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert set(data) == {"equivalent", "differences"}
    assert data["equivalent"] is False
    (diff,) = data["differences"]
    assert diff == {
        "path": "spec.templates[main].script.image",
        "category": "semantic",
        "rule": "value-change",
        "left": "python:3.11-slim",
        "right": "python:3.12-slim",
        "message": diff["message"],
    }
    assert diff["message"].startswith("the container runs a different image in template main")


def test_text_output_is_coloured_on_a_terminal(tmp_path: Path) -> None:
    result = run(JOB, str(changed_job(tmp_path)), color=True)
    assert result.exit_code == 1
    assert "\x1b[31m" in result.stdout  # semantic in red


def test_github_output_is_workflow_commands(tmp_path: Path) -> None:
    right = changed_job(tmp_path)
    result = run(JOB, str(right), "--format", "github")
    assert result.exit_code == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"::error file={right},title=parity semantic%3A spec.templates[main].script.image::")
    assert first.endswith("[rule value-change]")
    metadata = run(JOB, str(changed_job(tmp_path, "label", "label.yaml")), "--format", "github")
    assert metadata.stdout.startswith("::warning ")


def test_github_output_escapes_percent_and_newlines(tmp_path: Path) -> None:
    result = run(JOB, str(changed_job(tmp_path, "percent")), "--format", "github")
    line = result.stdout.splitlines()[0]
    assert "100%25" in line and "%" not in line.replace("%25", "").replace("%3A", "").replace("%2C", "")
    assert _escape_data("a%b\r\nc") == "a%25b%0D%0Ac"
    assert _escape_property("x: y, z\n") == "x%3A y%2C z%0A"


def test_stdin_as_one_side() -> None:
    text = (FIXTURES / "job-reformatted.yaml").read_text()
    assert run(JOB, "-", stdin=text).exit_code == 0
    assert run("-", JOB, stdin=text).exit_code == 0


def test_multi_document_files_match_by_kind_and_name(tmp_path: Path) -> None:
    assert run(str(FIXTURES / "multi.yaml"), str(FIXTURES / "multi-reordered.yaml")).exit_code == 0
    only_template = tmp_path / "one.yaml"
    only_template.write_text((FIXTURES / "multi.yaml").read_text().split("---")[0])
    result = run(str(FIXTURES / "multi.yaml"), str(only_template), "--format", "json")
    assert result.exit_code == 1
    (diff,) = json.loads(result.stdout)["differences"]
    assert diff["path"] == "[CronWorkflow/hello-cron]"
    assert diff["rule"] == "document-presence"


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: argo}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""


def test_documents_of_different_kinds_are_one_different_documents_difference(tmp_path: Path) -> None:
    deployment = tmp_path / "deployment.yaml"
    deployment.write_text(DEPLOYMENT)
    result = run(JOB, str(deployment), "--format", "json")
    assert result.exit_code == 1
    (diff,) = json.loads(result.stdout)["differences"]
    assert (diff["category"], diff["rule"]) == ("semantic", "different-documents")
    assert diff["left"] == "argoproj.io/v1alpha1 Workflow/python-job-"
    assert diff["right"] == "apps/v1 Deployment/web"
    assert diff["message"].startswith("different documents: a Workflow on the left, a Deployment on the right")
    text = run(JOB, str(deployment))
    assert text.exit_code == 1 and "different documents" in text.stdout and "1 semantic" in text.stdout


def test_the_same_kind_of_another_api_group_is_a_different_document(tmp_path: Path) -> None:
    doc = yaml.safe_load((FIXTURES / "job.yaml").read_text())
    doc["apiVersion"] = "example.com/v1"
    other = tmp_path / "other-group.yaml"
    other.write_text(yaml.safe_dump(doc))
    (diff,) = json.loads(run(JOB, str(other), "--format", "json").stdout)["differences"]
    assert diff["rule"] == "different-documents"
    assert "API group example.com" in diff["message"]


def test_multi_document_files_sharing_no_document_are_different_documents(tmp_path: Path) -> None:
    apps = tmp_path / "apps.yaml"
    apps.write_text(
        DEPLOYMENT + "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"
    )
    result = run(str(FIXTURES / "multi.yaml"), str(apps), "--format", "json")
    assert result.exit_code == 1
    (diff,) = json.loads(result.stdout)["differences"]
    assert diff["rule"] == "different-documents"
    assert diff["right"] == "apps/v1 Deployment/web, v1 Service/web"


# --- --show-cosmetic: what was judged equal, and by which rule ---------------------------------------------

# Form-only changes in job-reformatted.yaml and the rule that holds each equal (a sample).
FORM_ONLY = {
    "spec.templates[main].script.env[PYTHON_CODE].value": "python-code-in-env",
    "spec.templates[main].script.imagePullPolicy": "image-pull-policy-default",
    "spec.templates[main].script.resources.limits.cpu": "quantity",
    "spec.templates[main].script.env": "keyed-list",
    "spec.templates[main].script.terminationMessagePath": "kubernetes-default",
    "spec.templates[main].script.args": "empty-is-absent",
    "spec.templates[main].inputs": "empty-is-absent",
    "spec.templates[main].script.resources.requests": "requests-default-to-limits",
    "spec.templates[main].script.volumeMounts[task-results].readOnly": "kubernetes-default",
    "spec.templates[main].script.env[API_TOKEN].valueFrom.secretKeyRef.optional": "kubernetes-default",
    "spec.volumes": "volume-level",
    "spec.templates[main].volumes": "volume-level",
}


def test_show_cosmetic_lists_what_was_judged_equal_and_by_which_rule() -> None:
    reformatted = str(FIXTURES / "job-reformatted.yaml")
    hidden = run(JOB, reformatted)
    assert hidden.exit_code == 0
    assert "--show-cosmetic" in hidden.stdout  # says there is something to show
    shown = run(JOB, reformatted, "--show-cosmetic")
    assert shown.exit_code == 0, shown.output
    for path, rule in FORM_ONLY.items():
        line = next((line for line in shown.stdout.splitlines() if f" {path} " in line), None)
        assert line is not None and "cosmetic" in line and f"[{rule}]" in line, (path, shown.stdout)
    as_json = json.loads(run(JOB, reformatted, "--show-cosmetic", "--format", "json").stdout)
    assert as_json["equivalent"] is True
    found = {d["path"]: d for d in as_json["differences"]}
    for path, rule in FORM_ONLY.items():
        assert (found[path]["category"], found[path]["rule"]) == ("cosmetic", rule)
    assert found["spec.templates[main].script.resources.limits.cpu"]["left"] == "1"
    assert found["spec.templates[main].script.resources.limits.cpu"]["right"] == "1000m"
    github = run(JOB, reformatted, "--show-cosmetic", "--format", "github").stdout
    assert "title=parity cosmetic%3A spec.templates[main].script.imagePullPolicy::judged equal" in github
    # without the option, json keeps its shape: only what differs by meaning
    assert json.loads(run(JOB, reformatted, "--format", "json").stdout)["differences"] == []


def test_show_cosmetic_names_live_object_fields_in_every_format() -> None:
    live = str(FIXTURES / "job-live.yaml")
    expected = {
        "status": "live-object",
        "metadata.name": "live-object",
        "metadata.uid": "live-object",
        'metadata.labels["workflows.argoproj.io/phase"]': "live-object",
        "metadata.annotations": "live-object",  # only the controller's annotation: the whole map
    }
    as_json = json.loads(run(JOB, live, "--show-cosmetic", "--format", "json").stdout)
    found = {d["path"]: (d["category"], d["rule"]) for d in as_json["differences"]}
    for path, rule in expected.items():
        assert found[path] == ("cosmetic", rule), (path, found)
    text = run(JOB, live, "--show-cosmetic").stdout
    line = next(line for line in text.splitlines() if " metadata.uid " in line)
    assert "[live-object]" in line
    github = run(JOB, live, "--show-cosmetic", "--format", "github").stdout
    assert "title=parity cosmetic%3A status::judged equal (what the API server or the Argo controller" in github


def test_show_cosmetic_beside_a_real_difference(tmp_path: Path) -> None:
    doc = yaml.safe_load((FIXTURES / "job-reformatted.yaml").read_text())
    doc["spec"]["templates"][0]["script"]["image"] = "python:3.12-slim"
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(doc))
    result = json.loads(run(JOB, str(changed), "--show-cosmetic", "--format", "json").stdout)
    by_path = {d["path"]: d["category"] for d in result["differences"]}
    assert by_path["spec.templates[main].script.image"] == "semantic"
    assert by_path["spec.templates[main].script.imagePullPolicy"] == "cosmetic"
    assert result["equivalent"] is False


def test_show_cosmetic_never_shows_a_secret(tmp_path: Path) -> None:
    doc = yaml.safe_load((FIXTURES / "job.yaml").read_text())
    env = doc["spec"]["templates"][0]["script"]["env"]
    env.append({"name": "DB_PASSWORD", "value": "hunter2-very-secret"})
    left = tmp_path / "left.yaml"
    left.write_text(yaml.safe_dump(doc))
    env.insert(0, env.pop())  # the same env in another order: form only, listed with its values
    right = tmp_path / "right.yaml"
    right.write_text(yaml.safe_dump(doc))
    for fmt in ("text", "json", "github"):
        result = run(str(left), str(right), "--show-cosmetic", "--format", fmt)
        assert result.exit_code == 0, result.output
        assert "keyed-list" in result.stdout
        assert "hunter2" not in result.output


# --- bad input: exit 2, one clear line naming the file, never a traceback ---------------------------------

GARBAGE = {
    "not-yaml.yaml": "not valid YAML at line 3",
    "empty.yaml": "empty: no YAML document",
    "a-list.yaml": "is a YAML list, not a Kubernetes object",
    "a-string.yaml": "is a YAML string, not a Kubernetes object",
    "no-kind.yaml": "not a Kubernetes object: no apiVersion or kind",
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
@pytest.mark.parametrize("side", ["left", "right"])
def test_garbage_input_exits_2(name: str, side: str) -> None:
    path = str(FIXTURES / name)
    result = run(path, JOB) if side == "left" else run(JOB, path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"parity: error: {path}: ")
    assert GARBAGE[name] in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_binary_input_exits_2(tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = run(JOB, str(binary))
    assert result.exit_code == 2
    assert f"{binary}: binary data, not a YAML manifest" in result.stderr


def test_not_utf8_input_exits_2(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("kind: Workflow\nname: caf\xe9\n".encode("latin-1"))
    result = run(JOB, str(latin))
    assert result.exit_code == 2
    assert "not UTF-8 text" in result.stderr


def test_garbage_on_stdin_exits_2() -> None:
    result = run(JOB, "-", stdin="key: [unclosed\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("parity: error: <stdin>: not valid YAML")


def test_missing_file_and_directory_exit_2(tmp_path: Path) -> None:
    missing = run(JOB, str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 2 and "nope.yaml: no such file" in missing.stderr
    directory = run(JOB, str(tmp_path))
    assert directory.exit_code == 2 and "is a directory" in directory.stderr


def test_both_sides_on_stdin_is_bad_input() -> None:
    result = run("-", "-", stdin="")
    assert result.exit_code == 2
    assert "only one of LEFT and RIGHT" in result.stderr


def test_unknown_format_is_a_usage_error() -> None:
    assert run(JOB, JOB, "--format", "xml").exit_code == 2


# --- waivers and rules ----------------------------------------------------------------------------------


def _waivers(tmp_path: Path, expires: str = "2999-12-31", path: str = "spec.templates[*].script.image") -> Path:
    file = tmp_path / "waivers.yaml"
    file.write_text(
        f"waivers:\n  - id: new-image\n    path: '{path}'\n    reason: moving to 3.12\n"
        f"    owner: platform\n    expires: {expires}\n"
    )
    return file


def test_waiver_turns_a_semantic_difference_into_waived(tmp_path: Path) -> None:
    result = run(JOB, str(changed_job(tmp_path)), "--waivers", str(_waivers(tmp_path)), "--format", "json")
    assert result.exit_code == 0, result.output
    (diff,) = json.loads(result.stdout)["differences"]
    assert diff["category"] == "waived"
    assert diff["waiver"] == "new-image"


def test_expired_waiver_waives_nothing_and_is_reported(tmp_path: Path) -> None:
    waivers = _waivers(tmp_path, expires="2020-01-01")
    result = run(JOB, str(changed_job(tmp_path)), "--waivers", str(waivers))
    assert result.exit_code == 1
    assert "waiver new-image expired on 2020-01-01" in result.stderr


def test_unused_waiver_is_reported_stale(tmp_path: Path) -> None:
    waivers = _waivers(tmp_path, path="spec.templates[*].script.workingDir")
    result = run(JOB, str(changed_job(tmp_path)), "--waivers", str(waivers))
    assert result.exit_code == 1
    assert "waiver new-image matched nothing" in result.stderr


def test_bad_waiver_file_exits_2_naming_file_waiver_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "waivers.yaml"
    bad.write_text("waivers:\n  - id: no-owner\n    path: spec\n    reason: r\n    expires: 2999-01-01\n")
    result = run(JOB, JOB, "--waivers", str(bad))
    assert result.exit_code == 2
    assert f"{bad}: field 'waivers[0] (no-owner).owner': required" in result.stderr


def test_rules_can_make_a_path_semantic_or_cosmetic(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - {id: team-label-matters, path: metadata.labels.team, category: semantic, reason: billing}\n"
        "  - {pointer: /spec/templates/*/script/image, category: cosmetic}\n"
    )
    label = run(JOB, str(changed_job(tmp_path, "label", "l.yaml")), "--rules", str(rules), "--format", "json")
    assert label.exit_code == 1
    (diff,) = json.loads(label.stdout)["differences"]
    assert (diff["category"], diff["rule"]) == ("semantic", "team-label-matters")
    assert diff["message"].endswith("[billing]")
    image = run(JOB, str(changed_job(tmp_path)), "--rules", str(rules))
    assert image.exit_code == 0
    assert "1 cosmetic difference(s) hidden" in image.stdout


def test_rules_json_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"path": "spec.templates[main].script.image", "category": "cosmetic"}]))
    assert run(JOB, str(changed_job(tmp_path)), "--rules", str(rules)).exit_code == 0


def test_bad_rules_file_exits_2(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {path: spec, category: ignored}\n")
    result = run(JOB, JOB, "--rules", str(rules))
    assert result.exit_code == 2
    assert "field 'rules[0].category': must be one of semantic, metadata, cosmetic" in result.stderr


# --- start-up cost ----------------------------------------------------------------------------------------

_PROBE = """
import sys
from harness.cli import main
try:
    main(["diff", sys.argv[1], sys.argv[2], "--format", "json"])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("hera", "kubernetes", "deepdiff", "pydantic") if m in sys.modules)
print("HEAVY=" + ",".join(heavy), "EXIT=" + str(code), file=sys.stderr)
"""


def test_parity_diff_imports_neither_hera_nor_kubernetes(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for right in (str(FIXTURES / "job-reformatted.yaml"), str(changed_job(tmp_path))):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", _PROBE, JOB, right],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
            check=False,
        )
        probe = [line for line in proc.stderr.splitlines() if line.startswith("HEAVY=")]
        assert probe, proc.stderr[-2000:]
        assert probe[0].split()[0] == "HEAVY=", probe
        imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "import time:" in line}
        assert not {m for m in imported if m.split(".")[0] in {"hera", "kubernetes", "deepdiff"}}


# --- any input: a verdict or a clear bad-input error, never a crash -----------------------------------

_YAMLISH = st.text(alphabet=st.sampled_from(list("ab:- \n{}[]'\"#&*!|>%@`,?0123456789\t\\")), max_size=80)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_YAMLISH, st.binary(max_size=60).map(lambda b: b.decode("latin-1"))))
def test_any_input_gives_a_verdict_or_bad_input(text: str) -> None:
    manifest = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n" + "".join(
        f"  {line}\n" for line in text.splitlines()
    )
    for candidate in (text, manifest):
        result = CliRunner().invoke(cli, ["diff", JOB, "-"], input=candidate)
        assert result.exit_code in (0, 1, 2), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        if result.exit_code == 2:
            assert result.stderr.startswith("parity: error: <stdin>: ")
