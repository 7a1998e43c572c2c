"""A new console database of each kind the two profiles keep: SQLite and PostgreSQL."""
import secrets
import string

import pytest

from assistant.console.store import open_database
from assistant.deployment import drop_database
from assistant.processes import reachable
from tests.conftest import SERVICES
from tests.helpers import postgres_endpoints, sqlite_endpoints


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        yield open_database(sqlite_endpoints(tmp_path))
        return
    host, port = SERVICES["postgres"]
    if not reachable(host, port):
        pytest.skip(f"PostgreSQL is not reachable at {host}:{port} (POSTGRES_HOST/_PORT)")
    database = "console_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))
    engine = open_database(postgres_endpoints(tmp_path, SERVICES["postgres"], database))
    try:
        yield engine
    finally:
        engine.dispose()
        drop_database(host, port, database)
