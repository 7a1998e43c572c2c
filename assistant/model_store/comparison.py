"""How a model does on the held-out sentences and the test stories, and whether it may replace
the live one.

    python -m assistant.model_store.comparison MODEL OUT.json     (run by the console's jobs)

The evaluation is that of `make evaluate` (assistant/review/evaluation.py): per language the
intent, page-answer and topic accuracy on tests/nlu/<language>/, and Rasa's end-to-end test
stories; kept with the model, with what each held-out sentence was taken for, so that two
models can be compared sentence by sentence.

The figures per language are those of the whole held-out set and, for the topic as the user gets
it, of each class of sentences (clean, stories, mixed languages, misspelt, ...); messages in
languages the assistant does not speak are a language of their own ("other": the share that got
the reply in both languages).

The gate: a model that is worse than the live one on any of these figures by more than
MODEL_GATE_MARGIN_POINTS percentage points (1 by default; for a small class of sentences, by
more than two sentences' worth), or that fails a test story, is not activated without an
admin's override.
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
# Per class of held-out sentences: class_clean, class_story, class_mixed, ...
CLASS_PREFIX = "class_"
# Messages in languages the assistant does not speak, under a language of their own.
OTHER, OTHER_FIGURE = "other", "other_language_recognised"
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

    from assistant.review.evaluation import (OTHER_LANGUAGES, language_figures, other_language_figures, predict,
                                             run_test_stories)

    stories = run_test_stories(model, workdir / "stories")
    agent = Agent.load(str(model))
    result: Dict = {"languages": {}, "tests_sha256": tests_sha256(),
                    "stories": {"run": stories.run, "failed": [_story_name(name) for name in stories.failed]}}
    for language in SUPPORTED_LANGUAGES:
        predictions = predict(agent, language)
        figures = language_figures(predictions)
        result["languages"][language] = {
            **{name: figures[name] for name in FIGURES},
            # Topic right, as the user gets it, per class of held-out sentences (stories, ...).
            **{CLASS_PREFIX + name: c["topic_accuracy"] for name, c in figures["classes"].items()},
            "sentences": figures["sentences"],
            "sentences_per_class": {CLASS_PREFIX + name: c["sentences"] for name, c in figures["classes"].items()},
            "taken_for": [[p.text, expected, got] for p, (expected, got) in zip(predictions, figures["topics"])],
        }
    if OTHER_LANGUAGES.exists():
        other = other_language_figures(agent)
        result["languages"][OTHER] = {OTHER_FIGURE: other["recognised"], "sentences": other["sentences"],
                                      "taken_for": other["taken_for"]}
    return result


def figure_names(figures: Dict) -> List[str]:
    """The figures an evaluation has for one language, in the order they are shown."""
    return ([name for name in FIGURES if name in figures] + [name for name in figures if name.startswith(CLASS_PREFIX)]
            + ([OTHER_FIGURE] if OTHER_FIGURE in figures else []))


def _story_name(failed: str) -> str:
    """Rasa names a failed story with its file: "name (/path/to/tests/stories/x.yml)"."""
    return failed.rsplit(" (", 1)[0] if failed.endswith(".yml)") else failed


@dataclass
class FigureRow:
    language: str
    figure: str
    live: Optional[float]
    candidate: float
    sentences: int = 0  # how many sentences the figure is of (0: not known)

    def worse_than(self, margin: float) -> bool:
        """Worse than the live model by more than the margin, or than two sentences' worth in a
        small class, where one sentence moves the figure by several points."""
        if self.change_points is None:
            return False
        two_sentences = 200 / self.sentences if self.sentences else 0.0
        return self.change_points < -max(margin, two_sentences)

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
        return Comparison([FigureRow(language, figure, None, now[figure])
                           for language, now in candidate["languages"].items() for figure in figure_names(now)],
                          list(candidate["stories"]["failed"]), candidate["stories"]["run"], [], [], [], margin,
                          other_tests=True)
    rows, confusions, sentences = [], [], []
    for language, now in candidate["languages"].items():
        before = (live or {}).get("languages", {}).get(language)
        for figure in figure_names(now):
            size = (now.get("sentences_per_class") or {}).get(figure) or now.get("sentences") or 0
            rows.append(FigureRow(language, figure, (before or {}).get(figure), now[figure], int(size)))
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
    worse = [row for row in rows if row.worse_than(margin)]
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
