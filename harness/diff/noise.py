"""Noise calibration: what differs between two builds of the *same* side is not the migration's doing.

``parity run`` builds the legacy side twice; paths that differ between those two builds
(random names, timestamps, generated ids) are passed to ``compare(noise_paths=...)``, which
reports differences at or below them as ``noise``: shown, not failing.
"""

from __future__ import annotations

from harness.diff.comparison import Manifest, raw_differences
from harness.diff.paths import render
from harness.normalize import canonicalize


def calibrate_noise(first_build: Manifest, second_build: Manifest) -> frozenset[str]:
    """Readable paths where two builds of the same side differ."""
    first, second = canonicalize(first_build), canonicalize(second_build)
    if first == second:
        return frozenset()
    return frozenset(render(raw.segments) for raw, _ in raw_differences(first, second))
