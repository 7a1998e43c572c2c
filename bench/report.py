"""Figures from the measurements, and bench/RESULTS.md from the figures."""
import os
import platform
import statistics
import subprocess
import time
from typing import Callable, Dict, List, Optional, Tuple

from assistant.language import SUPPORTED_LANGUAGES
from assistant.review.evaluation import CLASS_TITLES
from bench.load import TURN_WINDOW, LoadResult, percentile


def load_summary(result: LoadResult) -> Dict:
    return {"label": result.label, "users": result.users, "seconds": round(result.seconds, 1),
            "messages": result.messages, "answered": len(result.latencies_ms),
            "per_second": round(result.per_second, 1), "errors": dict(result.errors),
            **{f"p{int(share * 100)}": _round(result.p(share)) for share in (0.5, 0.95, 0.99)}}


def long_summary(runs: List[List[Optional[float]]]) -> Dict:
    first = [v for run in runs for v in run[:TURN_WINDOW] if v is not None]
    last = [v for run in runs for v in run[-TURN_WINDOW:] if v is not None]
    return {"turns": len(runs[0]) if runs else 0, "conversations": len(runs),
            "errors": sum(v is None for run in runs for v in run),
            "first_p95": _round(percentile(first, 0.95)), "last_p95": _round(percentile(last, 0.95)),
            "first_p50": _round(percentile(first, 0.5)), "last_p50": _round(percentile(last, 0.5))}


# The classes of held-out sentences the benchmark reports (assistant/review/evaluation.py).
HELD_OUT_CLASSES = ("clean", "story", "mixed", "misspelt", "nordic")


def nlu_summary(figures: Dict) -> Dict:
    summary = {}
    for language, found in figures.items():
        if not isinstance(found, dict):  # other_languages: one share
            summary[language] = found
            continue
        latencies = found.pop("parse_ms")
        summary[language] = {**found, "parse_p50": _round(statistics.median(latencies)),
                             "parse_p95": _round(percentile(latencies, 0.95))}
    return summary


def _round(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 1)


def machine() -> Dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    memory_kib = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = ""
    from importlib.metadata import version

    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": cpu,
            "cores": os.cpu_count(), "memory_gib": round(memory_kib / 2**20, 1),
            "python": platform.python_version(), "rasa": version("rasa"),
            "tensorflow": version("tensorflow"), "commit": commit}


# ---- the report -------------------------------------------------------------------------

def _level(side: Dict, label_start: str) -> Optional[Dict]:
    return next((level for level in side["load"] if level["label"].startswith(label_start)), None)


