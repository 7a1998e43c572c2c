"""The assistant's answers (the responses of domain.yml), read and changed in both languages at
once, as support leads edit them in the console (answer_pages.py).

Each response has a Swedish text (the variation without a condition) and an English one (the
variation for language == en). A change is kept only if both are filled in and everything a
user acts on is intact: every link, phone number and {placeholder} of the text before. It is
written into the project's domain.yml with its formatting and comments kept (ruamel's round
trip), and recorded (who, when, before, after). The assistant answers with it once a model
trained after it is live.
"""
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from assistant.console.store import answer_edits
from assistant.model_store.snapshot import PROJECT_LOCK

LANGUAGES = ("sv", "en")
ENGLISH = [{"type": "slot", "name": "language", "value": "en"}]
# Both languages at this length, in letters a form sends as 6 bytes each (å, ä, ö), fit the
# console's 16 KiB request limit (web.MAX_REQUEST_BYTES); the longest answer now is 424.
TEXT_LIMIT = 1200
# What the chat widget makes a link of (web/widget/chat-widget.js, INLINE): a titled link, a bare
# address, a Swedish phone number; and the slots an answer is filled with.
LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)|(https?://[^\s<>\"]*[^\s<>\".,;:!?)\]'\"])")
PHONE = re.compile(r"\b0\d{1,3}-\d{2,3}(?: \d{2,3}){1,2}\b")
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
LIST_ITEM = re.compile(r"^\s*(?:([-*•])|(\d+)[.)])\s+(.*)$")


@dataclass(frozen=True)
class Answer:
    name: str
    text: Dict[str, str]  # by language
    buttons: Dict[str, List[str]]  # their titles, by language (not edited here)


def _language(variation: Dict) -> Optional[str]:
    condition = variation.get("condition") or []
    return "en" if condition == ENGLISH else ("sv" if not condition else None)


def read_all(domain: Path) -> List[Answer]:
    """Every response with one Swedish and one English text, in the domain's order."""
    responses = (yaml.safe_load(domain.read_text(encoding="utf-8")) or {}).get("responses") or {}
    found = []
    for name, variations in responses.items():
        texts: Dict[str, str] = {}
        buttons: Dict[str, List[str]] = {}
        for variation in variations or []:
            language = _language(variation)
            if language and isinstance(variation.get("text"), str) and language not in texts:
                texts[language] = variation["text"]
                buttons[language] = [str(b.get("title", "")) for b in variation.get("buttons") or []]
        if set(texts) == set(LANGUAGES):
            found.append(Answer(name, texts, buttons))
    return found


def find(domain: Path, name: str) -> Optional[Answer]:
    return next((answer for answer in read_all(domain) if answer.name == name), None)


def kept_parts(text: str) -> List[str]:
    """What a user acts on: links, phone numbers, placeholders."""
    links = [titled or bare for _, titled, bare in LINK.findall(text)]
    return sorted(set(links) | set(PHONE.findall(text)) | set(PLACEHOLDER.findall(text)))


def problems(before: Answer, new: Dict[str, str]) -> Dict[str, Tuple[str, Dict[str, str]]]:
    """By language: (what is wrong, its details) for a text that cannot be kept."""
    found: Dict[str, Tuple[str, Dict[str, str]]] = {}
    for language in LANGUAGES:
        text = new.get(language, "")
        if not text.strip():
            found[language] = ("answer_empty", {})
        elif len(text) > TEXT_LIMIT:
            found[language] = ("answer_too_long", {"limit": str(TEXT_LIMIT)})
        else:
            lost = [part for part in kept_parts(before.text[language]) if part not in text]
            if lost:
                found[language] = ("answer_lost_parts", {"parts": ", ".join(lost)})
    return found


def normal(text: str) -> str:
    """As typed in a form: Windows line ends, trailing spaces and control characters gone."""
    from assistant.channels.edge import clean_text

    lines = [clean_text(line).rstrip() for line in text[: TEXT_LIMIT * 2].replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()


def save(engine: Engine, domain: Path, before: Answer, new: Dict[str, str], actor: str) -> None:
    """Write the new texts into domain.yml and record the change (only the languages that changed)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    round_trip = YAML()
    round_trip.preserve_quotes = True
    round_trip.width = 4096
    round_trip.indent(mapping=2, sequence=4, offset=2)
    with PROJECT_LOCK:  # not while a rollback restores the domain or a training packs it
        data = round_trip.load(domain.read_text(encoding="utf-8"))
        for variation in data["responses"][before.name]:
            language = _language(variation)
            if language and new[language] != before.text[language]:
                # As domain.yml writes them: one line in quotes, several as a block.
                text = new[language]
                variation["text"] = LiteralScalarString(text) if "\n" in text else DoubleQuotedScalarString(text)
        written = io.StringIO()
        round_trip.dump(data, written)
        partial = domain.with_name(domain.name + ".partial")
        partial.write_text(written.getvalue(), encoding="utf-8")
        partial.replace(domain)
    now = time.time()
    with engine.begin() as connection:
        for language in LANGUAGES:
            if new[language] != before.text[language]:
                connection.execute(answer_edits.insert().values(
                    name=before.name, language=language, before=before.text[language], after=new[language],
                    edited_by=actor, edited_at=now))


def history(engine: Engine, name: str, limit: int = 50) -> List:
    with engine.connect() as connection:
        return connection.execute(sa.select(answer_edits).where(answer_edits.c.name == name)
                                  .order_by(answer_edits.c.id.desc()).limit(limit)).fetchall()


def edited_since(engine: Engine, since: float) -> int:
    """How many answers were changed after `since` (the live model's training)."""
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count(sa.distinct(answer_edits.c.name)))
                                  .where(answer_edits.c.edited_at > since)).scalar() or 0


def preview(text: str) -> List[Tuple[str, list]]:
    """The text as the chat widget lays it out: ("p", parts) or ("ul"/"ol", [parts, ...]), each
    part (text, link target or "")."""
    blocks: List[Tuple[str, list]] = []
    for line in text.split("\n"):
        item = LIST_ITEM.match(line)
        if item:
            tag = "ul" if item.group(1) else "ol"
            if not blocks or blocks[-1][0] != tag:
                blocks.append((tag, []))
            blocks[-1][1].append(_inline(item.group(3)))
        elif line.strip():
            blocks.append(("p", _inline(line)))
        else:
            blocks.append(("break", []))
    return [block for block in blocks if block[0] != "break"]


_INLINE = re.compile(f"{LINK.pattern}|({PHONE.pattern})")


def _inline(text: str) -> List[Tuple[str, str]]:
    parts, last = [], 0
    for match in _INLINE.finditer(text):
        parts.append((text[last:match.start()], ""))
        title, titled, bare, phone = match.groups()
        if phone:  # called as the widget calls it
            parts.append((phone, "tel:+46" + re.sub(r"\D", "", phone)[1:]))
        else:
            parts.append((title or bare, titled or bare))
        last = match.end()
    parts.append((text[last:], ""))
    return [part for part in parts if part[0]]
