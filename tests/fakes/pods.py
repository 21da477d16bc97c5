"""A PodRunner that runs nothing: it records each pod the workflow interpreter hands it."""

from __future__ import annotations

from pathlib import Path

from harness.execute.pods import ImageDefaults, PodResult, PodSpec
from harness.execute.result import Output


class RecordingPodRunner:
    """Every pod succeeds at once with empty output; ``pods`` holds their specs in run order and
    ``scripts`` each script pod's program (the file mounted at Argo's staging path)."""

    def __init__(self) -> None:
        self.pods: list[PodSpec] = []
        self.scripts: dict[str, str] = {}

    def image_problem(self, image: str) -> str | None:
        return None

    def image_defaults(self, image: str) -> ImageDefaults:
        return ImageDefaults()

    def run_pod(self, pod: PodSpec, workdir: Path) -> PodResult:
        self.pods.append(pod)
        for mount in pod.mounts:
            if mount.container_path == "/argo/staging/script":
                self.scripts[pod.name] = mount.host_path.read_text(encoding="utf-8")
        return PodResult(exit_code=0, stdout=Output(), stderr=Output(), duration_s=0.0)
