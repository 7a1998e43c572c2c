"""Every test story in tests/stories/ (each flow and branch, both languages) must pass,
NLU included: the stories give the user's own words, not just intents (`--e2e`; without it
Rasa takes the intents written in the stories and never runs the NLU on the user's words)."""
from tests.conftest import FIGURES


def test_every_test_story_passes(story_results):
    FIGURES.append(f"test stories: {story_results.run} run, failed: {len(story_results.failed)}")
    failed = (story_results.out / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert story_results.failed == [], f"Failed test stories:\n{failed}"
