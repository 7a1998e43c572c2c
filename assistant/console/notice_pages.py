"""Service notices (support leads): post one in Swedish and English, for every topic or some,
from a start to an end; end one early. The assistant shows them (assistant/notices.py)."""
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import sqlalchemy as sa
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from actions.topics import TOPICS
from assistant.console import audit, local_time
from assistant.console.accounts import LEAD
from assistant.console.review_pages import row_id, title
from assistant.console.store import notices
from assistant.console.texts import text
from assistant.notices import TEXT_LIMIT
from assistant.review.conversations import FALLBACK_INTENT

ENDED_SHOWN = 20
DEFAULT_HOURS = 24
# Topics a notice can concern: those of the coverage map, the five problems first.
NOTICE_TOPICS = sorted((t for t in TOPICS if t != FALLBACK_INTENT), key=lambda t: (t.startswith("faq/"), t))


def register(app: Sanic, engine: Engine, page: Callable[..., HTTPResponse], requires: Callable) -> None:
    def notices_page(request: Request, status: int = 200, values: Optional[Dict[str, Any]] = None,
                     errors: Optional[Dict[str, str]] = None) -> HTTPResponse:
        now = time.time()
        with engine.connect() as connection:
            current = connection.execute(sa.select(notices).where(notices.c.ends_at > now)
                                         .order_by(notices.c.starts_at)).fetchall()
            ended = connection.execute(sa.select(notices).where(notices.c.ends_at <= now)
                                       .order_by(notices.c.ends_at.desc()).limit(ENDED_SHOWN)).fetchall()
        language = request.ctx.language
        topic = request.args.get("topic", "")
        values = values or {"scope": "topics" if topic in TOPICS else "all", "topics": [topic] if topic in TOPICS else [],
                            "starts": local_time.field_value(now),
                            "ends": local_time.field_value(now + DEFAULT_HOURS * 3600), "text_sv": "", "text_en": ""}
        done = request.args.get("done", "")
        return page(request, "notices.html", status, current=current, ended=ended, now=now, values=values,
                    errors=errors or {}, choices=[(t, title(t, language)) for t in NOTICE_TOPICS],
                    topics_of=lambda row: [title(t, language) for t in row.topics.split()],
                    limit=TEXT_LIMIT, notice=text(f"notice_done_{done}", language) if done in ("posted", "ended") else "")

    @app.get("/notices")
    @requires(LEAD)
    async def notice_list(request: Request) -> HTTPResponse:
        return notices_page(request)

    @app.post("/notices")
    @requires(LEAD)
    async def post_notice(request: Request) -> HTTPResponse:
        language = request.ctx.language
        values, errors, moments = _read(request.form, language)
        if errors:
            return notices_page(request, 400, values, errors)
        actor = request.ctx.session.account.username
        with engine.begin() as connection:
            created = connection.execute(notices.insert().values(
                text_sv=values["text_sv"], text_en=values["text_en"],
                topics=" ".join(values["topics"]) if values["scope"] == "topics" else "",
                starts_at=moments[0], ends_at=moments[1], created_by=actor, created_at=time.time()))
            notice_id = created.inserted_primary_key[0]
        audit.record(engine, actor, audit.NOTICE_POSTED, f"notice {notice_id}")
        return response.redirect("/notices?done=posted")

    @app.post("/notices/<notice_id>/end")
    @requires(LEAD)
    async def end_notice(request: Request, notice_id: str) -> HTTPResponse:
        found = row_id(notice_id)
        now = time.time()
        actor = request.ctx.session.account.username
        with engine.begin() as connection:
            ended = connection.execute(notices.update().where(notices.c.id == (found or 0), notices.c.ends_at > now)
                                       .values(ends_at=now, ended_by=actor)).rowcount
        if not ended:
            return page(request, "message.html", 404, message=text("no_such_notice", request.ctx.language))
        audit.record(engine, actor, audit.NOTICE_ENDED, f"notice {found}")
        return response.redirect("/notices?done=ended")


def _read(form: Any, language: str) -> Tuple[Dict[str, Any], Dict[str, str], Tuple[float, float]]:
    """The form's values as typed, the errors by field, and the start and end."""
    from assistant.console.review_pages import typed

    values: Dict[str, Any] = {
        "text_sv": _text(form.get("text_sv")), "text_en": _text(form.get("text_en")),
        "scope": "topics" if form.get("scope") == "topics" else "all",
        "topics": [t for t in (form.getlist("topics") or [])[:len(NOTICE_TOPICS)] if t in TOPICS],
        "starts": typed(form.get("starts"), 20), "ends": typed(form.get("ends"), 20)}
    errors: Dict[str, str] = {}
    for field in ("text_sv", "text_en"):
        if not values[field]:
            errors[field] = text(f"notice_needs_{field}", language)
        elif len(values[field]) > TEXT_LIMIT:
            errors[field] = text("notice_too_long", language, limit=TEXT_LIMIT)
    if values["scope"] == "topics" and not values["topics"]:
        errors["topics"] = text("notice_needs_topics", language)
    moments: List[float] = []
    for field in ("starts", "ends"):
        try:
            moments.append(local_time.moment(values[field]))
        except ValueError:
            errors[field] = text("notice_bad_time", language)
            moments.append(0.0)
    if "ends" not in errors and "starts" not in errors:
        if moments[1] <= moments[0]:
            errors["ends"] = text("notice_ends_before_start", language)
        elif moments[1] <= time.time():
            errors["ends"] = text("notice_ends_in_past", language)
    return values, errors, (moments[0], moments[1])


def _text(value: Optional[str]) -> str:
    """What was typed, lines kept, control characters and surrounding space gone."""
    from assistant.channels.edge import clean_text

    lines = [clean_text(line).strip() for line in (value or "")[: TEXT_LIMIT * 2].replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()
