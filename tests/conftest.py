"""Shared test fixtures: the trained model, the NLU data, and a summary of figures."""
import asyncio
import os
import shutil
import threading
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
import yaml

from assistant import paths, rasa_patches
from assistant.review.training_data import examples

# The project's settings (assistant/deployment.py documents them) are taken out of the tests'
# environment: each test says the ones it means, so the tests pass whatever the machine sets.
# Only where PostgreSQL and Redis run is taken from it, for the scaled-profile tests.
PROJECT_SETTINGS = ("ASSISTANT_PROFILE", "POSTGRES_", "REDIS_", "RASA_", "SANIC_", "SQL_", "CHAT_", "CONSOLE_",
                    "ACTION_SERVER_")
KEPT_SETTINGS = ("RASA_TELEMETRY_ENABLED",)  # off, as every make command sets it
SERVICES = {"postgres": (os.environ.get("POSTGRES_HOST", "127.0.0.1"), int(os.environ.get("POSTGRES_PORT", "5432"))),
            "redis": (os.environ.get("REDIS_HOST", "127.0.0.1"), int(os.environ.get("REDIS_PORT", "6379")))}
for _name in list(os.environ):
    if _name.startswith(PROJECT_SETTINGS) and _name not in KEPT_SETTINGS:
        del os.environ[_name]

# In-process tests meet Rasa as the server runs it (assistant/rasa_server.py applies these
# first), whatever order the tests run in.
rasa_patches.apply()

ROOT, MODEL = paths.ROOT, paths.MODEL  # for the test modules
LANGUAGES = ("sv", "en")
DOMAIN = yaml.safe_load(paths.DOMAIN.read_text(encoding="utf-8"))
COVERAGE_MAP = yaml.safe_load(paths.COVERAGE_MAP.read_text(encoding="utf-8"))
_ENGLISH_CONDITION = [{"type": "slot", "name": "language", "value": "en"}]

# Figures tests want shown after the run (accuracy per language, ...), printed by
# pytest_terminal_summary below so they are visible without -s.
FIGURES: List[str] = []


def nlu_examples(folder: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs from every Rasa YAML NLU file in a folder."""
    return examples(folder)


def training_examples(language: str) -> List[Tuple[str, str]]:
    return nlu_examples(paths.TRAINING_DATA / language)


def held_out_examples(language: str) -> List[Tuple[str, str]]:
    return nlu_examples(paths.HELD_OUT / language)


def response_variation(name: str, language: str) -> Optional[Dict]:
    """The variation of a domain response for a language, or None: the Swedish one is the
    default without a condition, the English one has the single condition language == en."""
    wanted = _ENGLISH_CONDITION if language == "en" else []
    matches = [
        variation
        for variation in DOMAIN["responses"].get(name, [])
        if (variation.get("condition") or []) == wanted
    ]
    assert len(matches) <= 1, f"{name} has {len(matches)} variations for {language}"
    return matches[0] if matches else None


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[str]:
    """Run an HTTP server in a thread for the duration of the block; yields its URL."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}; `make test` trains it first.")
    return MODEL


SMALL_CONFIG = paths.ROOT / "tests" / "small-config.yml"
# What `rasa train` printed for the worse model, beside it.
TRAINING_OUTPUT = "training-output.txt"
# The topic the worse model never learnt.
TOPIC_LEFT_OUT = "card_payment"


@pytest.fixture(scope="session")
def worse_model(tmp_path_factory) -> Path:
    """A deliberately worse model, trained once per run as a developer would outside the
    console: the tests' small configuration, on the data without the card payment topic."""
    import subprocess
    import sys

    folder = tmp_path_factory.mktemp("worse-model")
    shutil.copytree(paths.ROOT / "data", folder / "data")
    for found in (folder / "data" / "nlu").glob(f"*/{TOPIC_LEFT_OUT}.yml"):
        found.unlink()
    result = subprocess.run([str(Path(sys.executable).with_name("rasa")), "train", "--config", str(SMALL_CONFIG),
                             "--domain", str(paths.DOMAIN), "--data", str(folder / "data"), "--out", str(folder),
                             "--fixed-model-name", "worse"], cwd=paths.ROOT, capture_output=True, text=True, timeout=1800)
    (folder / TRAINING_OUTPUT).write_text(result.stdout + result.stderr, encoding="utf-8")
    model = folder / "worse.tar.gz"
    assert result.returncode == 0 and model.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return model


@pytest.fixture(scope="session")
def console(tmp_path_factory):
    """The staff console on SQLite, served as `make run` serves it, with an admin, a support
    lead and a support agent (passwords: tests.helpers.CONSOLE_PASSWORDS)."""
    from assistant.console import accounts
    from assistant.console.store import open_database
    from tests.helpers import CONSOLE_PASSWORDS, Console, seed_conversations, serving_console, sqlite_endpoints

    folder = tmp_path_factory.mktemp("console")
    endpoints = sqlite_endpoints(folder)
    engine = open_database(endpoints)
    for username, name, role in (("admin", "Ada Admin", accounts.ADMIN), ("lead", "Lea Lead", accounts.LEAD),
                                 ("agent", "Aga Agent", accounts.AGENT)):
        accounts.create_account(engine, username, name, role, CONSOLE_PASSWORDS[username])
    seed_conversations(endpoints)
    # Approved corrections and edited answers are written into a copy of the project.
    shutil.copytree(paths.ROOT / "data", folder / "data")
    for name in ("config.yml", "domain.yml"):
        shutil.copyfile(paths.ROOT / name, folder / name)
    # Every test signs in from 127.0.0.1: the limit per address is tested on a console of its own.
    with serving_console(folder, endpoints, {"CONSOLE_SIGN_INS_PER_MINUTE": "10000", "CONSOLE_INDEX_SECONDS": "0.5",
                                             "CONSOLE_TRAINING_DATA": str(folder / "data" / "nlu")}) as url:
        yield Console(url, endpoints, folder / "data" / "nlu", folder / "domain.yml")


@pytest.fixture(scope="session")
def story_results(model_path, tmp_path_factory):
    """The test stories run end to end once (`rasa test core --e2e`), for the tests and the
    evaluation report."""
    from assistant.review.evaluation import run_test_stories

    return run_test_stories(model_path, tmp_path_factory.mktemp("stories"))


@pytest.fixture(scope="session")
def agent(model_path):
    from rasa.core.agent import Agent

    return Agent.load(str(model_path))


@pytest.fixture(scope="session")
def parse(agent):
    """Parse texts with the trained model (NLU only, no conversation)."""

    def _parse(texts: List[str]) -> List[Dict]:
        async def run() -> List[Dict]:
            return [await agent.parse_message(text) for text in texts]

        return asyncio.run(run())

    return _parse


# Fixtures that need the trained model; a test using any of them (directly or through another
# fixture) is marked `model`, so `make test-fast` can leave it out.
_MODEL_FIXTURES = {"model_path", "agent", "parse", "story_results", "bot", "worse_model"}


def pytest_collection_modifyitems(items):
    for item in items:
        if _MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)
        if "browser" in Path(str(item.fspath)).parent.parts:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
