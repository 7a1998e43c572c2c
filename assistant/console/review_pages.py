"""The support lead's pages: the conversation list with its filters, a transcript with its
review and corrections, the corrections queue, and the figures."""
import asyncio
import datetime as dt
import logging
import re
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlencode

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from actions.topics import TOPICS
from assistant.channels.edge import clean_text
from assistant.console import alerts, audit, conversations, corrections, local_time
from assistant.console.accounts import LEAD
from assistant.console.texts import TEXTS, text
from assistant.language import SUPPORTED_LANGUAGES, language_name
from assistant.review.conversations import FALLBACK_INTENT
from assistant.review.inbox import ImportRefused

logger = logging.getLogger(__name__)

MAX_PAGE = 100_000
FIGURES_DEFAULT_DAYS = 30
# Ids the databases' integer columns hold; anything else names no row.
MAX_ID = 2**31 - 1


def row_id(value: Any) -> Optional[int]:
    """An id from a path or a form: 1 to MAX_ID written in ASCII digits, else None."""
    written = str(value if value is not None else "")
    if re.fullmatch(r"[0-9]{1,10}", written) and 1 <= int(written) <= MAX_ID:
        return int(written)
    return None


def typed(value: Optional[str], limit: int) -> str:
    """A one-line value as typed, without control characters (PostgreSQL refuses NUL), cut
    to a length beyond what any field allows, so that a too long one can still be shown."""
    return clean_text((value or "")[: limit * 2])[:limit]


def title(topic: str, language: str) -> str:
    """A topic's title from the coverage map in the console's language; else its name."""
    if topic == FALLBACK_INTENT:
        return text("sign_fallback", language)
    if f"intent_{topic}" in TEXTS:
        return text(f"intent_{topic}", language)
    return (TOPICS.get(topic) or {}).get(language) or topic


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def described_alerts(engine: Engine, language: str) -> List[Tuple[str, str, str, str]]:
    """The outage alerts last computed (assistant/console/alerts.py), each as (what happened,
    how likely by chance, the topic, its title), in `language`."""
    found = alerts.latest(engine)
    described = []
    for alert in found:
        chance = (text("under_one_in_a_million", language) if alert.chance < 1e-6
                  else text("one_in", language, number=f"{float(f'{1 / alert.chance:.2g}'):,.0f}".replace(",", " ")))
        described.append((
            text(f"alert_{alert.measure}", language, topic=title(alert.topic, language), count=alert.count,
                 total=alert.total, window=text(f"window_{alert.window}", language), rate=_percent(alert.rate),
                 usual_count=alert.usual_count, usual_total=alert.usual_total, usual=_percent(alert.usual_rate)),
            text("alert_chance", language, chance=chance), alert.topic, title(alert.topic, language)))
    return described


def _date(value: str, field: str, errors: Dict[str, str], language: str) -> Optional[dt.date]:
    """A YYYY-MM-DD date; an error beside `field` if it is not one."""
    if not value:
        return None
    try:
        day = dt.datetime.strptime(value, "%Y-%m-%d").date()
        if not 1970 <= day.year <= 2200:  # no conversation is kept from then
            raise ValueError(value)
        return day
    except ValueError:
        written_right = re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)
        errors[field] = text("date_does_not_exist" if written_right else "bad_date", language)
        return None


def _period(first: Optional[dt.date], last: Optional[dt.date]) -> Tuple[Optional[float], Optional[float]]:
    """From the start of the first day to the end of the last (Swedish time)."""
    return (local_time.start_of(first) if first else None,
            local_time.start_of(last + dt.timedelta(days=1)) if last else None)


