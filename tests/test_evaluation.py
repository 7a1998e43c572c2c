"""`make evaluate`: the evaluation report, written from the trained model and the test stories."""
import csv
import json

from tests.conftest import DOMAIN, LANGUAGES


def test_the_report_has_every_part_and_compares_with_the_previous_one(agent, story_results, tmp_path):
    from assistant.review.evaluation import build_report

    build_report(agent, tmp_path, story_results, model_name="first")
    first = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "Compared with the previous report" not in first
    assert f"**Test stories:** {story_results.run} run" in first
    for language in LANGUAGES:
        assert f"## {language}: the ten worst confusions" in first
        assert (tmp_path / language / "confusion.png").read_bytes()[:4] == b"\x89PNG"
        with (tmp_path / language / "intents.csv").open(encoding="utf-8-sig") as file:
            intents = {row["label"]: row for row in csv.DictReader(file, delimiter=";")}
        # Every intent of the domain is scored; other_language on the other languages' messages.
        assert set(intents) == set(DOMAIN["intents"]) - {"other_language"}
        assert all(0 <= float(row["f1"]) <= 1 for row in intents.values())
        with (tmp_path / language / "answers.csv").open(encoding="utf-8-sig") as file:
            answers = [row["label"] for row in csv.DictReader(file, delimiter=";")]
        assert answers and all(label.startswith("faq/") for label in answers)
    # Per class of held-out sentences, and the messages in other languages.
    for title in ("| clean |", "| stories |", "| mixed languages |", "| misspelt, no å/ä/ö |"):
        assert title in first
    assert "**Other languages:**" in first and "got the reply in Swedish and English" in first
    figures = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert figures["languages"]["sv"]["topic_accuracy"] >= 0.9
    assert set(figures["languages"]["sv"]["classes"]) == {"clean", "story", "mixed", "misspelt", "nordic"}
    assert figures["other_languages"]["sentences"] >= 150

    build_report(agent, tmp_path, story_results, model_name="second")
    second = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "Compared with the previous report (first)" in second
    assert "(no change)" in second  # the same model: every figure as before
