"""Build the spaCy pipeline the NLU uses: Swedish tokenizer rules and lookup lemmas.

spaCy's trained Swedish models are not on the package index, and nothing may be downloaded
at run time, so the set-up builds a blank "sv" pipeline with the lookup lemmatizer from
spacy-lookups-data (fått -> få, koden -> kod) and saves it to disk, where SpacyNLP loads it.

    python -m assistant.nlu.build_spacy_pipeline build/spacy-sv
"""
import sys
from pathlib import Path

import spacy


def build(target: Path) -> None:
    nlp = spacy.blank("sv")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # Reads the lookup table from the installed spacy-lookups-data package; to_disk stores
    # it inside the pipeline, so loading needs nothing else.
    nlp.initialize()
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "build/spacy-sv"))
