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
    ACTION_SERVER_TOKEN (the secret the Rasa instances send to the action server, which answers
                        nothing else; generated for one `make run-scaled` if not set)
    ACTION_SERVER_INTERFACE=0.0.0.0 (where the action server listens)
    ACTION_SERVER_URL=http://127.0.0.1:5055/webhook (where the Rasa instances reach it)

Both profiles:
    CHAT_SESSION_SECRET    signs socket.io session ids and the keys of conversations (their
                           owners' proof, assistant/channels/own_conversation.py), and keys the
                           hash of sender ids that look like personal data; the same on every
                           instance and the console (if not set, made once and kept in
                           var/chat-session-secret)
    ASSISTANT_URL=http://127.0.0.1:5005  where the console reaches a Rasa instance, to delete a
                           conversation a support agent found by its handoff reference
    CHAT_ALLOWED_ORIGINS   web pages (origins) besides the demo page that may embed the chat
    RASA_ENABLE_API=true   Rasa's HTTP API (off by default), only with RASA_API_TOKEN or
                           RASA_JWT_SECRET set: it can read and rewrite every conversation
    CHAT_RATE_LIMIT_*      see assistant/channels/rate_limit.py
    ACTION_SERVER_TIMEOUT_SECONDS  how long an action may take before the user gets an apology
                           with the support phone number (10; assistant/reliability.py)
    MODEL_STORE_PORT=8082 MODEL_STORE_INTERFACE=127.0.0.1 (0.0.0.0 scaled)
    MODEL_STORE_URL=http://127.0.0.1:8082/models/live (where the Rasa instances reach it)
    MODEL_STORE_TOKEN      the secret the instances send to the model store (generated for one
                           `make run` if not set; instances on other hosts need it set)
    MODEL_STORE_PULL_SECONDS=10  how often each instance asks for the live model
    MODEL_STORE_DIR=var/model-store  the trained models and their data (assistant/model_store/)
    CONSOLE_PORT=8081 CONSOLE_INTERFACE=127.0.0.1 CONSOLE_SECURE_COOKIES=false
    CONSOLE_SESSION_IDLE_MINUTES=30 CONSOLE_SESSION_HOURS=8 CONSOLE_AUDIT_RETENTION_DAYS=365
                           the staff console (assistant/console/; docs/deployment.md)

This is the one launcher: `make run`, the tests and `make bench` start their servers through
it (`start_servers` for an action server and a Rasa server on free ports, or the commands and
environments below), with assistant/processes.py doing the starting and waiting. The Rasa
server always starts through assistant/rasa_server.py (the project's fixes to Rasa, and the
Rasa version check), the action server through assistant/action_server.py (its interface and
token).
"""
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from assistant.paths import CREDENTIALS, ENDPOINTS, ENDPOINTS_SCALED, MODEL, RASA_SERVER_SETTINGS, ROOT, VAR
from assistant.processes import RASA, Process, base_environment, free_port, reachable, start, stop_all, wait_for

PROFILES = ("embedded", "scaled")
WEB_PORT = 8080
CONSOLE_PORT = 8081
MODEL_STORE_PORT = 8082

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
    # ... and the model store likewise.
    "MODEL_STORE_INTERFACE": "0.0.0.0",
}
# Both profiles (endpoints.yml names these too).
MODEL_STORE_DEFAULTS = {
    "MODEL_STORE_PORT": str(MODEL_STORE_PORT), "MODEL_STORE_INTERFACE": "127.0.0.1", "MODEL_STORE_TOKEN": "",
    "MODEL_STORE_PULL_SECONDS": "10",
}


class ConfigurationError(ValueError):
    """Settings the servers cannot start with; the message says what to change."""


def profile(environ: Mapping[str, str]) -> str:
    name = environ.get("ASSISTANT_PROFILE", "embedded") or "embedded"
    if name not in PROFILES:
        raise ConfigurationError(f"ASSISTANT_PROFILE must be one of {', '.join(PROFILES)}, not {name!r}.")
    return name


def endpoints_file(environ: Mapping[str, str]) -> Path:
    return ENDPOINTS_SCALED if profile(environ) == "scaled" else ENDPOINTS


def use_profile_settings(environ: Dict[str, str]) -> Path:
    """Fill in the profile's defaults in `environ` (os.environ, for a tool in this process)
    and return its endpoints file: the support leads' tools and the retention job read the
    conversations of whichever profile ASSISTANT_PROFILE names."""
    if profile(environ) == "scaled":
        for name, value in SCALED_DEFAULTS.items():
            environ.setdefault(name, value)
        environ.setdefault("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    for name, value in MODEL_STORE_DEFAULTS.items():
        environ.setdefault(name, value)
    environ.setdefault("MODEL_STORE_URL", f"http://127.0.0.1:{environ['MODEL_STORE_PORT']}/models/live")
    return endpoints_file(environ)


def allowed_origins(environ: Mapping[str, str], web_port: int = WEB_PORT) -> List[str]:
    """The demo page's origins and those in CHAT_ALLOWED_ORIGINS."""
    demo = [f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"]
    return demo + [o for o in environ.get("CHAT_ALLOWED_ORIGINS", "").split() if o not in demo]


def server_settings_file() -> Dict[str, str]:
    """scripts/rasa-server.env: settings of the Rasa server process only."""
    settings = {}
    for line in RASA_SERVER_SETTINGS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            settings[name.strip()] = value.strip()
    return settings


def server_environment(environ: Mapping[str, str], origins: Optional[List[str]] = None) -> Dict[str, str]:
    """The environment of every server of the profile (Rasa and actions)."""
    env = base_environment(environ)
    use_profile_settings(env)
    if not env.get("MODEL_STORE_TOKEN"):
        env["MODEL_STORE_TOKEN"] = secrets.token_hex(32)
    # The Rasa servers sign with it, and the console proves with it that a support agent may
    # delete a conversation (assistant/channels/own_conversation.py). `make run` keeps one in
    # var/ (main); the tests' and the bench's servers get one of their own.
    if not env.get("CHAT_SESSION_SECRET"):
        env["CHAT_SESSION_SECRET"] = secrets.token_hex(32)
    if profile(env) == "scaled":
        env.setdefault(
            "CHAT_RATE_LIMIT_REDIS_URL",
            f"redis://:{env['REDIS_PASSWORD']}@{env['REDIS_HOST']}:{env['REDIS_PORT']}/{env['REDIS_DB']}",
        )
        # Every instance started here shares these; instances started elsewhere need them set.
        if not env.get("ACTION_SERVER_TOKEN"):
            env["ACTION_SERVER_TOKEN"] = secrets.token_hex(32)
    else:
        # Rasa's in-memory lock store serves one process only.
        env["SANIC_WORKERS"] = "1"
        # One machine: the action server answers this machine only, and Rasa sends no token.
        env["ACTION_SERVER_INTERFACE"] = "127.0.0.1"
        env["ACTION_SERVER_TOKEN"] = ""
    env["CHAT_ALLOWED_ORIGINS"] = " ".join(origins if origins is not None else allowed_origins(environ))
    return env


def rasa_environment(env: Mapping[str, str], rate_limits: bool = True) -> Dict[str, str]:
    """A Rasa server's environment: the profile's, and the Rasa server's own settings
    (scripts/rasa-server.env). Without `rate_limits` for a load from one address (the bench,
    the tests' conversations), which the limits are there to stop."""
    env = {**env, **server_settings_file()}
    if not rate_limits:
        env.update({"CHAT_RATE_LIMIT_PER_SENDER": "0", "CHAT_RATE_LIMIT_PER_ADDRESS": "0"})
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


def rasa_command(environ: Mapping[str, str], port: int, model: Optional[Path] = None,
                 endpoints: Optional[Path] = None, interface: str = "0.0.0.0",
                 credentials: Optional[Path] = None) -> List[str]:
    """Rasa serving `model`, or with none the live model of the model store (the endpoints
    file's `models:`; Rasa ignores --model once that is set)."""
    return [
        sys.executable, "-m", "assistant.rasa_server", "run", *(["--model", str(model)] if model else []),
        "--port", str(port),
        "--interface", interface, "--endpoints", str(endpoints or endpoints_file(environ)),
        "--credentials", str(credentials or CREDENTIALS),
        "--cors", *environ["CHAT_ALLOWED_ORIGINS"].split(),
        *api_arguments(environ),
    ]


def console_retention_days(environ: Mapping[str, str]) -> int:
    """Checked before anything starts: the retention job runs first and would fail on it."""
    from assistant.console.audit import retention_days

    try:
        return retention_days(environ)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None


def console_command(environ: Mapping[str, str]) -> List[str]:
    """The staff console, on CONSOLE_PORT (8081) of CONSOLE_INTERFACE (127.0.0.1: staff reach
    it on this machine, or through a proxy that adds HTTPS; CONSOLE_SECURE_COOKIES=true then)."""
    return [sys.executable, "-m", "assistant.console", "--endpoints", str(endpoints_file(environ)), "serve",
            "--port", environ.get("CONSOLE_PORT", str(CONSOLE_PORT)),
            "--interface", environ.get("CONSOLE_INTERFACE", "127.0.0.1")]


def model_store_command(environ: Mapping[str, str], endpoints: Optional[Path] = None) -> List[str]:
    return [sys.executable, "-m", "assistant.model_store", "--endpoints", str(endpoints or endpoints_file(environ)), "serve",
            "--port", environ["MODEL_STORE_PORT"], "--interface", environ["MODEL_STORE_INTERFACE"]]


def start_model_store(env: Mapping[str, str], workdir: Optional[Path] = None,
                      endpoints: Optional[Path] = None) -> Process:
    """The model store's server, once it answers."""
    import requests

    store = start("model store", model_store_command(env, endpoints), workdir, env)
    port = env["MODEL_STORE_PORT"]
    try:
        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok, [store], "The model store")
    except BaseException:
        store.stop()
        raise
    return store


def serve_model(env: Dict[str, str], model: Path, workdir: Path, pull_seconds: int = 2,
                endpoints: Optional[Path] = None) -> Process:
    """A model store of its own for the servers of one test or bench run, `model` live in
    it: sets the MODEL_STORE_* settings of `env`, which the Rasa servers then pull with."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env.update({"MODEL_STORE_PORT": str(port), "MODEL_STORE_INTERFACE": "127.0.0.1",
                "MODEL_STORE_URL": f"http://127.0.0.1:{port}/models/live", "MODEL_STORE_DIR": str(workdir / "model-store"),
                "MODEL_STORE_PULL_SECONDS": str(pull_seconds), "MODEL_STORE_TOKEN": env.get("MODEL_STORE_TOKEN") or secrets.token_hex(32)})
    if add_to_model_store(env, model, endpoints) != 0:
        raise RuntimeError(f"{model} could not be added to the model store")
    return start_model_store(env, workdir, endpoints)


def add_to_model_store(env: Mapping[str, str], model: Path, endpoints: Optional[Path] = None,
                       quiet: bool = True) -> int:
    """As `make run` adds the model it trained (live if it is the first); the exit code."""
    return subprocess.run([sys.executable, "-m", "assistant.model_store", "--endpoints",
                           str(endpoints or endpoints_file(env)), "prepare", "--model", str(model)],
                          cwd=ROOT, env=base_environment(env), capture_output=quiet).returncode


def action_server_command(port: int) -> List[str]:
    return [sys.executable, "-m", "assistant.action_server", "--port", str(port)]


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


# Rasa's own settings, for the benchmark's baseline: its SQL tracker store and REST channel
# (and none of scripts/rasa-server.env).
STOCK_TRACKER_STORE = {"type": "SQL", "dialect": "sqlite"}
STOCK_CREDENTIALS = {"rest": None}


def write_endpoints(workdir: Path, actions_port: int, stock: bool = False,
                    model_store: Optional[Mapping[str, str]] = None) -> Path:
    """The project's endpoints.yml (or Rasa's stock tracker store), with this action
    server's port and a SQLite file of its own in `workdir`; the model pulled from the model
    store whose MODEL_STORE_* settings `model_store` holds, or none (the server is given one)."""
    endpoints = yaml.safe_load(ENDPOINTS.read_text(encoding="utf-8"))
    if model_store is None:
        del endpoints["models"]
    else:
        endpoints["models"] = {"url": model_store["MODEL_STORE_URL"], "token": model_store["MODEL_STORE_TOKEN"],
                               "wait_time_between_pulls": int(model_store["MODEL_STORE_PULL_SECONDS"])}
    if stock:
        endpoints["tracker_store"] = dict(STOCK_TRACKER_STORE)
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    endpoints["tracker_store"]["db"] = str(workdir / "conversations.db")
    path = workdir / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    return path


def scaled_environment(postgres: Tuple[str, int], redis: Tuple[str, int], run: str,
                       actions_port: int, **settings: str) -> Dict[str, str]:
    """The scaled profile's environment for the servers of one test or bench run: a
    PostgreSQL database and Redis keys of its own, and this action server."""
    return server_environment({
        "ASSISTANT_PROFILE": "scaled",
        "POSTGRES_HOST": postgres[0], "POSTGRES_PORT": str(postgres[1]), "POSTGRES_DB": f"assistant_{run}",
        "POSTGRES_USER": "postgres", "POSTGRES_LOGIN_DB": "postgres",
        "REDIS_HOST": redis[0], "REDIS_PORT": str(redis[1]), "REDIS_KEY_PREFIX": run.replace("_", ""),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
        **settings,
    }, origins=[])


def drop_database(host: str, port: int, name: str) -> None:
    """The database of a run's scaled environment, once the run is over."""
    import psycopg2

    db = psycopg2.connect(host=host, port=port, user="postgres", dbname="postgres")
    db.autocommit = True
    with db.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    db.close()


