"""Answers (support leads): every response of the assistant, its Swedish and English texts side
by side, a preview as the chat widget shows them, and the history of each (answers.py)."""
import asyncio
from pathlib import Path
from typing import Callable, Dict, Optional
from urllib.parse import quote

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from assistant.console import answers, audit
from assistant.console.accounts import LEAD
from assistant.console.texts import text
from assistant.model_store import registry

# Response names are identifiers: anything else names no answer.
NAME_LIMIT = 120


def register(app: Sanic, engine: Engine, page: Callable[..., HTTPResponse], requires: Callable, domain: Path) -> None:
    # One change of domain.yml at a time: two saves must not write over each other.
    saving = asyncio.Lock()

    @app.get("/answers")
    @requires(LEAD)
    async def answer_list(request: Request) -> HTTPResponse:
        live = registry.active(engine)
        waiting = answers.edited_since(engine, live.trained_at) if live else 0
        done = request.args.get("done", "")
        return page(request, "answers.html", all_answers=answers.read_all(domain), waiting=waiting, errors={},
                    notice=text("answer_saved", request.ctx.language, name=done)
                    if done and answers.find(domain, done[:NAME_LIMIT]) else "")

    def edit_page(request: Request, answer: answers.Answer, status: int = 200,
                  typed: Optional[Dict[str, str]] = None, errors: Optional[Dict[str, str]] = None) -> HTTPResponse:
        shown = typed or dict(answer.text)
        return page(request, "answer.html", status, answer=answer, typed=shown, errors=errors or {},
                    previews={language: answers.preview(shown[language]) for language in answers.LANGUAGES},
                    history=answers.history(engine, answer.name), limit=answers.TEXT_LIMIT,
                    kept={language: answers.kept_parts(answer.text[language]) for language in answers.LANGUAGES})

    def found(name: str) -> Optional[answers.Answer]:
        return answers.find(domain, name) if len(name) <= NAME_LIMIT else None

    @app.get("/answers/<name:path>")
    @requires(LEAD)
    async def edit_answer(request: Request, name: str) -> HTTPResponse:
        answer = found(name)
        if answer is None:
            return page(request, "message.html", 404, message=text("no_such_answer", request.ctx.language))
        return edit_page(request, answer)

    @app.post("/answers/<name:path>")
    @requires(LEAD)
    async def change_answer(request: Request, name: str) -> HTTPResponse:
        language = request.ctx.language
        async with saving:
            answer = found(name)
            if answer is None:
                return page(request, "message.html", 404, message=text("no_such_answer", language))
            typed = {code: answers.normal(request.form.get(f"text_{code}") or "") for code in answers.LANGUAGES}
            if request.form.get("action") == "preview":
                return edit_page(request, answer, typed=typed)
            wrong = answers.problems(answer, typed)
            if wrong:
                errors = {f"text_{code}": text(key, language, **values) for code, (key, values) in wrong.items()}
                return edit_page(request, answer, 400, typed, errors)
            if typed == answer.text:
                return edit_page(request, answer, 400, typed, {"form": text("answer_unchanged", language)})
            account = request.ctx.session.account.username
            await asyncio.get_running_loop().run_in_executor(None, answers.save, engine, domain, answer, typed, account)
        audit.record(engine, account, audit.ANSWER_EDITED, answer.name)
        return response.redirect(f"/answers?done={quote(answer.name)}#{quote(answer.name)}")
