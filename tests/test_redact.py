from __future__ import annotations

from harness.redact import REDACTED, Redactor, looks_secret


def test_secret_looking_names() -> None:
    for name in (
        "DB_PASSWORD",
        "API_TOKEN",
        "aws_secret_access_key",
        "GITHUB_PAT_TOKEN",
        "apiKey",
        "SSH_KEY",
        "passwd",
    ):
        assert looks_secret(name), name
    for name in ("TASK_ID", "LOG_LEVEL", "MONKEY", "KEYBOARD_LAYOUT", "REGION", "PATH"):
        assert not looks_secret(name), name


def test_scrub_by_name_and_by_learned_value_everywhere() -> None:
    data = {
        "inputs": {"env": {"DB_PASSWORD": "hunter2-abc", "REGION": "eu-west-1"}},
        "manifest": {
            "env": [{"name": "DB_PASSWORD", "value": "hunter2-abc"}, {"name": "REGION", "value": "eu-west-1"}]
        },
        "stdout": "connecting with hunter2-abc ...",
        "differences": [{"path": "x", "left": "hunter2-abc", "right": None, "message": "was hunter2-abc"}],
    }
    redactor = Redactor()
    redactor.learn_from(data)
    scrubbed = redactor.scrub(data)
    assert "hunter2-abc" not in repr(scrubbed)
    assert scrubbed["inputs"]["env"] == {"DB_PASSWORD": REDACTED, "REGION": "eu-west-1"}
    assert scrubbed["manifest"]["env"][1] == {"name": "REGION", "value": "eu-west-1"}
    assert scrubbed["stdout"] == f"connecting with {REDACTED} ..."


def test_values_resolved_from_secret_refs_are_secret_whatever_the_name() -> None:
    env = [{"name": "CONFIG", "value": "opaque-value-9", "valueFrom": {"secretKeyRef": {"name": "s", "key": "token"}}}]
    redactor = Redactor()
    redactor.learn_from(env)
    assert redactor.scrub(env)[0]["value"] == REDACTED
    # the reference itself (which Secret, which key) is not secret and stays readable
    assert redactor.scrub(env)[0]["valueFrom"] == {"secretKeyRef": {"name": "s", "key": "token"}}
    assert redactor.scrub_text("log: opaque-value-9") == f"log: {REDACTED}"


def test_short_and_boolean_values_are_not_scrubbed_from_text() -> None:
    redactor = Redactor(["yes", "hunter2-long"])
    assert redactor.scrub_text("yes, hunter2-long") == f"yes, {REDACTED}"
    assert redactor.scrub({"automountServiceAccountToken": True}) == {"automountServiceAccountToken": True}


def test_a_secret_inlined_under_an_innocent_name_is_learned_from_the_other_side() -> None:
    legacy = {"env": [{"name": "CONFIG", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}
    new = {"env": [{"name": "CONFIG", "value": "inlined-secret-42"}]}
    redactor = Redactor()
    redactor.learn_from(new, legacy)  # order must not matter
    assert redactor.scrub_text("x inlined-secret-42 y") == f"x {REDACTED} y"


def test_scrub_strings_keeps_report_field_names() -> None:
    redactor = Redactor(["hunter2-abc"])
    report = {"passed": 3, "tokens": "hunter2-abc", "summary": {"password_checks": 1}}
    assert redactor.scrub_strings(report) == {"passed": 3, "tokens": REDACTED, "summary": {"password_checks": 1}}
