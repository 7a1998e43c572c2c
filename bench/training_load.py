"""`make bench PROFILE=training`: the chat's reply times while a model trains in the background
the way the staff console trains it, and the time from a training's request to the new model
answering. Writes bench/TRAINING.md (and TRAINING.json).

    python -m bench.training_load [--quick] [--out bench/TRAINING.md]

A Rasa server and its action server, started as `make run` starts them, pull the live model
from a model store of their own (the model `make` trained is the first). Paced test-story
conversations (10 users, each waiting 0.5-1.5 x 2 s before a message) run through the whole
run; every reply is timed and kept with the moment it was sent, and the run is cut into
windows afterwards:

- idle: 60 s with nothing else running (after a short warm-up);
- training: a training queued as the console's button queues it (jobs.request) and run as the
  console runs it (jobs.Runner.run_next, in a thread of this process): `rasa train` at nice 19
  from a snapshot of a copy of the project, with one new Swedish example in it (as after a
  correction), and an empty Rasa cache of its own, so that it really trains; the window is the
  `rasa train` part of the job;
- evaluation: the rest of the job (the comparison, at nice 19 too);
- swap: from activating the new model (registry.activate, as the console does) until the Rasa
  server logs that it serves it; every reply that was in flight then counts;
- after the swap: a few seconds of the new model.

Target: the p95 reply while training at most twice the idle p95.

--quick checks the harness in a few minutes: seconds of load, and the training on the
unchanged data with the Rasa cache of earlier trainings (.rasa/cache), which trains little.
"""
import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional

import aiohttp
import yaml

from assistant import deployment
from assistant.model_store import jobs, registry
from assistant.paths import MODEL, ROOT, TEST_STORIES
from bench import report
from bench.conversations import Script, scripts
from bench.load import LoadResult, say

TARGET_RATIO = 2.0
# A correction, as a support lead's approved one lands in the training data.
CORRECTION_FILE = Path("data") / "nlu" / "sv" / "no_email.yml"
CORRECTION = "två dagar har gått och bekräftelsemejlet har fortfarande inte kommit"
SWAP_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Plan:
    users: int
    pause_seconds: float
    warmup_seconds: float
    idle_seconds: float
    # The training window should hold at least this much load; a shorter one is marked.
    min_training_seconds: float
    after_swap_seconds: float
    pull_seconds: int  # how often the Rasa server asks the model store for the live model
    real_training: bool  # a data change and an empty Rasa cache; else the unchanged data, cached


FULL = Plan(10, 2.0, 10.0, 60.0, 60.0, 10.0, int(deployment.MODEL_STORE_DEFAULTS["MODEL_STORE_PULL_SECONDS"]), True)
QUICK = Plan(4, 0.5, 1.0, 3.0, 0.0, 1.0, 2, False)


@dataclass
class Reply:
    sent: float  # time.time()
    done: float
    ms: Optional[float]  # None: an error
    error: str = ""


def _log(text: str) -> None:
    print(time.strftime("%H:%M:%S"), text, flush=True)


def _children_cpu_seconds() -> float:
    """CPU of this process's finished children: the training's and the evaluation's processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def copy_project(target: Path, correction: bool) -> Path:
    """config.yml, domain.yml and data/ of the repository; with `correction`, one more example."""
    target.mkdir(parents=True)
    for name in ("config.yml", "domain.yml"):
        shutil.copyfile(ROOT / name, target / name)
    shutil.copytree(ROOT / "data", target / "data")
    if correction:
        path = target / CORRECTION_FILE
        text = path.read_text(encoding="utf-8")
        marker = "- intent: no_email\n  examples: |\n"
        if marker not in text:
            raise RuntimeError(f"{CORRECTION_FILE} no longer starts its examples as expected")
        path.write_text(text.replace(marker, f"{marker}    - {CORRECTION}\n", 1), encoding="utf-8")
    return target


def console_endpoints(folder: Path) -> Path:
    """The console's database (and so the model store's records) in a SQLite file of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "endpoints.yml"
    path.write_text(yaml.safe_dump({"tracker_store": {
        "type": "assistant.tracker_store.RecentEventsSQLTrackerStore", "dialect": "sqlite",
        "db": str(folder / "console.db")}}), encoding="utf-8")
    return path


