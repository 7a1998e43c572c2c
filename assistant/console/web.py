"""The console's pages: server-rendered HTML (Jinja2, every value escaped), no script needed.

Every page but sign-in needs a session; every form carries a CSRF token (the session's own, or
for the sign-in form a cookie it must match); each route names the roles that may use it. A
form with errors is shown again with what was typed (never a password) and each error beside
its field. Argon2 (64 MiB, tens of milliseconds) runs in a thread, at most HASHING_AT_ONCE at a
time, and each address may try SIGN_INS_PER_MINUTE times a minute: guessing can neither crowd
out the assistant's CPU and memory nor go fast.
"""
import asyncio
import hmac
import logging
import os
import re
import secrets
from functools import wraps
from pathlib import Path
from typing import Any, Callable, Dict, Optional
from urllib.parse import quote

import jinja2
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from assistant.channels.rate_limit import RateLimiter
from assistant.console import (accounts, alerts, answer_pages, audit, conversations, handoff_pages, local_time,
                               model_pages, notice_pages, review_pages)
from assistant.console.accounts import ADMIN, LEAD, ROLES, AccountError, SessionLimits
from assistant.console.texts import TEXTS, language_of, text
from assistant.model_store import registry
from assistant.paths import HELD_OUT, MODEL, TRAINING_DATA
from assistant.reliability import kind_and_place

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
LANGUAGE_COOKIE = "console_language"
HASHING_AT_ONCE = 2
HASHING_QUEUE_SECONDS = 10
SIGN_INS_PER_MINUTE = 20  # per address; CONSOLE_SIGN_INS_PER_MINUTE
# Forms are short; nothing a person types into them comes near this.
MAX_REQUEST_BYTES = 16 * 1024
MAX_PAGE = 100_000
# How often new conversations are read into the console's index (CONSOLE_INDEX_SECONDS).
INDEX_SECONDS = 5.0
# The one script (the models page's progress bar) is the console's own file.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
                           "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def create_app(engine: Engine, limits: Optional[SessionLimits] = None, secure_cookies: bool = False,
               name: str = "staff_console", data_dir: Path = TRAINING_DATA, held_out_dir: Path = HELD_OUT,
               model: Path = MODEL, index_seconds: Optional[float] = None, model_store: Optional[Path] = None,
               training_config: Optional[Path] = None) -> Sanic:
    """The console on `engine`; corrections are written into `data_dir` (data/nlu of the
    project that models are trained from), checked against `held_out_dir`; `model` tells which
    of them a trained model has; models are kept in `model_store` (MODEL_STORE_DIR) and
    trained with the project's config.yml or `training_config`."""
    limits = limits or SessionLimits.from_environment()
    index_seconds = float(os.environ.get("CONSOLE_INDEX_SECONDS", INDEX_SECONDS)) if index_seconds is None else index_seconds
    # Over HTTPS the "__Host-" prefix keeps the cookies to this host and path, set by it only.
    prefix = "__Host-" if secure_cookies else ""
    session_cookie, sign_in_cookie = f"{prefix}console_session", f"{prefix}console_sign_in"
    sign_ins = RateLimiter(per_sender=0, window_seconds=60, per_address=int(
        os.environ.get("CONSOLE_SIGN_INS_PER_MINUTE", SIGN_INS_PER_MINUTE)))
    hashing = asyncio.Semaphore(HASHING_AT_ONCE)

    async def hashed(function: Callable, *args: Any) -> Any:
        """`function` (argon2) in a thread, once one of HASHING_AT_ONCE is free."""
        try:
            await asyncio.wait_for(hashing.acquire(), HASHING_QUEUE_SECONDS)
        except asyncio.TimeoutError:
            raise AccountError("busy", seconds=HASHING_QUEUE_SECONDS) from None
        try:
            return await asyncio.get_running_loop().run_in_executor(None, function, *args)
        finally:
            hashing.release()
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    # Approving corrections runs `rasa data validate` (seconds, more on a busy server).
    app.config.RESPONSE_TIMEOUT = 300
    app.config.MOTD = False
    templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                   autoescape=True, undefined=jinja2.StrictUndefined)
    app.static("/static", str(HERE / "static"))

    def page(request: Request, template: str, status: int = 200, **values: Any) -> HTTPResponse:
        language = request.ctx.language
        session = request.ctx.session

        def t(key: str, **more: object) -> str:
            return text(key, language, **more)

        def action_text(action: str) -> str:
            return t(f"audit_{action}") if f"audit_{action}" in TEXTS else action

        html = templates.get_template(template).render(
            t=t, action_text=action_text, language=language, session=session, account=session.account if session else None,
            csrf_token=session.csrf_token if session else "", roles=ROLES, path=request.path,
            here=_here(request),
            format_time=local_time.shown, **values)
        return response.html(html, status=status)

    def set_cookie(reply: HTTPResponse, cookie: str, value: str, max_age: Optional[int] = None) -> None:
        reply.cookies[cookie] = value
        morsel = reply.cookies[cookie]
        morsel["path"] = "/"
        morsel["httponly"] = True
        morsel["samesite"] = "Strict"
        if secure_cookies:
            morsel["secure"] = True
        if max_age is not None:
            morsel["max-age"] = max_age

    @app.middleware("request")
    async def load_session(request: Request) -> None:
        request.ctx.language = language_of(request.cookies.get(LANGUAGE_COOKIE))
        request.ctx.session = None if request.path.startswith("/static/") else accounts.session(
            engine, request.cookies.get(session_cookie), limits)

    @app.middleware("response")
    async def protect(request: Request, reply: HTTPResponse) -> None:
        reply.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        reply.headers["X-Content-Type-Options"] = "nosniff"
        reply.headers["Referrer-Policy"] = "same-origin"
        if not request.path.startswith("/static/"):
            reply.headers["Cache-Control"] = "no-store"

    def requires(*roles: str) -> Callable:
        """Only for a session of one of `roles`; a POST also needs the session's CSRF token."""

        def decorate(handler: Callable) -> Callable:
            @wraps(handler)
            async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
                session = request.ctx.session
                if session is None:
                    if request.method == "GET":
                        return response.redirect(f"/sign-in?next={quote(_here(request))}")
                    return page(request, "message.html", 401, message=text("session_ended", request.ctx.language),
                                sign_in_link=True)
                if session.account.role not in roles:
                    return page(request, "message.html", 403, message=text("forbidden", request.ctx.language))
                if request.method == "POST" and not _same(request.form.get("csrf_token"), session.csrf_token):
                    return page(request, "message.html", 403, message=text("form_expired", request.ctx.language))
                return await handler(request, *args, **kwargs)

            return guarded

        return decorate

    # ----- signing in and out

    @app.get("/sign-in")
    async def sign_in_form(request: Request) -> HTTPResponse:
        if request.ctx.session is not None:
            return response.redirect("/")
        return sign_in_page(request, {"next": _local(request.args.get("next"))}, {})

    def sign_in_page(request: Request, values: Dict[str, str], errors: Dict[str, str], status: int = 200,
                     notice: str = "") -> HTTPResponse:
        # The same token as long as the browser keeps it: a second tab's form stays valid.
        kept = request.cookies.get(sign_in_cookie) or ""
        token = kept if len(kept) == 43 and kept.replace("-", "").replace("_", "").isalnum() else secrets.token_urlsafe(32)
        reply = page(request, "sign_in.html", status, values=values, errors=errors, sign_in_token=token,
                     notice=notice)
        set_cookie(reply, sign_in_cookie, token)
        return reply

    @app.post("/sign-in")
    async def sign_in(request: Request) -> HTTPResponse:
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        values = {"username": username, "next": _local(request.form.get("next"))}
        if not _same(request.form.get("csrf_token"), request.cookies.get(sign_in_cookie)):
            return sign_in_page(request, values, {"form": text("form_expired", request.ctx.language)}, 403)
        try:
            wait = await sign_ins.seconds_to_wait(None, request.remote_addr or request.ip)
            if wait:
                raise AccountError("wait", seconds=wait)
            account = await hashed(accounts.sign_in, engine, username, password)
        except AccountError as error:
            # Only names of real accounts: whatever else was typed into the field is not kept.
            known = accounts.find(engine, username) if accounts.USERNAME.fullmatch(username.lower()) else None
            audit.record(engine, known.username if known else "-", audit.SIGN_IN_REFUSED)
            return sign_in_page(request, values, {"form": text(error.key, request.ctx.language, **error.values)},
                                429 if error.key in ("wait", "busy") else 400)
        audit.record(engine, account.username, audit.SIGNED_IN)
        if request.cookies.get(session_cookie):  # a session of this browser ends with a new sign-in
            accounts.end_session(engine, request.cookies[session_cookie])
        reply = response.redirect(values["next"] or "/")
        set_cookie(reply, session_cookie, accounts.start_session(engine, account))
        set_cookie(reply, sign_in_cookie, "", max_age=0)
        return reply

    @app.post("/sign-out")
    @requires(*ROLES)
    async def sign_out(request: Request) -> HTTPResponse:
        accounts.end_session(engine, request.cookies.get(session_cookie))
        audit.record(engine, request.ctx.session.account.username, audit.SIGNED_OUT)
        request.ctx.session = None
        reply = sign_in_page(request, {"next": ""}, {}, notice=text("signed_out", request.ctx.language))
        set_cookie(reply, session_cookie, "", max_age=0)
        return reply

    @app.get("/language/<code>")
    async def switch_language(request: Request, code: str) -> HTTPResponse:
        reply = response.redirect(_local(request.args.get("next")) or "/")
        set_cookie(reply, LANGUAGE_COOKIE, language_of(code), max_age=365 * 24 * 3600)
        return reply

    # ----- every role

    @app.get("/")
    @requires(*ROLES)
    async def home(request: Request) -> HTTPResponse:
        lead = request.ctx.session.account.role == LEAD
        return page(request, "home.html",
                    alerts=review_pages.described_alerts(engine, request.ctx.language) if lead else [])

    @app.route("/password", methods=["GET", "POST"])
    @requires(*ROLES)
    async def change_password(request: Request) -> HTTPResponse:
        if request.method == "GET":
            return page(request, "password.html", errors={}, minimum=accounts.MIN_PASSWORD_LENGTH)
        account = request.ctx.session.account
        current, new = request.form.get("current") or "", request.form.get("new") or ""
        errors: Dict[str, str] = {}
        language = request.ctx.language
        try:
            if not await hashed(accounts.confirm_password, engine, account, current):
                errors["current"] = text("wrong_current_password", language)
            elif new != (request.form.get("repeat") or ""):
                errors["repeat"] = text("passwords_differ", language)
            else:
                await hashed(accounts.set_password, engine, account.id, new)
        except AccountError as error:
            errors["current" if error.key == "wait" else "new"] = text(error.key, language, **error.values)
        if errors:
            return page(request, "password.html", 400, errors=errors, minimum=accounts.MIN_PASSWORD_LENGTH)
        audit.record(engine, account.username, audit.PASSWORD_CHANGED, account.username)
        request.ctx.session = None
        return sign_in_page(request, {"next": ""}, {}, notice=text("password_changed", language))

    # ----- admins

    @app.get("/accounts")
    @requires(ADMIN)
    async def account_list(request: Request) -> HTTPResponse:
        return accounts_page(request, notice=_notice(request, engine))

    def accounts_page(request: Request, status: int = 200, values: Optional[Dict[str, str]] = None,
                      errors: Optional[Dict[str, str]] = None, notice: str = "") -> HTTPResponse:
        return page(request, "accounts.html", status, all_accounts=accounts.all_accounts(engine),
                    values=values or {"role": LEAD}, errors=errors or {}, notice=notice,
                    minimum=accounts.MIN_PASSWORD_LENGTH)

    @app.post("/accounts")
    @requires(ADMIN)
    async def add_account(request: Request) -> HTTPResponse:
        values = {field: (request.form.get(field) or "").strip() for field in ("username", "display_name", "role")}
        try:
            created = await hashed(accounts.create_account, engine, values["username"], values["display_name"],
                                   values["role"], request.form.get("password") or "")
        except AccountError as error:
            return accounts_page(request, 400, values,
                                 {error.field or "form": text(error.key, request.ctx.language, **error.values)})
        audit.record(engine, request.ctx.session.account.username, audit.ACCOUNT_CREATED, created.username)
        return _done("account_created", created.username)

    @app.post("/accounts/<account_id:int>")
    @requires(ADMIN)
    async def change_account(request: Request, account_id: int) -> HTTPResponse:
        target = next((a for a in accounts.all_accounts(engine) if a.id == account_id), None)
        if target is None:
            return page(request, "message.html", 404, message=text("no_such_account", request.ctx.language))
        change = request.form.get("change")
        if target.id == request.ctx.session.account.id:
            # One's own role and access are changed by another admin, one's own password on
            # its page, which asks for the current one.
            return accounts_page(request, 400, None, {"form": text("own_account", request.ctx.language)})
        try:
            if change == "role":
                role = request.form.get("role") or ""
                accounts.set_role(engine, account_id, role)
                done, what = audit.ROLE_CHANGED, f"{target.username}: {role}"
            elif change == "deactivate" and request.form.get("confirmed") != "yes":
                # Deactivating signs the person out at once: a mis-click must not do it.
                return page(request, "confirm.html", target=target)
            elif change in ("deactivate", "reactivate"):
                accounts.set_active(engine, account_id, change == "reactivate")
                done = audit.DEACTIVATED if change == "deactivate" else audit.REACTIVATED
                what = target.username
            elif change == "password":
                await hashed(accounts.set_password, engine, account_id, request.form.get("password") or "")
                done, what = audit.PASSWORD_RESET, target.username
            else:
                return page(request, "message.html", 400, message=text("not_found", request.ctx.language))
        except AccountError as error:
            message = text(error.key, request.ctx.language, **error.values)
            return accounts_page(request, 400, None, {"form": f"{target.display_name} ({target.username}): {message}"})
        audit.record(engine, request.ctx.session.account.username, done, what)
        return _done(done, target.username)

    @app.get("/audit")
    @requires(ADMIN)
    async def audit_page(request: Request) -> HTTPResponse:
        try:
            number = min(max(1, int(request.args.get("page", "1"))), MAX_PAGE)
        except ValueError:
            number = 1
        entries, older = audit.entries(engine, number)
        if number == 1:
            audit.record(engine, request.ctx.session.account.username, audit.AUDIT_LOG_READ)
        return page(request, "audit.html", entries=entries, number=number, older=older)

    project = project_of(data_dir)
    review_pages.register(app, engine, page, requires, data_dir, held_out_dir, model)
    handoff_pages.register(app, engine, page, requires)
    notice_pages.register(app, engine, page, requires)
    answer_pages.register(app, engine, page, requires, domain=project / "domain.yml")
    model_pages.register(app, engine, page, requires, project=project,
                         store=model_store or registry.folder(), training_config=training_config)

    async def keep_index_current() -> None:
        """Read new conversations into the index, then bring the outage alerts up to date."""
        loop = asyncio.get_running_loop()
        while True:
            indexed = 0
            try:
                indexed = await loop.run_in_executor(None, conversations.catch_up, engine)
            except Exception as error:  # the next round tries again; the pages show what is indexed
                logger.error(f"Indexing conversations failed: {kind_and_place(error)}")
            try:
                await loop.run_in_executor(None, alerts.refresh, engine, indexed > 0)
            except Exception as error:
                logger.error(f"Computing the outage alerts failed: {kind_and_place(error)}")
            await asyncio.sleep(index_seconds)

    @app.after_server_start
    async def start_indexing(app: Sanic, _) -> None:
        app.add_task(keep_index_current())

    @app.exception(Exception)
    async def failure(request: Request, error: Exception) -> HTTPResponse:
        status = getattr(error, "status_code", 500)
        if not hasattr(request.ctx, "session"):  # failed before the session was read
            request.ctx.language, request.ctx.session = language_of(request.cookies.get(LANGUAGE_COOKIE)), None
        if status >= 500:
            logger.error(f"A console page failed: {kind_and_place(error)}")  # not a form's values
        key = {404: "not_found", 405: "not_found"}.get(status, "bad_request" if status < 500 else "failed")
        return page(request, "message.html", status, message=text(key, request.ctx.language))

    return app


