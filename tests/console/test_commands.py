"""`make staff-user`: the first admin account from the command line, with no default password."""
import os
import subprocess
import sys

from assistant.console import accounts
from assistant.console.store import open_database
from assistant.paths import ROOT
from tests.helpers import sqlite_endpoints


def create_user(endpoints, password, *arguments):
    return subprocess.run([sys.executable, "-m", "assistant.console", "--endpoints", str(endpoints), "create-user",
                           *arguments], input=password + "\n", cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_first_admin_is_made_on_the_command_line_and_can_sign_in(tmp_path):
    endpoints = sqlite_endpoints(tmp_path)
    done = create_user(endpoints, "a long pass phrase", "Anna", "--display-name", "Anna Andersson")
    assert done.returncode == 0, done.stderr
    assert "Created admin account anna" in done.stdout
    account = accounts.sign_in(open_database(endpoints), "anna", "a long pass phrase")
    assert (account.role, account.display_name) == (accounts.ADMIN, "Anna Andersson")


def test_a_password_too_short_creates_nothing_and_says_why(tmp_path):
    endpoints = sqlite_endpoints(tmp_path)
    done = create_user(endpoints, "short", "anna")
    assert done.returncode == 2
    assert "Not created: The password must have at least 12 characters." in done.stderr
    assert accounts.all_accounts(open_database(endpoints)) == []


def test_the_console_will_not_start_on_training_data_outside_a_project(tmp_path):
    # A rollback puts files back into the project folder: a bare copy of data/nlu is not one.
    (tmp_path / "nlu").mkdir()
    done = subprocess.run([sys.executable, "-m", "assistant.console", "--endpoints", str(sqlite_endpoints(tmp_path)),
                           "serve", "--port", "0"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CONSOLE_TRAINING_DATA": str(tmp_path / "nlu")})
    assert done.returncode == 2
    assert "CONSOLE_TRAINING_DATA must be the data/nlu folder of a project" in done.stderr
