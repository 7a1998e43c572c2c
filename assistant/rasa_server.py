"""The Rasa server's one start-up path:

    python -m assistant.rasa_server run --model ... --endpoints ... --credentials ...

Rasa's own command line, after two steps that must come before Rasa reads any configuration:
it refuses, in one line, to start on a Rasa release other than the one the project's fixes
were written for, and it applies those fixes (assistant/rasa_patches.py), whatever channels,
stores and model are configured. `make run`, `make run-scaled`, the tests and `make bench`
start the server this way (assistant.deployment.rasa_command).
"""
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    from assistant import rasa_patches

    try:
        rasa_patches.apply()
    except (rasa_patches.UnsupportedRasa, rasa_patches.SettingError) as error:
        print(f"Cannot start the Rasa server: {error}", file=sys.stderr)
        return 2
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
