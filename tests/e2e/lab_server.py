"""A JupyterLab server for the browser tests that always cleans up after itself.

`LabServer(root)` starts `jupyter lab` on 127.0.0.1, on a free port, with a random token, with
its settings, workspaces, runtime files and IPython profile in a private temporary folder (so a
user's own JupyterLab configuration cannot change what the test sees), and with the news
toast and update checks turned off. Used as a context manager it shuts the server and every
kernel it started down on the way out, also when the block raised: first politely through the
REST API, then with signals, and `leftovers()` lists any process that survived (the tests
assert it is empty).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

# User settings written into the server's private settings folder.
_SETTINGS = {
    # No "Would you like to receive official Jupyter news?" toast over the notebook.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # Every cell in the DOM, in order, whether or not it is scrolled into view.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
# Server configuration: no "is the build up to date?" check (seconds of CPU on every page
# load, irrelevant for a prebuilt JupyterLab) and no terminals.
_SERVER_CONFIG = {
    "ServerApp": {
        "tornado_settings": {"page_config_data": {"buildCheck": False, "buildAvailable": False}},
        "jpserver_extensions": {"jupyter_server_terminals": False},
        "terminals_enabled": False,
    }
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children() -> dict[int, list[int]]:
    """Map of pid -> child pids, read from /proc (empty where there is no /proc)."""
    tree: dict[int, list[int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return tree
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, grandchildren, ...)."""
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited; it only waits for its parent to reap it
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


class LabServer:
    """JupyterLab serving `root` on 127.0.0.1:<free port> with a random token.

    Parameters
    ----------
    root : the folder the server shows (a temporary copy of the notebooks).
    startup_timeout : seconds to wait for the server to answer.
    """

    def __init__(self, root: Path, startup_timeout: float = 90.0) -> None:
        self.root = Path(root)
        self.startup_timeout = startup_timeout
        self.token = secrets.token_hex(24)
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._private = Path(tempfile.mkdtemp(prefix="bp-e2e-lab-"))
        self.log_path = self._private / "server.log"
        self._log_file = None
        self._pids: set[int] = set()
        self.kernels_started: set[str] = set()  # notebooks whose kernel start_kernel_for began

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> LabServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _env(self) -> dict[str, str]:
        settings = self._private / "settings"
        for rel, values in _SETTINGS.items():
            path = settings / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        config = self._private / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "jupyter_server_config.json").write_text(json.dumps(_SERVER_CONFIG))
        env = dict(os.environ)
        env.update(
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(self._private / "workspaces"),
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_DATA_DIR=str(self._private / "data"),
            JUPYTER_RUNTIME_DIR=str(self._private / "runtime"),
            IPYTHONDIR=str(self._private / "ipython"),
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self) -> None:
        """Start the server and wait until its REST API answers."""
        self.port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log_file = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=self._env(),
            cwd=self.root,
            start_new_session=True,  # its own process group, so one signal reaches it all
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {self.process.returncode} while starting; "
                    f"its log:\n{self.log_text()[-3000:]}"
                )
            try:
                self.api("GET", "status", timeout=2)
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.25)
        raise TimeoutError(
            f"JupyterLab did not answer on port {self.port} within {self.startup_timeout:.0f} s; "
            f"its log:\n{self.log_text()[-3000:]}"
        )

    def stop(self) -> None:
        """Shut the server and its kernels down; escalate to signals if they linger."""
        proc = self.process
        if proc is not None and proc.poll() is None:
            self._pids.update(descendants(proc.pid))
            try:  # the polite way: the server shuts its kernels down itself
                self.api("POST", "shutdown", timeout=5)
                proc.wait(timeout=20)
            except (OSError, urllib.error.URLError, subprocess.TimeoutExpired):
                pass
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                if proc.poll() is not None:
                    break
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=wait)
                except subprocess.TimeoutExpired:
                    pass
        if proc is not None:
            self._pids.add(proc.pid)
        # Kernels run in sessions of their own, so the process-group signal misses them.
        for pid in self.leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while self.leftovers() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self._log_file is not None and not self._log_file.closed:
            self._log_file.close()
        shutil.rmtree(self._private, ignore_errors=True)

    def leftovers(self) -> list[int]:
        """Pids of the server and of the processes it started that are still running."""
        return sorted(pid for pid in self._pids if _alive(pid))

    def track_children(self) -> None:
        """Remember the server's current child processes (kernels) for the clean-up check."""
        if self.process is not None and self.process.poll() is None:
            self._pids.update(descendants(self.process.pid))

    # -- talking to it ---------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, notebook: str, workspace: str = "default") -> str:
        """The URL that opens `notebook` (a path relative to the root) in JupyterLab.

        Each workspace remembers its open tabs; a fresh name per page shows `notebook` alone.
        """
        return f"{self.base_url}/lab/workspaces/{workspace}/tree/{notebook}?token={self.token}"

    def api(self, method: str, path: str, body: object = None, timeout: float = 10) -> object:
        """Call the server's REST API (`/api/<path>`) and return the decoded JSON (or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}/api/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw.strip() else None

    def start_kernel_for(self, notebook: str) -> None:
        """Start `notebook`'s kernel session now; JupyterLab joins it when the notebook opens.

        A fresh kernel takes seconds to start: starting the next notebook's kernel while the
        current one is checked overlaps those seconds with other waiting.
        """
        body = {"path": notebook, "name": notebook, "type": "notebook"}
        self.api("POST", "sessions", {**body, "kernel": {"name": "python3"}})
        self.kernels_started.add(notebook)

    def shutdown_kernels_of(self, notebook: str) -> None:
        """End the kernel sessions of `notebook`, so finished notebooks free their memory."""
        self.track_children()
        for session in self.api("GET", "sessions") or []:
            if session.get("path") == notebook:
                self.api("DELETE", f"sessions/{session['id']}")

    def log_text(self, start: int = 0) -> str:
        """The server's log (kernel stderr included) from byte offset `start`."""
        if self._log_file is not None and not self._log_file.closed:
            self._log_file.flush()
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(start)
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0
