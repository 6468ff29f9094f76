"""deploy/: what can be checked without Docker.

The compose file parses; every image it runs is either built from the
repository or made by deploy/local-images/build (for a host without a
registry); the replica gets the settings a hot standby must have at least as
high as its primary; the build context leaves the deployment's secrets out.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

# PostgreSQL refuses to run a hot standby with less of these than its primary
# (PostgreSQL 15's defaults).
STANDBY_AT_LEAST = {
    "max_connections": 100,
    "max_worker_processes": 8,
    "max_wal_senders": 10,
    "max_prepared_transactions": 0,
    "max_locks_per_transaction": 64,
}


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _settings(command: list[str]) -> dict[str, str]:
    """`-c name=value` pairs of a postgres command line."""
    pairs = {}
    for flag, value in pairwise(command):
        if flag == "-c":
            name, _, setting = value.partition("=")
            pairs[name] = setting
    return pairs


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


def test_the_replica_runs_with_at_least_the_primarys_standby_settings():
    services = _compose()["services"]
    primary = _settings(services["db"]["command"])
    replica = _settings(services["db-replica"].get("command", []))
    assert "max_connections" in primary
    for name, default in STANDBY_AT_LEAST.items():
        assert int(replica.get(name, default)) >= int(primary.get(name, default)), name


def test_the_replica_entrypoint_passes_the_compose_command_to_postgres():
    script = (DEPLOY / "postgres" / "replica-entrypoint.sh").read_text()
    exec_line = [line for line in script.splitlines() if line.startswith("exec ")]
    assert len(exec_line) == 1
    assert exec_line[0].endswith('"$@"')


def test_the_build_context_leaves_the_deployments_secrets_out():
    # One ignore file at the root: read by every builder (the classic one reads
    # no Dockerfile-specific file, and BuildKit would prefer such a file to it).
    assert not list(DEPLOY.glob("*.dockerignore"))
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"deploy/.env", "deploy/app.env", "deploy/certs", ".git", ".venv"} <= ignored
