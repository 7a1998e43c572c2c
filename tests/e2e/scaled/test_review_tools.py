"""The support leads' tools read the conversations of the scaled profile from PostgreSQL, as
they read the embedded profile's from SQLite, chosen by ASSISTANT_PROFILE alone."""
import subprocess
import sys
import uuid

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_usage_figures_come_from_postgresql(cluster, tmp_path):
    first, second = cluster.instances[:2]
    sender = f"stats-{uuid.uuid4()}"
    first.say(sender, "i never got the email with the code")
    second.say(sender, "/deny")

    result = subprocess.run([sys.executable, "-m", "assistant.review.stats", "--days", "1", "--out", str(tmp_path)],
                            cwd=ROOT, env=cluster.env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr[-2000:]
    usage = (tmp_path / "usage.md").read_text(encoding="utf-8")
    english = usage.split("## Topics (en)")[1]
    assert "| no_email |" in english
