"""The models page: train from the current data, compare a model with the live one, make it
live or roll back to an earlier one, and export a model's data as a patch for developers.

Support leads train, compare, activate and roll back; a model the gate refuses (worse than
the live one by more than the margin on a per-language figure, or failing a test story) is
activated only by an admin, with a reason, both logged. Rolling back to a model that was live
needs no gate, unless it went live by an override. Training and evaluation run in the
background (assistant/model_store/jobs.py), one at a time.
"""
import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from assistant.console import audit
from assistant.console.accounts import ADMIN, LEAD
from assistant.console.review_pages import row_id, title, typed
from assistant.console.texts import text
from assistant.model_store import comparison, jobs, registry, snapshot
from assistant.paths import ROOT
from assistant.reliability import kind_and_place

logger = logging.getLogger(__name__)

REASON_LIMIT = 300
# How often the background task looks for a queued job.
JOB_POLL_SECONDS = 2.0
MODELS_LISTED = 100


@dataclass(frozen=True)
class Gate:
    """Whether a model may go live now: `refusal` says why not ("" when it may), and an admin
    may override a refusal that is about its figures or stories, never one that has nothing
    to compare yet."""
    refusal: str = ""
    overridable: bool = False
    rollback: bool = False  # it was live before, without an override: no comparison needed


def gate(model: registry.StoredModel, live: Optional[registry.StoredModel], history: List[registry.Activation],
         language: str) -> Gate:
    if live is None or model.id == live.id:
        return Gate()
    earlier = [a for a in history if a.model_id == model.id]
    overridden = any(a.kind == registry.OVERRIDDEN for a in earlier)
    if earlier and not overridden:
        return Gate(rollback=True)
    if model.evaluation is None:
        return Gate(text("gate_not_evaluated", language))
    if live.evaluation is None:
        return Gate(text("gate_live_not_evaluated", language))
    result = comparison.compare(model.evaluation, live.evaluation, comparison.margin_points())
    if result.other_tests:
        return Gate(text("gate_tests_changed", language))
    reasons = [text("gate_worse", language, language_name=text(f"language_{row.language}", language),
                    figure=text(f"figure_{row.figure}", language), points=f"{-row.change_points:.1f}",
                    margin=f"{result.margin:g}") for row in result.worse]
    if result.failed_stories:
        reasons.append(text("gate_stories", language, count=len(result.failed_stories),
                            stories="; ".join(result.failed_stories)))
    if reasons and overridden:
        reasons.append(text("gate_overridden_before", language))
    return Gate(" ".join(reasons), overridable=bool(reasons))


def status(model: registry.StoredModel, live: Optional[registry.StoredModel], history: List[registry.Activation],
           running: set, failed: set, language: str) -> str:
    """The model's state in the list."""
    if live is not None and model.id == live.id:
        return "live"
    if model.id in running:
        return "evaluating"
    found = gate(model, live, history, language)
    if found.rollback:
        return "was_live"
    if model.evaluation is None:
        return "evaluation_failed" if model.id in failed else "not_evaluated"
    if not found.refusal:
        return "ready"
    return "refused" if found.overridable else "not_comparable"


