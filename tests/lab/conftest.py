"""A real JupyterLab for the live-notebook test: the environment's ``jupyter lab`` on
127.0.0.1 with a token, and fresh user settings, workspaces, configuration and data
folders, so that only what ``make setup`` installed into the environment counts.

``GTP_LAB_ROOT`` serves another checkout (e.g. an older commit, to see the test fail).
"""
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
import helpers  # noqa: E402

ROOT = Path(os.environ.get("GTP_LAB_ROOT", Path(__file__).resolve().parents[2]))
SCREENSHOTS = helpers.BUILD / "screenshots" / "lab"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, tmp):
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)          # the kernel draws inline, as for a reader
        for name in ("JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_CONFIG_DIR",
                     "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
            env[name] = str(tmp / name.lower())
        # no news or update prompts over the page (they would cover the panels' buttons)
        (tmp / "jupyter_config_dir").mkdir()
        (tmp / "jupyter_config_dir" / "jupyter_server_config.json").write_text(json.dumps(
            {"LabApp": {"news_url": None,
                        "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}}))
        self.log = open(tmp / "jupyterlab.log", "w")
        self.log_path = tmp / "jupyterlab.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={self.token}", "--ServerApp.open_browser=False",
             f"--ServerApp.root_dir={ROOT}", "--LabApp.expose_app_in_browser=True",
             ]
            + (["--allow-root"] if os.geteuid() == 0 else []),       # CI runs as root
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{self.base}/api/status?token={self.token}", timeout=5)
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.close()
                    raise RuntimeError("JupyterLab did not start:\n" + self.log_path.read_text()[-3000:])
                time.sleep(0.5)

    def url(self, path):
        """The address of ``path`` in a fresh workspace (no tab of an earlier page restored)."""
        return f"{self.base}/lab/tree/{path}?token={self.token}&reset"

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp("lab"))
    yield server
    server.close()


@pytest.fixture(scope="module")
def driver():
    with helpers.browser_or_skip() as d:
        d.set_window_size(1400, 1100)
        d.set_script_timeout(900)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        yield d
