"""Serve the chat widget and its demo pages from `web/` (`make run`: http://localhost:8080).

The pages say where the assistant is with the placeholder {{ASSISTANT_URL}}, filled in here,
so the same files work on any port. Every response carries a strict Content-Security-Policy:
the widget needs no inline script or style and talks to the assistant only.

    python -m assistant.demo_site --port 8080 --assistant-url http://localhost:5005
"""
import argparse
import html
import io
import posixpath
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from assistant import paths

WEB_ROOT = paths.WEB
PLACEHOLDER = "{{ASSISTANT_URL}}"


def content_security_policy(assistant_url: str) -> str:
    parts = urlsplit(assistant_url)
    assistant_origin = f"{parts.scheme}://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            f"connect-src {assistant_origin}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


class DemoSiteHandler(SimpleHTTPRequestHandler):
    assistant_url = ""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", content_security_policy(self.assistant_url))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):  # noqa: ANN201 - same contract as SimpleHTTPRequestHandler
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                return super().send_head()  # redirects to the path with a slash
            path = path / "index.html"
        if path.suffix != ".html":
            return super().send_head()
        if not path.is_file():
            self.send_error(HTTPStatus.NOT_FOUND, "Not found")
            return None
        page = path.read_text(encoding="utf-8").replace(
            PLACEHOLDER, html.escape(self.assistant_url, quote=True)
        )
        body = page.encode("utf-8")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def list_directory(self, path):  # noqa: ANN001, ANN201
        self.send_error(HTTPStatus.NOT_FOUND, "Not found")
        return None

    def log_request(self, code="-", size="-") -> None:  # noqa: ANN001
        # Only failed requests, and only their path, never a query string: a page may carry
        # personal data in it.
        if isinstance(code, int) and code >= 400:  # HTTPStatus is an int
            path = posixpath.normpath(unquote(urlsplit(self.path).path))
            print(f"{self.command} {path}: {code}", flush=True)

    def log_error(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # log_request reports the failed request


def make_server(host: str, port: int, assistant_url: str) -> ThreadingHTTPServer:
    handler = partial(
        type("Handler", (DemoSiteHandler,), {"assistant_url": assistant_url.rstrip("/")}),
        directory=str(WEB_ROOT),
    )
    return ThreadingHTTPServer((host, port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--assistant-url", default="http://localhost:5005",
                        help="where the browser reaches the Rasa server")
    args = parser.parse_args()
    server = make_server(args.host, args.port, args.assistant_url)
    print(f"Chat demo page on http://localhost:{args.port}/ (English: /en/)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
