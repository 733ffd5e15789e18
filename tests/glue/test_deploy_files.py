"""deploy/: every variable the settings and gunicorn.conf.py read is in the example environment file and
the README's table; the units start what the README says, with the GPU cluster the environment names."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READS = re.compile(
    r"""\b(?:env|env_bool|env_int|env_list|os\.environ\.get|os\.getenv|_int)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def variables(path: Path) -> set[str]:
    return set(READS.findall(path.read_text()))


def example() -> dict[str, str]:
    """NAME -> value of every line `NAME=value` or `#NAME=value` of deploy/studio.env.example."""
    found = {}
    for line in (ROOT / "deploy" / "studio.env.example").read_text().splitlines():
        match = re.match(r"^#?([A-Z][A-Z0-9_]+)=(.*)$", line)
        if match:
            found[match[1]] = match[2]
    return found


def test_the_reader_finds_the_settings_variables():
    found = variables(ROOT / "studio" / "settings.py")
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "Q_GPU_CLUSTER", "TRUSTED_PROXIES"} <= found
    assert {"WEB_CONCURRENCY", "WEB_TIMEOUT", "TRUSTED_PROXIES"} <= variables(ROOT / "gunicorn.conf.py")


def test_every_variable_is_in_the_example_environment_and_the_readme():
    read = variables(ROOT / "studio" / "settings.py") | variables(ROOT / "gunicorn.conf.py")
    readme = (ROOT / "README.md").read_text()
    assert sorted(read - set(example())) == [], "missing from deploy/studio.env.example"
    assert sorted(name for name in read if f"`{name}`" not in readme) == [], "missing from the README table"
    assert sorted(set(example()) - read) == [], "deploy/studio.env.example names a variable nothing reads"


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    unit.optionxform = str
    unit.read_string((ROOT / "deploy" / name).read_text())
    return unit


def test_the_units_run_gunicorn_and_one_cluster_per_queue():
    web, worker, gpu = (_unit(f"studio-{n}.service") for n in ("web", "worker", "gpu-worker"))
    assert "gunicorn -c gunicorn.conf.py studio.wsgi:application" in web["Service"]["ExecStart"]
    for unit in (web, worker, gpu):
        assert unit["Service"]["EnvironmentFile"] == "/etc/figurine-studio/studio.env"
        assert unit["Service"]["KillMode"] == "mixed"  # SIGTERM to the main process only
    assert worker["Service"]["ExecStart"].endswith("manage.py qcluster")
    assert gpu["Service"]["ExecStart"].endswith("manage.py qcluster")
    gpu_env = (ROOT / "deploy" / "studio-gpu-worker.service").read_text()
    assert f"Environment=Q_CLUSTER_NAME={example()['Q_GPU_CLUSTER']}" in gpu_env
    assert "Environment=RECONSTRUCTION_DEVICE=cuda" in gpu_env
    assert "Q_CLUSTER_NAME" not in (ROOT / "deploy" / "studio-worker.service").read_text()
