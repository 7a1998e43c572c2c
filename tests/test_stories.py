"""Every test story in tests/stories/ (each flow and branch, both languages) must pass,
NLU included: the stories give the user's own words, not just intents."""
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIGURES, ROOT

STORIES = ROOT / "tests" / "stories"


def test_every_test_story_passes(model_path, tmp_path):
    rasa = Path(sys.executable).with_name("rasa")
    # Without --e2e, Rasa takes the intents written in the stories and never runs the NLU on
    # the user's words.
    result = subprocess.run(
        [str(rasa), "test", "core", "--model", str(model_path), "--stories", str(STORIES),
         "--out", str(tmp_path), "--no-plot", "--e2e"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    story_count = sum(
        path.read_text(encoding="utf-8").count("- story:") for path in STORIES.glob("*.yml")
    )
    FIGURES.append(f"test stories: {story_count} run, failed: {failed.count('- story:')}")
    assert "- story:" not in failed, f"Failed test stories:\n{failed}"
