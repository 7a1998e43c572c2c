"""The launcher's tools for server processes: start one with its log, wait until it serves,
measure its CPU and memory (with its Sanic workers), stop it. `assistant/deployment.py`
decides what to start; `make run`, the tests and `make bench` all start through it and this.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional

from assistant.paths import ROOT

STARTUP_TIMEOUT_SECONDS = 300
RASA = str(Path(sys.executable).with_name("rasa"))  # plain `rasa`, for Rasa's stock behaviour


def base_environment(environ: Mapping[str, str]) -> Dict[str, str]:
    """What every process started here gets, whatever else it is given."""
    return {
        **os.environ, **environ,
        # Nothing about the conversations leaves the machine, whatever the user's Rasa config.
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reachable(host: str, port: int, timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def process_tree(pid: int) -> List[int]:
    """The process and all its descendants (Sanic workers are child processes)."""
    pids, found = [pid], []
    while pids:
        current = pids.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        pids.extend(int(child) for child in children)
    return found


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the process tree so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Optional[Path]  # None: the process writes to this terminal

    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, characters: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log else ""

    def rss_mib(self) -> float:
        return sum(_status_kib(pid, "VmRSS") for pid in process_tree(self.popen.pid)) / 1024

    def peak_rss_mib(self) -> float:
        return sum(_status_kib(pid, "VmHWM") for pid in process_tree(self.popen.pid)) / 1024

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.popen.pid)

    def stop(self) -> None:
        stop_all([self])

    def kill(self) -> None:
        """As a crash or an OOM kill would: no chance to finish anything."""
        if self.running():
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def stop_all(processes: List[Process], timeout: float = 30) -> None:
    """Ask every process to stop at once (SIGTERM to its group), then wait for them together;
    what has not stopped within `timeout` seconds is killed."""
    for process in processes:
        if process.running():
            os.killpg(process.popen.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def start(name: str, args: List[str], workdir: Optional[Path] = None,
          env: Optional[Mapping[str, str]] = None) -> Process:
    """Start `args` in a process group of its own (so that stopping it stops its workers too),
    logging to `workdir/<name>.log`, or to this terminal without a workdir."""
    log = workdir / f"{name}.log" if workdir is not None else None
    output = log.open("wb") if log is not None else None
    popen = subprocess.Popen(args, cwd=ROOT, env=base_environment(env or {}), stdout=output,
                             stderr=subprocess.STDOUT if output else None, start_new_session=True)
    return Process(name, popen, log)


def wait_for(check: Callable[[], bool], processes: List[Process], what: str,
             timeout: float = STARTUP_TIMEOUT_SECONDS) -> None:
    """Until `check()` is true (a refused connection or a reply that is no JSON count as not
    yet); RuntimeError, with the end of the log, if a process stops or it takes too long."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if not process.running():
                raise RuntimeError(f"{what}: {process.name} stopped while starting:\n" + process.log_tail())
        try:
            if check():
                return
        except (requests.ConnectionError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {timeout:.0f} s:\n" + processes[-1].log_tail())
