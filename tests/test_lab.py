"""`make lab` starts JupyterLab on the course: its landing page is the start-here notebook, and the
whole course (notebooks and exercises) is reachable from it."""
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def lab():
    port, token = _free_port(), secrets.token_hex(16)
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    process = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start:\n{process.stdout.read().decode()}")
                time.sleep(0.5)
        yield base, token
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_make_lab_lands_on_the_start_here_notebook(lab):
    base, token = lab
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(f"{base}/?token={token}")
    assert redirect.value.code == 302
    assert "/lab/tree/notebooks/00_start_here.ipynb" in redirect.value.headers["Location"]


def test_make_lab_serves_the_whole_course(lab):
    base, token = lab
    for folder in ("notebooks", "exercises"):
        with urllib.request.urlopen(f"{base}/api/contents/{folder}?token={token}") as response:
            listing = json.load(response)
        names = {item["name"] for item in listing["content"]}
        assert {p.name for p in (ROOT / folder).glob("*.ipynb")} <= names
