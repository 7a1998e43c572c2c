"""The page-answer selector (assistant/nlu/page_answer.py) leaves out Rasa's ResponseSelector
where none of its answers can reach the user: what the user gets must be the same as with the
selector asked for every message."""
import pytest

from actions.topics import likely_topics
from assistant import paths
from assistant.nlu.page_answer import PageAnswerSelector
from assistant.review.conversations import prediction
from assistant.review.evaluation import LANGUAGES, held_out, other_language_sentences, topic_of
from bench.conversations import scripts
from tests.conftest import TRAINING_OUTPUT

pytestmark = pytest.mark.model


def _messages():
    """Held-out sentences of every class and language, in other languages (where the language
    detector may set DIET's first choice aside), and what the test stories' users type."""
    texts = [text for language in LANGUAGES for text, _, _ in held_out(language)]
    texts += [text for text, _ in other_language_sentences()]
    texts += [text for script in scripts(paths.TEST_STORIES) for text in script.messages]
    return texts


def _seen_by_the_user(result):
    """The answer (or intent) acted on, the fallback's topic buttons, the console's best guess
    and its confidence."""
    return topic_of(result), likely_topics(result), prediction(result)


def test_leaving_the_selector_out_changes_nothing_a_user_or_the_console_sees(parse, monkeypatch):
    texts = _messages()
    selective = parse(texts)
    greeting = parse(["hej"])[0]
    monkeypatch.setattr(PageAnswerSelector, "answer_can_matter", lambda self, message: True)
    always = parse(texts)

    seen = [(text, _seen_by_the_user(a), _seen_by_the_user(b)) for text, a, b in zip(texts, selective, always)]
    assert [differing for differing in seen if differing[1] != differing[2]] == []
    # And it is left out: most messages are no page question.
    left_out = [text for text, result in zip(texts, selective) if "response_selector" not in result]
    assert len(left_out) > len(texts) / 2, len(left_out)
    assert "response_selector" not in greeting
    # And asked where page questions are likely but not first, for the fallback's buttons.
    assert [text for text, result in zip(texts, selective)
            if "response_selector" in result and result["intent"]["name"] != "faq"]


def test_training_is_not_told_that_the_page_answers_go_unused(worse_model):
    """Rasa's recipe validator warns when no ResponseSelector of its own reads the page
    questions; a training with the subclass must not say so (the tests' small configuration
    uses it as config.yml does)."""
    said = (worse_model.parent / TRAINING_OUTPUT).read_text(encoding="utf-8")
    assert "Your Rasa model is trained" in said
    assert "response selector" not in said.lower()
