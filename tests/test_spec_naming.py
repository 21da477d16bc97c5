"""Argo's node ids and pod names, and Kubernetes' hostnames (harness.spec.naming), with Argo's own
test values; the status model and the executors name pods with the one function.

Before, the executor computed its own "Argo's v2 pod name": the hash of workflow + its own node
name (``fnv32a("wfmain[0].step")``) and a prefix cut to 52 characters, so ``{{pod.name}}`` and
``HOSTNAME`` in a local run were not what Argo gives the same pod.
"""

from __future__ import annotations

from typing import Any

from harness.argo import NodeStatus, NodeType
from harness.execute.result import RunPhase as Phase
from harness.execute.scheduler import RunSettings, run_workflow
from harness.spec import naming
from harness.spec.naming import fnv32a
from tests.execution_support import script, workflow
from tests.fakes.pods import RecordingPodRunner

# argo-workflows workflow/util/pod_name_test.go and ui/src/shared/pod-name.test.ts
SHORT_WORKFLOW, SHORT_TEMPLATE = "wfname", "templatename"
LONG_WORKFLOW = (
    "alongworkflownamethatincludeslotsofdetailsandisessentiallyalargerunonsentencewithpoorstyleandnopunctuation"
    "tobehadwhatsoever"
)
LONG_TEMPLATE = (
    "alongtemplatenamethatincludessliightlymoredetailsandiscertainlyalargerunonstnencewithevenworsestylistic"
    "concernsandpreposterouslyeliminatespunctuation"
)


def test_fnv32a_matches_argos_vectors() -> None:
    assert fnv32a("hello") == 1335831723
    assert fnv32a("world") == 933488787
    assert fnv32a("You cannot alter your fate. However, you can rise to meet it.") == 827171719


def test_pod_names_match_argos_tests() -> None:
    prefix = f"{SHORT_WORKFLOW}-{SHORT_TEMPLATE}"
    assert naming.pod_name_prefix(SHORT_WORKFLOW, SHORT_TEMPLATE) == prefix
    assert naming.pod_name(SHORT_WORKFLOW, "nodename", SHORT_TEMPLATE) == f"{prefix}-{fnv32a('nodename')}"
    assert naming.pod_name(SHORT_WORKFLOW, "nodename", SHORT_TEMPLATE, naming.POD_NAME_V1) == (
        f"{SHORT_WORKFLOW}-{fnv32a('nodename')}"
    )
    assert len(LONG_WORKFLOW) + len(LONG_TEMPLATE) > naming.MAX_RESOURCE_NAME - naming.HASH_LENGTH
    assert len(naming.pod_name_prefix(LONG_WORKFLOW, LONG_TEMPLATE)) == 253 - 10 - 1
    assert len(naming.pod_name(LONG_WORKFLOW, "nodename", LONG_TEMPLATE)) == 253


def test_the_root_node_is_the_workflow() -> None:
    assert naming.node_id("wf", "wf") == "wf" and naming.pod_name("wf", "wf", "main") == "wf"
    assert naming.node_id("wf", "wf[0].a") == f"wf-{fnv32a('wf[0].a')}"
    assert naming.pod_name("wf", "wf.a", None) == f"wf-{fnv32a('wf.a')}"  # no template: the workflow alone


def test_a_hostname_is_the_pod_name_cut_to_a_dns_label() -> None:
    assert naming.pod_hostname("short") == "short"
    assert naming.pod_hostname("a" * 62 + "-b") == "a" * 62  # cut to 63, no trailing '-'
    assert naming.pod_hostname("a" * 61 + ".-" + "c" * 9) == "a" * 61


def _steps(workflow_name: str, template: str = "echo") -> dict[str, Any]:
    manifest = workflow(
        [
            {"name": "main", "steps": [[{"name": "hello", "template": template}]]},
            script(template, "echo {{pod.name}} $HOSTNAME $POD", env={"POD": "$(POD_NAME)"}),
        ]
    )
    manifest["metadata"] = {"name": workflow_name, "namespace": "argo"}
    body = manifest["spec"]["templates"][1]["script"]
    body["env"].insert(0, {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
    return manifest


def test_the_executor_names_pods_as_argo_does() -> None:
    runner = RecordingPodRunner()
    run = run_workflow(_steps("hello-world"), runner, RunSettings("fake"), label="names")
    assert run.phase is Phase.SUCCEEDED, run
    (pod,) = runner.pods
    argo = f"hello-world-echo-{fnv32a('hello-world[0].hello')}"  # Argo's node name: wf[0].step
    assert pod.name == argo and pod.hostname == argo
    assert runner.scripts[argo] == f"echo {argo} $HOSTNAME $POD"
    assert dict(pod.env)["POD_NAME"] == argo
    # The status model reads the same name off a live workflow.
    node = NodeStatus(
        id="x", name="hello-world[0].hello", display_name="hello", type=NodeType.POD, template_name="echo"
    )
    assert node.pod_name("hello-world") == argo


def test_a_long_pod_name_keeps_argos_length_and_the_hostname_kubernetes_length() -> None:
    workflow_name, template = "w" * 60, "t" * 40
    runner = RecordingPodRunner()
    run = run_workflow(_steps(workflow_name, template), runner, RunSettings("fake"), label="long")
    assert run.phase is Phase.SUCCEEDED, run
    (pod,) = runner.pods
    assert pod.name == f"{workflow_name}-{template}-{fnv32a(workflow_name + '[0].hello')}"  # 112 characters
    assert pod.hostname == pod.name[:63]


def test_node_names_convert_both_ways() -> None:
    # The executors root node names at the entrypoint, Argo at the workflow: one pair of inverses.
    for relative in ("main", "main[0].fetch", "main.train(1:b)", "main[1].x(0)[0].y"):
        argo = naming.argo_node_name(relative, "wf-local", "main")
        assert argo == "wf-local" + relative.removeprefix("main")
        assert naming.relative_node_name(argo, "wf-local", "main") == relative
    assert naming.relative_node_name("wf-localx.t", "wf-local", "main") == "wf-localx.t"  # another workflow's
    assert naming.argo_node_name("mainly.t", "wf", "main") == "mainly.t"
