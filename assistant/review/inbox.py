"""The review inbox: user messages worth a look, out of the tracker store and back in as
training data.

    python -m assistant.review.inbox export [--days 7] [--out reports/inbox.csv]
    python -m assistant.review.inbox import FILE

`export` writes one row per typed user message (button clicks are not language) that the
assistant fell back on, was unsure of (intent confidence under LOW_CONFIDENCE), answered with
advice that was then marked unhelpful ("did that help?" → no), or that was part of a
conversation ending in a handoff. The text is as stored, with personal data already masked.
The last column, correct_intent, is for the support lead. The file is safe to open in a
spreadsheet: nothing a user typed runs as a formula (assistant/review/spreadsheet.py).

`import` adds every row with a correct_intent to the training data file of that intent and
language under data/nlu/. It checks the whole file first and writes nothing if a row has an
unknown intent or no text; rows already in the training data or in the held-out test set are
skipped and reported. Then it runs `rasa data validate` and takes the change back if that fails.
"""
import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from assistant.deployment import endpoints_file
from assistant.review.training_data import EXAMPLE_LINE, INTENT_LINE, examples_by_intent
from assistant.language import SUPPORTED_LANGUAGES
from assistant.paths import CONFIG, DOMAIN, HELD_OUT, REPORTS, ROOT, TRAINING_DATA
from assistant.review.conversations import LOW_CONFIDENCE, read_conversation, stored_conversations
from assistant.review.evaluation import held_out as held_out_sentences
from assistant.review.evaluation import other_language_sentences
from assistant.review.spreadsheet import read_rows, write_rows

COLUMNS = ["conversation", "time", "language", "text", "predicted_intent", "confidence",
           "reasons", "correct_intent"]


