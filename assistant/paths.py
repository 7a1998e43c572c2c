"""Where the project's files are, computed once: every module that needs one imports it here."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MODEL = ROOT / "models" / "assistant.tar.gz"
CONFIG = ROOT / "config.yml"
DOMAIN = ROOT / "domain.yml"
CREDENTIALS = ROOT / "credentials.yml"
ENDPOINTS = ROOT / "endpoints.yml"
ENDPOINTS_SCALED = ROOT / "endpoints-scaled.yml"
TRAINING_DATA = ROOT / "data" / "nlu"
HELD_OUT = ROOT / "tests" / "nlu"
TEST_STORIES = ROOT / "tests" / "stories"
COVERAGE_MAP = ROOT / "content" / "coverage-map.yml"
RASA_SERVER_SETTINGS = ROOT / "scripts" / "rasa-server.env"
WEB = ROOT / "web"
REPORTS = ROOT / "reports"
VAR = ROOT / "var"