async def paced_load(webhook: str, story_scripts: List[Script], users: int, pause: float,
                     stop: asyncio.Event, replies: List[Reply]) -> None:
    """As bench.load.conversations with a pause, until `stop` is set, each reply kept with
    when it was sent."""
    randomness = random.Random(users)

    async def visitor(number: int) -> None:
        turn = number
        await asyncio.sleep(randomness.uniform(0, pause))
        while not stop.is_set():
            script = story_scripts[turn % len(story_scripts)]
            turn += 1
            sender = f"bench-training-{uuid.uuid4()}"
            for text in script.messages:
                if stop.is_set():
                    return
                one = LoadResult("", 1)
                sent = time.time()
                ms = await say(session, webhook, sender, text, script.language, one)
                replies.append(Reply(sent, time.time(), ms, next(iter(one.errors), "")))
                await asyncio.sleep(pause * randomness.uniform(0.5, 1.5))

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        await asyncio.gather(*(visitor(number) for number in range(users)))


def window(replies: List[Reply], name: str, start: float, end: float, users: int, overlapping: bool = False) -> Dict:
    """The replies sent in [start, end) (with `overlapping`, every one in flight then too)."""
    if overlapping:
        chosen = [r for r in replies if r.sent <= end and r.done >= start]
    else:
        chosen = [r for r in replies if start <= r.sent < end]
    result = LoadResult(name, users, seconds=max(0.0, end - start))
    for reply in chosen:
        if reply.ms is None:
            result.error(reply.error or "error")
        else:
            result.latencies_ms.append(reply.ms)
    summary = report.load_summary(result)
    summary["max"] = round(max(result.latencies_ms), 1) if result.latencies_ms else None
    return summary


class Timeline:
    """What happened when (time.time()), and the Rasa server's CPU seconds then."""

    def __init__(self, rasa) -> None:  # noqa: ANN001 -- assistant.processes.Process
        self.rasa = rasa
        self.at: Dict[str, float] = {}
        self.rasa_cpu: Dict[str, float] = {}
        self.children_cpu: Dict[str, float] = {}

    def mark(self, name: str, at: Optional[float] = None) -> float:
        self.at[name] = time.time() if at is None else at
        self.rasa_cpu[name] = self.rasa.cpu_seconds()
        self.children_cpu[name] = _children_cpu_seconds()
        return self.at[name]


