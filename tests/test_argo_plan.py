"""The ArgoService improvement plan's own unit tests (Phase 4), run against ``harness.argo``.

Adapted only where names are imports: ``console_link.models.argo_models`` and
``console_link.models.command_execution`` are ``harness.argo``; ``ArgoServiceV2`` is
``ArgoService``. The bodies are the plan's. Below them, the plan's "Add more tests for
WorkflowResult and other models..." and "Add more tests for other methods...", written to the
plan's contract.
"""

import subprocess
import unittest
from unittest.mock import Mock

from harness.argo import ArgoService as ArgoServiceV2
from harness.argo import CommandExecutor, CommandOutput, SubprocessCommandExecutor, WorkflowResult, WorkflowStatus


class TestWorkflowStatus(unittest.TestCase):
    def test_from_dict_with_valid_data(self):
        # Test parsing workflow data with all fields
        data = {
            "metadata": {"name": "test-workflow"},
            "status": {
                "phase": "Running",
                "startedAt": "2023-01-01T12:00:00Z",
                "finishedAt": None,
                "message": "Running workflow",
                "nodes": {"node1": {"phase": "Running", "type": "Suspend"}},
            },
        }
        status = WorkflowStatus.from_dict(data)
        self.assertEqual(status.name, "test-workflow")
        self.assertEqual(status.phase, "Running")
        self.assertTrue(status.has_suspended_nodes)
        self.assertEqual(status.start_time.year, 2023)
        self.assertIsNone(status.end_time)
        self.assertEqual(status.message, "Running workflow")

    def test_from_dict_with_minimal_data(self):
        # Test parsing minimal workflow data
        data = {"metadata": {}, "status": {}}
        status = WorkflowStatus.from_dict(data)
        self.assertEqual(status.name, "")
        self.assertEqual(status.phase, "")
        self.assertFalse(status.has_suspended_nodes)

    # --- more, to the plan's contract ---

    def test_raw_data_is_the_object_given(self):
        data = {"metadata": {"name": "wf"}, "status": {"phase": "Succeeded"}}
        self.assertIs(WorkflowStatus.from_dict(data).raw_data, data)

    def test_only_a_running_suspend_node_is_suspended(self):
        def status_with(node):
            return WorkflowStatus.from_dict({"status": {"nodes": {"n": node}}})

        self.assertFalse(status_with({"phase": "Succeeded", "type": "Suspend"}).has_suspended_nodes)  # resumed
        self.assertFalse(status_with({"phase": "Running", "type": "Pod"}).has_suspended_nodes)
        self.assertFalse(status_with({"phase": "Running"}).has_suspended_nodes)  # no type
        self.assertTrue(status_with({"phase": "Running", "type": "Suspend"}).has_suspended_nodes)

    def test_a_time_that_is_not_iso_is_none(self):
        status = WorkflowStatus.from_dict({"status": {"startedAt": "yesterday", "finishedAt": "2023-01-01T12:00:05Z"}})
        self.assertIsNone(status.start_time)
        self.assertEqual(status.end_time.second, 5)


class TestWorkflowResult(unittest.TestCase):
    def test_success_result(self):
        result = WorkflowResult.success_result("wf-1")
        self.assertTrue(result.success)
        self.assertEqual(result.data, "wf-1")
        self.assertIsNone(result.error)

    def test_error_result(self):
        result = WorkflowResult.error_result("it broke")
        self.assertFalse(result.success)
        self.assertIsNone(result.data)
        self.assertEqual(result.error, "it broke")

    def test_constructed_as_the_plan_does(self):
        self.assertTrue(WorkflowResult(success=True, data=3).success)
        self.assertEqual(WorkflowResult(success=False, error="no").error, "no")


