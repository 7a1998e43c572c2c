"""`make bench`: train, serve and load the assistant and Rasa's default pipeline in one run,
and write the comparison to bench/RESULTS.md (and the raw figures to bench/RESULTS.json).

    python -m bench [--quick] [--out bench/RESULTS.md] [--ours-model M] [--baseline-model M]
                    [--baseline-serving-from OLD/RESULTS.json]
    python -m bench --render     # the report again from bench/RESULTS.json

--quick measures the already-trained model only, with seconds of load: `make test` uses it
to check that the harness still works. A given model skips that side's training.

--baseline-serving-from takes the baseline's serving figures (load, latency, memory, cold
start, expensive messages) from an earlier run, which the report names, and measures only its
accuracy, with --baseline-model (a model trained on this run's data; NLU only will do), or
without one leaves its accuracy unmeasured. The baseline's serving does not change with our
code; its training on 2 cores is what makes a whole run take over two hours.
"""
import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from assistant.deployment import start_servers
from assistant.paths import CONFIG, MODEL, ROOT, TEST_STORIES
from bench import profile, report
from bench.conversations import scripts
from bench.load import conversations, long_conversation
from bench.stress import measure as stress
from bench.training import train

OURS_CONFIG = CONFIG
BASELINE_CONFIG = ROOT / "bench" / "baseline" / "config.yml"
STORIES = TEST_STORIES


@dataclass
class Plan:
    """How much of each measurement to do."""
    back_to_back_users: List[int]
    seconds_per_level: float
    paced_users: int
    pause_seconds: float
    paced_seconds: float
    long_turns: int
    long_repeats: int
    stress_tries: int
    nlu: bool
    profile_seconds: float
    profile_turns: int
    # The long conversation's last turns resend its first messages (bench/load.py); runs
    # before commit 668b374 compared different messages, and carry no such flag.
    long_same_messages: bool = True


FULL = Plan([1, 10, 20, 50], 30, 60, 4.0, 90, 200, 4, 5, True, 20, 200)
QUICK = Plan([1, 4], 2, 6, 0.5, 3, 12, 1, 1, False, 2, 55)


@dataclass
class Side:
    name: str
    config: str
    stock: bool = False  # served as plain Rasa serves it (assistant/deployment.py, STOCK_...)
    model: str = ""
    training_seconds: Optional[float] = None
    nlu_training_seconds: Optional[float] = None
    model_mib: Optional[float] = 0.0
    cold_start_seconds: float = 0.0
    memory_mib: Dict[str, float] = field(default_factory=dict)
    load: List[Dict] = field(default_factory=list)
    long: Dict = field(default_factory=dict)
    stress: List[Dict] = field(default_factory=list)
    nlu: Dict = field(default_factory=dict)
    serving_from: Dict = field(default_factory=dict)  # the earlier run its serving figures come from


def _log(text: str) -> None:
    print(time.strftime("%H:%M:%S"), text, flush=True)


def measure_side(side: Side, model: Path, plan: Plan, workdir: Path, profile_to: Optional[Path] = None) -> None:
    side.model = str(model)
    side.model_mib = model.stat().st_size / 2**20
    story_scripts = scripts(STORIES)
    _log(f"{side.name}: starting the servers")
    servers = start_servers(model, workdir / f"servers-{side.name}", stock=side.stock)
    try:
        side.cold_start_seconds = servers.cold_start_seconds
        side.memory_mib.update(rasa_before=servers.rasa.rss_mib(), actions_before=servers.actions.rss_mib())
        for users in plan.back_to_back_users:
            _log(f"{side.name}: {users} users back to back")
            result = asyncio.run(conversations(servers.webhook, story_scripts, users, plan.seconds_per_level,
                                               label=f"{users} users back to back"))
            side.load.append(report.load_summary(result))
        _log(f"{side.name}: {plan.paced_users} users pausing {plan.pause_seconds} s")
        result = asyncio.run(conversations(
            servers.webhook, story_scripts, plan.paced_users, plan.paced_seconds,
            pause_seconds=plan.pause_seconds,
            label=f"{plan.paced_users} users pausing ~{plan.pause_seconds:g} s"))
        side.load.append(report.load_summary(result))
        _log(f"{side.name}: {plan.long_repeats} conversations of {plan.long_turns} turns")
        side.long = report.long_summary(asyncio.run(
            long_conversation(servers.webhook, story_scripts, plan.long_turns, plan.long_repeats)))
        _log(f"{side.name}: expensive messages up to the length cap")
        side.stress = [asdict(r) for r in stress(servers, plan.stress_tries)]
        side.memory_mib.update(rasa_after=servers.rasa.rss_mib(), actions_after=servers.actions.rss_mib(),
                               rasa_peak=servers.rasa.peak_rss_mib(), actions_peak=servers.actions.peak_rss_mib())
        if profile_to is not None:
            _log(f"{side.name}: profiling the server under load")
            profile_to.write_text(profile.profile(servers, workdir, plan.profile_seconds, plan.profile_turns),
                                  encoding="utf-8")
    finally:
        servers.stop()
    if plan.nlu:
        measure_nlu(side, model)