def _fmt(value, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{unit}".replace(",", " ")


def _ratio(ours, baseline) -> str:
    if ours is None or baseline in (None, 0):
        return "–"
    return f"{ours / baseline:.2f}"


def _rows(sides: List[Dict]) -> List[Tuple[str, List, int, str]]:
    """(measure, value per side, digits, unit)."""
    rows: List[Tuple[str, List, int, str]] = []

    def add(name: str, get: Callable[[Dict], Optional[float]], digits: int = 0, unit: str = "") -> None:
        values = []
        for side in sides:
            try:
                values.append(get(side))
            except (KeyError, TypeError, IndexError):
                values.append(None)
        rows.append((name, values, digits, unit))

    add("Training from scratch, full", lambda s: s["training_seconds"], 0, " s")
    add("Training from scratch, NLU only", lambda s: s["nlu_training_seconds"], 0, " s")
    add("Model size", lambda s: s["model_mib"], 1, " MiB")
    add("Cold start to first answer", lambda s: s["cold_start_seconds"], 1, " s")
    for level in sides[0]["load"]:
        label = level["label"]
        for key, name in (("p50", "p50"), ("p95", "p95"), ("p99", "p99")):
            add(f"{label}: {name} reply", lambda s, l=label, k=key: _level(s, l)[k], 0, " ms")
        add(f"{label}: messages/s", lambda s, l=label: _level(s, l)["per_second"], 1)
        add(f"{label}: errors", lambda s, l=label: sum(_level(s, l)["errors"].values()), 0)
    add("Long conversation: p95 of the first 10 turns", lambda s: s["long"]["first_p95"], 0, " ms")
    add("Long conversation: p95 of the last 10 turns", lambda s: s["long"]["last_p95"], 0, " ms")
    for language in SUPPORTED_LANGUAGES:
        add(f"In-process parse ({language}): median", lambda s, g=language: s["nlu"][g]["parse_p50"], 1, " ms")
        add(f"In-process parse ({language}): p95", lambda s, g=language: s["nlu"][g]["parse_p95"], 1, " ms")
    add("RSS Rasa server, before the load", lambda s: s["memory_mib"]["rasa_before"], 0, " MiB")
    add("RSS Rasa server, after the load", lambda s: s["memory_mib"]["rasa_after"], 0, " MiB")
    add("RSS action server, before the load", lambda s: s["memory_mib"]["actions_before"], 0, " MiB")
    add("RSS action server, after the load", lambda s: s["memory_mib"]["actions_after"], 0, " MiB")
    add("Peak RSS, both servers", lambda s: s["memory_mib"]["rasa_peak"] + s["memory_mib"]["actions_peak"], 0, " MiB")
    for language in SUPPORTED_LANGUAGES:
        for key, name in (("intent_accuracy", "intent acted on"),
                          ("classifier_accuracy", "intent the classifier ranks first"),
                          ("answer_accuracy", "page answer"), ("topic_accuracy", "topic, as the user gets it"),
                          ("wrong_answers", "wrong answers (neither right nor a fallback)")):
            add(f"Accuracy ({language}): {name}", lambda s, g=language, k=key: 100 * s["nlu"][g][k], 1, " %")
        for held_out_class in HELD_OUT_CLASSES:
            if held_out_class not in sides[0].get("nlu", {}).get(language, {}).get("classes", {}):
                continue  # Norwegian and Danish are measured with Swedish only
            add(f"Accuracy ({language}): topic, {CLASS_TITLES[held_out_class]}",
                lambda s, g=language, c=held_out_class: 100 * s["nlu"][g]["classes"][c], 1, " %")
    add("Messages in other languages answered in both languages",
        lambda s: 100 * s["nlu"]["other_languages"], 1, " %")
    add("Most CPU of any message, up to the largest body the channel reads",
        lambda s: max(r["cpu_ms"] for r in s["stress"]), 0, " ms")
    return rows


def _targets(ours: Dict, baseline: Optional[Dict]) -> List[Tuple[str, str, Optional[bool]]]:
    """(target, what we measured, met?) - None where this run did not measure it."""
    def get(side: Optional[Dict], path: Callable[[Dict], Optional[float]]) -> Optional[float]:
        try:
            return path(side) if side else None
        except (KeyError, TypeError, IndexError):
            return None

    paced = _level(ours, next((l["label"] for l in ours["load"] if "pausing" in l["label"]), "-"))
    twenty_ours = get(ours, lambda s: _level(s, "20 users")["per_second"])
    twenty_base = get(baseline, lambda s: _level(s, "20 users")["per_second"])
    single = get(ours, lambda s: _level(s, "1 users")["p50"])
    first, last = get(ours, lambda s: s["long"]["first_p95"]), get(ours, lambda s: s["long"]["last_p95"])
    peak = get(ours, lambda s: s["memory_mib"]["rasa_peak"] + s["memory_mib"]["actions_peak"])
    cpu = get(ours, lambda s: max(r["cpu_ms"] for r in s["stress"]))
    rows = []

    def target(text: str, shown: str, met: Optional[bool]) -> None:
        rows.append((text, shown, met))

    if paced:
        errors = sum(paced["errors"].values())
        target(f"{paced['label']}: p95 ≤ 150 ms, no errors",
               f"p95 {_fmt(paced['p95'], ' ms')}, {errors} errors, {paced['per_second']} messages/s offered",
               paced["p95"] is not None and paced["p95"] <= 150 and errors == 0)
    carried = f" (baseline of {baseline['serving_from']['date']})" if baseline and baseline.get("serving_from") else ""
    target("20 users back to back: messages/s at least the baseline's" + carried,
           f"{_fmt(twenty_ours, '', 1)} vs {_fmt(twenty_base, '', 1)}",
           None if twenty_ours is None or twenty_base is None else twenty_ours >= twenty_base)
    target("One user: p50 ≤ 40 ms", _fmt(single, " ms"), None if single is None else single <= 40)
    target("p95 at turn 200 within 20 % of turn 1", f"{_fmt(first, ' ms')} → {_fmt(last, ' ms')}",
           None if first is None or last is None else last <= 1.2 * first)
    cold = ours["cold_start_seconds"]
    target("Cold start ≤ 20 s", _fmt(cold, " s", 1), cold <= 20)
    training = ours.get("training_seconds")
    target("Full training ≤ 5 min", _fmt(training, " s"), None if training is None else training <= 300)
    target("Both servers ≤ 1.5 GB RSS (peak)", _fmt(peak, " MiB"), None if peak is None else peak <= 1536)
    for language in SUPPORTED_LANGUAGES:
        figures = {key: (get(ours, lambda s, k=key: 100 * s["nlu"][language][k]),
                         get(baseline, lambda s, k=key: 100 * s["nlu"][language][k]))
                   for key in ("intent_accuracy", "topic_accuracy", "wrong_answers")}
        shown = "; ".join(f"{name} {_fmt(figures[key][0], ' %', 1)} vs {_fmt(figures[key][1], ' %', 1)}"
                          for key, name in (("intent_accuracy", "intent"), ("topic_accuracy", "topic"),
                                            ("wrong_answers", "wrong answers")))
        measured = all(value is not None for pair in figures.values() for value in pair)
        target(f"Accuracy ({language}) not below the baseline's (intent and topic)", shown,
               None if not measured else all(figures[key][0] >= figures[key][1]
                                             for key in ("intent_accuracy", "topic_accuracy")))
        classes = {name: (get(ours, lambda s, c=name: 100 * s["nlu"][language]["classes"][c]),
                          get(baseline, lambda s, c=name: 100 * s["nlu"][language]["classes"][c]))
                   for name in HELD_OUT_CLASSES}
        classes = {name: pair for name, pair in classes.items() if pair[0] is not None}
        if classes:
            target(f"Topic accuracy ({language}) per class of held-out sentences not below the baseline's",
                   "; ".join(f"{CLASS_TITLES[name]} {_fmt(o, ' %', 1)} vs {_fmt(b, ' %', 1)}"
                             for name, (o, b) in classes.items()),
                   None if any(b is None for _, b in classes.values())
                   else all(o >= b for o, b in classes.values()))
    other = get(ours, lambda s: 100 * s["nlu"]["other_languages"])
    target("Messages in other languages answered in both languages ≥ 97 %", _fmt(other, " %", 1),
           None if other is None else other >= 97)
    target("No message costs more than 100 ms CPU (within the length cap, and bodies up to the channel's 64 KiB)",
           _fmt(cpu, " ms"), None if cpu is None else cpu <= 100)
    return rows


def markdown(results: Dict) -> str:
    sides = results["sides"]
    ours = sides[0]
    baseline = sides[1] if len(sides) > 1 else None
    m = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/): do not edit by hand." + (" **Quick mode**: a check that the"
        " harness works, not figures to quote." if results["quick"] else ""),
        "",
        f"- Date: {m['date']}, commit {m['commit']}",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']},"
        f" Rasa {m['rasa']}, TensorFlow {m['tensorflow']}",
        "- Ours: `config.yml`, served as `make run` serves it (the project's endpoints.yml,"
        " credentials.yml and settings), with its SQLite file, on loopback.",
        ("- Baseline: `bench/baseline/config.yml`, Rasa 3.6's default pipeline and policies as"
         " `rasa init` writes them," + ("" if baseline.get("serving_from") else " trained on the same data,")
         + " served as plain Rasa serves it: its own"
         " SQL tracker store (SQLite) and REST channel, TensorFlow's default threads; the same"
         " action server." if baseline else None),
        (f"- The baseline's serving figures (load, long conversation, memory, cold start, expensive"
         f" messages) are those of the run of {baseline['serving_from']['date']} (commit"
         f" {baseline['serving_from']['commit']}, {baseline['serving_from']['cpu']},"
         f" {baseline['serving_from']['cores']} cores), not measured again; neither its training nor its"
         f" model size is this run's, and"
         + (f" its accuracy was measured in this run on `{baseline['model']}`." if baseline.get("nlu")
            else " its accuracy was not measured in this run.")
         + ("" if baseline["serving_from"].get("long_same_messages") else
            " Its long conversation compared different messages at turn 1 and turn 200 (before"
            " commit 668b374), so its ratio there is not like for like.")
         if baseline and baseline.get("serving_from") else None),
        "- The load client runs on the same machine and shares its two cores.",
        "",
        "What the figures mean, and where the time goes where a target is missed:"
        " [ANALYSIS.md](ANALYSIS.md).",
        "",
        "## Targets",
        "",
        "| Target | Measured | Met |",
        "|---|---|---|",
    ]
    for text, shown, met in _targets(ours, baseline):
        lines.append(f"| {text} | {shown} | {'yes' if met else 'no' if met is not None else 'not measured'} |")
    lines += ["", "## Ours and the baseline", ""]
    header = "| Measure | " + " | ".join(s["name"] for s in sides) + (" | ours / baseline |" if baseline else " |")
    lines += [header, "|---" * (len(sides) + 1 + bool(baseline)) + "|"]
    for name, values, digits, unit in _rows(sides):
        cells = [_fmt(v, unit, digits) for v in values]
        ratio = [_ratio(values[0], values[1])] if baseline else []
        lines.append(f"| {name} | " + " | ".join(cells + ratio) + " |")
    lines += ["", "## Expensive messages (ours): within the length cap, and over it up to the largest body", "",
              "| Message | Characters | CPU per message | Slowest reply | Answered |", "|---|---|---|---|---|"]
    for row in ours["stress"]:
        lines.append(f"| {row['name']} | {row['length']} | {_fmt(row['cpu_ms'], ' ms')} |"
                     f" {_fmt(row['latency_ms'], ' ms')} | {'yes' if row['answered'] else 'no'} |")
    plan = results["plan"]
    lines += ["", "## How it was measured", "",
              f"- Load: each user holds the test-story conversations (tests/stories, Swedish and English)"
              f" one after another, in new conversations, for {plan['seconds_per_level']:g} s per level; back to back"
              f" means the next message goes when the reply is in. The paced users wait 0.5–1.5 × "
              f"{plan['pause_seconds']:g} s before each message, for {plan['paced_seconds']:g} s. Latency is"
              " from sending the request to the whole reply; an HTTP error, a timeout or an empty reply `[]`"
              " counts as an error.",
              f"- Long conversations: {plan['long_repeats']} conversations of {plan['long_turns']} messages, one"
              " user, the test stories' messages of one language in order; the last ten turns send the first"
              " ten messages again, so the p95 of the first and of the last ten turns compares the same messages.",
              "- In-process parse: `Agent.parse_message` on every held-out sentence (tests/nlu), after one"
              " warm-up parse. Accuracy on the same sentences, as `make evaluate` counts it.",
              "- Training from scratch, each with an empty Rasa cache. Cold start: from launching `rasa run`"
              " (the action server already up) to the first non-empty answer.",
              "- Memory: resident set size from /proc, before and after the load, and the peak (VmHWM).",
              f"- Expensive messages: each sent {plan['stress_tries']} times in new conversations; CPU is"
              " what both servers used, from /proc, per message. Those over the cap fill a request body"
              " of up to 64 KiB (bench/stress.py); the edge must refuse them before any costly check.",
              ""]
    return "\n".join(line for line in lines if line is not None)