def read_filters(args: Any, language: str, topics: List[str]) -> Tuple[conversations.Filters, Dict[str, str], Dict[str, Any]]:
    """The list's filters from the query string, the errors in it, and the values as typed."""
    values = {name: typed(args.get(name), 300) for name in ("from", "to", "language", "topic", "reviewed", "q")}
    values["flags"] = [flag for flag in args.getlist("flag") or [] if flag in conversations.FLAGS]
    errors: Dict[str, str] = {}
    since, until = _period(_date(values["from"], "from", errors, language), _date(values["to"], "to", errors, language))
    if since is not None and until is not None and until <= since:
        errors["to"] = text("dates_reversed", language)
    for name, allowed in (("language", SUPPORTED_LANGUAGES), ("reviewed", ("yes", "no")), ("topic", topics)):
        if values[name] and values[name] not in allowed:
            errors[name] = text("bad_choice", language)
    if len(values["q"]) > conversations.MAX_SEARCH_LENGTH:
        errors["q"] = text("search_too_long", language, maximum=conversations.MAX_SEARCH_LENGTH)
    filters = conversations.Filters(since, until, values["language"], tuple(values["flags"]), values["topic"],
                                    values["reviewed"], values["q"])
    return filters, errors, values


def page_number(args: Any) -> int:
    return min(row_id(args.get("page")) or 1, MAX_PAGE)