@dataclass
class Servers:
    url: str
    rasa: Process
    actions: Process
    endpoints: Path  # the Rasa server's endpoints.yml: its action server and SQLite store
    cold_start_seconds: float
    chat_secret: str = ""  # its CHAT_SESSION_SECRET, which a console beside it needs too

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    @property
    def tracker_db(self) -> Path:
        return self.endpoints.parent / "conversations.db"

    def stop(self) -> None:
        stop_all([self.rasa, self.actions])


# Each Sanic worker logs this once it serves; the first answer may come while others still load.
UP_AND_RUNNING = "Rasa server is up and running."


def start_actions(env: Mapping[str, str], port: int, workdir: Path, name: str = "actions") -> Process:
    """The action server on `port`, once it answers its health check."""
    import requests

    actions = start(name, action_server_command(port), workdir, env)
    try:
        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok, [actions],
                 "The action server")
    except BaseException:
        actions.stop()
        raise
    return actions


def wait_until_answering(url: str, processes: List[Process], what: str = "The Rasa server") -> None:
    """Until the Rasa server at `url` answers a message (a conversation of its own)."""
    import requests

    def answers() -> bool:
        reply = requests.post(f"{url}/webhooks/rest/webhook", timeout=60,
                              json={"sender": f"probe-{uuid.uuid4()}", "message": "hej"})
        return reply.ok and bool(reply.json())

    wait_for(answers, processes, what)