def project_of(data_dir: Path) -> Path:
    """The project folder of the training data the console writes: models are trained from
    it and a rollback puts files back into it, so it must be one (data/nlu inside a folder with
    config.yml and domain.yml)."""
    project = data_dir.resolve().parent.parent
    if data_dir.resolve() != project / "data" / "nlu" or not all(
            (project / name).is_file() for name in ("config.yml", "domain.yml")):
        raise ValueError(f"CONSOLE_TRAINING_DATA must be the data/nlu folder of a project, beside its config.yml "
                         f"and domain.yml; {data_dir} is not.")
    return project


def _same(given: Optional[str], expected: Optional[str]) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), str(expected))


def _local(path: Optional[str]) -> str:
    """A path on this site to go on to after signing in; nothing else (no open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 1500:
        return ""
    return path


def _here(request: Request) -> str:
    """Where this page can be had again by a link (switching language, signing in): a GET
    with its query; for the answer to a form, the page the form was on."""
    if request.method != "POST":
        here = request.path + (f"?{request.query_string}" if request.query_string else "")
        return here if len(here) <= 1500 else request.path
    return re.sub(r"/(corrections|review)$", "", request.path) if request.path.startswith("/conversations/") \
        else ("/" if request.path == "/sign-out" else request.path)


def _done(action: str, name: str) -> HTTPResponse:
    return response.redirect(f"/accounts?done={action}&name={quote(name)}")


def _notice(request: Request, engine: Engine) -> str:
    """What the last change did, for accounts that exist only (the link cannot make it say more)."""
    key, name = f"done_{request.args.get('done', '')}", request.args.get("name", "")
    if key not in TEXTS or not accounts.USERNAME.fullmatch(name) or accounts.find(engine, name) is None:
        return ""
    return text(key, request.ctx.language, name=name)
