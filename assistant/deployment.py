"""Start the assistant's servers in one of its two profiles, chosen by the environment only.

    python -m assistant.deployment            # what `make run` and `make run-scaled` call

ASSISTANT_PROFILE=embedded (the default, `make run`): one Rasa server process, conversations in
a SQLite file, Rasa's in-memory lock store (endpoints.yml), the action server on 127.0.0.1
only. Nothing else needs to run.

ASSISTANT_PROFILE=scaled (`make run-scaled`): conversations in PostgreSQL, Redis as the lock
store, so that several Rasa instances, each with SANIC_WORKERS processes, serve the same
conversations (endpoints-scaled.yml); the action server with ACTION_SERVER_SANIC_WORKERS
processes; rate-limit counts in Redis too. The settings, with their defaults for this machine:

    POSTGRES_HOST=127.0.0.1 POSTGRES_PORT=5432 POSTGRES_DB=assistant POSTGRES_USER=postgres
    POSTGRES_PASSWORD= POSTGRES_LOGIN_DB=postgres (used once, to create POSTGRES_DB if missing)
    REDIS_HOST=127.0.0.1 REDIS_PORT=6379 REDIS_DB=0 REDIS_PASSWORD= REDIS_KEY_PREFIX=assistant
    RASA_INSTANCES=2 (ports RASA_PORT=5005, 5006, ...) SANIC_WORKERS=1 ACTION_SERVER_SANIC_WORKERS=2
    SQL_POOL_SIZE=5 SQL_MAX_OVERFLOW=5 (connections per Rasa process)
    CHAT_SESSION_SECRET (signs socket.io session ids and keys the hash of sender ids that look
                        like personal data; the same on every instance)
    ACTION_SERVER_TOKEN (the secret the Rasa instances send to the action server, which answers
                        nothing else; generated for one `make run-scaled` if not set)
    ACTION_SERVER_INTERFACE=0.0.0.0 (where the action server listens)
    ACTION_SERVER_URL=http://127.0.0.1:5055/webhook (where the Rasa instances reach it)

Both profiles:
    CHAT_ALLOWED_ORIGINS   web pages (origins) besides the demo page that may embed the chat
    RASA_ENABLE_API=true   Rasa's HTTP API (off by default), only with RASA_API_TOKEN or
                           RASA_JWT_SECRET set: it can read and rewrite every conversation
    CHAT_RATE_LIMIT_*      see assistant/channels/rate_limit.py
    ACTION_SERVER_TIMEOUT_SECONDS  how long an action may take before the user gets an apology
                           with the support phone number (10; assistant/reliability.py)

The tests and `make bench` start their servers with the same commands and environment
(`rasa_command`, `action_server_command`, `server_environment`). The Rasa server always starts
through assistant/rasa_server.py (the project's fixes to Rasa, and the Rasa version check),
the action server through assistant/action_server.py (its interface and token).
"""
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Mapping, Optional

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "assistant.tar.gz"
PROFILES = ("embedded", "scaled")
WEB_PORT = 8080

SCALED_DEFAULTS = {
    "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "5432", "POSTGRES_DB": "assistant",
    "POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "", "POSTGRES_LOGIN_DB": "postgres",
    "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "0", "REDIS_PASSWORD": "",
    "REDIS_KEY_PREFIX": "assistant",
    "RASA_INSTANCES": "2", "SANIC_WORKERS": "1", "ACTION_SERVER_SANIC_WORKERS": "2",
    # Rasa's default pool is 50 (+100) connections per process; a Rasa process uses one at a
    # time, and PostgreSQL allows 100 in all by default.
    "SQL_POOL_SIZE": "5", "SQL_MAX_OVERFLOW": "5",
    # Instances on other hosts reach the action server with the token; see action_server.py.
    "ACTION_SERVER_INTERFACE": "0.0.0.0", "ACTION_SERVER_TOKEN": "",
}


class ConfigurationError(ValueError):
    """Settings the servers cannot start with; the message says what to change."""


def profile(environ: Mapping[str, str]) -> str:
    name = environ.get("ASSISTANT_PROFILE", "embedded") or "embedded"
    if name not in PROFILES:
        raise ConfigurationError(f"ASSISTANT_PROFILE must be one of {', '.join(PROFILES)}, not {name!r}.")
    return name


def endpoints_file(environ: Mapping[str, str]) -> Path:
    return ROOT / ("endpoints-scaled.yml" if profile(environ) == "scaled" else "endpoints.yml")


