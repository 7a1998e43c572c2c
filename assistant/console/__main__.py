"""The staff console's commands.

    python -m assistant.console serve [--port 8081] [--interface 127.0.0.1] [--endpoints FILE]
    python -m assistant.console create-user NAME [--role admin] [--display-name "..."]

`create-user` (`make staff-user NAME=...`) makes the first admin account, asking for its
password twice (or reading one line from standard input when that is not a terminal); there
is no default password. Every account after the first is made in the console.
"""
import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import List, Optional

DEFAULT_PORT = 8081


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def serve(args: argparse.Namespace) -> int:
    from assistant.console import audit
    from assistant.console.store import open_database
    from assistant.console.web import create_app, project_of
    from assistant.paths import TRAINING_DATA

    secure = os.environ.get("CONSOLE_SECURE_COOKIES", "").lower() in ("1", "true", "yes")
    if args.interface not in LOOPBACK and not secure:
        print(f"Cannot start the staff console: it would listen on {args.interface} and send its session "
              "cookies over plain HTTP. Put it behind HTTPS and set CONSOLE_SECURE_COOKIES=true, or keep "
              "CONSOLE_INTERFACE=127.0.0.1.", file=sys.stderr)
        return 2
    try:
        audit.retention_days()
    except ValueError as error:
        print(f"Cannot start the staff console: {error}", file=sys.stderr)
        return 2
    # Another copy of the project (tests, a staging server) to write approved corrections into.
    data_dir = Path(os.environ.get("CONSOLE_TRAINING_DATA") or TRAINING_DATA)
    try:
        project_of(data_dir)
    except ValueError as error:
        print(f"Cannot start the staff console: {error}", file=sys.stderr)
        return 2
    engine = open_database(args.endpoints)
    # The tests train with a small configuration of their own.
    training_config = os.environ.get("CONSOLE_TRAINING_CONFIG")
    app = create_app(engine, secure_cookies=secure, data_dir=data_dir,
                     training_config=Path(training_config) if training_config else None)
    print(f"Staff console on http://{args.interface}:{args.port}/", flush=True)
    app.run(host=args.interface, port=args.port, access_log=False, workers=1)
    return 0


def create_user(args: argparse.Namespace) -> int:
    from assistant.console import accounts, audit
    from assistant.console.store import open_database

    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name} (at least {accounts.MIN_PASSWORD_LENGTH} characters): ")
        if getpass.getpass("The same password again: ") != password:
            print("The two passwords differ; nothing was created.", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\n")
    engine = open_database(args.endpoints)
    try:
        account = accounts.create_account(engine, args.name, args.display_name or args.name, args.role, password)
    except accounts.AccountError as error:
        from assistant.console.texts import text

        print(f"Not created: {text(error.key, 'en', **error.values)}", file=sys.stderr)
        return 2
    audit.record(engine, "(command line)", audit.ACCOUNT_CREATED, account.username)
    print(f"Created {account.role} account {account.username}. Sign in at the console "
          f"(make run: http://localhost:{DEFAULT_PORT}/).")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.console", description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=Path, default=None,
                        help="the tracker store's endpoints file (default: that of ASSISTANT_PROFILE)")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve the console")
    run.add_argument("--port", type=int, default=int(os.environ.get("CONSOLE_PORT", DEFAULT_PORT)))
    run.add_argument("--interface", default=os.environ.get("CONSOLE_INTERFACE", "127.0.0.1"))
    run.set_defaults(handler=serve)
    new = commands.add_parser("create-user", help="create an account (the first admin)")
    new.add_argument("name")
    new.add_argument("--role", default="admin", choices=("admin", "lead", "agent"))
    new.add_argument("--display-name", default="")
    new.set_defaults(handler=create_user)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