class TestCommandExecution(unittest.TestCase):
    def test_command_executor_is_abstract(self):
        with self.assertRaises(TypeError):
            CommandExecutor()

    def test_subprocess_command_executor(self):
        executor = SubprocessCommandExecutor()
        ok = executor.execute_command(["bash", "-c", "echo out; echo err >&2"])
        self.assertEqual(ok, CommandOutput(True, "out\n", "err\n", 0, ok.argv, ok.duration_s))
        failed = executor.execute_command(["bash", "-c", "echo no >&2; exit 4"])
        self.assertEqual((failed.success, failed.stderr, failed.return_code), (False, "no\n", 4))
        # What the plan's implementation (subprocess.run(..., check=True)) reports for it.
        with self.assertRaises(subprocess.CalledProcessError) as raised:
            subprocess.run(["bash", "-c", "echo no >&2; exit 4"], capture_output=True, text=True, check=True)
        self.assertEqual((raised.exception.stderr, raised.exception.returncode), (failed.stderr, failed.return_code))


class TestArgoServiceV2(unittest.TestCase):
    def setUp(self):
        self.mock_executor = Mock()
        self.argo_service = ArgoServiceV2(namespace="test-namespace", command_executor=self.mock_executor)

    def test_get_workflow_status_success(self):
        # Setup mock response
        self.mock_executor.execute_command.return_value = CommandOutput(
            success=True,
            stdout='{"metadata":{"name":"test-workflow"},"status":{"phase":"Running"}}',
            stderr="",
            return_code=0,
        )

        # Call method
        result = self.argo_service.get_workflow_status("test-workflow")

        # Verify
        self.assertTrue(result.success)
        self.assertEqual(result.data.name, "test-workflow")
        self.assertEqual(result.data.phase, "Running")
        self.assertFalse(result.data.has_suspended_nodes)

    def test_get_workflow_status_command_failure(self):
        # Setup mock response for command failure
        self.mock_executor.execute_command.return_value = CommandOutput(
            success=False, stdout="", stderr='Error: workflows.argoproj.io "test-workflow" not found', return_code=1
        )

        # Call method
        result = self.argo_service.get_workflow_status("test-workflow")

        # Verify
        self.assertFalse(result.success)
        self.assertIsNotNone(result.error)
        self.assertIn("Failed to get workflow status", result.error)

    # --- more, to the plan's contract ---

    def test_get_workflow_status_runs_the_plans_command(self):
        self.mock_executor.execute_command.return_value = CommandOutput(True, '{"metadata":{"name":"wf"}}', "", 0)
        self.argo_service.get_workflow_status("wf")
        self.mock_executor.execute_command.assert_called_once_with(
            ["kubectl", "get", "workflow", "wf", "-o", "json", "--namespace", "test-namespace"]
        )

    def test_start_workflow_returns_the_name_once_it_exists(self):
        created = '{"metadata":{"name":"migrate-abcde","namespace":"test-namespace"}}'
        self.mock_executor.execute_command.side_effect = [
            CommandOutput(True, created, "", 0),  # kubectl create
            CommandOutput(True, created, "", 0),  # kubectl get: it exists
        ]
        result = self.argo_service.start_workflow("migrate", {"index": "a"}, {"entrypoint": "run-bulk-load"})
        self.assertTrue(result.success)
        self.assertEqual(result.data, "migrate-abcde")
        create, get = (call.args[0] for call in self.mock_executor.execute_command.call_args_list)
        self.assertEqual(create[:2], ["kubectl", "create"])
        self.assertEqual(
            get, ["kubectl", "get", "workflow", "migrate-abcde", "-o", "json", "--namespace", "test-namespace"]
        )

    def test_start_workflow_failure(self):
        self.mock_executor.execute_command.return_value = CommandOutput(
            False, "", 'Error from server (Forbidden): workflows.argoproj.io is forbidden: User "x"', 1
        )
        result = self.argo_service.start_workflow("migrate")
        self.assertFalse(result.success)
        self.assertTrue(result.error.startswith("Failed to start workflow: "))


if __name__ == "__main__":
    unittest.main()
