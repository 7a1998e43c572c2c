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

from assistant.review.evaluation import HELD_OUT, LANGUAGES, Prediction, language_figures
from assistant.review.training_data import examples


def measure(model: Path) -> Dict:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse_all() -> Dict:
        await agent.parse_message("hej")  # the first parse builds what later ones reuse
        figures = {}
        for language in LANGUAGES:
            predictions, latencies = [], []
            for text, expected in examples(HELD_OUT / language):
                started = time.perf_counter()
                result = await agent.parse_message(text)
                latencies.append((time.perf_counter() - started) * 1000)
                predictions.append(Prediction(text, expected, result))
            found = language_figures(predictions)
            figures[language] = {key: found[key] for key in
                                 ("sentences", "intent_accuracy", "answer_accuracy", "topic_accuracy")}
            figures[language]["parse_ms"] = latencies
        return figures

    return asyncio.run(parse_all())


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]))))