@dataclass
class Row:
    conversation: str
    timestamp: float
    language: str
    text: str
    predicted_intent: str
    confidence: float
    reasons: List[str] = field(default_factory=list)

    def as_csv(self) -> Dict[str, str]:
        return {
            "conversation": self.conversation,
            "time": dt.datetime.fromtimestamp(self.timestamp, dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
            "language": self.language,
            "text": self.text,
            "predicted_intent": self.predicted_intent,
            "confidence": f"{self.confidence:.2f}",
            "reasons": ", ".join(self.reasons),
            "correct_intent": "",
        }


# ----- export ---------------------------------------------------------------------------

def rows_of_conversation(sender: str, events: List[Dict], since: float) -> List[Row]:
    """The rows worth a look in one conversation (events as dicts, as Rasa stores them)."""
    conversation = read_conversation(sender, events)
    rows: Dict[int, Row] = {}
    for message in conversation.messages:
        if message.is_button or message.timestamp < since:
            continue  # a button click is not language; an old message is out of the window
        row = rows[id(message)] = Row(sender, message.timestamp, message.language, message.text,
                                      message.predicted, message.confidence)
        if message.not_understood:
            row.reasons.append("fallback")
        elif message.confidence < LOW_CONFIDENCE:
            row.reasons.append("low confidence")
    for message, helped in conversation.feedback:
        if not helped and id(message) in rows and "unhelpful" not in rows[id(message)].reasons:
            rows[id(message)].reasons.append("unhelpful")
    if conversation.handoff:
        for row in rows.values():
            row.reasons.append("handoff")
    return [row for row in rows.values() if row.reasons]


def inbox_rows(conversations: Iterable[Tuple[str, List[Dict]]], since: float) -> List[Row]:
    rows = [row for sender, events in conversations for row in rows_of_conversation(sender, events, since)]
    return sorted(rows, key=lambda row: row.timestamp)


def write_csv(rows: List[Row], path: Path) -> None:
    write_rows(path, COLUMNS, (row.as_csv() for row in rows))


# ----- import ---------------------------------------------------------------------------

class ImportRefused(ValueError):
    """The file cannot be imported; nothing was written."""


# Why a row was not added though nothing was wrong with it.
ALREADY_TRAINED, HELD_OUT_SENTENCE, ANNOTATION = "already_trained", "held_out", "annotation"
# Rasa reads "[text](entity)", "[text]{...}" and "[text][...]" in an example as an annotation.
_ANNOTATION = re.compile(r"\][({\[]")


@dataclass
class ImportResult:
    added: List[Tuple[str, str, str]]  # (file, intent, text)
    skipped: List[str]  # why each skipped row was skipped
    skipped_rows: Dict[int, str] = field(default_factory=dict)  # index of the row -> ALREADY_TRAINED or HELD_OUT_SENTENCE


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def read_corrections(path: Path) -> List[Dict[str, str]]:
    rows = read_rows(path)
    missing = [c for c in ("language", "text", "correct_intent") if rows and c not in rows[0]]
    if missing:
        raise ImportRefused(f"{path} has no column {', '.join(missing)}; export a new inbox with `make inbox`.")
    return rows


def plan_import(rows: List[Dict[str, str]], data_dir: Path, held_out_dir: Path) -> Tuple[Dict[Path, List[Tuple[str, str]]], ImportResult]:
    """What to add where; raises ImportRefused listing every bad row if any is bad."""
    errors, skipped = [], []
    skipped_rows: Dict[int, str] = {}
    additions: Dict[Path, List[Tuple[str, str]]] = {}
    known = {lang: examples_by_intent(data_dir / lang) for lang in SUPPORTED_LANGUAGES}
    # Every held-out sentence, of every class (stories, mixed, ...) and the other languages'.
    other = held_out_dir / "other" / "sentences.yml"
    elsewhere = {_normal(t) for t, _ in other_language_sentences(other)} if other.exists() else set()
    held_out = {lang: {_normal(t) for t, _, _ in held_out_sentences(lang, held_out_dir)} | elsewhere
                for lang in SUPPORTED_LANGUAGES}
    # Every example of a language, whatever its intent: a sentence is learnt as one intent only.
    trained = {lang: {_normal(t): intent for intent, (_, texts) in known[lang].items() for t in texts}
               for lang in SUPPORTED_LANGUAGES}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        intent = (row.get("correct_intent") or "").strip()
        if not intent:
            continue
        text = " ".join((row.get("text") or "").split())
        language = (row.get("language") or "").strip()
        if language not in known:
            errors.append(f"row {number}: language must be sv or en, not {language!r}")
            continue
        if not text:
            errors.append(f"row {number}: the text is empty")
            continue
        if intent not in known[language]:
            names = ", ".join(sorted(known[language]))
            errors.append(f"row {number}: unknown intent {intent!r}; known intents: {names}")
            continue
        path, _ = known[language][intent]
        already = trained[language].get(_normal(text))
        if already:
            skipped.append(f"row {number}: {text!r} is already a training example of {already} ({language})")
            skipped_rows[number - 2] = ALREADY_TRAINED
            continue
        if _normal(text) in held_out[language]:
            skipped.append(f"row {number}: {text!r} is a held-out test sentence; it stays out of training")
            skipped_rows[number - 2] = HELD_OUT_SENTENCE
            continue
        if _ANNOTATION.search(text):
            skipped.append(f"row {number}: {text!r} would be read as an entity annotation; add it by hand")
            skipped_rows[number - 2] = ANNOTATION
            continue
        trained[language][_normal(text)] = intent
        additions.setdefault(path, []).append((intent, text))
    if errors:
        raise ImportRefused("Nothing was imported:\n  " + "\n  ".join(errors))
    added = [(_shown(path), intent, text) for path, items in additions.items() for intent, text in items]
    return additions, ImportResult(added=added, skipped=skipped, skipped_rows=skipped_rows)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _with_examples(content: str, items: List[Tuple[str, str]]) -> str:
    """The file's text with each example appended to the end of its intent's block."""
    lines = content.splitlines()
    for intent, text in items:
        start = next(i for i, line in enumerate(lines) if INTENT_LINE.match(line) and INTENT_LINE.match(line).group(1) == intent)
        end = start + 1
        indent = "    "
        for i in range(start + 1, len(lines)):
            example = EXAMPLE_LINE.match(lines[i])
            if example:
                end = i + 1
                indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            elif lines[i].strip() and not lines[i].startswith(" "):
                break
        lines.insert(end, f"{indent}- {text}")
    return "\n".join(lines) + "\n"


def import_corrections(path: Path, data_dir: Path, held_out_dir: Path, validate: bool = True) -> ImportResult:
    return add_examples(read_corrections(path), data_dir, held_out_dir, validate)


def add_examples(rows: List[Dict[str, str]], data_dir: Path, held_out_dir: Path, validate: bool = True) -> ImportResult:
    """Add each row (language, text, correct_intent) to the training data file of its intent:
    the CSV import's and the staff console's one way into the training data. Nothing is
    written if a row is wrong or `rasa data validate` fails afterwards (ImportRefused)."""
    additions, result = plan_import(rows, data_dir, held_out_dir)
    originals = {file: file.read_text(encoding="utf-8") for file in additions}
    for file, items in additions.items():
        file.write_text(_with_examples(originals[file], items), encoding="utf-8")
    if validate and additions:
        check = subprocess.run(
            [str(Path(sys.executable).with_name("rasa")), "data", "validate", "--fail-on-warnings",
             "--data", str(data_dir.parent), "--domain", str(DOMAIN),
             "--config", str(CONFIG)],
            cwd=ROOT, capture_output=True, text=True,
        )
        if check.returncode != 0:
            for file, content in originals.items():
                file.write_text(content, encoding="utf-8")
            raise ImportRefused("`rasa data validate` failed, so nothing was imported:\n" + check.stdout[-2000:] + check.stderr[-2000:])
    return result


# ----- command line ---------------------------------------------------------------------

def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="The review inbox of the assistant.")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write the messages worth a look as CSV")
    export.add_argument("--days", type=float, default=7, help="how far back (default: 7 days)")
    export.add_argument("--endpoints", type=Path, default=endpoints_file(os.environ),
                        help="default: that of the profile ASSISTANT_PROFILE names")
    export.add_argument("--out", type=Path, default=REPORTS / "inbox.csv")
    load = commands.add_parser("import", help="add the corrected rows to the training data")
    load.add_argument("file", type=Path)
    load.add_argument("--data", type=Path, default=TRAINING_DATA)
    load.add_argument("--held-out", type=Path, default=HELD_OUT)
    args = parser.parse_args(argv)

    if args.command == "export":
        rows = inbox_rows(stored_conversations(args.endpoints), since=time.time() - args.days * 86400)
        write_csv(rows, args.out)
        print(f"{len(rows)} messages to review, from the last {args.days:g} days: {args.out}")
        print("Fill in correct_intent where the assistant was wrong, then: make inbox-import FILE=...")
        return 0

    if not args.file.exists():
        print(f"No such file: {args.file}", file=sys.stderr)
        return 2
    try:
        result = import_corrections(args.file, args.data, args.held_out)
    except ImportRefused as refusal:
        print(refusal, file=sys.stderr)
        return 1
    for file, intent, text in result.added:
        print(f"added to {file} ({intent}): {text}")
    for reason in result.skipped:
        print(f"skipped {reason}")
    print(f"{len(result.added)} examples added, {len(result.skipped)} skipped. Retrain and test: make test")
    return 0


if __name__ == "__main__":
    sys.exit(main())
