"""The Binder build, simulated as far as this machine allows (no conda, no Docker): a fresh virtual environment
with exactly environment.yml's packages, then postBuild, then JupyterLab started the way a Binder session
starts it, at the badge's notebook. The course must open, and its first lecture must run, with nothing but
what Binder installs."""
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BADGE = re.compile(r"https://mybinder\.org/v2/gh/[\w.-]+/[\w.-]+/HEAD\?urlpath=([^)\s]+)")
pytestmark = pytest.mark.slow


def _badge_notebook():
    match = BADGE.search((ROOT / "README.md").read_text())
    assert match, "README.md has a Binder badge: https://mybinder.org/v2/gh/OWNER/REPO/HEAD?urlpath=..."
    urlpath = urllib.parse.unquote(match.group(1))
    assert urlpath.startswith("lab/tree/"), f"the badge opens JupyterLab at a notebook, got urlpath={urlpath}"
    return urlpath.removeprefix("lab/tree/")


def test_binder_badge_opens_jupyterlab_at_the_start_here_notebook():
    notebook = _badge_notebook()
    assert notebook == "notebooks/00_start_here.ipynb" and (ROOT / notebook).is_file()


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory):
    """A copy of the repository as Binder sees it, and a venv holding exactly environment.yml's packages
    after postBuild ran in it."""
    work = tmp_path_factory.mktemp("binder")
    repo = work / "repo"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    env = yaml.safe_load((repo / "environment.yml").read_text())
    packages = [d for d in env["dependencies"] if isinstance(d, str) and not re.match(r"(python|pip)\b", d)]
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # --no-compile: Binder installs with conda, so how pip byte-compiles is nothing to simulate (a third of the time)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile", *packages], check=True,
                   capture_output=True)
    path = f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(["./postBuild"], cwd=repo, env={**os.environ, "PATH": path}, capture_output=True, text=True)
    assert result.returncode == 0, f"postBuild failed:\n{result.stdout}\n{result.stderr}"
    return repo, venv, path


def test_postbuild_installs_the_course_into_binders_environment(binder_env):
    repo, venv, _ = binder_env
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import course_lib; print(course_lib.__file__)"],
                           cwd=repo.parent, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).resolve().is_relative_to(repo.resolve())


def test_the_first_lecture_runs_with_only_binders_packages(binder_env):
    repo, venv, path = binder_env
    for notebook in ("notebooks/00_start_here.ipynb", "notebooks/01_perceptron.ipynb"):
        result = subprocess.run([str(venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                                 "--ExecutePreprocessor.timeout=300", "--output-dir", str(repo.parent / "run"),
                                 str(repo / notebook)],
                                cwd=repo / "notebooks", env={**os.environ, "PATH": path}, capture_output=True, text=True)
        assert result.returncode == 0, f"{notebook} failed in Binder's environment:\n{result.stderr[-3000:]}"


def test_jupyterlab_started_as_binder_does_serves_the_course(binder_env):
    repo, venv, path = binder_env
    notebook = _badge_notebook()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    # A Binder session runs the Jupyter server in the repository and sends the browser to the badge's urlpath.
    command = [str(venv / "bin" / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    process = subprocess.Popen(command, cwd=repo, env={**os.environ, "PATH": path}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/lab/tree/{notebook}?token={token}", timeout=5) as response:
                    landing, page = response.geturl(), response.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None and time.monotonic() < deadline, "JupyterLab did not start"
                time.sleep(0.5)
        assert landing.split("?")[0].endswith(f"/lab/tree/{notebook}")
        assert "JupyterLab" in page
        with urllib.request.urlopen(f"{base}/api/contents/{notebook}?token={token}") as response:
            assert response.status == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
