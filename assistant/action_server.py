"""The action server (rasa_sdk, the actions in actions/), reachable only by the assistant.

    python -m assistant.action_server [--port 5055]

- It listens on ACTION_SERVER_INTERFACE: 127.0.0.1 unless set (the embedded profile keeps
  it so: the Rasa server runs on the same machine).
- With ACTION_SERVER_TOKEN set, it answers only requests that carry
  `Authorization: Bearer <token>`, which the Rasa instances of the scaled profile send
  (endpoints-scaled.yml); `/health` stays open, for load balancers. It refuses to start on
  any other interface than loopback without a token: custom actions read and write the
  conversation they are given, and whoever reaches the port could make one up.
- No CORS headers: no web page has anything to ask it.
"""
import argparse
import hmac
import ipaddress
import os
import sys
from typing import List, Mapping, Optional, Tuple

DEFAULT_PORT = 5055
LOOPBACK = "127.0.0.1"


class ConfigurationError(ValueError):
    pass


def listen_settings(environ: Mapping[str, str]) -> Tuple[str, Optional[str]]:
    """(interface, token or None), or ConfigurationError saying what to set."""
    interface = environ.get("ACTION_SERVER_INTERFACE", "").strip() or LOOPBACK
    # As given, spaces too: the Rasa instances send it as it is (endpoints-scaled.yml).
    token = environ.get("ACTION_SERVER_TOKEN") or None
    if token is None and not _is_loopback(interface):
        raise ConfigurationError(
            f"the action server would listen on {interface} without ACTION_SERVER_TOKEN: set a "
            f"shared secret (the Rasa instances send it), or ACTION_SERVER_INTERFACE={LOOPBACK}.")
    return interface, token


def _is_loopback(interface: str) -> bool:
    if interface == "localhost":
        return True
    try:
        return ipaddress.ip_address(interface).is_loopback
    except ValueError:
        return False


def create_app(token: Optional[str], actions: str = "actions"):  # noqa: ANN201 - a Sanic app
    from rasa_sdk.endpoint import create_app as create_sdk_app
    from sanic import response

    app = create_sdk_app(actions, cors_origins=None)
    if token is not None:
        expected = f"Bearer {token}".encode("utf-8")

        @app.middleware("request")
        async def require_token(request):  # noqa: ANN001, ANN202
            if request.path == "/health":
                return None
            given = request.headers.get("Authorization", "").encode("utf-8", "replace")
            if not hmac.compare_digest(given, expected):
                return response.json({"error": "This server answers the assistant only."}, status=401)
            return None

    return app


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="The assistant's action server.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    try:
        interface, token = listen_settings(os.environ)
    except ConfigurationError as error:
        print(f"Cannot start the action server: {error}", file=sys.stderr)
        return 2
    from rasa_sdk import utils

    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
    app = create_app(token, args.actions)
    app.run(interface, args.port, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
