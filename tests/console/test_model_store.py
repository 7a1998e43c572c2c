"""The model store without a trained model: its records, the data archives and patches, the
gate's comparison, the training jobs' queue and progress, and the model server's answers."""
import gzip
import io
import json
import shutil
import subprocess
import tarfile

import pytest
import requests

from assistant import deployment, paths
from assistant.model_store import comparison, jobs, registry, snapshot
from tests.helpers import sqlite_endpoints

# What `rasa train` prints, as read from a real training's output.
TRAINING_OUTPUT = """\
2026-11-30 12:04:15 INFO     rasa.engine.training.hooks  - Finished training component 'CountVectorsFeaturizer'.
2026-11-30 12:04:22 INFO     rasa.engine.training.hooks  - Starting to train component 'DIETClassifier'.
Epochs:   0%|          | 0/50 [00:00<?, ?it/s]
Epochs:   2%|▏         | 1/50 [00:08<07:08,  8.75s/it, t_loss=4.17, i_acc=0.62]
Epochs: 100%|██████████| 50/50 [01:40<00:00,  2.02s/it, t_loss=1.11, i_acc=0.999]
2026-11-30 12:06:06 INFO     rasa.engine.training.hooks  - Finished training component 'DIETClassifier'.
2026-11-30 12:06:06 INFO     rasa.engine.training.hooks  - Starting to train component 'ResponseSelector'.
Epochs:  25%|██▌       | 10/40 [00:20<01:00,  2.00s/it, t_loss=2.2]
"""


TESTS = comparison.tests_sha256()


def project_copy(folder):
    project = folder / "project"
    project.mkdir()
    for name in ("config.yml", "domain.yml"):
        shutil.copyfile(paths.ROOT / name, project / name)
    shutil.copytree(paths.ROOT / "data", project / "data")
    return project


def fake_model(folder, content: bytes):
    path = folder / f"model-{len(list(folder.glob('model-*')))}.tar.gz"
    path.write_bytes(gzip.compress(content, mtime=0))
    return path


def evaluation(topic=0.95, intent=0.95, answer=0.95, failed=(), taken_for=None):
    languages = {}
    for language in ("sv", "en"):
        languages[language] = {"intent_accuracy": intent, "answer_accuracy": answer, "topic_accuracy": topic,
                               "sentences": 600, "taken_for": taken_for or [["koden kom inte", "no_sms_code", "no_sms_code"],
                                                                          ["mejlet kom inte", "no_email", "no_email"]]}
    # As every evaluation has it: the messages in other languages, a "language" of their own.
    languages["other"] = {"other_language_recognised": 0.95, "sentences": 190,
                          "taken_for": [["hola amigo", "other_language", "other_language"]]}
    return {"languages": languages, "stories": {"run": 3, "failed": list(failed)}, "tests_sha256": TESTS}


# ----- data archives and patches

def test_the_same_training_files_pack_into_the_same_bytes_and_restore_exactly(tmp_path):
    project = project_copy(tmp_path)
    first = snapshot.pack(project)
    assert snapshot.pack(project) == first
    (project / "data" / "nlu" / "sv" / "no_email.yml").write_text("version: '3.1'\nnlu: []\n", encoding="utf-8")
    (project / "data" / "new.yml").write_text("version: '3.1'\n", encoding="utf-8")
    changed = snapshot.pack(project)
    assert snapshot.sha256(changed) != snapshot.sha256(first)
    archive = tmp_path / "first.tar.gz"
    archive.write_bytes(first)
    snapshot.restore(archive, project)
    assert snapshot.pack(project) == first
    assert not (project / "data" / "new.yml").exists()


def test_an_archive_with_anything_but_training_files_is_refused_and_changes_nothing(tmp_path):
    project = project_copy(tmp_path)
    before = snapshot.pack(project)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as archive:
        for name in ("domain.yml", "data/../../escaped.yml"):
            info = tarfile.TarInfo(name)
            info.size = 1
            archive.addfile(info, io.BytesIO(b"x"))
    hostile = tmp_path / "hostile.tar.gz"
    hostile.write_bytes(raw.getvalue())
    with pytest.raises(ValueError):
        snapshot.restore(hostile, project)
    assert snapshot.pack(project) == before and not (tmp_path / "escaped.yml").exists()


