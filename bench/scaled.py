"""`make bench PROFILE=scaled`: the same load on the embedded profile and on the scaled
profile with one worker, two workers and two instances, written to bench/SCALED.md.

    python -m bench.scaled [--quick] [--out bench/SCALED.md]

Every layout serves the trained model (models/assistant.tar.gz) with its own action server;
the scaled ones keep their conversations in a PostgreSQL database of their own (dropped
afterwards) and lock them in Redis, both on this machine (POSTGRES_HOST/PORT, REDIS_HOST/PORT).
The load is the one of `make bench`: test-story conversations, back to back and paced; with two
instances, each conversation's messages go to them in turn. The load client runs on the same
machine and takes CPU from the servers, as it does in `make bench`.
"""
import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional


from assistant import deployment
from bench import report
from bench.conversations import scripts
from bench.load import conversations
from assistant.deployment import (drop_database, rasa_environment, scaled_environment, start_actions,
                                  wait_for_workers, wait_until_answering, write_endpoints)
from assistant.paths import MODEL, ROOT, TEST_STORIES
from assistant.processes import Process, cpu_seconds, free_port, process_tree, reachable, start

POSTGRES = (os.environ.get("POSTGRES_HOST", "127.0.0.1"), int(os.environ.get("POSTGRES_PORT", "5432")))
REDIS = (os.environ.get("REDIS_HOST", "127.0.0.1"), int(os.environ.get("REDIS_PORT", "6379")))


@dataclass(frozen=True)
class Layout:
    name: str
    profile: str
    instances: int
    workers: int


LAYOUTS = [
    Layout("embedded: SQLite, 1 worker", "embedded", 1, 1),
    Layout("scaled: 1 instance x 1 worker", "scaled", 1, 1),
    Layout("scaled: 1 instance x 2 workers", "scaled", 1, 2),
    Layout("scaled: 2 instances x 1 worker", "scaled", 2, 1),
]
# (label, users, seconds, pause between messages)
FULL_LOAD = [("20 users back to back", 20, 30.0, 0.0), ("60 users pausing ~4 s", 60, 60.0, 4.0)]
QUICK_LOAD = [("4 users back to back", 4, 2.0, 0.0)]


def _log(text: str) -> None:
    print(time.strftime("%H:%M:%S"), text, flush=True)


def measure(layout: Layout, loads: List, workdir: Path, fresh_connections: bool = False) -> Dict:
    run = f"bench_{uuid.uuid4().hex[:10]}"
    actions_port = free_port()
    # Rate limits off: every simulated user comes from this one address.
    if layout.profile == "scaled":
        env = scaled_environment(POSTGRES, REDIS, run, actions_port, SANIC_WORKERS=str(layout.workers))
        endpoints = None
    else:
        env = deployment.server_environment({})
        endpoints = write_endpoints(workdir, actions_port)
    # The scaled profile's instances pull the model from a model store, as make run-scaled's do.
    model_store = deployment.serve_model(env, MODEL, workdir / run) if layout.profile == "scaled" else None
    actions = start_actions(env, actions_port, workdir, f"actions-{run}")
    env = rasa_environment(env, rate_limits=False)
    instances: List[Process] = []
    try:
        urls = []
        for _ in range(layout.instances):
            port = free_port()
            instances.append(start(f"rasa-{run}-{port}", deployment.rasa_command(
                env, port, MODEL, endpoints=endpoints, interface="127.0.0.1"), workdir, env))
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, instances):
            wait_until_answering(url, [actions, process], f"{layout.name}: the Rasa server")
            # The first answer comes while the other workers still load, taking the CPU the
            # load would get.
            wait_for_workers(process, layout.workers, f"{layout.name}: every worker")
        urls = [f"{url}/webhooks/rest/webhook" for url in urls]
        story_scripts = scripts(TEST_STORIES)
        results = []
        workers = [pid for process in instances for pid in process_tree(process.popen.pid)
                   if not Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        for label, users, seconds, pause in loads:
            _log(f"{layout.name}: {label}")
            before = [cpu_seconds(pid) for pid in workers]
            result = asyncio.run(conversations(urls, story_scripts, users, seconds, pause_seconds=pause, label=label,
                                               fresh_connections=fresh_connections))
            # How evenly the Rasa processes shared the work: CPU seconds of each during the load.
            cpu = [round(cpu_seconds(pid) - start, 1) for pid, start in zip(workers, before)]
            results.append({**report.load_summary(result), "worker_cpu_seconds": cpu})
        return {"layout": layout.name, "load": results,
                "rasa_peak_mib": round(sum(p.peak_rss_mib() for p in instances)),
                "actions_peak_mib": round(actions.peak_rss_mib())}
    finally:
        for process in instances:
            process.stop()
        actions.stop()
        if model_store is not None:
            model_store.stop()
        if layout.profile == "scaled":
            drop_database(*POSTGRES, f"assistant_{run}")


def markdown(results: Dict) -> str:
    machine = results["machine"]
    lines = [
        "# The scaled profile beside the embedded one",
        "",
        f"`make bench PROFILE=scaled`{' (quick)' if results['quick'] else ''}, {machine['date']}, commit "
        f"{machine['commit']}: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gib']} GiB. "
        "The load client runs on the same machine. Messages/s counts answered messages; p95 in ms.",
        "",
    ]
    labels = [load["label"] for load in results["layouts"][0]["load"]]
    header = ("| Layout | " + " | ".join(f"{label}: msg/s | p95 | errors | CPU s per Rasa process" for label in labels)
              + " | Peak RSS, Rasa |")
    lines += [header, "|---" * (2 + 4 * len(labels)) + "|"]
    for layout in results["layouts"]:
        cells = []
        for load in layout["load"]:
            cells += [f"{load['per_second']}", f"{load['p95']}", f"{sum(load['errors'].values())}",
                      " / ".join(str(c) for c in load.get("worker_cpu_seconds", []))]
        lines.append(f"| {layout['layout']} | " + " | ".join(cells) + f" | {layout['rasa_peak_mib']} MiB |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "SCALED.md")
    parser.add_argument("--only", default="", help="only the layouts whose name contains this")
    args = parser.parse_args(argv)
    for name, (host, port) in (("PostgreSQL", POSTGRES), ("Redis", REDIS)):
        if not reachable(host, port):
            print(f"{name} is not reachable at {host}:{port}; the scaled bench needs it.", file=sys.stderr)
            return 2
    loads = QUICK_LOAD if args.quick else FULL_LOAD
    with tempfile.TemporaryDirectory(prefix="bench-scaled-") as temporary:
        # The Sanic workers of an instance race to accept each connection: the few kept-alive
        # connections of the quick check could all go to one, so there each message has its own.
        layouts = [measure(layout, loads, Path(temporary), fresh_connections=args.quick)
                   for layout in LAYOUTS if args.only in layout.name]
    results = {"machine": report.machine(), "quick": args.quick, "layouts": layouts}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    args.out.write_text(markdown(results), encoding="utf-8")
    _log(f"Written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