def wait_for_workers(rasa: Process, workers: int, what: str = "every worker") -> None:
    wait_for(lambda: rasa.log_tail(10**7).count(UP_AND_RUNNING) >= workers, [rasa], what)


def start_servers(model: Optional[Path], workdir: Path, stock: bool = False, origins: Optional[Sequence[str]] = None,
                  rasa_arguments: Sequence[str] = (), model_store: Optional[Mapping[str, str]] = None) -> Servers:
    """An action server and a Rasa server of the embedded profile on free ports of
    127.0.0.1, as `make run` starts them, their logs and conversations in `workdir`, with the
    rate limits off (the load comes from one address) and `origins` allowed (by default those
    `make run` allows); or with `stock` as plain `rasa run` serves the model (the benchmark's
    baseline). With `model_store` (MODEL_STORE_* settings) the server pulls the live model
    from there instead of serving `model`. Returns once the Rasa server answers a message; the
    cold start is the time from its launch to that answer."""
    workdir.mkdir(parents=True, exist_ok=True)
    rasa_port, actions_port = free_port(), free_port()
    endpoints = write_endpoints(workdir, actions_port, stock, model_store)
    env = server_environment({}, origins=None if origins is None else list(origins))
    if stock:
        credentials = workdir / "credentials.yml"
        credentials.write_text(yaml.safe_dump(STOCK_CREDENTIALS), encoding="utf-8")
        command = [RASA, "run", "--model", str(model), "--port", str(rasa_port), "--interface", "127.0.0.1",
                   "--endpoints", str(endpoints), "--credentials", str(credentials)]
        rasa_env: Dict[str, str] = {}
    else:
        command = rasa_command(env, rasa_port, model, endpoints, interface="127.0.0.1")
        rasa_env = rasa_environment(env, rate_limits=False)
    actions = start_actions(env, actions_port, workdir)
    rasa: Optional[Process] = None
    try:
        launched = time.monotonic()
        rasa = start("rasa", [*command, *rasa_arguments], workdir, rasa_env)
        servers = Servers(f"http://127.0.0.1:{rasa_port}", rasa, actions, endpoints, 0.0,
                          env["CHAT_SESSION_SECRET"])
        wait_until_answering(servers.url, [actions, rasa])
        servers.cold_start_seconds = time.monotonic() - launched
        return servers
    except BaseException:
        stop_all([rasa, actions] if rasa is not None else [actions])
        raise


