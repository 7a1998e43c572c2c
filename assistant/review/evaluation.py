"""The evaluation report: how well the assistant understands, per language, and whether every
test story still passes.

    python -m assistant.review.evaluation [--model models/assistant.tar.gz] [--out reports/evaluation]

The held-out sentences (never in the training data) are run through the model, per language and
per class: tests/nlu/<language>/*.yml are the clean ones (one file per topic), each subfolder
of tests/nlu/<language>/ a class of its own (story/: two to four sentences that set the scene
before the problem; mixed/: the other language's e-service words; misspelt/: typos and no
å/ä/ö; nordic/: Norwegian and Danish, answered in Swedish); tests/nlu/other/ holds messages in
languages the assistant does not speak, which must get the reply in both of its languages.
Written to the output folder:
- summary.md: the one-page summary, compared with the previous report where there is one;
- summary.json: its figures, which the next report compares with;
- <language>/intents.csv and <language>/answers.csv: precision, recall and F1 per intent and
  per page question (the ResponseSelector's answer);
- <language>/confusion.png: which topic was taken for which;
- stories/: Rasa's own results of the test stories (failed_test_stories.yml, ...).
"""
import argparse
import asyncio
import json
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from assistant.language import OTHER_LANGUAGE_INTENT, SUPPORTED_LANGUAGES
from assistant.paths import HELD_OUT, MODEL, REPORTS, ROOT, TEST_STORIES
from assistant.review.conversations import FALLBACK_INTENT
from assistant.review.spreadsheet import write_rows
from assistant.review.training_data import examples

LANGUAGES = SUPPORTED_LANGUAGES
STORIES = TEST_STORIES
WORST_CONFUSIONS = 10
CLEAN = "clean"
OTHER_LANGUAGES = HELD_OUT / "other" / "sentences.yml"
# How the report names the classes (a new subfolder is reported under its own name).
CLASS_TITLES = {CLEAN: "clean", "story": "stories", "mixed": "mixed languages",
                "misspelt": "misspelt, no å/ä/ö", "nordic": "Norwegian, Danish"}


def held_out(language: str, folder: Path = HELD_OUT) -> List[Tuple[str, str, str]]:
    """(text, expected intent, class) of every held-out sentence of a language."""
    base = folder / language
    found = [(text, intent, CLEAN) for text, intent in examples(base)]
    for subfolder in sorted(path for path in base.iterdir() if path.is_dir()):
        found += [(text, intent, subfolder.name) for text, intent in examples(subfolder)]
    return found


def other_language_sentences(path: Path = OTHER_LANGUAGES) -> List[Tuple[str, str]]:
    """(text, ISO 639-1 code) of the held-out messages in other languages; Norwegian and Danish
    are answered in Swedish and measured with it (tests/nlu/sv/nordic/), so they are left out."""
    by_language = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [(str(text), code) for code, texts in by_language.items() if code not in ("no", "nb", "nn", "da")
            for text in texts]


def selected_answer(result: Dict) -> str:
    """The page question whose answer the ResponseSelector picked, as faq/<topic>."""
    selection = (result.get("response_selector") or {}).get("faq") or {}
    return (selection.get("response") or {}).get("intent_response_key") or ""


def topic_of(result: Dict) -> str:
    """What the user gets: the intent, or for a page question the answer picked."""
    intent = result["intent"]["name"]
    return selected_answer(result) if intent == "faq" else intent


def base_intent(intent: str) -> str:
    return intent.split("/")[0]


@dataclass
class StoryResults:
    run: int
    failed: List[str]
    out: Path


