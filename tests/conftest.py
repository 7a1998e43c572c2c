"""Shared test fixtures: the trained model, the NLU data, and a summary of figures."""
import asyncio
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "assistant.tar.gz"
LANGUAGES = ("sv", "en")

# Figures tests want shown after the run (accuracy per language, ...), printed by
# pytest_terminal_summary below so they are visible without -s.
FIGURES: List[str] = []


def nlu_examples(folder: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs from every Rasa YAML NLU file in a folder."""
    examples = []
    for path in sorted(folder.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                text = line.strip()
                if text.startswith("- "):
                    examples.append((text[2:].strip(), block["intent"]))
    return examples


def training_examples(language: str) -> List[Tuple[str, str]]:
    return nlu_examples(ROOT / "data" / "nlu" / language)


def held_out_examples(language: str) -> List[Tuple[str, str]]:
    return nlu_examples(ROOT / "tests" / "nlu" / language)


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}; `make test` trains it first.")
    return MODEL


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


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