def register(app: Sanic, engine: Engine, page: Callable[..., HTTPResponse], requires: Callable,
             data_dir: Path, held_out_dir: Path, model: Path) -> None:
    # Approving runs `rasa data validate` (seconds) in a thread: one decision at a time.
    deciding = asyncio.Lock()

    def intent_choices() -> List[Tuple[str, str]]:
        """(intent, "Swedish title · English title") for the searchable list of corrections."""
        names = sorted({i for found in corrections.intents(data_dir).values() for i in found})
        return [(name, " · ".join(dict.fromkeys(title(name, lang) for lang in SUPPORTED_LANGUAGES))) for name in names]

    def topic_choices() -> List[str]:
        """What a message can have been taken for: the intents and page questions of the
        training data, the coverage map's topics, and not understood at all."""
        return sorted({i for found in corrections.intents(data_dir).values() for i in found}
                      | set(TOPICS) | {FALLBACK_INTENT})

    def model_time() -> float:
        """When the live model was trained (the model store's), else the one make trained."""
        from assistant.model_store import registry

        live = registry.active(engine)
        if live is not None:
            return live.trained_at
        return model.stat().st_mtime if model.exists() else 0.0

    def account(request: Request) -> str:
        return request.ctx.session.account.username

    def not_found(request: Request, key: str = "no_such_conversation") -> HTTPResponse:
        return page(request, "message.html", 404, message=text(key, request.ctx.language))

    @app.get("/conversations")
    @requires(LEAD)
    async def conversation_list(request: Request) -> HTTPResponse:
        language = request.ctx.language
        topics = topic_choices()
        filters, errors, values = read_filters(request.args, language, topics)
        number = page_number(request.args)
        rows, total = ([], 0) if errors else conversations.listed(engine, filters, number)
        pages = max(1, -(-total // conversations.PAGE_SIZE))
        if not errors and number > pages:  # past the end (an old link): the last page
            number = pages
            rows, total = conversations.listed(engine, filters, number)
        if not errors:
            audit.record(engine, account(request), audit.CONVERSATIONS_LISTED, f"{len(rows)} / {total}")
        kept = [(k, value) for k, given in request.args.items() if k != "page" for value in given]
        return page(request, "conversations.html", 400 if errors else 200, rows=rows, total=total, number=number,
                    pages=pages, values=values, errors=errors, flags=conversations.FLAGS, title=title,
                    query=urlencode(kept)[:1500], languages=SUPPORTED_LANGUAGES,
                    language_options=[("", text("any", language))] + [(code, text(f"language_{code}", language))
                                                                     for code in SUPPORTED_LANGUAGES],
                    topic_options=[("", text("any", language))] + sorted(
                        ((topic, title(topic, language)) for topic in topics), key=lambda option: option[1].casefold()))

    def transcript_page(request: Request, found: Dict, status: int = 200, errors: Optional[Dict] = None,
                        typed_values: Optional[Dict] = None, notice: str = "", back: str = "",
                        saved: bool = False) -> HTTPResponse:
        audit.record(engine, account(request), audit.CONVERSATION_VIEWED, f"#{found['id']}")
        turns = conversations.transcript(engine, found)
        return page(request, "transcript.html", status, conversation=found, turns=turns, errors=errors or {},
                    typed=typed_values or {}, choices=intent_choices(), title=title, notice=notice, back=back,
                    saved=saved)

    def conversation_at(conversation_id: int) -> Optional[Dict]:
        return conversations.find(engine, conversation_id) if row_id(conversation_id) else None

    @app.get("/conversations/<conversation_id:int>")
    @requires(LEAD)
    async def transcript(request: Request, conversation_id: int) -> HTTPResponse:
        found = conversation_at(conversation_id)
        if found is None:
            return not_found(request)
        notice = ""
        queued = request.args.get("queued")
        saved = request.args.get("saved") == "1"
        if queued in {i for i, _ in intent_choices()}:
            notice = text("correction_queued", request.ctx.language, intent=title(queued, request.ctx.language))
        elif saved:
            notice = text("review_saved", request.ctx.language)
        return transcript_page(request, found, notice=notice, back=_local_query(request.args.get("back")),
                               saved=saved)

    def after_change(conversation_id: int, back: str, done: Tuple[str, str], anchor: str) -> HTTPResponse:
        query = urlencode([pair for pair in (done, ("back", back)) if pair[1]])
        return response.redirect(f"/conversations/{conversation_id}?{query}#{anchor}")

    @app.post("/conversations/<conversation_id:int>/review")
    @requires(LEAD)
    async def review(request: Request, conversation_id: int) -> HTTPResponse:
        found = conversation_at(conversation_id)
        if found is None:
            return not_found(request)
        back = _local_query(request.form.get("back"))
        typed_tags = typed(request.form.get("tags"), 2 * conversations.MAX_TAGS_LENGTH)
        tags = conversations.clean_tags(typed_tags)
        if tags is None:
            return transcript_page(request, found, 400, {"tags": text(
                "tags_too_long", request.ctx.language, maximum=conversations.MAX_TAGS_LENGTH)},
                {"tags": typed_tags, "reviewed": request.form.get("reviewed") == "yes"}, back=back)
        if request.form.get("reviewed") == "yes" and row_id(request.form.get("seen")) != found["messages"]:
            # Messages came after the page was opened: the review would cover what was not read.
            return transcript_page(request, found, 409, {"form": text("conversation_went_on", request.ctx.language)},
                                   {"tags": typed_tags, "reviewed": True}, back=back)
        conversations.set_review(engine, conversation_id, request.form.get("reviewed") == "yes", tags, account(request))
        audit.record(engine, account(request), audit.CONVERSATION_REVIEWED, f"#{conversation_id}")
        return after_change(conversation_id, back, ("saved", "1"), "review")

    @app.post("/conversations/<conversation_id:int>/corrections")
    @requires(LEAD)
    async def correct(request: Request, conversation_id: int) -> HTTPResponse:
        found = conversation_at(conversation_id)
        if found is None:
            return not_found(request)
        event_id = row_id(request.form.get("event"))
        message = conversations.user_message(engine, conversation_id, event_id) if event_id else None
        if message is None:
            return not_found(request, "no_such_message")
        back = _local_query(request.form.get("back"))
        intent = typed(request.form.get("intent"), 255)
        # A title typed or pasted as the list shows it, in either language, stands for its key.
        choices = intent_choices()
        by_title = {shown.casefold(): name for name, shown in choices}
        by_title.update({title(name, lang).casefold(): name for name, _ in choices for lang in SUPPORTED_LANGUAGES})
        intent = by_title.get(intent.casefold(), intent)
        field = f"intent-{event_id}"
        if message.is_button:
            error = "button_not_corrected"
        elif intent not in corrections.intents(data_dir).get(message.language, []):
            error = "unknown_intent"
        elif not corrections.queue(engine, conversation_id, event_id, message.language, message.text, intent,
                                   account(request)):
            error = "already_decided"
        else:
            audit.record(engine, account(request), audit.CORRECTION_QUEUED, f"#{conversation_id}")
            return after_change(conversation_id, back, ("queued", intent), f"message-{event_id}")
        return transcript_page(request, found, 400, {field: text(error, request.ctx.language)}, {event_id: intent},
                               back=back)

    def corrections_page(request: Request, status: int = 200, errors: Optional[Dict] = None,
                         notice: str = "", chosen: Tuple[int, ...] = (), details: str = "") -> HTTPResponse:
        audit.record(engine, account(request), audit.CORRECTIONS_READ)
        trained_at = model_time()
        return page(request, "corrections.html", status, queued=corrections.all_with(engine, corrections.QUEUED),
                    decided=corrections.all_with(engine, corrections.DECIDED, limit=100),
                    waiting=corrections.decided_since(engine, trained_at), trained_at=trained_at,
                    ever_added=corrections.decided_since(engine, 0.0),
                    errors=errors or {}, notice=notice, chosen=chosen, title=title, details=details)

    @app.get("/corrections")
    @requires(LEAD)
    async def correction_queue(request: Request) -> HTTPResponse:
        counts = [row_id(request.args.get(name)) or 0 for name in ("added", "skipped", "count")]
        done = request.args.get("done")
        notice = ""
        if done == "approved":
            notice = text("approved_result", request.ctx.language, added=counts[0], skipped=counts[1])
        elif done == "discarded":
            notice = text("discarded_result", request.ctx.language, count=counts[2])
        return corrections_page(request, notice=notice)

    @app.post("/corrections")
    @requires(LEAD)
    async def decide(request: Request) -> HTTPResponse:
        language = request.ctx.language
        chosen = tuple(i for i in (row_id(v) for v in (request.form.getlist("chosen") or [])[:1000]) if i)
        decision = request.form.get("decision")
        if decision not in ("approve", "discard"):
            return corrections_page(request, 400, {"form": text("bad_choice", language)}, chosen=chosen)
        if not chosen:
            return corrections_page(request, 400, {"form": text("nothing_chosen", language)})
        async with deciding:
            if decision == "discard":
                count = corrections.discard(engine, list(chosen), account(request))
                audit.record(engine, account(request), audit.CORRECTIONS_DISCARDED, str(count))
                return response.redirect(f"/corrections?done=discarded&count={count}")
            try:
                done = await asyncio.get_running_loop().run_in_executor(
                    None, corrections.approve, engine, list(chosen), account(request), data_dir, held_out_dir)
            except ImportRefused as refusal:
                logger.warning("Approved corrections were refused by the training data's checks")
                return corrections_page(request, 400, {"form": text("import_refused", language)}, chosen=chosen,
                                        details=str(refusal)[-3000:])
        added = sum(c.status == corrections.ADDED for c in done)
        audit.record(engine, account(request), audit.CORRECTIONS_APPROVED, str(added))
        return response.redirect(f"/corrections?done=approved&added={added}&skipped={len(done) - added}")

    @app.get("/figures")
    @requires(LEAD)
    async def figures(request: Request) -> HTTPResponse:
        language = request.ctx.language
        errors: Dict[str, str] = {}
        values = {name: typed(request.args.get(name), 40) for name in ("from", "to")}
        last = _date(values["to"], "to", errors, language) if values["to"] else local_time.today()
        first = _date(values["from"], "from", errors, language)
        if first is None and last is not None and "from" not in errors:
            first = last - dt.timedelta(days=FIGURES_DEFAULT_DAYS - 1)
        since, until = _period(first, last)
        if since is not None and until is not None and until <= since:
            errors["to"] = text("dates_reversed", language)
        figures = {} if errors else conversations.figures(engine, since, until)
        shown = {} if errors else {"since": first.isoformat(), "until": last.isoformat()}
        values = {"from": values["from"] or shown.get("since", ""), "to": values["to"] or shown.get("until", "")}
        other_languages = sum((figure.written_in for figure in figures.values()), Counter())
        return page(request, "figures.html", 400 if errors else 200, figures=figures, values=values, errors=errors,
                    shown=shown, languages=SUPPORTED_LANGUAGES, title=title, other_languages=other_languages,
                    language_name=language_name,
                    alerts=described_alerts(engine, language))


def _local_query(value: Optional[str]) -> str:
    """The list's query string to go back to; only a query string, nothing else."""
    if not value or len(value) > 1500 or not re.fullmatch(r"[A-Za-z0-9_.~%&=+\-]*", value):
        return ""
    return value
