"""Timed training from scratch: full (NLU and dialogue) and NLU only."""
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.paths import ROOT
from assistant.processes import RASA, base_environment


@dataclass
class Trained:
    model: Path
    seconds: float

    @property
    def size_mib(self) -> float:
        return self.model.stat().st_size / 2**20


def train(config: Path, out: Path, name: str, nlu_only: bool = False) -> Trained:
    """Train with an empty cache of its own, so nothing is reused from an earlier training."""
    out.mkdir(parents=True, exist_ok=True)
    command = [RASA, "train", *(["nlu", "--nlu", "data/nlu"] if nlu_only else ["--data", "data", "--domain", "domain.yml"]),
               "--config", str(config), "--out", str(out), "--fixed-model-name", name]
    env = base_environment({"RASA_CACHE_DIRECTORY": str(out / f"cache-{name}")})
    log = out / f"train-{name}.log"
    started = time.monotonic()
    with log.open("wb") as output:
        finished = subprocess.run(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - started
    model = out / f"{name}.tar.gz"
    if finished.returncode != 0 or not model.exists():
        raise RuntimeError(f"Training {name} failed:\n" + log.read_text(errors="replace")[-3000:])
    return Trained(model, seconds)
