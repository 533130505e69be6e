"""The Makefile, run for real in a temporary copy of the project, offline.

`PYTHON` is a fake interpreter whose `-m venv DIR` writes a fake `DIR/bin/python` that
accepts everything (the version check, `pip install`), so the venv targets run in
milliseconds without the network; `make -n` shows what `make run` would do.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

REBUILDING = "runs an unsupported Python (needs 3.11 or newer) or is broken: rebuilding it."
FAKE_VENV_PYTHON = "#!/bin/sh\n# a venv interpreter that answers every check with success\nexit 0\n"
OLD_PYTHON = "#!/bin/sh\n# reports Python 3.9: the version check exits 1\nexit 1\n"


def write_script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for name in ("Makefile", "pyproject.toml", ".env.example"):
        shutil.copy(REPO_ROOT / name, root / name)
    # `python -m venv DIR`: DIR/bin/python (and pip, backbone) as always-succeeding fakes.
    write_script(
        tmp_path / "fake-python",
        '#!/bin/sh\n[ "$1 $2" = "-m venv" ] || exit 0\nmkdir -p "$3/bin"\n'
        f"for tool in python pip backbone; do printf '{FAKE_VENV_PYTHON}' > \"$3/bin/$tool\"; "
        'chmod 755 "$3/bin/$tool"; done\n',
    )
    return root


def make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    env.pop("PYTHON", None)
    return subprocess.run(
        ["make", f"PYTHON={project.parent / 'fake-python'}", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def old_venv(project: Path) -> Path:
    """A .venv whose python reports a version the project no longer supports."""
    write_script(project / ".venv" / "bin" / "python", OLD_PYTHON)
    marker = project / ".venv" / "from-the-old-venv"
    marker.touch()
    return marker


def test_min_python_comes_from_pyproject(project: Path) -> None:
    result = make(project, "-p", "-n", ".env")
    assert "MIN_PYTHON := 3, 11" in result.stdout.splitlines()


def test_a_venv_with_an_unsupported_python_is_rebuilt(project: Path) -> None:
    marker = old_venv(project)
    result = make(project, ".venv/bin/python")
    assert result.returncode == 0, result.stderr
    assert f".venv {REBUILDING}" in result.stdout
    assert "rm -rf .venv" in result.stdout
    assert not marker.exists(), "the old venv is still there"
    assert (project / ".venv" / "bin" / "python").read_text() == FAKE_VENV_PYTHON


def test_a_venv_without_a_python_is_rebuilt(project: Path) -> None:
    (project / ".venv" / "lib").mkdir(parents=True)  # e.g. its interpreter was removed
    result = make(project, ".venv/bin/python")
    assert result.returncode == 0, result.stderr
    assert REBUILDING in result.stdout
    assert (project / ".venv" / "bin" / "python").is_file()


def test_a_venv_whose_python_is_a_dangling_link_is_rebuilt(project: Path, tmp_path: Path) -> None:
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "python").symlink_to(tmp_path / "uninstalled-python3.10")
    result = make(project, ".venv/bin/python")
    assert result.returncode == 0, result.stderr
    assert REBUILDING in result.stdout
    assert (project / ".venv" / "bin" / "python").read_text() == FAKE_VENV_PYTHON


def test_a_supported_venv_is_kept(project: Path) -> None:
    assert make(project, ".venv/bin/python").returncode == 0
    marker = project / ".venv" / "kept"
    marker.touch()
    result = make(project, ".venv/bin/python")
    assert result.returncode == 0, result.stderr
    assert "rebuilding" not in result.stdout
    assert marker.exists()


def test_the_check_runs_the_venv_python_against_requires_python(project: Path) -> None:
    """The real interpreter running these tests is too old for a project that needs 3.99."""
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('requires-python = ">=3.11"', 'requires-python = ">=3.99"')
    )
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "python").symlink_to(sys.executable)
    result = make(project, "-n", ".venv/bin/python")
    assert ".venv runs an unsupported Python (needs 3.99 or newer)" in result.stdout
    assert "rm -rf .venv" in result.stdout


def test_make_run_reinstalls_into_the_rebuilt_venv(project: Path) -> None:
    """Install stamps in the old venv must not skip `pip install` in the new one."""
    old_venv(project)
    for stamp in (".installed-run", ".installed-test"):
        (project / ".venv" / stamp).touch()
    result = make(project, "-n", "run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    steps = ["rm -rf .venv", " -m venv .venv", "pip install --quiet -e .", ".venv/bin/backbone run"]
    found = [next(i for i, line in enumerate(lines) if step in line) for step in steps]
    assert found == sorted(found), result.stdout


def test_make_run_with_an_up_to_date_venv_installs_nothing(project: Path) -> None:
    assert make(project, ".venv/bin/python").returncode == 0
    (project / ".venv" / ".installed-run").touch()
    (project / ".env").write_text("DISCORD_TOKEN=x\n")
    result = make(project, "-n", "run")
    assert result.stdout.splitlines() == [".venv/bin/backbone run"]


def test_a_python_too_old_for_a_new_venv_stops_with_advice(project: Path, tmp_path: Path) -> None:
    write_script(
        tmp_path / "fake-python",
        '#!/bin/sh\nmkdir -p "$3/bin"\n'
        f'printf \'{OLD_PYTHON}\' > "$3/bin/python"; chmod 755 "$3/bin/python"\n',
    )
    result = make(project, ".venv/bin/python")
    assert result.returncode != 0
    assert "is older than Python 3.11; run make with PYTHON=python3.12" in result.stderr
    assert not (project / ".venv").exists()


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_env_file_is_created_readable_by_its_owner_only(project: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        result = make(project, ".env")
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    env_file = project / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert env_file.read_text() == (project / ".env.example").read_text()
