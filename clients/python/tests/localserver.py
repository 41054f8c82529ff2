"""Starts `cicd-apiserver local` for the tests, or uses a running server.

CICD_TEST_KUBECONFIG: use the server this kubeconfig names (it is not stopped).
CICD_APISERVER: the server binary to start (default: _output/bin/cicd-apiserver).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_LINE = re.compile(r"KUBECONFIG=(\S+?);?(\s|$)")


class LocalServer:
    """A `cicd-apiserver local` on a free port with a fresh data dir."""

    def __init__(self) -> None:
        self.kubeconfig = os.environ.get("CICD_TEST_KUBECONFIG", "")
        self._proc: subprocess.Popen[str] | None = None
        self._dir: str | None = None
        self.output: list[str] = []

    def start(self, ready_timeout: float = 90.0) -> str:
        if self.kubeconfig:
            return self.kubeconfig
        binary = os.environ.get("CICD_APISERVER") or str(ROOT / "_output/bin/cicd-apiserver")
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"no server binary at {binary}: run 'make build' or set CICD_APISERVER")
        self._dir = tempfile.mkdtemp(prefix="cicd-python-")
        self._proc = subprocess.Popen(
            [binary, "local", "--data-dir", self._dir, "--secure-port", "0", "--max-jenkinsservices", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        found = threading.Event()

        def read() -> None:
            assert self._proc is not None and self._proc.stdout is not None
            for line in self._proc.stdout:
                self.output.append(line)
                m = _LINE.search(line)
                if m and not found.is_set():
                    self.kubeconfig = m.group(1)
                    found.set()
            found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(ready_timeout) or not self.kubeconfig:
            self.stop()
            raise RuntimeError("server not ready:\n" + "".join(self.output[-50:]))
        return self.kubeconfig

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(60)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
