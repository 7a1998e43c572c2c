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
def database(request, tmp_path):
    """(the endpoints file of its tracker store, the console's engine on it)"""
    if request.param == "sqlite":
        endpoints = sqlite_endpoints(tmp_path)
        yield endpoints, open_database(endpoints)
        return
    host, port = SERVICES["postgres"]
    if not reachable(host, port):
        pytest.skip(f"PostgreSQL is not reachable at {host}:{port} (POSTGRES_HOST/_PORT)")
    database = "console_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))
    endpoints = postgres_endpoints(tmp_path, SERVICES["postgres"], database)
    engine = open_database(endpoints)
    try:
        yield endpoints, engine
    finally:
        engine.dispose()
        drop_database(host, port, database)


@pytest.fixture
def engine(database):
    return database[1]
