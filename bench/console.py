"""`make bench PROFILE=console`: the staff console's pages over 100,000 stored conversations in
PostgreSQL (the scaled profile's database), against the target of 300 ms for the list and the
transcript. Writes bench/CONSOLE.md (and CONSOLE.json).

    python -m bench.console [--conversations 100000] [--repeats 15] [--out bench/CONSOLE.md]

The conversations are written straight into Rasa's events table (COPY), shaped like the
assistant's own: Swedish and English, the five problems and the page's questions, fallbacks,
"Did that help?" answers and handoffs with references, over the last 60 days. Then the
console's index reads them all (its time is reported too), the console is served as `make run`
serves it, and a signed-in support lead asks for each page `--repeats` times.
"""
import argparse
import csv
import io
import json
import random
import secrets
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import requests
import yaml

from actions.handoff import new_reference
from actions.topics import TOPICS
from assistant.deployment import drop_database
from assistant.paths import ROOT
from assistant.processes import free_port, reachable, start, wait_for
from bench import report
from bench.scaled import POSTGRES

TARGET_MS = 300
PASSWORD = "bench-staff-pass-phrase"
WORDS = {"sv": ["betalning", "kortet", "mejl", "koden", "blanketten", "sidan", "kontot", "ansökan", "fungerar", "inte"],
         "en": ["payment", "card", "email", "code", "form", "page", "account", "application", "works", "not"]}


def _log(text: str) -> None:
    print(time.strftime("%H:%M:%S"), text, flush=True)


def _user(text: str, intent: str, confidence: float, language: str, at: float, faq: str = "") -> Dict:
    parse = {"intent": {"name": intent, "confidence": confidence},
             "intent_ranking": [{"name": intent, "confidence": confidence}],
             "entities": [{"entity": "language", "value": language}]}
    if faq:
        parse["response_selector"] = {"faq": {"response": {"intent_response_key": faq},
                                              "ranking": [{"intent_response_key": faq, "confidence": confidence}]}}
    return {"event": "user", "text": text, "parse_data": parse, "timestamp": at}


def _bot(text: str, utter: str, at: float) -> Dict:
    return {"event": "bot", "text": text, "metadata": {"utter_action": utter}, "timestamp": at}


def _action(name: str, at: float) -> Dict:
    return {"event": "action", "name": name, "timestamp": at}


def conversation(rng: random.Random, now: float) -> List[Dict]:
    """One conversation's events, like the assistant's."""
    language = "sv" if rng.random() < 0.6 else "en"
    at = now - rng.uniform(0, 60 * 86400)
    topic = rng.choice([t for t in TOPICS if t != "request_human"])
    words = " ".join(rng.choice(WORDS[language]) for _ in range(rng.randint(3, 9)))
    events = [_action("action_session_start", at), {"event": "session_started", "timestamp": at},
              {"event": "slot", "name": "language", "value": language, "timestamp": at}]
    if rng.random() < 0.15:  # not understood first
        events += [_user(words + " ???", "nlu_fallback", rng.uniform(0.1, 0.4), language, at),
                   _action("action_ask_rephrase_or_handoff", at), {"event": "rewind", "timestamp": at}]
        at += 20
    faq = topic if topic.startswith("faq/") else ""
    confidence = rng.uniform(0.55, 1.0)
    events += [_user(f"{TOPICS[topic][language]} {words}", "faq" if faq else topic, confidence, language, at, faq),
               _action(f"utter_{topic}", at), _bot(f"Advice for {topic}", f"utter_{topic}", at),
               _action("utter_ask_did_it_help", at), _bot("?", "utter_ask_did_it_help", at)]
    at += 30
    helped = rng.random() < 0.7
    events.append(_user("/affirm" if helped else "/deny", "affirm" if helped else "deny", 1.0, language, at))
    if not helped and rng.random() < 0.5:
        events += [_action("action_handoff_to_support", at), _bot("Ring 0771-235 235", "utter_handoff_to_support", at),
                   {"event": "slot", "name": "handoff_reference", "value": new_reference(), "timestamp": at}]
    return events