def run_test_stories(model: Path, out: Path, stories: Path = STORIES) -> StoryResults:
    """Rasa's end-to-end story test (`--e2e`: the NLU runs on the users' words too)."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("rasa")), "test", "core", "--model", str(model),
         "--stories", str(stories), "--out", str(out), "--no-plot", "--e2e"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError("rasa test core failed:\n" + result.stdout[-3000:] + result.stderr[-3000:])
    failed_file = (out / "failed_test_stories.yml").read_text(encoding="utf-8")
    failed = [line.split("- story:", 1)[1].strip() for line in failed_file.splitlines() if "- story:" in line]
    run = sum(path.read_text(encoding="utf-8").count("- story:") for path in stories.glob("*.yml"))
    return StoryResults(run=run, failed=failed, out=out)


@dataclass
class Prediction:
    text: str
    expected: str  # intent, or faq/<topic>
    result: Dict
    held_out_class: str = CLEAN


def predict(agent, language: str) -> List[Prediction]:
    sentences = held_out(language)
    results = parse_all(agent, [text for text, _, _ in sentences])
    return [Prediction(text, expected, result, held_out_class)
            for (text, expected, held_out_class), result in zip(sentences, results)]


def parse_all(agent, texts: List[str]) -> List[Dict]:
    async def parse() -> List[Dict]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(parse())


def other_language_figures(agent) -> Dict:
    """How many messages in other languages got the reply in both languages, per language."""
    sentences = other_language_sentences()
    results = parse_all(agent, [text for text, _ in sentences])
    by_language: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    missed = []
    for (text, code), result in zip(sentences, results):
        recognised = result["intent"]["name"] == OTHER_LANGUAGE_INTENT
        by_language[code][0] += recognised
        by_language[code][1] += 1
        if not recognised:
            missed.append({"text": text, "language": code, "taken_for": topic_of(result)})
    return {"sentences": len(sentences),
            "recognised": sum(found for found, _ in by_language.values()) / len(sentences) if sentences else 0.0,
            "by_language": {code: {"recognised": found, "sentences": total}
                            for code, (found, total) in sorted(by_language.items())},
            "missed": missed,
            "taken_for": [[text, OTHER_LANGUAGE_INTENT, result["intent"]["name"]]
                          for (text, _), result in zip(sentences, results)]}


def _scores(pairs: List[Tuple[str, str]]) -> List[Dict]:
    """Precision, recall and F1 per expected label, from (expected, predicted) pairs."""
    from sklearn.metrics import precision_recall_fscore_support

    labels = sorted({expected for expected, _ in pairs})
    precision, recall, f1, support = precision_recall_fscore_support(
        [e for e, _ in pairs], [p for _, p in pairs], labels=labels, zero_division=0
    )
    return [{"label": label, "precision": round(float(p), 3), "recall": round(float(r), 3),
             "f1": round(float(f), 3), "sentences": int(n)}
            for label, p, r, f, n in zip(labels, precision, recall, f1, support)]


def language_figures(predictions: List[Prediction]) -> Dict:
    """The figures over all of a language's held-out sentences, and per class."""
    figures = _figures(predictions)
    classes: Dict[str, List[Prediction]] = defaultdict(list)
    for prediction in predictions:
        classes[prediction.held_out_class].append(prediction)
    figures["classes"] = {name: {key: value for key, value in _figures(members).items()
                                 if key in ("sentences", "intent_accuracy", "answer_accuracy", "topic_accuracy",
                                            "fallbacks")}
                          for name, members in sorted(classes.items(), key=lambda item: _class_order(item[0]))}
    return figures


def _class_order(name: str) -> Tuple[int, str]:
    order = list(CLASS_TITLES)
    return (order.index(name) if name in order else len(order), name)


def _figures(predictions: List[Prediction]) -> Dict:
    intents = [(base_intent(p.expected), p.result["intent"]["name"]) for p in predictions]
    answers = [(p.expected, selected_answer(p.result) or "(none)") for p in predictions if p.expected.startswith("faq/")]
    topics = [(p.expected, topic_of(p.result)) for p in predictions]

    def accuracy(pairs: List[Tuple[str, str]]) -> float:
        return sum(e == p for e, p in pairs) / len(pairs) if pairs else 0.0

    confusions: Dict[Tuple[str, str], List[str]] = defaultdict(list)
    for p, (expected, got) in zip(predictions, topics):
        if expected != got:
            confusions[(expected, got)].append(p.text)
    worst = sorted(confusions.items(), key=lambda item: (-len(item[1]), item[0]))[:WORST_CONFUSIONS]
    return {
        "sentences": len(predictions),
        "intent_accuracy": accuracy(intents),
        "answer_accuracy": accuracy(answers),
        "topic_accuracy": accuracy(topics),
        "fallbacks": sum(got == FALLBACK_INTENT for _, got in topics),
        "intents": _scores(intents),
        "answers": _scores(answers),
        "worst_confusions": [{"expected": e, "got": g, "count": len(texts), "examples": texts[:3]}
                             for (e, g), texts in worst],
        "topics": topics,
    }