async def run(plan: Plan, servers: deployment.Servers, engine, runner: jobs.Runner) -> Dict:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    timeline = Timeline(servers.rasa)
    replies: List[Reply] = []
    stop = asyncio.Event()
    load = asyncio.create_task(paced_load(servers.webhook, scripts(TEST_STORIES), plan.users, plan.pause_seconds,
                                          stop, replies))
    finished: List[Optional[jobs.Job]] = []
    try:
        _log(f"{plan.users} users pausing ~{plan.pause_seconds:g} s: warming up for {plan.warmup_seconds:g} s")
        await asyncio.sleep(plan.warmup_seconds)
        timeline.mark("idle_start")
        _log(f"idle: {plan.idle_seconds:g} s")
        await asyncio.sleep(plan.idle_seconds)
        timeline.mark("idle_end")

        job = jobs.request(engine, jobs.TRAIN, "bench")
        timeline.mark("requested", job.requested_at)
        thread = threading.Thread(target=lambda: finished.append(runner.run_next()), name="training", daemon=True)
        thread.start()
        _log(f"training job {job.id} requested and running")
        last_said = time.monotonic()
        while thread.is_alive():
            current = await loop.run_in_executor(None, jobs.get, engine, job.id)
            if current.status != jobs.QUEUED and "train_start" not in timeline.at and current.started_at:
                timeline.mark("train_start", current.started_at)
            if current.status != jobs.TRAINING and "train_start" in timeline.at and "train_end" not in timeline.at:
                timeline.mark("train_end")
                _log(f"rasa train done after {timeline.at['train_end'] - timeline.at['train_start']:.0f} s; evaluating")
            if time.monotonic() - last_said > 30:
                last_said = time.monotonic()
                component = current.progress.get("component", "") if current.status == jobs.TRAINING else ""
                _log(f"job {job.id}: {current.status}" + (f", {current.percent} % ({component})" if component else ""))
            await asyncio.sleep(0.25)
        thread.join()
        done = finished[0] if finished else None
        if done is None or done.status != jobs.DONE:
            raise RuntimeError(f"The training job did not finish: {done.status if done else 'not run'}\n"
                               + (done.log[-3000:] if done else ""))
        if "train_start" not in timeline.at:  # the job went faster than the watching
            timeline.mark("train_start", done.started_at)
        if "train_end" not in timeline.at:
            timeline.mark("train_end")
        timeline.mark("job_done", done.finished_at)
        _log(f"job done after {done.finished_at - done.requested_at:.0f} s")

        model = registry.get(engine, done.model_id)
        live = registry.active(engine)
        swap: Dict = {"model": model.name, "same_as_live": live is not None and live.id == model.id,
                      "rasa_rss_before_mib": round(servers.rasa.rss_mib())}
        if not swap["same_as_live"]:
            offset = servers.rasa.log.stat().st_size
            line = re.compile(rf"Now serving the model {model.sha256[:12]} \(loaded in ([\d.]+) s\)")
            registry.activate(engine, model.id, "bench", registry.ACTIVATED)
            timeline.mark("activated")
            _log(f"{model.name} activated; waiting for the Rasa server to serve it")
            while True:
                with servers.rasa.log.open("rb") as log:
                    log.seek(offset)
                    found = line.search(log.read().decode("utf-8", "replace"))
                if found:
                    timeline.mark("serving")
                    swap["loaded_in_seconds"] = float(found.group(1))
                    break
                if not servers.rasa.running():
                    raise RuntimeError("The Rasa server stopped during the swap:\n" + servers.rasa.log_tail())
                if time.time() - timeline.at["activated"] > SWAP_TIMEOUT_SECONDS:
                    raise RuntimeError(f"The Rasa server did not serve {model.name} within {SWAP_TIMEOUT_SECONDS} s")
                await asyncio.sleep(0.1)
            _log(f"serving {model.name} {timeline.at['serving'] - timeline.at['activated']:.1f} s after activation")
        swap["rasa_rss_after_mib"] = round(servers.rasa.rss_mib())
        swap["rasa_peak_mib"] = round(servers.rasa.peak_rss_mib())
        await asyncio.sleep(plan.after_swap_seconds)
        timeline.mark("load_end")
    finally:
        stop.set()
        await load
    return summarise(plan, timeline, replies, done, swap)


def summarise(plan: Plan, timeline: Timeline, replies: List[Reply], done: jobs.Job, swap: Dict) -> Dict:
    at, users = timeline.at, plan.users

    def cpu_share(start: str, end: str) -> Optional[float]:
        if start not in timeline.rasa_cpu or end not in timeline.rasa_cpu or at[end] <= at[start]:
            return None
        seconds = at[end] - at[start]
        return round((timeline.rasa_cpu[end] - timeline.rasa_cpu[start]) / seconds, 2)

    windows = [
        {**window(replies, "idle", at["idle_start"], at["idle_end"], users),
         "rasa_cpu_share": cpu_share("idle_start", "idle_end")},
        {**window(replies, "during rasa train", at["train_start"], at["train_end"], users),
         "rasa_cpu_share": cpu_share("train_start", "train_end")},
        {**window(replies, "during the evaluation", at["train_end"], at["job_done"], users),
         "rasa_cpu_share": cpu_share("train_end", "job_done")},
    ]
    if "serving" in at:
        windows.append({**window(replies, "the swap (activation to serving)", at["activated"], at["serving"], users,
                                 overlapping=True), "rasa_cpu_share": cpu_share("activated", "serving")})
        windows.append({**window(replies, "after the swap", at["serving"], at["load_end"], users),
                        "rasa_cpu_share": cpu_share("serving", "load_end")})
    idle, training = windows[0], windows[1]
    ratio = (round(training["p95"] / idle["p95"], 2)
             if training["p95"] is not None and idle["p95"] else None)
    train_seconds = at["train_end"] - at["train_start"]
    job = {
        "status": done.status, "model": swap["model"],
        "queued_seconds": round(done.started_at - done.requested_at, 1),
        "training_seconds": round(train_seconds, 1),
        "evaluation_seconds": round(done.finished_at - at["train_end"], 1),
        "request_to_done_seconds": round(done.finished_at - done.requested_at, 1),
        "training_cpu_seconds": round(timeline.children_cpu["train_end"] - timeline.children_cpu["idle_end"], 1),
        "evaluation_cpu_seconds": round(timeline.children_cpu["job_done"] - timeline.children_cpu["train_end"], 1),
        "training_window_short": train_seconds < plan.min_training_seconds,
    }
    live = dict(swap)
    if "serving" in at:
        in_swap = windows[3]
        live.update({"activation_to_serving_seconds": round(at["serving"] - at["activated"], 1),
                     "request_to_serving_seconds": round(at["serving"] - done.requested_at, 1),
                     "longest_reply_ms": in_swap["max"], "replies_in_swap": in_swap["messages"]})
    all_errors = sum(sum(w["errors"].values()) for w in windows)
    return {"windows": windows, "ratio_p95": ratio, "target_ratio": TARGET_RATIO,
            "target_met": ratio is not None and ratio <= TARGET_RATIO, "errors": all_errors, "job": job, "live": live,
            "replies": len(replies)}


