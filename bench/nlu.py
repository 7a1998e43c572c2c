"""In-process NLU: parse latency per message and accuracy on the held-out sentences.

    python -m bench.nlu MODEL    # prints the figures as JSON

Run as its own process by the benchmark, so that loading a model there does not weigh on
the load client.
"""
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Dict

from assistant.review.conversations import FALLBACK_INTENT
from assistant.review.evaluation import (LANGUAGES, OTHER_LANGUAGE_INTENT, Prediction, base_intent, held_out,
                                         language_figures, other_language_sentences, topic_of)

# Rasa's default ResponseSelector, trained without a retrieval_intent, answers under this key.
DEFAULT_SELECTOR = "default"


def _as_faq_selector(result: Dict) -> Dict:
    """The baseline's answer where the evaluation looks for ours (response_selector.faq)."""
    selectors = result.get("response_selector") or {}
    if "faq" not in selectors and DEFAULT_SELECTOR in selectors:
        selectors["faq"] = selectors[DEFAULT_SELECTOR]
    return result


def _classifier_choice(result: Dict) -> str:
    """The best intent the classifier ranked, whatever the fallback made of it."""
    ranked = [r["name"] for r in result.get("intent_ranking") or [] if r["name"] != FALLBACK_INTENT]
    return ranked[0] if ranked else FALLBACK_INTENT


def measure(model: Path) -> Dict:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse_all() -> Dict:
        await agent.parse_message("hej")  # the first parse builds what later ones reuse
        figures = {}
        for language in LANGUAGES:
            predictions, latencies = [], []
            for text, expected, held_out_class in held_out(language):
                started = time.perf_counter()
                result = await agent.parse_message(text)
                latencies.append((time.perf_counter() - started) * 1000)
                predictions.append(Prediction(text, expected, _as_faq_selector(result), held_out_class))
            found = language_figures(predictions)
            figures[language] = {key: found[key] for key in
                                 ("sentences", "intent_accuracy", "answer_accuracy", "topic_accuracy")}
            # Topic as the user gets it, per class of held-out sentences (clean, story, ...).
            figures[language]["classes"] = {name: c["topic_accuracy"] for name, c in found["classes"].items()}
            figures[language]["classifier_accuracy"] = sum(
                _classifier_choice(p.result) == base_intent(p.expected) for p in predictions) / len(predictions)
            # Worse than asking again: an answer to another question.
            figures[language]["wrong_answers"] = sum(
                topic_of(p.result) not in (p.expected, FALLBACK_INTENT) for p in predictions) / len(predictions)
            figures[language]["parse_ms"] = latencies
        others = other_language_sentences()
        recognised = [(await agent.parse_message(text))["intent"]["name"] == OTHER_LANGUAGE_INTENT
                      for text, _ in others]
        # A pipeline without the language identifier never gives the reply in both languages.
        figures["other_languages"] = sum(recognised) / len(recognised) if recognised else 0.0
        return figures

    return asyncio.run(parse_all())


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]))))
