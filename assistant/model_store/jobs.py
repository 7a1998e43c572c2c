"""Training and evaluating in the background: one job at a time, the others queued, each at
the lowest CPU priority so the assistant's conversations come first.

A training job packs the project's training files (snapshot.py), trains exactly those in a
folder of its own (`rasa train`, nice 19), keeps the model in the store and evaluates it
(comparison.py, nice 19). An evaluation job only evaluates a model that came in without one
(the model `make` trained). The job's state, its progress and, on failure, the end of its log
are rows of the console's database: a page reload, or another support lead, sees the same.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assistant.console.store import trainings
from assistant.model_store import registry, snapshot
from assistant.paths import ROOT

TRAIN, EVALUATE = "train", "evaluate"
QUEUED, TRAINING, EVALUATING, DONE, FAILED, INTERRUPTED = (
    "queued", "training", "evaluating", "done", "failed", "interrupted")
RUNNING = (TRAINING, EVALUATING)
LOG_LINES_KEPT = 200
PROGRESS_EVERY_SECONDS = 1.0
# The lowest priority: the chat's processes get the CPU whenever they want it.
NICENESS = 19

# What `rasa train` logs, read for the progress bar.
_COMPONENT = re.compile(r"Starting to train component '([^']+)'")
_EPOCHS = re.compile(r"Epochs:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)")
# The components whose epochs are counted, as config.yml names them.
EPOCH_COMPONENTS = ("DIETClassifier", "ResponseSelector", "PageAnswerSelector", "TEDPolicy")


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    status: str
    requested_by: str
    requested_at: float
    started_at: Optional[float]
    finished_at: Optional[float]
    progress: Dict
    log: str
    model_id: Optional[int]

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def percent(self) -> int:
        return int(self.progress.get("percent", 0))


def _job(row) -> Job:  # noqa: ANN001
    return Job(row.id, row.kind, row.status, row.requested_by, row.requested_at, row.started_at, row.finished_at,
               json.loads(row.progress or "{}"), row.log, row.model_id)


def request(engine: Engine, kind: str, actor: str, model_id: Optional[int] = None) -> Job:
    """Queue a job; a training already waiting is not queued twice (it will train the data as
    it is when it starts)."""
    with engine.begin() as connection:
        waiting = connection.execute(sa.select(trainings).where(
            trainings.c.status == QUEUED, trainings.c.kind == kind,
            trainings.c.model_id.is_(None) if model_id is None else trainings.c.model_id == model_id)).first()
        if waiting is not None:
            return _job(waiting)
        created = connection.execute(trainings.insert().values(kind=kind, status=QUEUED, requested_by=actor,
                                                               requested_at=time.time(), model_id=model_id))
        job_id = created.inserted_primary_key[0]
    return get(engine, job_id)


def latest(engine: Engine, limit: int = 1) -> Optional[Job]:
    found = recent(engine, limit)
    return found[0] if found else None


def recent(engine: Engine, limit: int = 10) -> List[Job]:
    with engine.connect() as connection:
        return [_job(row) for row in connection.execute(
            sa.select(trainings).order_by(trainings.c.id.desc()).limit(limit))]


def get(engine: Engine, job_id: int) -> Optional[Job]:
    with engine.connect() as connection:
        row = connection.execute(sa.select(trainings).where(trainings.c.id == job_id)).first()
    return _job(row) if row else None


def waiting_and_running(engine: Engine) -> List[Job]:
    """The running job first, then the queue in order."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(trainings).where(trainings.c.status.in_((QUEUED, *RUNNING)))
                                  .order_by(trainings.c.id))
        jobs = [_job(row) for row in rows]
    return sorted(jobs, key=lambda job: (not job.running, job.id))


def interrupt_unfinished(engine: Engine) -> int:
    """At the console's start: a job that was running when it stopped never ends by itself."""
    with engine.begin() as connection:
        return connection.execute(trainings.update().where(trainings.c.status.in_(RUNNING)).values(
            status=INTERRUPTED, finished_at=time.time())).rowcount


def failed_evaluations(engine: Engine) -> Dict[int, Job]:
    """The models whose latest job failed: they are not evaluated again by themselves (a broken
    model would be loaded over and over), only when a lead asks."""
    latest_by_model: Dict[int, Job] = {}
    with engine.connect() as connection:
        for row in connection.execute(sa.select(trainings).where(trainings.c.model_id.isnot(None))
                                      .order_by(trainings.c.id)):
            latest_by_model[row.model_id] = _job(row)
    return {model_id: job for model_id, job in latest_by_model.items() if job.status == FAILED}