def measure(plan: Plan, workdir: Path) -> Dict:
    from assistant.console.store import open_database

    project = copy_project(workdir / "project", correction=plan.real_training)
    endpoints = console_endpoints(workdir / "console")
    engine = open_database(endpoints)
    env = deployment.server_environment({})
    _log("the model store, the action server and the Rasa server")
    store = deployment.serve_model(env, MODEL, workdir / "store", plan.pull_seconds, endpoints)
    saved_cache = os.environ.get("RASA_CACHE_DIRECTORY")
    try:
        servers = deployment.start_servers(None, workdir / "servers", model_store=env)
        try:
            if plan.real_training:
                # The Runner hands this process's environment to `rasa train`: nothing cached.
                os.environ["RASA_CACHE_DIRECTORY"] = str(workdir / "rasa-cache")
            runner = jobs.Runner(engine, project, Path(env["MODEL_STORE_DIR"]))
            results = asyncio.run(run(plan, servers, engine, runner))
        finally:
            servers.stop()
    finally:
        if saved_cache is None:
            os.environ.pop("RASA_CACHE_DIRECTORY", None)
        else:
            os.environ["RASA_CACHE_DIRECTORY"] = saved_cache
        store.stop()
        engine.dispose()
    return results


def _ms(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def _s(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.1f} s"


def markdown(results: Dict) -> str:
    machine, plan, job, live = results["machine"], results["plan"], results["job"], results["live"]
    idle, training = results["windows"][0], results["windows"][1]
    ratio = results["ratio_p95"]
    load_start, load_end = results["load_average"]["start"], results["load_average"]["end"]
    lines = [
        "# Reply times while the console trains a model",
        "",
        f"`make bench PROFILE=training`{' (quick)' if results['quick'] else ''}: do not edit by hand."
        + (" **Quick mode**: a check that the harness works (seconds of load, the training on unchanged data"
           " with the Rasa cache), not figures to quote." if results["quick"] else ""),
        "",
        f"- Date: {machine['date']}, commit {machine['commit']}",
        f"- Machine: {machine['cpu']}, {machine['cores']} CPUs, {machine['memory_gib']} GiB; Python"
        f" {machine['python']}, Rasa {machine['rasa']}. Load average (1/5/15 min) at the start"
        f" {' / '.join(f'{v:.2f}' for v in load_start)}, at the end {' / '.join(f'{v:.2f}' for v in load_end)}.",
        f"- One Rasa server (one worker) and its action server as `make run` starts them, pulling the live model"
        f" from a model store every {plan['pull_seconds']} s; the load client and the training job (in a thread,"
        " as in the console's process) run on the same machine.",
        f"- Load: {plan['users']} users, each holding test-story conversations one after another and waiting"
        f" 0.5–1.5 × {plan['pause_seconds']:g} s before each message, through the whole run;"
        f" {results['replies']} messages in all.",
        "",
        "## Target",
        "",
        "| Target | Measured | Met |",
        "|---|---|---|",
        f"| p95 reply during the training ≤ {results['target_ratio']:g} × idle p95 |"
        f" {_ms(training['p95'])} vs {_ms(idle['p95'])}: {'–' if ratio is None else f'{ratio:.2f} ×'} |"
        f" {'yes' if results['target_met'] else 'no'} |",
        f"| No failed message (any window) | {results['errors']} failed | {'yes' if results['errors'] == 0 else 'no'} |",
        "",
        "## Reply times",
        "",
        "| Window | Seconds | Messages | Errors | p50 | p95 | p99 | Slowest | Rasa server CPU (cores) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for found in results["windows"]:
        cpu = found["rasa_cpu_share"]
        lines.append(f"| {found['label']} | {found['seconds']:g} | {found['messages']} | {sum(found['errors'].values())} |"
                     f" {_ms(found['p50'])} | {_ms(found['p95'])} | {_ms(found['p99'])} | {_ms(found['max'])} |"
                     f" {'–' if cpu is None else f'{cpu:.2f}'} |")
    if job["training_window_short"]:
        lines += ["", f"The `rasa train` part took {job['training_seconds']:g} s, less than the"
                      f" {plan['min_training_seconds']:g} s the load was meant to run beside it."]
    lines += [
        "",
        "## From the request to live",
        "",
        "| Step | Time |",
        "|---|---|",
        f"| Queued (request → the job starts) | {_s(job['queued_seconds'])} |",
        f"| `rasa train` at nice 19, the model kept in the store | {_s(job['training_seconds'])}"
        f" ({job['training_cpu_seconds']:g} CPU s) |",
        f"| Evaluation at nice 19 (held-out sentences and test stories) | {_s(job['evaluation_seconds'])}"
        f" ({job['evaluation_cpu_seconds']:g} CPU s) |",
        f"| Request → job done (the model may be compared and activated) | {_s(job['request_to_done_seconds'])} |",
    ]
    if "activation_to_serving_seconds" in live:
        lines += [
            f"| Activation → the Rasa server serves it (asking every {plan['pull_seconds']} s, then loading"
            f" {_s(live['loaded_in_seconds'])} beside the live model) | {_s(live['activation_to_serving_seconds'])} |",
            f"| Request → serving, without the lead's time to decide | {_s(live['request_to_serving_seconds'])} |",
            f"| Slowest reply in flight during the swap ({live['replies_in_swap']} messages) |"
            f" {_ms(live['longest_reply_ms'])} |",
            f"| Rasa server memory: before the swap, after it, peak (VmHWM) | {live['rasa_rss_before_mib']} MiB,"
            f" {live['rasa_rss_after_mib']} MiB, {live['rasa_peak_mib']} MiB |",
        ]
    else:
        lines.append(f"| Activation | {live['model']} was already the live model: no swap to time |")
    lines += [
        "",
        "## How it was measured",
        "",
        f"- Idle: {plan['idle_seconds']:g} s of the load after {plan['warmup_seconds']:g} s of warm-up, nothing else"
        " running.",
        "- Training: requested with `jobs.request` and run with `jobs.Runner.run_next`, as the console's models page"
        " does: a snapshot of a copy of the project's config.yml, domain.yml and data/ trained by `rasa train` at"
        " nice 19, the model added to the store, then evaluated by `assistant.model_store.comparison` at nice 19."
        + (f" The copy has one more Swedish no_email example (\"{CORRECTION}\"), as after a correction, and the"
           " training an empty Rasa cache of its own, so every component trains."
           if plan["real_training"] else " Quick mode: the data unchanged, the Rasa cache of earlier trainings.")
        + " The window \"during rasa train\" runs from the job's start until its status leaves `training`.",
        "- Swap: `registry.activate` as the console's button; the window runs until the Rasa server logs"
        " \"Now serving the model …\" (assistant/rasa_patches.py) and counts every message in flight in it.",
        "- A reply's time is from sending the request to the whole reply; an HTTP error, a timeout or an empty"
        " reply counts as an error. Rasa server CPU: CPU seconds of its process per second of the window.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "TRAINING.md")
    parser.add_argument("--render", action="store_true", help="only write the report again from the JSON beside it")
    args = parser.parse_args(argv)
    if args.render:
        results = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))
        args.out.write_text(markdown(results), encoding="utf-8")
        return 0
    if not MODEL.exists():
        print(f"No trained model at {MODEL}: `make bench` trains it first.", file=sys.stderr)
        return 2
    plan = QUICK if args.quick else FULL
    load_start = list(os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="bench-training-") as temporary:
        measured = measure(plan, Path(temporary))
    results = {"machine": report.machine(), "quick": args.quick, "plan": asdict(plan),
               "load_average": {"start": load_start, "end": list(os.getloadavg())}, **measured}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    args.out.write_text(markdown(results), encoding="utf-8")
    _log(f"Written: {args.out}")
    if args.quick:
        return 0
    return 0 if results["target_met"] and results["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
