"""The scaled profile (ASSISTANT_PROFILE=scaled) against this machine's real PostgreSQL and
Redis: two Rasa instances and an action server, started with the commands and environment
`make run-scaled` uses, each test run in a database and Redis key prefix of its own.

PostgreSQL and Redis are reached through a port of the tests' own (PortProxy), which a test
can cut and restore as a network fault would. Where PostgreSQL or Redis does not run, these
tests are skipped with one line saying which, and the rest of the suite runs.
"""
import secrets
import socket
import string
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import requests

from assistant import deployment
from assistant.deployment import drop_database, rasa_environment, scaled_environment
from assistant.processes import Process, free_port, start
from tests.conftest import SERVICES
from tests.helpers import failing_if_not_started, require_services

POSTGRES, REDIS = SERVICES["postgres"], SERVICES["redis"]
# Small enough for a test to reach, large enough for every conversation of the other tests.
RATE_LIMIT_PER_SENDER = 12
RATE_LIMIT_WINDOW_SECONDS = 10


class PortProxy:
    """A TCP port in front of a service. `cut()` drops every connection and refuses new ones
    (accepts and closes them at once, as a failed network path looks to the client);
    `restore()` lets them through again."""

    def __init__(self, target: Tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open = True
        self._sockets: set = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = None
            if self._open:
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                    upstream.settimeout(None)
                except OSError:
                    pass
            if upstream is None:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(source, sink)

    def _drop(self, *sockets: socket.socket) -> None:
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
            with self._lock:
                self._sockets.discard(sock)

    def cut(self) -> None:
        self._open = False
        with self._lock:
            sockets = list(self._sockets)
        self._drop(*sockets)

    def restore(self) -> None:
        self._open = True

    def close(self) -> None:
        self.cut()
        self._listener.close()


@dataclass
class Instance:
    url: str
    process: Process

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    def post(self, sender: str, text: str, language: str = "") -> requests.Response:
        body = {"sender": sender, "message": text}
        if language:
            body["metadata"] = {"language": language}
        return requests.post(self.webhook, json=body, timeout=60)

    def say(self, sender: str, text: str, language: str = "") -> List[Dict]:
        response = self.post(sender, text, language)
        assert response.status_code == 200, f"{response.status_code}: {response.text}"
        return response.json()

    def kill(self) -> None:
        """As a crash or an OOM kill would: no chance to finish anything."""
        self.process.kill()


@dataclass
class Cluster:
    env: Dict[str, str]
    workdir: Path
    database: str
    postgres: PortProxy
    redis: PortProxy
    actions_port: int
    chat_site_port: int = 0  # the origin the instances let browsers in from (CORS)
    actions: Process = None
    model_store: Process = None
    instances: List[Instance] = field(default_factory=list)

    def start_actions(self) -> None:
        with failing_if_not_started():
            self.actions = deployment.start_actions(self.env, self.actions_port, self.workdir)

    def stop_actions(self) -> None:
        self.actions.stop()

    def start_instance(self, workers: int = 1) -> Instance:
        """An instance serving the model store's live model, as `make run-scaled` starts them."""
        port = free_port()
        process = start(f"rasa-{port}", deployment.rasa_command(self.env, port, interface="127.0.0.1"),
                        self.workdir, {**rasa_environment(self.env, rate_limits=False), "SANIC_WORKERS": str(workers),
                                       "CHAT_RATE_LIMIT_PER_SENDER": str(RATE_LIMIT_PER_SENDER)})
        instance = Instance(f"http://127.0.0.1:{port}", process)
        self.instances.append(instance)
        return instance

    def wait_until_answering(self, instances: List[Instance]) -> None:
        for instance in instances:
            with failing_if_not_started():
                deployment.wait_until_answering(instance.url, [instance.process, self.actions],
                                                f"The Rasa server at {instance.url}")

    def stored(self, sender: str) -> List[Tuple[str, Dict]]:
        """The conversation's events as PostgreSQL holds them (read directly, not through the
        proxy), in the order they were stored."""
        import json

        import psycopg2

        with psycopg2.connect(host=POSTGRES[0], port=POSTGRES[1], user="postgres", dbname=self.database) as db:
            with db.cursor() as cursor:
                cursor.execute("SELECT type_name, data FROM events WHERE sender_id = %s ORDER BY id", (sender,))
                return [(type_name, json.loads(data)) for type_name, data in cursor.fetchall()]

    def user_texts(self, sender: str) -> List[str]:
        return [data["text"] for kind, data in self.stored(sender) if kind == "user"]


@pytest.fixture(scope="session")
def cluster(model_path, tmp_path_factory):
    """An action server (two workers) and two Rasa instances of the scaled profile, the second
    with two Sanic workers, sharing one database and Redis."""
    require_services(SERVICES)
    # Letters only: no sender id made with it looks like a phone or personal identity number.
    run = "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))
    postgres, redis = PortProxy(POSTGRES), PortProxy(REDIS)
    actions_port = free_port()
    env = scaled_environment(("127.0.0.1", postgres.port), ("127.0.0.1", redis.port), f"test_{run}",
                             actions_port, CHAT_RATE_LIMIT_WINDOW_SECONDS=str(RATE_LIMIT_WINDOW_SECONDS),
                             CHAT_RATE_LIMIT_PER_ADDRESS="0")
    chat_site_port = free_port()
    env["CHAT_ALLOWED_ORIGINS"] = f"http://127.0.0.1:{chat_site_port}"
    cluster = Cluster(env, tmp_path_factory.mktemp("scaled"), env["POSTGRES_DB"], postgres, redis, actions_port,
                      chat_site_port)
    try:
        with failing_if_not_started():
            cluster.model_store = deployment.serve_model(env, model_path, cluster.workdir)
        cluster.start_actions()
        first, second = cluster.start_instance(), cluster.start_instance(workers=2)
        cluster.wait_until_answering([first, second])
        # Each worker loads the model before it serves; the second may still be loading.
        with failing_if_not_started():
            deployment.wait_for_workers(second.process, 2, "The second worker")
        yield cluster
    finally:
        for instance in cluster.instances:
            instance.process.stop()
        if cluster.actions:
            cluster.actions.stop()
        if cluster.model_store:
            cluster.model_store.stop()
        postgres.close()
        redis.close()
        drop_database(*POSTGRES, cluster.database)


@pytest.fixture
def services_restored(cluster):
    """Whatever a test cuts or stops is back for the next test."""
    yield cluster
    cluster.postgres.restore()
    cluster.redis.restore()
    if cluster.actions.popen.poll() is not None:
        cluster.start_actions()