def evaluate_newcomers(engine: Engine, tests: Optional[str] = None) -> None:
    """Queue an evaluation for each model that has none (the model make trained), and for the
    live model when the held-out sentences or test stories changed since it was evaluated
    (every comparison is on the same tests); not for one whose evaluation failed."""
    from assistant.model_store.comparison import tests_sha256

    tests = tests or tests_sha256()
    busy = {job.model_id for job in waiting_and_running(engine)} | set(failed_evaluations(engine))
    due = list(registry.unevaluated(engine))
    live = registry.active(engine)
    if live is not None and live.evaluation is not None and live.evaluation.get("tests_sha256") != tests:
        due.append(live)
    for model in due:
        if model.id not in busy:
            request(engine, EVALUATE, "model store", model.id)
            busy.add(model.id)


def _update(engine: Engine, job_id: int, **values: object) -> None:
    with engine.begin() as connection:
        connection.execute(trainings.update().where(trainings.c.id == job_id).values(**values))


def _claim_next(engine: Engine) -> Optional[Job]:
    with engine.begin() as connection:
        if connection.execute(sa.select(trainings.c.id).where(trainings.c.status.in_(RUNNING))).first():
            return None
        row = connection.execute(sa.select(trainings).where(trainings.c.status == QUEUED)
                                 .order_by(trainings.c.id).limit(1)).first()
        if row is None:
            return None
        status = TRAINING if row.kind == TRAIN else EVALUATING
        claimed = connection.execute(trainings.update().where(trainings.c.id == row.id,
                                                              trainings.c.status == QUEUED)
                                     .values(status=status, started_at=time.time())).rowcount
    return get(engine, row.id) if claimed else None


class Progress:
    """The progress of `rasa train` read from its output: which component, which epoch."""

    def __init__(self, epochs_by_component: Dict[str, int]) -> None:
        self.epochs = epochs_by_component
        self.done: Dict[str, int] = {}
        self.component = ""

    def read(self, line: str) -> None:
        found = _COMPONENT.search(line)
        if found:
            self.component = found.group(1).rsplit(".", 1)[-1]
            return
        found = _EPOCHS.search(line)
        if found and self.component:
            self.done[self.component] = int(found.group(1))
            self.epochs.setdefault(self.component, int(found.group(2)))

    def as_dict(self) -> Dict:
        total = sum(self.epochs.values()) or 1
        done = sum(min(self.done.get(name, 0), epochs) for name, epochs in self.epochs.items())
        return {"component": self.component, "epoch": self.done.get(self.component, 0),
                "epochs": self.epochs.get(self.component, 0), "percent": int(100 * done / total),
                "components": [[name, self.done.get(name, 0), epochs] for name, epochs in self.epochs.items()]}


def planned_epochs(config: Path) -> Dict[str, int]:
    """Epochs of each component that trains in epochs, as the config sets them."""
    import yaml

    settings = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    planned = {}
    for part in (settings.get("pipeline") or []) + (settings.get("policies") or []):
        name = str(part.get("name", "")).rsplit(".", 1)[-1]
        if name in EPOCH_COMPONENTS and "epochs" in part:
            planned[name] = int(part["epochs"])
    return planned


