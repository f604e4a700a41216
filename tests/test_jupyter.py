"""The chapters as notebooks: served by a Jupyter server (jupytext), and executed end to end.

* A Jupyter server on localhost (a free port, a random token, bounded in time and always
  stopped) serves a MyST chapter through its contents API as a notebook with the chapter's
  cells: what JupyterLab (``make lab``) opens.
* One chapter that reads the committed results cache runs as a notebook, top to bottom, in a
  fresh kernel, without the corpus.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")

REPO_ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = REPO_ROOT / "chapters"
SERVER_START_S = 90
#: A short chapter that reads data/results (the results cache) and data/results/theory_estimates.json.
CHEAP_CHAPTER = "theory_over_data.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def jupyter_server(tmp_path):
    pytest.importorskip(
        "jupyter_server", reason="jupyter_server is not installed: pip install -r requirements.txt"
    )
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "PYTHONUNBUFFERED": "1"}
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={REPO_ROOT}",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"the Jupyter server exited ({proc.returncode}):\n"
                    + (tmp_path / "server.log").read_text()[-3000:]
                )
            try:
                _get(f"{base}/api/status", token)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"the Jupyter server did not answer within {SERVER_START_S} s:\n"
                        + (tmp_path / "server.log").read_text()[-3000:]
                    )
                time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


def test_contents_api_serves_a_chapter_as_notebook(jupyter_server):
    base, token = jupyter_server
    chapter = "chapters/corpus.md"
    model = _get(f"{base}/api/contents/{chapter}?type=notebook&content=1", token)
    assert model["type"] == "notebook", model.get("type")
    served = model["content"]
    expected = jupytext.read(REPO_ROOT / chapter)
    assert served["metadata"]["kernelspec"]["name"] == "python3"
    got = [(c["cell_type"], c["source"]) for c in served["cells"]]
    want = [(c["cell_type"], c["source"]) for c in expected.cells]
    assert len(got) == len(want) and got == want
    assert sum(t == "code" for t, _ in got) >= 4


def test_a_chapter_executes_as_a_notebook(tmp_path, monkeypatch):
    """theory_over_data, top to bottom, from the committed results cache (no corpus)."""
    from nbclient import NotebookClient

    monkeypatch.delenv("COLLECTIVE_RESUMES", raising=False)
    notebook = jupytext.read(CHAPTERS / CHEAP_CHAPTER)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(CHAPTERS)}},
    )
    client.execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert code and images, "the chapter drew no figure"