def use_profile_settings(environ: Dict[str, str]) -> Path:
    """Fill in the profile's defaults in `environ` (os.environ, for a tool in this process)
    and return its endpoints file: the support leads' tools and the retention job read the
    conversations of whichever profile ASSISTANT_PROFILE names."""
    if profile(environ) == "scaled":
        for name, value in SCALED_DEFAULTS.items():
            environ.setdefault(name, value)
        environ.setdefault("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    return endpoints_file(environ)


def allowed_origins(environ: Mapping[str, str], web_port: int = WEB_PORT) -> List[str]:
    """The demo page's origins and those in CHAT_ALLOWED_ORIGINS."""
    demo = [f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"]
    return demo + [o for o in environ.get("CHAT_ALLOWED_ORIGINS", "").split() if o not in demo]


def server_settings_file() -> Dict[str, str]:
    """scripts/rasa-server.env: settings of the Rasa server process only."""
    settings = {}
    for line in (ROOT / "scripts" / "rasa-server.env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            settings[name.strip()] = value.strip()
    return settings


def server_environment(environ: Mapping[str, str], origins: Optional[List[str]] = None) -> Dict[str, str]:
    """The environment of every server of the profile (Rasa and actions)."""
    env = {
        **os.environ, **environ,
        # Nothing about the conversations leaves the machine, whatever the user's Rasa config.
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }
    if profile(env) == "scaled":
        use_profile_settings(env)
        env.setdefault(
            "CHAT_RATE_LIMIT_REDIS_URL",
            f"redis://:{env['REDIS_PASSWORD']}@{env['REDIS_HOST']}:{env['REDIS_PORT']}/{env['REDIS_DB']}",
        )
        # Every instance started here shares these; instances started elsewhere need them set.
        for name in ("CHAT_SESSION_SECRET", "ACTION_SERVER_TOKEN"):
            if not env.get(name):
                env[name] = secrets.token_hex(32)
    else:
        # Rasa's in-memory lock store serves one process only.
        env["SANIC_WORKERS"] = "1"
        # One machine: the action server answers this machine only, and Rasa sends no token.
        env["ACTION_SERVER_INTERFACE"] = "127.0.0.1"
        env["ACTION_SERVER_TOKEN"] = ""
    env["CHAT_ALLOWED_ORIGINS"] = " ".join(origins if origins is not None else allowed_origins(environ))
    return env


def api_arguments(environ: Mapping[str, str]) -> List[str]:
    if environ.get("RASA_ENABLE_API", "false").lower() not in ("1", "true", "yes"):
        return []
    if environ.get("RASA_API_TOKEN"):
        return ["--enable-api", "--auth-token", environ["RASA_API_TOKEN"]]
    if environ.get("RASA_JWT_SECRET"):
        return ["--enable-api", "--jwt-secret", environ["RASA_JWT_SECRET"],
                "--jwt-method", environ.get("RASA_JWT_METHOD", "HS256")]
    raise ConfigurationError(
        "RASA_ENABLE_API=true needs RASA_API_TOKEN or RASA_JWT_SECRET: Rasa's HTTP API can read "
        "and change every conversation, so it is never served without authentication."
    )


def rasa_command(environ: Mapping[str, str], port: int, model: Path = MODEL,
                 endpoints: Optional[Path] = None, interface: str = "0.0.0.0",
                 credentials: Optional[Path] = None) -> List[str]:
    return [
        sys.executable, "-m", "assistant.rasa_server", "run", "--model", str(model), "--port", str(port),
        "--interface", interface, "--endpoints", str(endpoints or endpoints_file(environ)),
        "--credentials", str(credentials or ROOT / "credentials.yml"),
        "--cors", *environ["CHAT_ALLOWED_ORIGINS"].split(),
        *api_arguments(environ),
    ]


def action_server_command(port: int) -> List[str]:
    return [sys.executable, "-m", "assistant.action_server", "--port", str(port)]


def reachable(host: str, port: int, timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def check_services(env: Mapping[str, str]) -> None:
    """The scaled profile's services answer, or one line says which does not."""
    if profile(env) != "scaled":
        return
    for name, prefix in (("PostgreSQL", "POSTGRES"), ("Redis", "REDIS")):
        host, port = env[f"{prefix}_HOST"], env[f"{prefix}_PORT"]
        if not reachable(host, int(port)):
            raise ConfigurationError(
                f"{name} is not reachable at {host}:{port}: start it, or point "
                f"{prefix}_HOST and {prefix}_PORT at one that runs."
            )


def main() -> int:
    environ = dict(os.environ)
    try:
        env = server_environment(environ)
        rasa_env = {**env, **server_settings_file()}
        check_services(env)
        api_arguments(env)
    except ConfigurationError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    scaled = profile(env) == "scaled"
    rasa_port = int(env.get("RASA_PORT", "5005"))
    instances = int(env.get("RASA_INSTANCES", "1")) if scaled else 1
    rasa_ports = [rasa_port + i for i in range(instances)]

    # Old conversations go first (30 days after their last message).
    (ROOT / "var").mkdir(exist_ok=True)
    retention = subprocess.run([sys.executable, "-m", "assistant.retention", "--endpoints",
                                str(endpoints_file(env))], cwd=ROOT, env=env)
    if retention.returncode != 0:
        return retention.returncode

    commands = [("actions", action_server_command(5055), env)]
    commands += [(f"rasa :{port}", rasa_command(env, port), rasa_env) for port in rasa_ports]
    commands.append(("chat page", [sys.executable, "-m", "assistant.demo_site", "--port", str(WEB_PORT),
                                   "--assistant-url", f"http://localhost:{rasa_ports[0]}"], env))
    processes = [subprocess.Popen(args, cwd=ROOT, env=environment, start_new_session=True)
                 for _, args, environment in commands]
    print(_banner(env, rasa_ports), flush=True)

    def stop(*_: object) -> None:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    finally:
        stop()
        for process in processes:
            process.wait()
    return 0


def _banner(env: Mapping[str, str], rasa_ports: List[int]) -> str:
    if profile(env) == "scaled":
        where = (f"Profile: scaled. Conversations in PostgreSQL {env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}"
                 f"/{env['POSTGRES_DB']}, locks in Redis {env['REDIS_HOST']}:{env['REDIS_PORT']}; "
                 f"Rasa instances on ports {', '.join(map(str, rasa_ports))} "
                 f"({env['SANIC_WORKERS']} worker(s) each).")
    else:
        where = "Profile: embedded. Conversations in var/conversations.db."
    return f"""{where}
Starting the assistant (the Rasa server needs about 12 seconds to load the model).
Then open the chat page:  http://localhost:{WEB_PORT}/   (English: http://localhost:{WEB_PORT}/en/)
or talk to it over REST:
  curl -s localhost:{rasa_ports[0]}/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -d '{{"sender": "me", "message": "Jag får ingen sms-kod"}}'
Ctrl-C stops all servers."""


if __name__ == "__main__":
    sys.exit(main())
