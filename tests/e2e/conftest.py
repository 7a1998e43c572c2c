"""Start the action server and the Rasa server on free ports, as `make run` does."""
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import requests

from assistant import deployment
from bench.servers import Process, free_port, server_environment, start, wait_for, write_endpoints


@dataclass
class Bot:
    url: str
    server_log: Path
    endpoints: Path  # the server's endpoints.yml: its action server and SQLite tracker store
    tracker_db: Path
    # The origins the Rasa server answers browsers from (CORS): the demo chat page's, and
    # another site's that embeds the widget.
    chat_site_port: int
    embedding_site_port: int

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    def post(self, body: Any) -> requests.Response:
        return requests.post(self.webhook, json=body, timeout=30)

    def say(self, sender: str, text: str, metadata: Optional[Dict] = None) -> List[Dict]:
        body: Dict[str, Any] = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        response = self.post(body)
        assert response.status_code == 200, response.text
        return response.json()


def started(check, processes: List[Process], what: str) -> None:
    """bench.servers.wait_for, failing the test with the server's log."""
    try:
        wait_for(check, processes, what)
    except RuntimeError as error:
        pytest.fail(str(error))


def _wait_until_answering(bot: Bot, processes: List[Process]) -> None:
    started(lambda: bool(bot.post({"sender": f"probe-{uuid.uuid4()}", "message": "/greet"}).json()),
            processes, "The servers")


@pytest.fixture(scope="session")
def bot(model_path, tmp_path_factory) -> Bot:
    workdir = tmp_path_factory.mktemp("servers")
    rasa_port, actions_port = free_port(), free_port()
    chat_site_port, embedding_site_port = free_port(), free_port()
    endpoints = write_endpoints(workdir, actions_port)
    tracker_db = workdir / "conversations.db"
    # As `make run` starts them, with the two pages' origins allowed.
    env = deployment.server_environment(
        {}, origins=[f"http://127.0.0.1:{chat_site_port}", f"http://127.0.0.1:{embedding_site_port}"])
    actions = start("actions", deployment.action_server_command(actions_port), workdir, env)
    server = start(
        "rasa",
        deployment.rasa_command(env, rasa_port, model_path, endpoints, interface="127.0.0.1")
        # Debug logging writes every user message to the log: the privacy tests check that
        # only masked text gets there.
        + ["--debug"],
        workdir, {**env, **server_environment()},
    )
    bot = Bot(f"http://127.0.0.1:{rasa_port}", workdir / "rasa.log", endpoints, tracker_db,
              chat_site_port, embedding_site_port)
    try:
        _wait_until_answering(bot, [actions, server])
        yield bot
    finally:
        server.stop()
        actions.stop()


@pytest.fixture
def sender() -> str:
    """A new conversation for each test."""
    return f"test-{uuid.uuid4()}"
