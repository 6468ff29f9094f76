"""deploy/: what can be checked without Docker.

The compose file parses; every image it runs is either built from the
repository or made by deploy/local-images/build (for a host without a
registry).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _local_image_tags() -> set[str]:
    script = (DEPLOY / "local-images" / "build").read_text()
    return set(re.findall(r"^docker build .* -t (\S+) ", script, flags=re.MULTILINE))


def test_every_image_is_built_here_or_by_the_local_images_script():
    services = _compose()["services"]
    pulled = {s["image"] for s in services.values() if "build" not in s}
    bases = set(re.findall(r"^FROM (\S+)", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE))
    assert pulled == {"postgres:15", "redis:7", "nginx:1.27-alpine"}
    assert bases == {"python:3.11-slim"}
    assert _local_image_tags() == pulled | bases
    for name in ("python", "postgres", "redis", "nginx"):
        assert (DEPLOY / "local-images" / name / "Dockerfile").is_file()