def register(app: Sanic, engine: Engine, page: Callable[..., HTTPResponse], requires: Callable,
             project: Path, store: Path, training_config: Optional[Path] = None) -> None:
    """`project`: the folder with config.yml, domain.yml and data/ that corrections go into and
    models are trained from; `store`: the model store's folder."""
    runner = jobs.Runner(engine, project, store, training_config)
    activating = asyncio.Lock()

    def models_page(request: Request, status_code: int = 200) -> HTTPResponse:
        language = request.ctx.language
        live = registry.active(engine)
        history = registry.history(engine)
        queue = jobs.waiting_and_running(engine)
        running = {job.model_id for job in queue if job.running}
        failed = jobs.failed_evaluations(engine)
        every = registry.all_models(engine)[:MODELS_LISTED]
        latest_activation: Dict[int, registry.Activation] = {}
        for activation in history:  # the latest first
            latest_activation.setdefault(activation.model_id, activation)
        last_job = jobs.latest(engine)
        done = request.args.get("done", "")
        return page(request, "models.html", status_code, live=live, models=every, queue=queue,
                    statuses={m.id: status(m, live, history, running, set(failed), language) for m in every},
                    activated=latest_activation, failed_jobs=failed,
                    failed=last_job if last_job is not None and last_job.status in (jobs.FAILED, jobs.INTERRUPTED) else None,
                    errors={}, notice=text(f"models_done_{done}", language)
                    if done in ("activated", "rolled_back", "queued", "evaluating") else "",
                    progress_text=lambda job: progress_text(job, language))

    def progress_text(job: jobs.Job, language: str) -> str:
        component = job.progress.get("component")
        detail = text("job_progress", language, component=component, epoch=job.progress.get("epoch", 0),
                      epochs=job.progress.get("epochs", 0)) if component else ""
        return f"{job.percent} %" + (f" – {detail}" if detail else "")

    @app.get("/models")
    @requires(LEAD, ADMIN)
    async def model_list(request: Request) -> HTTPResponse:
        return models_page(request)

    @app.get("/models/progress")
    @requires(LEAD, ADMIN)
    async def progress(request: Request) -> HTTPResponse:
        """For the page's progress bar (static/models.js); the page works without it."""
        return response.json({"jobs": [{"id": j.id, "status": j.status, "percent": j.percent,
                                        "detail": progress_text(j, request.ctx.language)}
                                       for j in jobs.waiting_and_running(engine)]})

    @app.post("/models/train")
    @requires(LEAD, ADMIN)
    async def train(request: Request) -> HTTPResponse:
        job = jobs.request(engine, jobs.TRAIN, request.ctx.session.account.username)
        audit.record(engine, request.ctx.session.account.username, audit.TRAINING_REQUESTED, f"job {job.id}")
        return response.redirect("/models?done=queued")

    def no_such_model(request: Request) -> HTTPResponse:
        return page(request, "message.html", 404, message=text("no_such_model", request.ctx.language))

    @app.post("/models/<model_id>/evaluate")
    @requires(LEAD, ADMIN)
    async def evaluate_again(request: Request, model_id: str) -> HTTPResponse:
        model = registry.get(engine, row_id(model_id) or 0)
        if model is None:
            return no_such_model(request)
        jobs.request(engine, jobs.EVALUATE, request.ctx.session.account.username, model.id)
        return response.redirect("/models?done=evaluating")

    @app.get("/models/<model_id>")
    @requires(LEAD, ADMIN)
    async def compare_page(request: Request, model_id: str) -> HTTPResponse:
        model = registry.get(engine, row_id(model_id) or 0)
        return comparison_page(request, model) if model else no_such_model(request)

    def data_change(model: registry.StoredModel, live: Optional[registry.StoredModel]) -> Tuple[bool, Optional[bytes]]:
        """Whether activating `model` puts its training data in place of the project's, and
        the project's data when that removes work that is in no model yet (corrections approved,
        answers edited since: a lead must confirm, and it is kept in the store to be found again).

        The data is put back when rolling back (the model was live before, or is older than the
        live one) and when nothing changed since the live model was trained; otherwise the
        project's data is newer work and stays, for the next training."""
        if live is None or model.id == live.id:
            return False, None
        archive = snapshot.pack(project)
        current = snapshot.sha256(archive)
        if current == model.data_sha256:
            return False, None
        earlier = model.id < live.id or any(a.model_id == model.id for a in registry.history(engine))
        if not (earlier or current == live.data_sha256):
            return False, None
        known = {m.data_sha256 for m in registry.all_models(engine)}
        return True, None if current in known else archive

    def comparison_page(request: Request, model: registry.StoredModel, status_code: int = 200,
                        errors: Optional[Dict[str, str]] = None, reason: str = "") -> HTTPResponse:
        live = registry.active(engine)
        history = registry.history(engine)
        restores, unsaved = data_change(model, live)
        result = None
        if model.evaluation is not None:
            result = comparison.compare(model.evaluation, live.evaluation if live and live.id != model.id else None,
                                        comparison.margin_points())
        return page(request, "model.html", status_code, model=model, live=live, result=result,
                    gate=gate(model, live, history, request.ctx.language),
                    by_language=figures_by_language(result) if result else {},
                    overrides=[a for a in history if a.model_id == model.id and a.kind == registry.OVERRIDDEN],
                    restores=restores, unsaved=unsaved is not None,
                    errors=errors or {}, reason=reason, title=lambda topic: title(topic, request.ctx.language))

    @app.post("/models/<model_id>/activate")
    @requires(LEAD, ADMIN)
    async def activate(request: Request, model_id: str) -> HTTPResponse:
        account = request.ctx.session.account
        language = request.ctx.language
        model = registry.get(engine, row_id(model_id) or 0)
        if model is None:
            return no_such_model(request)
        reason = typed(request.form.get("reason"), REASON_LIMIT).strip()
        async with activating:
            live = registry.active(engine)
            if live is not None and live.id == model.id:
                return comparison_page(request, model, 400, {"form": text("already_live", language)})
            found = gate(model, live, registry.history(engine), language)
            kind = registry.ROLLED_BACK if found.rollback else registry.ACTIVATED
            if found.refusal:
                if not found.overridable or account.role != ADMIN:
                    return comparison_page(request, model, 409, {"form": found.refusal})
                if not reason:
                    return comparison_page(request, model, 400, {"reason": text("override_needs_reason", language)})
                kind = registry.OVERRIDDEN
            restores, unsaved = data_change(model, live)
            if unsaved is not None and request.form.get("discard") != "yes":
                return comparison_page(request, model, 409, {"discard": text("confirm_unsaved", language)}, reason)
            kept = ""
            try:
                if unsaved is not None:  # kept, so that a developer can find it again
                    kept = snapshot.sha256(unsaved)
                    registry.keep_data(store, unsaved)
                if restores:
                    snapshot.restore(registry.data_file(store, model.data_sha256), project)
            except (OSError, ValueError) as error:
                logger.error(f"Restoring a model's training data failed: {kind_and_place(error)}")
                return comparison_page(request, model, 500, {"form": text("restore_failed", language)})
            registry.activate(engine, model.id, account.username, kind, reason if kind == registry.OVERRIDDEN else "")
        action = {registry.ROLLED_BACK: audit.MODEL_ROLLED_BACK, registry.OVERRIDDEN: audit.MODEL_OVERRIDDEN}.get(
            kind, audit.MODEL_ACTIVATED)
        target = model.label + (f"; earlier data kept as {kept[:12]}" if kept else "")
        audit.record(engine, account.username, action, (target + (f": {reason}" if kind == registry.OVERRIDDEN else ""))[:128])
        return response.redirect(f"/models?done={'rolled_back' if kind == registry.ROLLED_BACK else 'activated'}")

    @app.get("/models/<model_id>/patch")
    @requires(LEAD, ADMIN)
    async def export_patch(request: Request, model_id: str) -> HTTPResponse:
        model = registry.get(engine, row_id(model_id) or 0)
        if model is None:
            return no_such_model(request)
        diff = await asyncio.get_running_loop().run_in_executor(
            None, snapshot.patch, registry.data_file(store, model.data_sha256), ROOT)
        audit.record(engine, request.ctx.session.account.username, audit.PATCH_EXPORTED, model.label)
        return response.text(diff, content_type="text/x-diff; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="model-{model.id}-training-data.patch"'})

    async def run_jobs() -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(None, jobs.evaluate_newcomers, engine)
                while await loop.run_in_executor(None, runner.run_next) is not None:
                    pass
            except Exception as error:  # the next round tries again
                logger.error(f"Running the training jobs failed: {kind_and_place(error)}")
            await asyncio.sleep(JOB_POLL_SECONDS)

    @app.after_server_start
    async def start_jobs(app: Sanic, _: Any) -> None:
        jobs.interrupt_unfinished(engine)
        app.add_task(run_jobs())


def figures_by_language(result: comparison.Comparison) -> Dict[str, List[comparison.FigureRow]]:
    grouped: Dict[str, List[comparison.FigureRow]] = {}
    for row in result.figures:
        grouped.setdefault(row.language, []).append(row)
    return grouped