def test_the_patch_applies_to_the_repository_and_makes_its_files_those_of_the_model(tmp_path):
    repository = project_copy(tmp_path)
    git = ["git", "-C", str(repository), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "repository"], check=True)
    edited = tmp_path / "edited"
    shutil.copytree(repository, edited, ignore=shutil.ignore_patterns(".git"))
    nlu = edited / "data" / "nlu" / "sv" / "no_email.yml"
    nlu.write_text(nlu.read_text(encoding="utf-8") + "    - mejlet med koden dyker aldrig upp\n", encoding="utf-8")
    (edited / "data" / "nlu" / "sv" / "extra.yml").write_text("version: '3.1'\n", encoding="utf-8")
    (edited / "data" / "nlu" / "en" / "out_of_scope.yml").unlink()
    archive = tmp_path / "edited.tar.gz"
    archive.write_bytes(snapshot.pack(edited))

    diff = snapshot.patch(archive, repository)
    assert "+    - mejlet med koden dyker aldrig upp" in diff and "new file mode" in diff and "deleted file mode" in diff
    subprocess.run(["git", "-C", str(repository), "apply", "-"], input=diff.encode("utf-8"), check=True)
    assert snapshot.pack(repository) == snapshot.pack(edited)


# ----- records

def test_a_model_is_kept_once_and_the_latest_activation_names_the_live_one(tmp_path):
    engine = _engine(tmp_path)
    store = tmp_path / "store"
    data = snapshot.pack(project_copy(tmp_path))
    first = registry.add(engine, store, fake_model(tmp_path, b"one"), data, registry.COMMAND_LINE, "make")
    again = registry.add(engine, store, fake_model(tmp_path, b"one"), data, registry.CONSOLE, "lea")
    second = registry.add(engine, store, fake_model(tmp_path, b"two"), data, registry.CONSOLE, "lea")
    assert again == first and [m.id for m in registry.all_models(engine)] == [second.id, first.id]
    assert registry.model_file(store, first.sha256).read_bytes() == gzip.compress(b"one", mtime=0)
    assert registry.active(engine) is None
    registry.activate(engine, first.id, "make", registry.FIRST)
    registry.activate(engine, second.id, "lea", registry.ACTIVATED)
    assert registry.active(engine).id == second.id
    registry.activate(engine, first.id, "lea", registry.ROLLED_BACK)
    assert registry.active(engine).id == first.id
    assert [(a.model_id, a.kind) for a in registry.history(engine)] == [
        (first.id, "rollback"), (second.id, "activated"), (first.id, "first")]


def _engine(folder):
    from assistant.console.store import open_database

    return open_database(sqlite_endpoints(folder))


# ----- the gate

def test_a_model_within_the_margin_may_go_live_and_one_worse_beyond_it_may_not():
    live = evaluation(topic=0.95)
    assert comparison.compare(evaluation(topic=0.945), live, margin=1.0).allowed
    refused = comparison.compare(evaluation(topic=0.93), live, margin=1.0)
    assert not refused.allowed
    assert {(row.language, row.figure) for row in refused.worse} == {("sv", "topic_accuracy"), ("en", "topic_accuracy")}
    assert not comparison.compare(evaluation(failed=["sms code, in English"]), live).allowed
    assert comparison.compare(evaluation(topic=0.5), None).allowed  # nothing live to be worse than


def test_a_model_worse_on_one_class_of_sentences_or_on_other_languages_is_refused():
    def with_classes(story=0.95, other=0.98):
        result = evaluation()
        for language in ("sv", "en"):
            result["languages"][language].update(
                class_clean=0.95, class_story=story, sentences_per_class={"class_clean": 400, "class_story": 63})
        result["languages"]["other"] = {"other_language_recognised": other, "sentences": 190,
                                        "taken_for": [["hola amigo", "other_language", "other_language"]]}
        return result

    live = with_classes()
    same = comparison.compare(with_classes(), live)
    assert same.allowed
    assert [(r.language, r.figure) for r in same.figures if r.language == "sv"] == [
        ("sv", "intent_accuracy"), ("sv", "answer_accuracy"), ("sv", "topic_accuracy"), ("sv", "class_clean"),
        ("sv", "class_story")]
    assert [(r.language, r.figure) for r in same.figures if r.language == "other"] == [
        ("other", "other_language_recognised")]
    stories_worse = comparison.compare(with_classes(story=0.90), live)
    assert {(r.language, r.figure) for r in stories_worse.worse} == {("sv", "class_story"), ("en", "class_story")}
    # Within two sentences' worth of a class of 63 (3.2 points): the noise of a retrain.
    assert comparison.compare(with_classes(story=0.925), live).allowed
    other_worse = comparison.compare(with_classes(other=0.90), live)
    assert {(r.language, r.figure) for r in other_worse.worse} == {("other", "other_language_recognised")}