def seed(engine, count: int, rng: random.Random) -> int:
    """`count` conversations into the events table with COPY; how many events."""
    now = time.time()
    rows = 0
    raw = engine.raw_connection()
    try:
        for start_at in range(0, count, 5000):
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for number in range(start_at, min(count, start_at + 5000)):
                sender = f"bench-{number:06d}-{secrets.token_hex(4)}"
                for event in conversation(rng, now):
                    writer.writerow([sender, event["event"], event["timestamp"], json.dumps(event)])
                    rows += 1
            buffer.seek(0)
            with raw.cursor() as cursor:
                cursor.copy_expert("COPY events (sender_id, type_name, timestamp, data) FROM STDIN WITH (FORMAT csv)",
                                   buffer)
            raw.commit()
    finally:
        raw.close()
    return rows


def timed(session: requests.Session, method: str, url: str, repeats: int, **kwargs) -> Dict:
    times = []
    status = 0
    for _ in range(repeats):
        started = time.perf_counter()
        response = session.request(method, url, **kwargs)
        times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    ordered = sorted(times)
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
            "max_ms": round(ordered[-1], 1), "status": status}


def measure(count: int, repeats: int, workdir: Path) -> Dict:
    from assistant.console import accounts, conversations
    from assistant.console.store import open_database
    from assistant.tracker_store import open_tracker_store

    host, port = POSTGRES
    database = "bench_console_" + "".join(random.choice(string.ascii_lowercase) for _ in range(8))
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump({"tracker_store": {
        "type": "assistant.tracker_store.RecentEventsSQLTrackerStore", "dialect": "postgresql", "url": host,
        "port": port, "db": database, "username": "postgres", "login_db": "postgres"}}), encoding="utf-8")
    try:
        open_tracker_store(endpoints)  # creates the database and Rasa's events table
        engine = open_database(endpoints)
        _log(f"seeding {count} conversations into {database}")
        started = time.perf_counter()
        events = seed(engine, count, random.Random(15))
        seeding = time.perf_counter() - started
        _log(f"{events} events in {seeding:.0f} s; indexing")
        started = time.perf_counter()
        indexed = conversations.catch_up(engine)
        indexing = time.perf_counter() - started
        _log(f"{indexed} conversations indexed in {indexing:.0f} s")
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        from assistant.console import alerts

        alert_times = []
        for _ in range(3):
            started = time.perf_counter()
            raised = alerts.alerts(engine)
            alert_times.append((time.perf_counter() - started) * 1000)
        _log(f"outage alerts computed in {min(alert_times):.0f} ms ({len(raised)} raised)")
        with engine.begin() as connection:
            some = [row[0] for row in connection.exec_driver_sql(
                "SELECT id FROM console_conversations ORDER BY random() LIMIT 20")]
            reference = connection.exec_driver_sql(
                "SELECT handoff_reference FROM console_conversations WHERE handoff_reference IS NOT NULL LIMIT 1").scalar()
        for name, role in (("lead", accounts.LEAD), ("agent", accounts.AGENT)):
            accounts.create_account(engine, name, name.title(), role, PASSWORD)
        engine.dispose()

        console_port = free_port()
        process = start("console", [sys.executable, "-m", "assistant.console", "--endpoints", str(endpoints), "serve",
                                    "--port", str(console_port)], workdir,
                        {"CONSOLE_LOOKUPS_PER_MINUTE": "100000", "CONSOLE_LOOKUPS_PER_DAY": "100000"})
        url = f"http://127.0.0.1:{console_port}"
        try:
            wait_for(lambda: requests.get(url + "/sign-in", timeout=5).ok, [process], "The staff console")
            pages = measure_pages(url, some, reference, repeats)
        finally:
            process.stop()
    finally:
        drop_database(host, port, database)
    return {"conversations": count, "events": events, "seeding_seconds": round(seeding, 1),
            "indexing_seconds": round(indexing, 1), "repeats": repeats, "pages": pages,
            "alerts_ms": round(min(alert_times), 1)}


