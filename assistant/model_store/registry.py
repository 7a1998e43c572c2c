"""The model store's records and files: every trained model, the data it was made of, its
evaluation, and which one is live.

Files live in one folder (MODEL_STORE_DIR, var/model-store/ by default), named by the SHA-256
of their content, so a model or a data archive is kept once however often it is added:

    models/<sha256>.tar.gz     the trained model, as `rasa train` wrote it
    data/<sha256>.tar.gz       config.yml, domain.yml and data/ it was trained from (snapshot.py)

The records are tables of the console's database (migration 0004). The live model is the one
the latest activation names; there is always one once the first model is in (`make run` adds
and activates the model it trained when the store is empty).
"""
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assistant.console.store import activations, models
from assistant.paths import VAR

DEFAULT_FOLDER = VAR / "model-store"

# Who made a model.
CONSOLE, COMMAND_LINE = "console", "make"
# How a model became live.
FIRST, ACTIVATED, OVERRIDDEN, ROLLED_BACK = "first", "activated", "override", "rollback"


def folder(environ: Optional[Dict[str, str]] = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get("MODEL_STORE_DIR") or DEFAULT_FOLDER)


@dataclass(frozen=True)
class StoredModel:
    id: int
    sha256: str
    size: int
    source: str
    trained_by: str
    trained_at: float
    data_sha256: str
    evaluation: Optional[Dict]
    evaluated_at: Optional[float]

    @property
    def name(self) -> str:
        """What people call it."""
        return f"#{self.id}"

    @property
    def label(self) -> str:
        """Its name and the start of its fingerprint, as the Rasa servers log it."""
        return f"#{self.id} ({self.sha256[:12]})"


@dataclass(frozen=True)
class Activation:
    model_id: int
    at: float
    actor: str
    kind: str
    reason: str


def model_file(store: Path, sha256: str) -> Path:
    return store / "models" / f"{sha256}.tar.gz"


def data_file(store: Path, data_sha256: str) -> Path:
    return store / "data" / f"{data_sha256}.tar.gz"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as opened:
        for block in iter(lambda: opened.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _keep(path: Path, target: Path) -> None:
    """Copy `path` to `target` whole or not at all (a reader never sees half a model)."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(path, partial)
    partial.replace(target)


def keep_data(store: Path, data_archive: bytes) -> str:
    """Keep an archive of training files (once); its SHA-256."""
    from assistant.model_store.snapshot import sha256

    data_sha = sha256(data_archive)
    target = data_file(store, data_sha)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(data_archive)
        partial.replace(target)
    return data_sha


def _row(row) -> StoredModel:  # noqa: ANN001
    return StoredModel(row.id, row.sha256, row.size, row.source, row.trained_by, row.trained_at, row.data_sha256,
                       json.loads(row.evaluation) if row.evaluation else None, row.evaluated_at)


def add(engine: Engine, store: Path, model: Path, data_archive: bytes, source: str, trained_by: str,
        trained_at: Optional[float] = None) -> StoredModel:
    """Keep a trained model and the archive of what it was trained from (the one already
    kept when the same model is added again)."""
    model_sha = file_sha256(model)
    found = find(engine, model_sha)
    if found is not None:
        return found
    data_sha = keep_data(store, data_archive)
    _keep(model, model_file(store, model_sha))
    with engine.begin() as connection:
        connection.execute(models.insert().values(
            sha256=model_sha, size=model.stat().st_size, source=source, trained_by=trained_by,
            trained_at=trained_at or time.time(), data_sha256=data_sha))
    return find(engine, model_sha)


def find(engine: Engine, sha256: str) -> Optional[StoredModel]:
    with engine.connect() as connection:
        row = connection.execute(sa.select(models).where(models.c.sha256 == sha256)).first()
    return _row(row) if row else None


def get(engine: Engine, model_id: int) -> Optional[StoredModel]:
    with engine.connect() as connection:
        row = connection.execute(sa.select(models).where(models.c.id == model_id)).first()
    return _row(row) if row else None


def all_models(engine: Engine) -> List[StoredModel]:
    """Newest first."""
    with engine.connect() as connection:
        return [_row(row) for row in connection.execute(sa.select(models).order_by(models.c.id.desc()))]


def active(engine: Engine) -> Optional[StoredModel]:
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(models).join(activations, activations.c.model_id == models.c.id)
            .order_by(activations.c.id.desc()).limit(1)).first()
    return _row(row) if row else None


def history(engine: Engine) -> List[Activation]:
    """Every activation, the latest first."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(activations).order_by(activations.c.id.desc()))
        return [Activation(row.model_id, row.at, row.actor, row.kind, row.reason) for row in rows]


def activate(engine: Engine, model_id: int, actor: str, kind: str, reason: str = "") -> None:
    with engine.begin() as connection:
        connection.execute(activations.insert().values(model_id=model_id, at=time.time(), actor=actor, kind=kind,
                                                       reason=reason[:300]))


def set_evaluation(engine: Engine, model_id: int, evaluation: Dict) -> None:
    with engine.begin() as connection:
        connection.execute(models.update().where(models.c.id == model_id).values(
            evaluation=json.dumps(evaluation, ensure_ascii=False), evaluated_at=time.time()))


def unevaluated(engine: Engine) -> List[StoredModel]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(models).where(models.c.evaluation.is_(None)).order_by(models.c.id))
        return [_row(row) for row in rows]