def test_the_comparison_lists_the_sentences_and_confusions_that_changed_the_worse_first():
    live = evaluation(taken_for=[["koden kom inte", "no_sms_code", "no_sms_code"],
                                 ["mejlet kom inte", "no_email", "faq/change_email"]])
    candidate = evaluation(taken_for=[["koden kom inte", "no_sms_code", "no_email"],
                                      ["mejlet kom inte", "no_email", "no_email"]])
    result = comparison.compare(candidate, live)
    sv = [s for s in result.sentences if s.language == "sv"]
    assert [(s.text, s.live, s.candidate, s.better) for s in sv] == [
        ("koden kom inte", "no_sms_code", "no_email", False), ("mejlet kom inte", "faq/change_email", "no_email", True)]
    assert ("sv", "no_sms_code", "no_email", 0, 1) in result.confusions
    assert ("sv", "no_email", "faq/change_email", 1, 0) in result.confusions
    assert result.confusions.index(("sv", "no_sms_code", "no_email", 0, 1)) < result.confusions.index(
        ("sv", "no_email", "faq/change_email", 1, 0))


def test_models_evaluated_on_other_test_sentences_are_not_compared():
    other = {**evaluation(), "tests_sha256": "0" * 64}
    result = comparison.compare(evaluation(topic=0.99), other)
    assert result.other_tests and not result.allowed


@pytest.mark.parametrize("value", ["many", "-1", "101"])
def test_a_margin_that_is_no_percentage_stops_with_the_setting_named(value):
    with pytest.raises(ValueError, match="MODEL_GATE_MARGIN_POINTS"):
        comparison.margin_points({"MODEL_GATE_MARGIN_POINTS": value})


# ----- jobs

def test_the_progress_is_read_from_what_rasa_train_prints(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n- name: DIETClassifier\n  epochs: 50\n- name: ResponseSelector\n  epochs: 40\n"
                      "policies:\n- name: TEDPolicy\n  epochs: 20\n", encoding="utf-8")
    progress = jobs.Progress(jobs.planned_epochs(config))
    for line in TRAINING_OUTPUT.splitlines():
        progress.read(line)
    shown = progress.as_dict()
    assert (shown["component"], shown["epoch"], shown["epochs"]) == ("ResponseSelector", 10, 40)
    # 50 of DIET's 50 epochs and 10 of the ResponseSelector's 40, of 50 + 40 + TED's 20.
    assert shown["percent"] == int(100 * 60 / 110)


def test_one_job_runs_at_a_time_a_waiting_training_is_not_queued_twice_and_a_stopped_one_is_said(tmp_path):
    engine = _engine(tmp_path)
    first = jobs.request(engine, jobs.TRAIN, "lea")
    assert jobs.request(engine, jobs.TRAIN, "lars").id == first.id
    claimed = jobs._claim_next(engine)
    assert claimed.id == first.id and claimed.status == jobs.TRAINING
    second = jobs.request(engine, jobs.TRAIN, "lars")
    assert second.id != first.id and jobs._claim_next(engine) is None
    assert [j.id for j in jobs.waiting_and_running(engine)] == [first.id, second.id]
    assert jobs.interrupt_unfinished(engine) == 1
    assert jobs.get(engine, first.id).status == jobs.INTERRUPTED


def test_a_training_that_fails_ends_failed_with_its_log_and_keeps_no_model(tmp_path):
    engine = _engine(tmp_path)
    project = project_copy(tmp_path)
    (project / "domain.yml").write_text("responses: [this is not a domain\n", encoding="utf-8")
    jobs.request(engine, jobs.TRAIN, "lea")
    done = jobs.Runner(engine, project, tmp_path / "store").run_next()
    assert done.status == jobs.FAILED and "rasa train stopped" in done.log and len(done.log.splitlines()) > 1
    assert registry.all_models(engine) == []


def test_a_model_whose_evaluation_failed_is_evaluated_again_only_when_asked(tmp_path):
    engine = _engine(tmp_path)
    model = registry.add(engine, tmp_path / "store", fake_model(tmp_path, b"broken"), b"data", registry.CONSOLE, "lea")
    jobs.evaluate_newcomers(engine, tests=TESTS)
    [queued] = jobs.waiting_and_running(engine)
    assert (queued.kind, queued.model_id) == (jobs.EVALUATE, model.id)
    done = jobs.Runner(engine, project_copy(tmp_path), tmp_path / "store").run_next()
    assert done.status == jobs.FAILED and done.log  # a file that is no model
    jobs.evaluate_newcomers(engine, tests=TESTS)
    assert jobs.waiting_and_running(engine) == [] and model.id in jobs.failed_evaluations(engine)
    jobs.request(engine, jobs.EVALUATE, "lea", model.id)  # the lead's "evaluate again"
    assert len(jobs.waiting_and_running(engine)) == 1