def kept_secret(path: Path) -> str:
    """A random secret made once, readable by this user only, then read from `path`."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    secret = secrets.token_hex(32)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secret)
    return secret


def main() -> int:
    environ = dict(os.environ)
    VAR.mkdir(exist_ok=True)
    # Kept across runs: applicants' keys to their conversations (and socket.io sessions) must
    # not stop working when the servers restart.
    environ.setdefault("CHAT_SESSION_SECRET", kept_secret(VAR / "chat-session-secret"))
    try:
        env = server_environment(environ)
        rasa_env = rasa_environment(env)
        check_services(env)
        api_arguments(env)
        console_retention_days(env)
    except ConfigurationError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    scaled = profile(env) == "scaled"
    rasa_port = int(env.get("RASA_PORT", "5005"))
    instances = int(env.get("RASA_INSTANCES", "1")) if scaled else 1
    rasa_ports = [rasa_port + i for i in range(instances)]

    # Old conversations go first (30 days after their last message).
    retention = subprocess.run([sys.executable, "-m", "assistant.retention", "--endpoints",
                                str(endpoints_file(env))], cwd=ROOT, env=env)
    if retention.returncode != 0:
        return retention.returncode

    # The model make trained goes into the model store (live if it is the first), which must
    # answer before the Rasa instances ask it for the live model.
    prepared = add_to_model_store(env, MODEL, quiet=False)
    if prepared != 0:
        return prepared
    try:
        processes = [start_model_store(env)]
    except RuntimeError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 1
    processes.append(start("actions", action_server_command(5055), env=env))
    processes += [start(f"rasa :{port}", rasa_command(env, port), env=rasa_env) for port in rasa_ports]
    processes.append(start("chat page", [sys.executable, "-m", "assistant.demo_site", "--port", str(WEB_PORT),
                                         "--assistant-url", f"http://localhost:{rasa_ports[0]}"], env=env))
    # Where the console asks a Rasa instance to delete a conversation (by phone, by reference).
    env.setdefault("ASSISTANT_URL", f"http://127.0.0.1:{rasa_ports[0]}")
    processes.append(start("staff console", console_command(env), env=env))
    print(_banner(env, rasa_ports), flush=True)

    def stop(*_: object) -> None:
        stop_all(processes)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while all(process.running() for process in processes):
            time.sleep(0.5)
    finally:
        stop()
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
Staff console:            http://localhost:{env.get("CONSOLE_PORT", CONSOLE_PORT)}/   (the first account: make staff-user NAME=...)
                          where support leads train, compare and make models live (model store: {env["MODEL_STORE_URL"]})
or talk to it over REST:
  curl -s localhost:{rasa_ports[0]}/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -d '{{"sender": "me", "message": "Jag får ingen sms-kod"}}'
Ctrl-C stops all servers."""


if __name__ == "__main__":
    sys.exit(main())
