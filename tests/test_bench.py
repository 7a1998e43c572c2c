"""`make bench` still works: its quick mode serves the trained model under a little load and
writes a report (the figures themselves come from the full `make bench`, not from tests)."""
import json
import subprocess
import sys

import pytest

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


def _earlier_run(folder, date, commit, carried_from=None):
    """An earlier full run's RESULTS.json, its figures taken from the committed one."""
    results = json.loads((ROOT / "bench" / "RESULTS.json").read_text(encoding="utf-8"))
    baseline = next(side for side in results["sides"] if side["name"] == "baseline")
    baseline = {**baseline, "serving_from": carried_from or {}, "training_seconds": 680.0}
    earlier = {**results, "quick": False, "plan": {**results["plan"], "long_same_messages": False},
               "machine": {**results["machine"], "date": date, "commit": commit},
               "sides": [results["sides"][0], baseline]}
    path = folder / f"{commit}.json"
    path.write_text(json.dumps(earlier), encoding="utf-8")
    return path, baseline


def test_a_baseline_carried_from_an_earlier_run_is_named_and_not_shown_as_this_runs(tmp_path, monkeypatch):
    import bench.__main__ as bench_run

    measured, baseline = _earlier_run(tmp_path, "2026-11-30 08:24 UTC", "89812a2")
    # A run that carried them itself names the run that measured them.
    carried_twice, _ = _earlier_run(tmp_path, "2026-12-01 03:09 UTC", "ff56a7d",
                                    carried_from={"date": "2026-11-30 08:24 UTC", "commit": "89812a2",
                                                  "cpu": "AMD EPYC", "cores": 2})
    trained, measured_sides, parsed = [], [], []

    def fake_measure(side, model, plan, workdir, profile_to=None):
        measured_sides.append(side.name)
        side.load = baseline["load"]
        side.long = baseline["long"]
        side.stress = baseline["stress"]
        side.memory_mib = baseline["memory_mib"]

    monkeypatch.setattr(bench_run, "train", lambda *args, **kwargs: trained.append(args) or None)
    monkeypatch.setattr(bench_run, "measure_side", fake_measure)
    monkeypatch.setattr(bench_run, "measure_nlu", lambda side, model: parsed.append(side.name))
    for earlier in (measured, carried_twice):
        out = tmp_path / earlier.stem / "RESULTS.md"
        assert bench_run.main(["--ours-model", str(tmp_path), "--baseline-serving-from", str(earlier),
                               "--out", str(out)]) == 0
        results = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
        ours, carried = results["sides"]
        # Nothing trained, the baseline neither served nor parsed without a model of this run's.
        assert trained == [] and measured_sides[-1] == "ours" and parsed == []
        assert carried["load"] == baseline["load"] and carried["serving_from"]["commit"] == "89812a2"
        text = out.read_text(encoding="utf-8")
        assert "are those of the run of 2026-11-30 08:24 UTC (commit 89812a2" in text
        assert "messages/s at least the baseline's (baseline of 2026-11-30 08:24 UTC)" in text
        # Its training time and model size of that run are not shown as this run's.
        for row in ("| Training from scratch, full |", "| Model size |"):
            line = next(line for line in text.splitlines() if line.startswith(row))
            assert line.split("|")[3].strip() == "–", line
        assert "its accuracy was not measured in this run" in text
    # The first run carried compared different messages at turn 1 and turn 200: said so.
    assert "not like for like" in (tmp_path / "89812a2" / "RESULTS.md").read_text(encoding="utf-8")


def test_a_carried_baseline_must_come_from_a_full_run(tmp_path):
    import bench.__main__ as bench_run

    quick = tmp_path / "quick.json"
    quick.write_text(json.dumps({"quick": True, "sides": [{"name": "ours"}]}), encoding="utf-8")
    for earlier in (quick, tmp_path / "missing.json"):
        with pytest.raises(SystemExit) as refused:
            bench_run.main(["--baseline-serving-from", str(earlier), "--out", str(tmp_path / "R.md")])
        assert "--baseline-serving-from" in str(refused.value)
    assert not (tmp_path / "R.json").exists()
