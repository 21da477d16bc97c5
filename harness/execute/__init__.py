"""Executors: run both workflows and compare what they did.

Names are listed here, without importing any executor, so the CLI and the pytest plugin can
offer them cheaply.
"""

EXECUTORS = ("none", "local", "docker", "cluster")
