"""Start the action server and a Rasa server on a model, as `make run` does, and watch them."""
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import requests
import yaml

from assistant import deployment
from assistant.deployment import server_settings_file

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).with_name("rasa"))
STARTUP_TIMEOUT_SECONDS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Rasa's own settings, for the baseline: its SQL tracker store and REST channel (and none of
# scripts/rasa-server.env).
STOCK_TRACKER_STORE = {"type": "SQL", "dialect": "sqlite"}
STOCK_CREDENTIALS = {"rest": None}


def server_environment() -> Dict[str, str]:
    """The Rasa server's own settings (scripts/rasa-server.env), as `make run` applies them,
    with the rate limits off: every simulated user comes from this one address, and a long
    conversation sends 200 messages in seconds."""
    return {**server_settings_file(),
            "CHAT_RATE_LIMIT_PER_SENDER": "0", "CHAT_RATE_LIMIT_PER_ADDRESS": "0"}


def scaled_environment(postgres: Tuple[str, int], redis: Tuple[str, int], run: str,
                       actions_port: int, **settings: str) -> Dict[str, str]:
    """The scaled profile's environment (assistant/deployment.py) for servers of one test or
    bench run: a PostgreSQL database and Redis keys of its own, and this action server."""
    return deployment.server_environment({
        "ASSISTANT_PROFILE": "scaled",
        "POSTGRES_HOST": postgres[0], "POSTGRES_PORT": str(postgres[1]), "POSTGRES_DB": f"assistant_{run}",
        "POSTGRES_USER": "postgres", "POSTGRES_LOGIN_DB": "postgres",
        "REDIS_HOST": redis[0], "REDIS_PORT": str(redis[1]), "REDIS_KEY_PREFIX": run.replace("_", ""),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
        **settings,
    }, origins=[])


def drop_database(host: str, port: int, name: str) -> None:
    import psycopg2

    db = psycopg2.connect(host=host, port=port, user="postgres", dbname="postgres")
    db.autocommit = True
    with db.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    db.close()


def write_endpoints(workdir: Path, actions_port: int, stock: bool = False) -> Path:
    """The project's endpoints.yml (or Rasa's stock tracker store), with this action
    server's port and a SQLite file of its own in `workdir`."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    if stock:
        endpoints["tracker_store"] = dict(STOCK_TRACKER_STORE)
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    endpoints["tracker_store"]["db"] = str(workdir / "conversations.db")
    path = workdir / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    return path


def _tree(pid: int) -> List[int]:
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
    for member in _tree(pid):
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
    log: Path

    def rss_mib(self) -> float:
        return sum(_status_kib(pid, "VmRSS") for pid in _tree(self.popen.pid)) / 1024

    def peak_rss_mib(self) -> float:
        return sum(_status_kib(pid, "VmHWM") for pid in _tree(self.popen.pid)) / 1024

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.popen.pid)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


def start(name: str, args: List[str], workdir: Path, env: Optional[Dict[str, str]] = None) -> Process:
    log = workdir / f"{name}.log"
    environment = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT),
                   "PYTHONWARNINGS": "ignore::DeprecationWarning", **(env or {})}
    popen = subprocess.Popen(args, cwd=ROOT, env=environment, stdout=log.open("wb"),
                             stderr=subprocess.STDOUT, start_new_session=True)
    return Process(name, popen, log)


@dataclass
class Servers:
    url: str
    rasa: Process
    actions: Process
    cold_start_seconds: float

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    def stop(self) -> None:
        self.rasa.stop()
        self.actions.stop()


def wait_for(check, processes: List[Process], what: str) -> None:
    """Until `check()` is true (a connection refused or a reply that is no JSON count as not
    yet); RuntimeError, with the end of the log, if a process stops or it takes too long."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for process in processes:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{what}: {process.name} stopped while starting:\n"
                                   + process.log.read_text(errors="replace")[-3000:])
        try:
            if check():
                return
        except (requests.ConnectionError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {STARTUP_TIMEOUT_SECONDS} s:\n"
                       + processes[-1].log.read_text(errors="replace")[-3000:])


def start_servers(model: Path, workdir: Path, stock: bool = False) -> Servers:
    """The action server first, then the Rasa server, as `make run` starts them, or with
    `stock` as plain Rasa would (see STOCK_...). The cold start is the time from launching
    `rasa run` to its first answer to a user message."""
    workdir.mkdir(parents=True, exist_ok=True)
    rasa_port, actions_port = free_port(), free_port()
    endpoints = write_endpoints(workdir, actions_port, stock)
    if stock:
        credentials = workdir / "credentials.yml"
        credentials.write_text(yaml.safe_dump(STOCK_CREDENTIALS), encoding="utf-8")
        env: Dict[str, str] = {}
        command = [RASA, "run", "--model", str(model), "--port", str(rasa_port), "--interface", "127.0.0.1",
                   "--endpoints", str(endpoints), "--credentials", str(credentials)]
    else:
        env = {**deployment.server_environment({}), **server_environment()}
        command = deployment.rasa_command(env, rasa_port, model, endpoints, interface="127.0.0.1")
    actions = start("actions", deployment.action_server_command(actions_port), workdir)
    wait_for(lambda: requests.get(f"http://127.0.0.1:{actions_port}/health", timeout=2).ok,
              [actions], "The action server")
    launched = time.monotonic()
    rasa = start("rasa", command, workdir, env)
    url = f"http://127.0.0.1:{rasa_port}"

    def answers() -> bool:
        reply = requests.post(f"{url}/webhooks/rest/webhook", timeout=60,
                              json={"sender": f"cold-start-{uuid.uuid4()}", "message": "hej"})
        return reply.ok and bool(reply.json())

    try:
        wait_for(answers, [actions, rasa], "The Rasa server")
    except Exception:
        rasa.stop()
        actions.stop()
        raise
    return Servers(url, rasa, actions, time.monotonic() - launched)
