"""`make bench` still works: its quick mode serves the trained model under a little load and
writes a report (the figures themselves come from the full `make bench`, not from tests)."""
import json
import subprocess
import sys

from tests.conftest import ROOT


def test_the_benchmark_runs_and_writes_its_report(model_path, tmp_path):
    report = tmp_path / "RESULTS.md"
    finished = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(report)],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-3000:]

    text = report.read_text(encoding="utf-8")
    assert "## Targets" in text and "Cold start" in text
    results = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    ours, = results["sides"]
    for level in ours["load"]:
        assert level["answered"] > 0 and level["errors"] == {}, level
    assert ours["long"]["errors"] == 0
    # Every expensive message, within the length cap and over it, got an answer.
    assert ours["stress"] and all(row["answered"] for row in ours["stress"])
    assert ours["memory_mib"]["rasa_peak"] > 0
    # The profile of the server under load, with its functions listed.
    assert "| share | function |" in (tmp_path / "PROFILE.md").read_text(encoding="utf-8")


def test_the_scaled_benchmark_runs_every_layout_and_writes_its_report(model_path, tmp_path):
    from tests.conftest import SERVICES
    from tests.helpers import require_services

    require_services(SERVICES)
    report = tmp_path / "SCALED.md"
    finished = subprocess.run([sys.executable, "-m", "bench.scaled", "--quick", "--out", str(report)],
                              cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-3000:]

    results = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    layouts = {layout["layout"]: layout for layout in results["layouts"]}
    assert len(layouts) == 4 and "2 instances x 1 worker" in report.read_text(encoding="utf-8")
    for name, layout in layouts.items():
        for load in layout["load"]:
            assert load["answered"] > 0 and load["errors"] == {}, (name, load)
    # Two workers, and two instances, are two Rasa processes that both did work.
    for name in ("scaled: 1 instance x 2 workers", "scaled: 2 instances x 1 worker"):
        cpu = layouts[name]["load"][0]["worker_cpu_seconds"]
        assert len(cpu) == 2 and min(cpu) > 0, (name, cpu)


def test_the_console_benchmark_seeds_indexes_and_times_every_page(tmp_path):
    from tests.conftest import SERVICES
    from tests.helpers import require_services

    require_services(SERVICES)
    report = tmp_path / "CONSOLE.md"
    finished = subprocess.run([sys.executable, "-m", "bench.console", "--conversations", "300", "--repeats", "2",
                               "--out", str(report)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-3000:]

    results = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    assert results["conversations"] == 300 and results["events"] > 300
    pages = {page["page"]: page for page in results["pages"]}
    assert all(page["status"] == 200 for page in pages.values()), pages
    assert any(name.startswith("transcript") for name in pages) and "handoff look-up by reference (agent)" in pages
    assert "| list: ended in a handoff |" in report.read_text(encoding="utf-8")


def test_the_training_benchmark_loads_the_chat_through_a_training_and_a_model_swap(model_path, tmp_path):
    report = tmp_path / "TRAINING.md"
    finished = subprocess.run([sys.executable, "-m", "bench.training_load", "--quick", "--out", str(report)],
                              cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-3000:]

    results = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    windows = {window["label"]: window for window in results["windows"]}
    assert windows["idle"]["answered"] > 0 and windows["during rasa train"]["answered"] > 0, windows
    # No message failed while the console's job trained and evaluated, nor while the model changed.
    assert all(window["errors"] == {} for window in windows.values()), windows
    assert results["job"]["status"] == "done" and results["job"]["training_seconds"] > 0
    # The trained model went live: the Rasa server said it serves it.
    assert results["live"]["activation_to_serving_seconds"] > 0, results["live"]
    assert "## From the request to live" in report.read_text(encoding="utf-8")


def test_the_long_conversation_compares_turn_one_and_turn_two_hundred_on_the_same_messages():
    from bench.load import TURN_WINDOW, long_conversation_messages

    story = [f"message {number}" for number in range(63)]
    sent = long_conversation_messages(story, 200)
    assert len(sent) == 200
    assert sent[-TURN_WINDOW:] == sent[:TURN_WINDOW] == story[:TURN_WINDOW]
    # In between, the stories go on in their order: the conversation really grows.
    assert sent[TURN_WINDOW:190] == [story[turn % 63] for turn in range(TURN_WINDOW, 190)]


def test_a_baseline_carried_from_an_earlier_run_is_named_and_not_timed_again(tmp_path):
    from dataclasses import asdict

    from bench import report
    from bench.__main__ import serving_from

    earlier = ROOT / "bench" / "RESULTS.json"
    results = json.loads(earlier.read_text(encoding="utf-8"))
    recorded = next(side for side in results["sides"] if side["name"] == "baseline")
    model = tmp_path / "baseline.tar.gz"
    model.write_bytes(b"\0" * 2**20)
    side = serving_from(earlier, model)
    assert side.load == recorded["load"] and side.long == recorded["long"]
    # Its accuracy and size are this run's; its training time on other data is not shown as this run's.
    assert side.nlu == {} and side.training_seconds is None and side.model_mib == 1.0

    text = report.markdown({**results, "sides": [results["sides"][0], asdict(side)]})
    measured_in = side.serving_from["date"]
    assert f"are those of the run of {measured_in}" in text
    training_row = next(line for line in text.splitlines() if line.startswith("| Training from scratch, full |"))
    assert training_row.split("|")[3].strip() == "–"
