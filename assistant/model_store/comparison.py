"""How a model does on the held-out sentences and the test stories, and whether it may replace
the live one.

    python -m assistant.model_store.comparison MODEL OUT.json     (run by the console's jobs)

The evaluation is that of `make evaluate` (assistant/review/evaluation.py): per language the
intent, page-answer and topic accuracy on tests/nlu/<language>/, and Rasa's end-to-end test
stories; kept with the model, with what each held-out sentence was taken for, so that two
models can be compared sentence by sentence.

The gate: a model that is worse than the live one on any per-language figure by more than
MODEL_GATE_MARGIN_POINTS percentage points (1 by default), or that fails a test story, is not
activated without an admin's override.
"""
import hashlib
import json
import os
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from assistant.language import SUPPORTED_LANGUAGES

FIGURES = ("intent_accuracy", "answer_accuracy", "topic_accuracy")
DEFAULT_MARGIN_POINTS = 1.0
MOST_CHANGES_SHOWN = 50


def margin_points(environ: Optional[Mapping[str, str]] = None) -> float:
    value = (os.environ if environ is None else environ).get("MODEL_GATE_MARGIN_POINTS", "")
    try:
        margin = float(value) if value else DEFAULT_MARGIN_POINTS
    except ValueError:
        raise ValueError(f"MODEL_GATE_MARGIN_POINTS must be a number of percentage points, not {value!r}") from None
    if not 0 <= margin <= 100:
        raise ValueError("MODEL_GATE_MARGIN_POINTS must be between 0 and 100")
    return margin


def tests_sha256() -> str:
    """Of the held-out sentences and the test stories: two evaluations compare only if equal."""
    from assistant.paths import HELD_OUT, TEST_STORIES

    digest = hashlib.sha256()
    for folder in (HELD_OUT, TEST_STORIES):
        for path in sorted(folder.rglob("*.yml")):
            digest.update(path.relative_to(folder.parent).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def evaluate(model: Path, workdir: Path) -> Dict:
    """The model's figures per language, what each held-out sentence was taken for, and the
    test stories' results."""
    from rasa.core.agent import Agent

    from assistant.review.evaluation import language_figures, predict, run_test_stories

    stories = run_test_stories(model, workdir / "stories")
    agent = Agent.load(str(model))
    result: Dict = {"languages": {}, "tests_sha256": tests_sha256(),
                    "stories": {"run": stories.run, "failed": [_story_name(name) for name in stories.failed]}}
    for language in SUPPORTED_LANGUAGES:
        predictions = predict(agent, language)
        figures = language_figures(predictions)
        result["languages"][language] = {
            **{name: figures[name] for name in FIGURES},
            "sentences": figures["sentences"],
            "taken_for": [[p.text, expected, got] for p, (expected, got) in zip(predictions, figures["topics"])],
        }
    return result


def _story_name(failed: str) -> str:
    """Rasa names a failed story with its file: "name (/path/to/tests/stories/x.yml)"."""
    return failed.rsplit(" (", 1)[0] if failed.endswith(".yml)") else failed


@dataclass
class FigureRow:
    language: str
    figure: str
    live: Optional[float]
    candidate: float

    @property
    def change_points(self) -> Optional[float]:
        return None if self.live is None else (self.candidate - self.live) * 100


@dataclass
class ChangedSentence:
    language: str
    text: str
    expected: str
    live: str
    candidate: str

    @property
    def better(self) -> bool:
        return self.candidate == self.expected


@dataclass
class Comparison:
    figures: List[FigureRow]
    failed_stories: List[str]
    stories_run: int
    confusions: List[Tuple[str, str, str, int, int]]  # language, expected, taken for, live count, candidate count
    sentences: List[ChangedSentence]
    worse: List[FigureRow] = field(default_factory=list)
    margin: float = DEFAULT_MARGIN_POINTS
    # The live model was evaluated on other test sentences or stories: nothing to compare yet.
    other_tests: bool = False

    @property
    def allowed(self) -> bool:
        return not self.worse and not self.failed_stories and not self.other_tests


def compare(candidate: Dict, live: Optional[Dict], margin: float = DEFAULT_MARGIN_POINTS) -> Comparison:
    """The candidate beside the live model (without one: its own figures, nothing to be worse than)."""
    if live is not None and live.get("tests_sha256") != candidate.get("tests_sha256"):
        return Comparison([FigureRow(language, figure, None, candidate["languages"][language][figure])
                           for language in SUPPORTED_LANGUAGES for figure in FIGURES],
                          list(candidate["stories"]["failed"]), candidate["stories"]["run"], [], [], [], margin,
                          other_tests=True)
    rows, confusions, sentences = [], [], []
    for language in SUPPORTED_LANGUAGES:
        now = candidate["languages"][language]
        before = (live or {}).get("languages", {}).get(language)
        for figure in FIGURES:
            rows.append(FigureRow(language, figure, before[figure] if before else None, now[figure]))
        if before is None:
            continue
        old = {text: got for text, _, got in before["taken_for"]}
        for text, expected, got in now["taken_for"]:
            if text in old and old[text] != got:
                sentences.append(ChangedSentence(language, text, expected, old[text], got))
        old_confusions = Counter((e, g) for _, e, g in before["taken_for"] if e != g)
        new_confusions = Counter((e, g) for _, e, g in now["taken_for"] if e != g)
        for pair in sorted(set(old_confusions) | set(new_confusions)):
            if old_confusions[pair] != new_confusions[pair]:
                confusions.append((language, *pair, old_confusions[pair], new_confusions[pair]))
    # Those that got worse first: they are what a lead must look at.
    sentences.sort(key=lambda s: (s.better, s.language, s.expected, s.text))
    confusions.sort(key=lambda c: (c[3] - c[4], c[0], c[1], c[2]))
    worse = [row for row in rows if row.change_points is not None and row.change_points < -margin]
    return Comparison(rows, list(candidate["stories"]["failed"]), candidate["stories"]["run"],
                      confusions, sentences[:MOST_CHANGES_SHOWN], worse, margin)


def main(argv: Optional[List[str]] = None) -> int:
    model, out = (Path(a) for a in (argv if argv is not None else sys.argv[1:]))
    with tempfile.TemporaryDirectory() as workdir:
        result = evaluate(model, Path(workdir))
    out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
