"""Every section of the page "Teknisk support" is answered, in Swedish and English.

content/coverage-map.yml maps each heading and paragraph of the page to a topic; these tests
hold it to the page, the domain and the training data."""

import pytest
import yaml

from tests.conftest import (
    COVERAGE_MAP as MAP,
    DOMAIN,
    LANGUAGES,
    ROOT,
    response_variation,
    training_examples,
)

PAGE = ROOT / "content" / "teknisk-support.txt"
SHARED_PAGE = ROOT.parent / "shared" / "seed" / "teknisk-support.txt"
PAGE_TEXT = PAGE.read_text(encoding="utf-8")


def headings(text: str):
    """Lines of the page that are headings or questions: no closing full stop or colon."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.endswith((".", ":"))]


def languages_of(response_name: str):
    """{"sv", "en"} when the response has a Swedish default and an English variation."""
    return {language for language in LANGUAGES if response_variation(response_name, language)}


def answer_of(topic: str) -> str:
    if topic.startswith("faq/"):
        return f"utter_{topic}"
    return MAP["topics"][topic]["answer"]


def dialogue_steps():
    files = [ROOT / "data" / "rules.yml", *sorted((ROOT / "data" / "stories").glob("*.yml"))]
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data.get("rules", []) + data.get("stories", []):
            yield block["steps"]


@pytest.mark.skipif(not SHARED_PAGE.exists(), reason="the shared seed page is not beside this clone")
def test_the_copy_of_the_page_is_the_agencys_current_page():
    assert PAGE_TEXT == SHARED_PAGE.read_text(encoding="utf-8")


def test_every_heading_of_the_page_is_mapped():
    mapped = set(MAP["group_headings"]) | {section["page"] for section in MAP["sections"]}
    assert [heading for heading in headings(PAGE_TEXT) if heading not in mapped] == []


def test_every_mapped_passage_is_on_the_page():
    passages = MAP["group_headings"] + [section["page"] for section in MAP["sections"]]
    assert [passage for passage in passages if passage not in PAGE_TEXT] == []


@pytest.mark.parametrize("section", MAP["sections"], ids=lambda s: s["page"][:50])
def test_every_section_has_an_answer_in_both_languages(section):
    topic = section["topic"]
    assert topic in MAP["topics"], f"{topic} has no entry under topics"
    assert languages_of(answer_of(topic)) == set(LANGUAGES), answer_of(topic)


@pytest.mark.parametrize("topic", [t for t in MAP["topics"] if t.startswith("faq/")])
def test_every_faq_button_is_a_training_example_of_its_topic(topic):
    # The button sends its title as the user's message, so the NLU must know it. The
    # featurizers ignore case and the closing question mark, so the title may have them.
    def plain(text):
        return text.lower().rstrip("?")

    for language in LANGUAGES:
        examples = {plain(text) for text, intent in training_examples(language) if intent == topic}
        assert plain(MAP["topics"][topic][language]) in examples, (topic, language)


@pytest.mark.parametrize("topic", [t for t in MAP["topics"] if not t.startswith("faq/")])
def test_every_intent_topic_is_answered_by_the_dialogue(topic):
    assert topic in DOMAIN["intents"]
    assert MAP["topics"][topic]["payload"] == f"/{topic}"
    first_actions = {
        steps[index + 1].get("action")
        for steps in dialogue_steps()
        for index, step in enumerate(steps[:-1])
        if step.get("intent") == topic
    }
    custom_actions = set(DOMAIN["actions"])
    assert MAP["topics"][topic]["answer"] in first_actions or first_actions & custom_actions


def test_every_faq_topic_in_the_data_and_domain_is_on_the_map():
    trained = {intent for lang in LANGUAGES for _, intent in training_examples(lang)}
    in_domain = {name[len("utter_"):] for name in DOMAIN["responses"] if name.startswith("utter_faq/")}
    faq_topics = {t for t in trained if t.startswith("faq/")} | in_domain
    mapped = {section["topic"] for section in MAP["sections"]}
    assert faq_topics - mapped == set()


def test_the_greetings_buttons_are_the_topics_offered_when_nothing_is_clear():
    from actions.topics import DEFAULT_TOPICS, HANDOFF_TOPIC, button

    for language in LANGUAGES:
        greeting = response_variation("utter_greet", language)
        expected = [button(topic, language) for topic in DEFAULT_TOPICS + [HANDOFF_TOPIC]]
        assert greeting["buttons"] == expected
