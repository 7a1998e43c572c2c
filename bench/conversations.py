"""Realistic conversations for the load: the user turns of the test stories, per language."""
import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

from assistant.language import DEFAULT_LANGUAGE, ENGLISH

import yaml

# '[the words]{"entity": "language", "value": "en"}' -> the words, "en"
_ANNOTATED = re.compile(r'^\[(?P<text>.*)\]\{.*"value":\s*"(?P<language>\w+)".*\}$')


@dataclass(frozen=True)
class Script:
    name: str
    language: str
    messages: Tuple[str, ...]


def _user_turn(step_text: str) -> Tuple[str, str]:
    match = _ANNOTATED.match(step_text)
    if match:
        return match["text"], match["language"]
    return step_text, ""


def scripts(stories: Path) -> List[Script]:
    """One script per test story: what the user types, in order, and the story's language."""
    found = []
    for path in sorted(stories.glob("*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8")).get("stories", []):
            turns = [_user_turn(step["user"]) for step in story["steps"] if "user" in step]
            languages = {language for _, language in turns if language}
            if not turns or len(languages) > 1:
                continue  # a story that switches language is no typical visitor
            language = languages.pop() if languages else (ENGLISH if "English" in story["story"] else DEFAULT_LANGUAGE)
            found.append(Script(story["story"], language, tuple(text for text, _ in turns)))
    return found


def messages_in(found: List[Script], language: str) -> List[str]:
    """Every user message of the scripts in one language, in order: a long conversation."""
    return [text for script in found if script.language == language for text in script.messages]
