"""Activating a model while both instances of the scaled profile answer a steady load: every
instance (every worker) pulls it from the model store and swaps it in, and no message fails.
The longest answer during each switch is reported."""
import threading
import time
from typing import List, Tuple

import requests
import sqlalchemy as sa

from assistant import deployment
from assistant.model_store import registry
from tests.conftest import FIGURES
from tests.e2e.scaled.conftest import POSTGRES

SENDERS = 4  # at a time, each waiting for its answer before the next message
SWITCH_SECONDS = 120


def log_sizes(cluster) -> List[int]:
    return [instance.process.log.stat().st_size for instance in cluster.instances[:2]]


def serving(cluster, sha256: str, since: List[int]) -> bool:
    """Every worker of both instances has said, since `since`, that it serves the model
    (assistant.rasa_patches.swap_model logs it)."""
    line = f"Now serving the model {sha256[:12]}".encode()
    found = []
    for instance, start in zip(cluster.instances[:2], since):
        with instance.process.log.open("rb") as log:
            log.seek(start)
            found.append(log.read().count(line))
    return found[0] >= 1 and found[1] >= 2  # the second instance has two workers


def switch_under_load(cluster, engine, model: registry.StoredModel, kind: str) -> Tuple[List, float]:
    answers: List[Tuple[int, bool, float]] = []
    stop = threading.Event()

    def talk(n: int) -> None:
        turn = 0
        while not stop.is_set():
            instance = cluster.instances[(n + turn) % 2]
            started = time.monotonic()
            try:
                reply = instance.post(f"switch-{cluster.database}-{n}-{turn // 4}", "jag får ingen sms-kod")
                answers.append((reply.status_code, bool(reply.json()), time.monotonic() - started))
            except (requests.RequestException, ValueError) as error:
                answers.append((0, False, time.monotonic() - started))
                print(f"failed: {error}")
            turn += 1

    senders = [threading.Thread(target=talk, args=(n,)) for n in range(SENDERS)]
    for sender in senders:
        sender.start()
    time.sleep(2)  # the load is on before the switch
    since = log_sizes(cluster)
    registry.activate(engine, model.id, "test", kind)
    switched = time.monotonic()
    try:
        deployment.wait_for(lambda: serving(cluster, model.sha256, since), [i.process for i in cluster.instances[:2]],
                            "Both instances switching", timeout=SWITCH_SECONDS)
        took = time.monotonic() - switched
        time.sleep(2)  # and stays on after it
    finally:
        stop.set()
        for sender in senders:
            sender.join()
    return answers, took


def test_both_instances_switch_model_under_load_without_a_failed_message(cluster, worse_model):
    engine = sa.create_engine(f"postgresql://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{cluster.database}")
    made = registry.active(engine)
    assert deployment.add_to_model_store(cluster.env, worse_model) == 0
    other = registry.all_models(engine)[0]
    assert other.id != made.id
    try:
        for model, kind in ((other, registry.ACTIVATED), (made, registry.ROLLED_BACK)):
            answers, took = switch_under_load(cluster, engine, model, kind)
            failed = [a for a in answers if a[0] != 200 or not a[1]]
            assert not failed, f"{len(failed)} of {len(answers)} messages failed"
            longest = max(a[2] for a in answers)
            FIGURES.append(f"model switch under load (2 instances, 3 workers): {len(answers)} messages, none failed; "
                           f"all switched in {took:.0f} s; longest answer {longest:.1f} s")
    finally:
        if registry.active(engine).id != made.id:  # the other tests expect the model make trained
            since = log_sizes(cluster)
            registry.activate(engine, made.id, "test", registry.ROLLED_BACK)
            deployment.wait_for(lambda: serving(cluster, made.sha256, since),
                                [i.process for i in cluster.instances[:2]], "Switching back", timeout=SWITCH_SECONDS)
        engine.dispose()