def measure_nlu(side: Side, model: Path) -> None:
    _log(f"{side.name}: in-process parsing of the held-out sentences")
    output = subprocess.run([sys.executable, "-m", "bench.nlu", str(model)], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    side.nlu = report.nlu_summary(json.loads(output.stdout.splitlines()[-1]))


def serving_from(earlier: Path, model: Optional[Path]) -> Side:
    """The baseline of an earlier full run, its serving figures kept, its accuracy to be
    measured on `model` if there is one. Its model size is not shown: the model given may be
    NLU only, and the one served then was trained on that run's data."""
    try:
        results = json.loads(earlier.read_text(encoding="utf-8"))
        recorded = next((side for side in results["sides"] if side["name"] == "baseline"), None)
        quick = results["quick"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"--baseline-serving-from {earlier}: not a benchmark's RESULTS.json ({error})")
    if recorded is None or quick:
        raise SystemExit(f"--baseline-serving-from {earlier}: not a full run with the baseline served")
    side = Side("baseline", "bench/baseline/config.yml", stock=True, model=str(model or ""), model_mib=None,
                cold_start_seconds=recorded["cold_start_seconds"], memory_mib=recorded["memory_mib"],
                load=recorded["load"], long=recorded["long"], stress=recorded["stress"])
    # Carried from a run that carried them itself: still the run that measured them.
    side.serving_from = recorded.get("serving_from") or {
        **{key: results["machine"][key] for key in ("date", "commit", "cpu", "cores")},
        "long_same_messages": results["plan"].get("long_same_messages", False)}
    return side


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--ours-model", type=Path)
    parser.add_argument("--baseline-model", type=Path)
    parser.add_argument("--baseline-serving-from", type=Path,
                        help="an earlier run's RESULTS.json: its baseline serving figures, not measured again")
    parser.add_argument("--render", action="store_true",
                        help="only write the report again from the RESULTS.json beside it")
    args = parser.parse_args(argv)
    if args.render:
        results = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))
        args.out.write_text(report.markdown(results), encoding="utf-8")
        return 0
    plan = QUICK if args.quick else FULL
    if args.quick and args.baseline_serving_from:
        parser.error("--quick measures ours only; --baseline-serving-from is for a full run")
    # Read before ours trains and loads for a quarter of an hour, not after.
    carried = serving_from(args.baseline_serving_from, args.baseline_model) if args.baseline_serving_from else None
    args.out.parent.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="bench-") as temporary:
        workdir = Path(temporary)
        sides = [(Side("ours", "config.yml"), OURS_CONFIG, args.ours_model)]
        if not args.quick:
            sides.append((carried or Side("baseline", "bench/baseline/config.yml", stock=True), BASELINE_CONFIG,
                          args.baseline_model))
        elif args.ours_model is None:
            sides[0] = (sides[0][0], OURS_CONFIG, MODEL)
        for side, config, model in sides:
            if side is carried:
                if model is not None:
                    measure_nlu(side, model)
                continue
            if model is None:
                _log(f"{side.name}: training from scratch, full")
                trained = train(config, workdir / "models", side.name)
                side.training_seconds, model = trained.seconds, trained.model
                _log(f"{side.name}: training from scratch, NLU only")
                side.nlu_training_seconds = train(config, workdir / "models", f"{side.name}-nlu", nlu_only=True).seconds
            measure_side(side, model, plan, workdir,
                         args.out.with_name("PROFILE.md") if side.name == "ours" else None)
        results = {"machine": report.machine(), "quick": args.quick, "plan": asdict(plan),
                   "sides": [asdict(side) for side, _, _ in sides]}
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    args.out.write_text(report.markdown(results), encoding="utf-8")
    _log(f"Written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
