"""Start the action server and the Rasa server on free ports, as `make run` does."""
import uuid

import pytest

from assistant import deployment
from assistant.processes import free_port
from tests.helpers import Bot


@pytest.fixture(scope="session")
def bot(model_path, tmp_path_factory) -> Bot:
    chat_site_port, embedding_site_port = free_port(), free_port()
    try:
        # As `make run` starts them, with the two pages' origins allowed. Debug logging writes
        # every user message to the log: the privacy tests check that only masked text gets there.
        servers = deployment.start_servers(
            model_path, tmp_path_factory.mktemp("servers"),
            origins=[f"http://127.0.0.1:{chat_site_port}", f"http://127.0.0.1:{embedding_site_port}"],
            rasa_arguments=["--debug"])
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield Bot(servers.url, servers.rasa.log, servers.endpoints, servers.tracker_db,
                  chat_site_port, embedding_site_port, servers.chat_secret)
    finally:
        servers.stop()


@pytest.fixture
def sender() -> str:
    """A new conversation for each test."""
    return f"test-{uuid.uuid4()}"