def _signed_in(url: str, username: str) -> requests.Session:
    import re

    session = requests.Session()
    form = session.get(url + "/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    signed = session.post(url + "/sign-in", data={"csrf_token": token, "username": username, "password": PASSWORD})
    if not signed.url.endswith("/"):
        raise RuntimeError(f"could not sign in as {username}")
    session.token = re.search(r'name="csrf_token" value="([^"]+)"', signed.text).group(1)
    return session


def measure_pages(url: str, some: List[int], reference: Optional[str], repeats: int) -> List[Dict]:
    lead, agent = _signed_in(url, "lead"), _signed_in(url, "agent")
    week_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 7 * 86400))
    lists = [
        ("list: no filter", ""),
        ("list: page 1,000 (offset 49,950)", "page=1000"),
        ("list: ended in a handoff", "flag=handoff"),
        ("list: English, had a fallback", "language=en&flag=fallback"),
        ("list: answered no to Did that help?", "flag=unhelpful"),
        ("list: low confidence, not reviewed", "flag=low_confidence&reviewed=no"),
        ("list: a page question (topic)", "topic=faq/clear_cookies"),
        ("list: the last 7 days, Swedish", f"from={week_ago}&language=sv"),
        ("list: free text, one word", "q=betalning"),
        ("list: free text, two words, handoff", "q=kortet+fungerar&flag=handoff"),
        ("list: every filter at once", f"from={week_ago}&language=sv&flag=unhelpful&topic=no_email&reviewed=no&q=mejl"),
    ]
    results = []
    for name, query in lists:
        results.append({"page": name, "target": True, **timed(lead, "GET", f"{url}/conversations?{query}", repeats)})
        _log(f"{name}: {results[-1]}")
    transcripts = [timed(lead, "GET", f"{url}/conversations/{i}", max(1, repeats // 5)) for i in some]
    results.append({"page": f"transcript ({len(some)} random conversations, each viewed {max(1, repeats // 5)} times)",
                    "target": True,
                    "median_ms": round(statistics.median(t["median_ms"] for t in transcripts), 1),
                    "p95_ms": round(max(t["p95_ms"] for t in transcripts), 1),
                    "max_ms": round(max(t["max_ms"] for t in transcripts), 1),
                    "status": max(t["status"] for t in transcripts)})
    _log(f"transcripts: {results[-1]}")
    if reference:
        results.append({"page": "handoff look-up by reference (agent)", "target": False,
                        **timed(agent, "POST", f"{url}/handoff", repeats,
                                data={"csrf_token": agent.token, "reference": reference})})
    for name, query in (("figures: last 30 days", ""), ("figures: 60 days", "from=" + time.strftime(
            "%Y-%m-%d", time.gmtime(time.time() - 60 * 86400)))):
        results.append({"page": name, "target": False, **timed(lead, "GET", f"{url}/figures?{query}", max(1, repeats // 3))})
        _log(f"{name}: {results[-1]}")
    return results


def markdown(results: Dict) -> str:
    lines = [
        f"# The staff console over {results['conversations']:,} conversations",
        "",
        "Measured by `make bench PROFILE=console` on {cpu} ({cores} cores, {memory_gib} GiB), {date}, "
        "commit {commit}, PostgreSQL on the same machine.".format(**results["machine"]),
        f"{results['conversations']:,} conversations ({results['events']:,} events) in PostgreSQL, written in "
        f"{results['seeding_seconds']} s; the console's index read them in {results['indexing_seconds']} s "
        f"(once: afterwards it reads only what is new). Each page asked {results['repeats']} times by a signed-in "
        "support lead over HTTP, as a browser would; times are the whole request, rendering included.",
        "",
        f"Target: list and transcript pages under {TARGET_MS} ms. The outage alerts (30 days of messages, "
        f"both windows) take {results['alerts_ms']} ms to compute; the pages show them at most a minute old.",
        "",
        "| page | median | 95th percentile | slowest | under target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for page in results["pages"]:
        verdict = ("yes" if page["p95_ms"] < TARGET_MS else "**no**") if page["target"] else "(no target)"
        lines.append(f"| {page['page']} | {page['median_ms']} ms | {page['p95_ms']} ms | {page['max_ms']} ms | {verdict} |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "CONSOLE.md")
    args = parser.parse_args(argv)
    if not reachable(*POSTGRES):
        print(f"PostgreSQL is not reachable at {POSTGRES[0]}:{POSTGRES[1]}; the console bench needs it.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-console-") as temporary:
        results = {"machine": report.machine(), **measure(args.conversations, args.repeats, Path(temporary))}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    args.out.write_text(markdown(results), encoding="utf-8")
    _log(f"Written: {args.out}")
    return 0 if all(p["p95_ms"] < TARGET_MS for p in results["pages"] if p["target"]) else 1


if __name__ == "__main__":
    sys.exit(main())