def test_the_live_model_is_evaluated_again_when_the_test_sentences_changed(tmp_path):
    engine = _engine(tmp_path)
    live = registry.add(engine, tmp_path / "store", fake_model(tmp_path, b"live"), b"data", registry.COMMAND_LINE, "make")
    registry.activate(engine, live.id, "make", registry.FIRST)
    registry.set_evaluation(engine, live.id, evaluation())
    jobs.evaluate_newcomers(engine, tests=TESTS)
    assert jobs.waiting_and_running(engine) == []
    jobs.evaluate_newcomers(engine, tests="1" * 64)
    assert [j.model_id for j in jobs.waiting_and_running(engine)] == [live.id]


# ----- the model server

def test_the_model_server_hands_out_the_live_model_to_the_token_only_and_says_when_it_is_unchanged(tmp_path):
    endpoints = sqlite_endpoints(tmp_path)
    from assistant.console.store import open_database

    engine = open_database(endpoints)
    store = tmp_path / "store"
    data = snapshot.pack(project_copy(tmp_path))
    one = registry.add(engine, store, fake_model(tmp_path, b"one"), data, registry.COMMAND_LINE, "make")
    two = registry.add(engine, store, fake_model(tmp_path, b"two"), data, registry.CONSOLE, "lea")
    port = deployment.free_port()
    env = {"MODEL_STORE_PORT": str(port), "MODEL_STORE_INTERFACE": "127.0.0.1", "MODEL_STORE_TOKEN": "s3cret",
           "MODEL_STORE_DIR": str(store)}
    server = deployment.start_model_store(env, tmp_path, endpoints)
    url = f"http://127.0.0.1:{port}/models/live"
    try:
        assert requests.get(url, params={"token": "s3cret"}, timeout=5).status_code == 404  # none live yet
        registry.activate(engine, one.id, "make", registry.FIRST)
        assert requests.get(url, timeout=5).status_code == 401
        assert requests.get(url, params={"token": "s3cre"}, timeout=5).status_code == 401
        # The server asks the database at most once a second.
        deployment.wait_for(lambda: requests.get(url, params={"token": "s3cret"}, timeout=5).status_code == 200,
                            [server], "The first model", timeout=10)
        reply = requests.get(url, params={"token": "s3cret"}, timeout=5)
        assert reply.status_code == 200 and reply.content == gzip.compress(b"one", mtime=0)
        assert reply.headers["ETag"] == one.sha256
        unchanged = requests.get(url, params={"token": "s3cret"}, headers={"If-None-Match": one.sha256}, timeout=5)
        assert unchanged.status_code == 304 and not unchanged.content
        registry.activate(engine, two.id, "lea", registry.ACTIVATED)
        deployment.wait_for(lambda: requests.get(url, params={"token": "s3cret"}, timeout=5,
                                                 headers={"If-None-Match": one.sha256}).status_code == 200,
                            [server], "The new model", timeout=10)
        assert requests.get(url, params={"token": "s3cret"}, timeout=5).content == gzip.compress(b"two", mtime=0)
    finally:
        server.stop()


def test_the_evaluation_kept_with_a_model_is_plain_json(tmp_path):
    engine = _engine(tmp_path)
    model = registry.add(engine, tmp_path / "store", fake_model(tmp_path, b"one"), b"data", registry.CONSOLE, "lea")
    registry.set_evaluation(engine, model.id, evaluation())
    assert registry.get(engine, model.id).evaluation == json.loads(json.dumps(evaluation()))
    assert registry.unevaluated(engine) == []


def test_every_class_of_held_out_sentences_has_a_name_on_the_comparison_page():
    from assistant.console.texts import TEXTS
    from assistant.review.evaluation import held_out

    classes = {held_out_class for language in ("sv", "en") for _, _, held_out_class in held_out(language)}
    assert {"clean", "story", "mixed", "misspelt"} <= classes
    assert [name for name in classes if f"figure_{comparison.CLASS_PREFIX}{name}" not in TEXTS] == []
    assert f"figure_{comparison.OTHER_FIGURE}" in TEXTS and f"language_{comparison.OTHER}" in TEXTS
