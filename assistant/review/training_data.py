"""Rasa YAML NLU files (training data and held-out test sentences), read line by line so
that they can be added to without losing their layout and comments."""
import re
from pathlib import Path
from typing import Dict, List, Tuple

INTENT_LINE = re.compile(r"^- intent:\s*(\S+)\s*$")
EXAMPLE_LINE = re.compile(r"^\s+- (.*)$")


def examples_by_intent(folder: Path) -> Dict[str, Tuple[Path, List[str]]]:
    """intent → (file, its examples) for every Rasa YAML NLU file in a folder."""
    found: Dict[str, Tuple[Path, List[str]]] = {}
    for path in sorted(folder.glob("*.yml")):
        intent = None
        for line in path.read_text(encoding="utf-8").splitlines():
            header = INTENT_LINE.match(line)
            if header:
                intent = header.group(1)
                found.setdefault(intent, (path, []))
            elif intent and EXAMPLE_LINE.match(line):
                found[intent][1].append(EXAMPLE_LINE.match(line).group(1).strip())
            elif line and not line[0].isspace():
                intent = None
    return found


def examples(folder: Path) -> List[Tuple[str, str]]:
    """(text, intent) for every example in the NLU files of a folder."""
    return [(text, intent) for intent, (_, texts) in examples_by_intent(folder).items() for text in texts]