def _run(command: List[str], on_line: Callable[[str], None], timeout: float) -> subprocess.CompletedProcess:
    """`command` at the lowest CPU priority, its output read line by line (tqdm's \\r updates
    too); killed after `timeout` seconds even if it prints nothing."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    # In the console's process group: stopping the console (Ctrl-C on make run) stops it too.
    # `nice` runs the command in its own place, so the process is the command itself.
    process = subprocess.Popen(["nice", "-n", str(NICENESS), *command], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    timer = threading.Timer(timeout, process.kill)
    timer.daemon = True
    timer.start()
    pending = b""
    assert process.stdout is not None
    try:
        for chunk in iter(lambda: process.stdout.read1(4096), b""):
            pending += chunk
            *lines, pending = re.split(rb"[\r\n]", pending)
            for line in lines:
                if line.strip():
                    on_line(line.decode("utf-8", "replace"))
        if pending.strip():
            on_line(pending.decode("utf-8", "replace"))
        return subprocess.CompletedProcess(command, process.wait(), b"", b"")
    finally:
        timer.cancel()


class Runner:
    """Runs the queued jobs one after the other (`run_next`, called in a thread)."""

    def __init__(self, engine: Engine, project: Path, store: Path, config: Optional[Path] = None,
                 timeout_seconds: float = 3600) -> None:
        self.engine, self.project, self.store = engine, project, store
        # Another configuration for training (the tests' small one); recorded with the model.
        self.config = config
        self.timeout = timeout_seconds

    def run_next(self) -> Optional[Job]:
        job = _claim_next(self.engine)
        if job is None:
            return None
        log: List[str] = []
        try:
            with tempfile.TemporaryDirectory(prefix="training-") as workdir:
                model_id = self._train(job, Path(workdir), log) if job.kind == TRAIN else job.model_id
                _update(self.engine, job.id, status=EVALUATING, model_id=model_id)
                self._evaluate(job, model_id, Path(workdir), log)
            _update(self.engine, job.id, status=DONE, finished_at=time.time(), log="")
        except Exception as error:  # noqa: BLE001 -- whatever failed, the lead sees the log
            log.append(f"{type(error).__name__}: {error}")
            _update(self.engine, job.id, status=FAILED, finished_at=time.time(),
                    log="\n".join(log[-LOG_LINES_KEPT:]))
        return get(self.engine, job.id)

    def _output(self, job: Job, log: List[str], progress: Optional[Progress] = None) -> Callable[[str], None]:
        last = [0.0]

        def on_line(line: str) -> None:
            # tqdm rewrites its bar many times a second: only the latest of a run is kept.
            if log and _EPOCHS.search(line) and _EPOCHS.search(log[-1]):
                log[-1] = line
            else:
                log.append(line)
                del log[:-LOG_LINES_KEPT]
            if progress is not None:
                progress.read(line)
                if time.monotonic() - last[0] > PROGRESS_EVERY_SECONDS:
                    last[0] = time.monotonic()
                    _update(self.engine, job.id, progress=json.dumps(progress.as_dict()))
        return on_line

    def _train(self, job: Job, workdir: Path, log: List[str]) -> int:
        started = time.time()  # what the model knows: the data as it is now
        project = workdir / "project"
        project.mkdir()
        for name, content in snapshot.read(snapshot.pack(self.project)).items():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_bytes(content)
        if self.config is not None:
            shutil.copyfile(self.config, project / "config.yml")
        archive = snapshot.pack(project)  # exactly what is trained, the configuration too
        progress = Progress(planned_epochs(project / "config.yml"))
        _update(self.engine, job.id, progress=json.dumps(progress.as_dict()))
        rasa = str(Path(sys.executable).with_name("rasa"))
        result = _run([rasa, "train", "--config", str(project / "config.yml"), "--domain", str(project / "domain.yml"),
                       "--data", str(project / "data"), "--out", str(workdir / "out"), "--fixed-model-name", "model"],
                      self._output(job, log, progress), self.timeout)
        model = workdir / "out" / "model.tar.gz"
        if result.returncode != 0 or not model.exists():
            raise RuntimeError(f"rasa train stopped with exit code {result.returncode}")
        _update(self.engine, job.id, progress=json.dumps({**progress.as_dict(), "percent": 100}))
        return registry.add(self.engine, self.store, model, archive, registry.CONSOLE, job.requested_by,
                            trained_at=started).id

    def _evaluate(self, job: Job, model_id: Optional[int], workdir: Path, log: List[str]) -> None:
        model = registry.get(self.engine, model_id) if model_id is not None else None
        if model is None:
            raise RuntimeError("the model to evaluate is no longer in the store")
        if model.evaluation is not None:
            return
        out = workdir / "evaluation.json"
        result = _run([sys.executable, "-m", "assistant.model_store.comparison",
                       str(registry.model_file(self.store, model.sha256)), str(out)],
                      self._output(job, log), self.timeout)
        if result.returncode != 0 or not out.exists():
            raise RuntimeError(f"the evaluation stopped with exit code {result.returncode}")
        registry.set_evaluation(self.engine, model.id, json.loads(out.read_text(encoding="utf-8")))
