"""Usage figures out of the tracker store: how much the assistant is used, for what, and how
often it helps.

    python -m assistant.review.stats [--days 30] [--out reports/stats]

Per language: conversations, user messages, the fallback rate (messages it did not
understand), the handoff rate (conversations that ended with technical support's number), and
per topic the messages and the "helped" rate: of the answers to "Did that help?" after that
topic's advice, the share of yes. Writes usage.md (the tables) and usage.png (a chart).
"""
import argparse
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from assistant.deployment import endpoints_file
from assistant.language import SUPPORTED_LANGUAGES, language_name
from assistant.paths import REPORTS
from assistant.review.conversations import read_conversation, stored_conversations

LANGUAGES = SUPPORTED_LANGUAGES


@dataclass
class LanguageFigures:
    conversations: int = 0
    handoffs: int = 0
    messages: int = 0
    fallbacks: int = 0
    messages_per_topic: Counter = field(default_factory=Counter)
    helped: Counter = field(default_factory=Counter)  # topic -> yes answers
    not_helped: Counter = field(default_factory=Counter)  # topic -> no answers
    # Messages in neither Swedish nor English, by the language they were written in: which
    # languages applicants ask in.
    written_in: Counter = field(default_factory=Counter)

    def rate(self, part: int, whole: int) -> Optional[float]:
        return part / whole if whole else None

    @property
    def fallback_rate(self) -> Optional[float]:
        return self.rate(self.fallbacks, self.messages)

    @property
    def handoff_rate(self) -> Optional[float]:
        return self.rate(self.handoffs, self.conversations)

    def helped_rate(self, topic: str) -> Optional[float]:
        return self.rate(self.helped[topic], self.helped[topic] + self.not_helped[topic])


def usage(conversations: Iterable[Tuple[str, List[Dict]]], since: float = 0) -> Dict[str, LanguageFigures]:
    figures = {language: LanguageFigures() for language in LANGUAGES}
    for _, events in conversations:
        _count_conversation(events, since, figures)
    return figures


def _count_conversation(events: List[Dict], since: float, figures: Dict[str, LanguageFigures]) -> None:
    conversation = read_conversation("", events)
    messages = [m for m in conversation.messages if m.timestamp >= since]
    if not messages:
        return
    counted = figures[conversation.language or messages[0].language]
    counted.conversations += 1
    counted.handoffs += conversation.handoff
    for message in messages:
        figures[message.language].messages += 1
        figures[message.language].messages_per_topic[message.topic] += 1
        figures[message.language].fallbacks += message.not_understood
        if message.written_in:
            figures[message.language].written_in[message.written_in] += 1
    for message, helped in conversation.feedback:
        if message.timestamp >= since:
            answers = figures[message.language].helped if helped else figures[message.language].not_helped
            answers[message.topic] += 1


def _percent(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.0%}"


def markdown(figures: Dict[str, LanguageFigures], days: float) -> str:
    lines = [f"# Usage of the assistant, last {days:g} days", ""]
    lines += ["| | " + " | ".join(LANGUAGES) + " |", "| --- |" + " --- |" * len(LANGUAGES)]
    rows = [
        ("conversations", lambda f: str(f.conversations)),
        ("user messages", lambda f: str(f.messages)),
        ("fallback rate (not understood)", lambda f: _percent(f.fallback_rate)),
        ("handoff rate (conversations)", lambda f: _percent(f.handoff_rate)),
    ]
    for title, value in rows:
        lines.append(f"| {title} | " + " | ".join(value(figures[lang]) for lang in LANGUAGES) + " |")
    other = sum((figures[lang].written_in for lang in LANGUAGES), Counter())
    lines += ["", "## Messages in other languages", ""]
    if other:
        lines += ["Written in neither Swedish nor English (answered in both, with technical support's number):", "",
                  "| language | messages |", "| --- | --- |"]
        lines += [f"| {language_name(code, 'en')} ({code}) | {count} |" for code, count in other.most_common()]
    else:
        lines.append("None.")
    for language in LANGUAGES:
        figure = figures[language]
        lines += ["", f"## Topics ({language})", "",
                  "| topic | messages | did that help: yes / no | helped |", "| --- | --- | --- | --- |"]
        for topic, count in figure.messages_per_topic.most_common():
            answers = figure.helped[topic] + figure.not_helped[topic]
            lines.append(
                f"| {topic} | {count} | "
                + (f"{figure.helped[topic]} / {figure.not_helped[topic]}" if answers else "–")
                + f" | {_percent(figure.helped_rate(topic))} |"
            )
    lines += ["", "Helped: of the answers to \"Did that help?\" after that topic's advice or answer, the share "
              "of yes. Fallback rate: of the user messages, those the assistant did not understand. "
              "Handoff rate: of the conversations, those that ended with technical support's number."]
    return "\n".join(lines) + "\n"


def chart(figures: Dict[str, LanguageFigures], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    topics = sorted({t for f in figures.values() for t in f.messages_per_topic},
                    key=lambda t: -sum(f.messages_per_topic[t] for f in figures.values()))
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.35 * len(topics) + 1)))
    height = 0.4
    for offset, (language, colour) in enumerate(zip(LANGUAGES, ("#005a87", "#b35c00"))):
        ax.barh([i + offset * height for i in range(len(topics))],
                [figures[language].messages_per_topic[t] for t in topics],
                height=height, color=colour, label=language)
    ax.set_yticks([i + height / 2 for i in range(len(topics))])
    ax.set_yticklabels(topics)
    ax.invert_yaxis()
    ax.set_xlabel("user messages")
    ax.set_title("Messages per topic and language")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--endpoints", type=Path, default=endpoints_file(os.environ),
                        help="default: that of the profile ASSISTANT_PROFILE names")
    parser.add_argument("--out", type=Path, default=REPORTS / "stats")
    args = parser.parse_args(argv)
    figures = usage(stored_conversations(args.endpoints), since=time.time() - args.days * 86400)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "usage.md").write_text(markdown(figures, args.days), encoding="utf-8")
    chart(figures, args.out / "usage.png")
    print(markdown(figures, args.days))
    print(f"Written: {args.out / 'usage.md'} and {args.out / 'usage.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
