"""The model store's commands, run by the launcher (assistant/deployment.py).

    python -m assistant.model_store prepare --model models/assistant.tar.gz
        keep the model `make` trained (with the data it was trained from); the first one
        becomes the live model, a later one waits in the console to be compared and activated
    python -m assistant.model_store serve [--port 8082] [--interface 127.0.0.1]
        the model server the Rasa instances pull the live model from (server.py)
"""
import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional

from assistant.paths import MODEL, ROOT

DEFAULT_PORT = 8082


def prepare(args: argparse.Namespace) -> int:
    from assistant.console.store import open_database
    from assistant.model_store import registry, snapshot

    engine = open_database(args.endpoints)
    if not args.model.exists():
        print(f"No trained model at {args.model}: `make run` trains it first.", file=sys.stderr)
        return 2
    store = registry.folder()
    model = registry.add(engine, store, args.model, snapshot.pack(ROOT), registry.COMMAND_LINE, "make",
                         trained_at=args.model.stat().st_mtime)
    live = registry.active(engine)
    if live is None:
        registry.activate(engine, model.id, "make", registry.FIRST)
        print(f"Live model: {model.label}, trained by make.", flush=True)
    elif live.id != model.id:
        print(f"Live model: {live.label}. The model make trained ({model.label}) is in the staff console's "
              "model list: it goes live once it is compared and activated there.", flush=True)
    return 0


def serve(args: argparse.Namespace) -> int:
    from assistant.console.store import open_database
    from assistant.model_store import registry
    from assistant.model_store.server import create_app

    token = os.environ.get("MODEL_STORE_TOKEN", "")
    if not token:
        print("Cannot start the model store: set MODEL_STORE_TOKEN (the Rasa instances send it).", file=sys.stderr)
        return 2
    app = create_app(open_database(args.endpoints), registry.folder(), token)
    app.run(host=args.interface, port=args.port, access_log=False, workers=1)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.model_store", description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=Path, default=None,
                        help="the tracker store's endpoints file (default: that of ASSISTANT_PROFILE)")
    commands = parser.add_subparsers(dest="command", required=True)
    ready = commands.add_parser("prepare", help="keep the model make trained; the first becomes live")
    ready.add_argument("--model", type=Path, default=MODEL)
    ready.set_defaults(handler=prepare)
    run = commands.add_parser("serve", help="serve the live model to the Rasa instances")
    run.add_argument("--port", type=int, default=int(os.environ.get("MODEL_STORE_PORT", DEFAULT_PORT)))
    run.add_argument("--interface", default=os.environ.get("MODEL_STORE_INTERFACE", "127.0.0.1"))
    run.set_defaults(handler=serve)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