def confusion_image(topics: List[Tuple[str, str]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted({label for pair in topics for label in pair})
    matrix = confusion_matrix([e for e, _ in topics], [g for _, g in topics], labels=labels)
    size = max(6, 0.32 * len(labels) + 3)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel("what the assistant took it for")
    ax.set_ylabel("what the sentence was about")
    ax.set_title(title)
    for row in range(len(labels)):
        for column in range(len(labels)):
            if matrix[row, column]:
                ax.text(column, row, str(matrix[row, column]), ha="center", va="center", fontsize=7,
                        color="white" if row == column else "#8a1414")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _write_scores(rows: List[Dict], path: Path) -> None:
    write_rows(path, ["label", "precision", "recall", "f1", "sentences"], rows)


def _change(now: float, before: Optional[float]) -> str:
    if before is None:
        return ""
    points = (now - before) * 100
    return " (no change)" if abs(points) < 0.05 else f" ({points:+.1f} points)"


def summary_markdown(figures: Dict, previous: Optional[Dict]) -> str:
    lines = ["# How well the assistant understands", ""]
    if previous:
        lines += [f"Compared with the previous report ({previous.get('model', 'earlier model')}).", ""]
    lines += ["Held-out sentences (never in the training data), per language:", "",
              "| | " + " | ".join(LANGUAGES) + " |", "| --- |" + " --- |" * len(LANGUAGES)]
    for key, title in (("intent_accuracy", "intent right"), ("answer_accuracy", "page question: right answer"),
                       ("topic_accuracy", "topic right, as the user gets it")):
        cells = []
        for language in LANGUAGES:
            now = figures["languages"][language][key]
            before = ((previous or {}).get("languages", {}).get(language) or {}).get(key)
            cells.append(f"{now:.1%}{_change(now, before)}")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    lines.append("| sentences | " + " | ".join(str(figures["languages"][l]["sentences"]) for l in LANGUAGES) + " |")
    lines.append("| not understood (fallback) | " + " | ".join(str(figures["languages"][l]["fallbacks"]) for l in LANGUAGES) + " |")
    lines += ["", "Topic right, as the user gets it, per class of held-out sentences (sentences in brackets):", "",
              "| class | " + " | ".join(LANGUAGES) + " |", "| --- |" + " --- |" * len(LANGUAGES)]
    names = sorted({name for language in LANGUAGES for name in figures["languages"][language].get("classes", {})},
                   key=_class_order)
    for name in names:
        cells = []
        for language in LANGUAGES:
            now = figures["languages"][language].get("classes", {}).get(name)
            before = (((previous or {}).get("languages", {}).get(language) or {}).get("classes") or {}).get(name)
            cells.append("–" if now is None else f"{now['topic_accuracy']:.1%} ({now['sentences']})"
                         f"{_change(now['topic_accuracy'], (before or {}).get('topic_accuracy'))}")
        lines.append(f"| {CLASS_TITLES.get(name, name)} | " + " | ".join(cells) + " |")
    other = figures.get("other_languages")
    if other:
        before = ((previous or {}).get("other_languages") or {}).get("recognised")
        lines += ["", f"**Other languages:** {other['recognised']:.1%} of {other['sentences']} messages in languages "
                  f"the assistant does not speak got the reply in Swedish and English{_change(other['recognised'], before)}"
                  " (" + ", ".join(f"{code} {n['recognised']}/{n['sentences']}" for code, n in other["by_language"].items())
                  + ")."]
        lines += [f"- missed ({m['language']}): “{m['text']}”, taken for {m['taken_for']}" for m in other["missed"][:10]]
    stories = figures["stories"]
    if stories:
        verdict = "all passed" if not stories["failed"] else f"{len(stories['failed'])} failed: " + "; ".join(stories["failed"])
        lines += ["", f"**Test stories:** {stories['run']} run, {verdict} (details in `stories/`)."]
    for language in LANGUAGES:
        lang = figures["languages"][language]
        weak = sorted(lang["intents"] + lang["answers"], key=lambda r: (r["f1"], r["label"]))[:5]
        lines += ["", f"## {language}: the ten worst confusions", "",
                  "| sentences about | taken for | times | for example |", "| --- | --- | --- | --- |"]
        for confusion in lang["worst_confusions"]:
            example = " / ".join(f"“{text}”" for text in confusion["examples"])
            lines.append(f"| {confusion['expected']} | {confusion['got']} | {confusion['count']} | {example} |")
        if not lang["worst_confusions"]:
            lines.append("| – | – | 0 | no sentence was taken for another topic |")
        lines += ["", "Weakest F1: " + ", ".join(f"{r['label']} {r['f1']:.2f}" for r in weak) + ".",
                  f"All scores: `{language}/intents.csv`, `{language}/answers.csv`; "
                  f"confusion matrix: `{language}/confusion.png`."]
    return "\n".join(lines) + "\n"


def build_report(agent, out: Path, stories: Optional[StoryResults], model_name: str = "") -> Dict:
    out.mkdir(parents=True, exist_ok=True)
    summary_json = out / "summary.json"
    previous = json.loads(summary_json.read_text(encoding="utf-8")) if summary_json.exists() else None
    figures = {"model": model_name, "languages": {}, "stories": None}
    for language in LANGUAGES:
        lang = language_figures(predict(agent, language))
        folder = out / language
        folder.mkdir(exist_ok=True)
        _write_scores(lang["intents"], folder / "intents.csv")
        _write_scores(lang["answers"], folder / "answers.csv")
        confusion_image(lang.pop("topics"), folder / "confusion.png", f"Topics ({language}, held-out sentences)")
        figures["languages"][language] = lang
    if OTHER_LANGUAGES.exists():
        other = other_language_figures(agent)
        other.pop("taken_for")
        figures["other_languages"] = other
    if stories is not None:
        figures["stories"] = {"run": stories.run, "failed": stories.failed}
    (out / "summary.md").write_text(summary_markdown(figures, previous), encoding="utf-8")
    summary_json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return figures


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--out", type=Path, default=REPORTS / "evaluation")
    args = parser.parse_args(argv)
    from rasa.core.agent import Agent

    stories = run_test_stories(args.model, args.out / "stories")
    build_report(Agent.load(str(args.model)), args.out, stories,
                 model_name=f"{args.model.name}, trained {_modified(args.model)}")
    print((args.out / "summary.md").read_text(encoding="utf-8"))
    print(f"Report: {args.out / 'summary.md'}")
    return 0


def _modified(path: Path) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")


if __name__ == "__main__":
    raise SystemExit(main())
