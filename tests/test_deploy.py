"""The scheduling examples under deploy/, checked offline (deploy/README.md)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from entra_kri.config import config_mistakes

DEPLOY = Path(__file__).parent.parent / "deploy"
CONFIG = "/config/entra-kri.toml"
EXIT_CODES_NOT_RETRIED = [2, 3]  # docs/configuration.md: usage/config error; --fail-on
SECRET_WORDS = re.compile(r"secret|password|token|private|credential", re.IGNORECASE)


def test_every_example_is_documented():
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    files = {str(p.relative_to(DEPLOY)) for p in DEPLOY.rglob("*") if p.is_file()}
    assert files - {"README.md"} <= {f for f in files if f"({f})" in readme}


def test_no_secret_in_any_example():
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "-----BEGIN" not in text, path
            values = re.findall(r"ENTRA_KRI_CLIENT_SECRET\s*=\s*(\S*)", text)
            assert set(values) <= {"", "…", "..."}, path  # placeholders only


def schedule_lines() -> list[str]:
    lines = (DEPLOY / "crontab").read_text(encoding="utf-8").splitlines()
    return [x for x in lines if x.strip() and not x.startswith("#")
            and not re.match(r"^[A-Z_]+=", x)]


def test_crontab_line():
    (line,) = schedule_lines()
    fields = line.split(None, 5)
    minute, hour, day, month, weekday, command = fields
    for field, low, high in ((minute, 0, 59), (hour, 0, 23), (day, 1, 31), (month, 1, 12),
                             (weekday, 0, 7)):
        assert field == "*" or low <= int(field) <= high, field
    words = shlex.split(command)
    assert words[0].endswith("/entra-kri") and "run" in words
    assert "--all" in words and words[words.index("--config") + 1].endswith("entra-kri.toml")
    assert "%" not in command  # cron would turn it into a newline


def test_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify checks that ExecStart's program exists: point it at this venv's entra-kri.
    binary = Path(sys.executable).parent / "entra-kri"
    for unit in ("entra-kri.service", "entra-kri.timer"):
        text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
        (tmp_path / unit).write_text(text.replace("/opt/entra-kri/bin/entra-kri", str(binary)),
                                     encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", str(tmp_path / "entra-kri.service"),
         str(tmp_path / "entra-kri.timer")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    about_ours = [x for x in result.stderr.splitlines() if str(tmp_path) in x]
    assert about_ours == []  # e.g. "Unknown key ..., ignoring" is only a warning


def test_systemd_service_runs_unprivileged_with_state_directory():
    service = (DEPLOY / "systemd" / "entra-kri.service").read_text(encoding="utf-8")
    settings = dict(re.findall(r"^(\w+)=(.*)$", service, re.MULTILINE))
    assert settings["Type"] == "oneshot"
    assert settings["User"] not in ("root", "0")
    assert settings["ProtectSystem"] == "strict" and settings["NoNewPrivileges"] == "yes"
    assert settings["StateDirectory"] == "entra-kri"
    words = shlex.split(settings["ExecStart"])
    assert words[1:3] == ["run", "--all"] and "--config" in words
    timer = (DEPLOY / "systemd" / "entra-kri.timer").read_text(encoding="utf-8")
    assert re.search(r"^OnCalendar=\S", timer, re.MULTILINE)
    assert "WantedBy=timers.target" in timer


KUBERNETES_FILES = ["entra-kri.yaml", "entra-kri-sharded.yaml"]


def kubernetes_documents(name: str = "entra-kri.yaml") -> dict[str, dict]:
    text = (DEPLOY / "kubernetes" / name).read_text(encoding="utf-8")
    return {d["kind"]: d for d in yaml.safe_load_all(text)}


def test_kubernetes_cronjob():
    docs = kubernetes_documents()
    assert set(docs) == {"PersistentVolumeClaim", "ConfigMap", "CronJob"}
    cron = docs["CronJob"]
    assert cron["apiVersion"] == "batch/v1"
    assert len(cron["spec"]["schedule"].split()) == 5
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    job = cron["spec"]["jobTemplate"]["spec"]
    (rule,) = job["podFailurePolicy"]["rules"]
    assert rule["onExitCodes"]["values"] == EXIT_CODES_NOT_RETRIED
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["args"][:2] == ["run", "--all"]
    assert container["args"][container["args"].index("--config") + 1] == CONFIG


@pytest.mark.parametrize("name", KUBERNETES_FILES)
def test_kubernetes_secret_comes_from_a_secret_and_snapshots_from_a_pvc(name):
    docs = kubernetes_documents(name)
    pod = docs["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    for variable in container["env"]:
        if SECRET_WORDS.search(variable["name"]):
            assert "value" not in variable
            assert set(variable["valueFrom"]) == {"secretKeyRef"}
    assert any(v["name"] == "ENTRA_KRI_CLIENT_SECRET" for v in container["env"])
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
    claim = docs["PersistentVolumeClaim"]["metadata"]["name"]
    config_map = docs["ConfigMap"]["metadata"]["name"]
    assert mounts["/config"]["configMap"]["name"] == config_map
    settings = tomllib.loads(docs["ConfigMap"]["data"][Path(CONFIG).name])
    assert config_mistakes(settings, Path("/config")) == []
    data_mount = next(path for path, v in mounts.items()
                      if v.get("persistentVolumeClaim", {}).get("claimName") == claim)
    assert settings["root"].startswith(data_mount + "/")
    assert "emptyDir" in mounts["/tmp"]  # HOME and temporary files on a read-only root


def test_kubernetes_indexed_job_gives_each_pod_its_shard():
    docs = kubernetes_documents("entra-kri-sharded.yaml")
    job = docs["CronJob"]["spec"]["jobTemplate"]["spec"]
    assert job["completionMode"] == "Indexed" and job["parallelism"] == job["completions"]
    (container,) = job["template"]["spec"]["containers"]
    args = container["args"]
    assert args[:2] == ["run", "--all"]
    assert args[args.index("--shard") + 1] == f"$(JOB_COMPLETION_INDEX)/{job['completions']}"
    assert docs["PersistentVolumeClaim"]["spec"]["accessModes"] == ["ReadWriteMany"]
    # A breach or a configuration error fails its own shard, never the other shards' pods.
    (rule,) = job["podFailurePolicy"]["rules"]
    assert rule["action"] == "FailIndex" and "backoffLimitPerIndex" in job
    assert rule["onExitCodes"]["values"] == EXIT_CODES_NOT_RETRIED


def dockerfile() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [tuple(x.strip().split(None, 1)) for x in text.splitlines()
            if x.strip() and not x.lstrip().startswith("#")]


def test_dockerfile_pins_python_and_runs_as_a_user():
    instructions = dockerfile()
    bases = [arg.split()[0] for op, arg in instructions if op == "FROM"]
    assert bases and all(re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", b)
                         for b in bases), bases
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    assert any(op == "USER" for op, _ in instructions[last_from:])


def test_dockerfile_runs_entra_kri_run_all_and_holds_no_secret():
    instructions = dockerfile()
    entrypoint = yaml.safe_load(next(arg for op, arg in instructions if op == "ENTRYPOINT"))
    command = yaml.safe_load(next(arg for op, arg in instructions if op == "CMD"))
    assert [*entrypoint, *command] == ["entra-kri", "run", "--all", "--config", CONFIG]
    for op, arg in instructions:
        if op in ("ENV", "ARG"):
            assert not SECRET_WORDS.search(arg), arg
        assert op != "ADD" or not arg.startswith("http"), arg


@pytest.mark.skipif(os.environ.get("ENTRA_KRI_DOCKER_BUILD") != "1",
                    reason="set ENTRA_KRI_DOCKER_BUILD=1 to build the image (Docker daemon "
                           "and registry access needed)")
def test_docker_image_builds_and_runs():
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "info"], capture_output=True,
                                        check=False).returncode != 0:
        pytest.skip("no running Docker daemon")
    tag = "entra-kri:test"
    subprocess.run([docker, "build", "-f", str(DEPLOY / "Dockerfile"), "-t", tag,
                    str(DEPLOY.parent)], check=True, timeout=1800)
    result = subprocess.run([docker, "run", "--rm", "--read-only", "--tmpfs", "/tmp", tag,
                             "--version"], capture_output=True, text=True, check=True,
                            timeout=300)
    assert "entra-kri" in result.stdout
    user = subprocess.run([docker, "run", "--rm", "--entrypoint", "id", tag, "-u"],
                          capture_output=True, text=True, check=True, timeout=300)
    assert user.stdout.strip() != "0"
