"""Faults in the scaled profile, each made for real (a process stopped or killed, a network
path to PostgreSQL or Redis cut): what the user sees, and that the conversation goes on from
where it was, stored once."""
import pytest

from assistant.channels.edge import REPLIES
from tests.helpers import PHONE, assert_handoff, assert_in_language, joined

pytestmark = pytest.mark.e2e

SMS_CODE = "jag får ingen sms-kod när jag loggar in"
NO = "nej det hjälpte inte"


def session_starts(cluster, sender):
    return [kind for kind, _ in cluster.stored(sender)].count("session_started")


def test_action_server_stopped_the_user_is_told_how_to_get_help_and_it_goes_on_when_back(services_restored):
    cluster = services_restored
    first, second = cluster.instances[:2]
    sender, english, new = (f"actions-down-{n}-{cluster.database}" for n in range(3))
    assert "Hjälpte det?" in joined(first.say(sender, SMS_CODE))
    english_advice = first.say(english, "the sms code never comes to my phone")
    assert_in_language(english_advice, "en")

    cluster.stop_actions()
    # The advice ran out: the handoff is an action of the action server, which is down.
    apology = second.say(sender, NO)
    assert PHONE in joined(apology) and "Förlåt" in joined(apology)
    assert_in_language(apology, "sv")
    assert "knappval 7" in joined(apology)
    apology = first.say(english, "no it did not help")
    assert PHONE in joined(apology) and "sorry" in joined(apology)
    assert_in_language(apology, "en")
    # A new conversation starts without the project's session start and is still answered.
    greeting = second.say(new, "hej")
    assert "Vad har du för problem?" in joined(greeting)

    cluster.start_actions()
    handoff = first.say(sender, "jag vill prata med en människa")
    assert_handoff(handoff, "sv")
    assert "Förlåt, något gick fel" not in joined(handoff)
    assert cluster.user_texts(sender) == [SMS_CODE, NO, "jag vill prata med en människa"]
    assert session_starts(cluster, sender) == 1


@pytest.mark.parametrize("service", ["postgres", "redis"])
def test_store_out_of_reach_gives_a_clear_503_and_nothing_is_lost_or_reset(services_restored, service):
    cluster = services_restored
    first, second = cluster.instances[:2]
    sender = f"{service}-down-{cluster.database}"
    assert "Hjälpte det?" in joined(first.say(sender, SMS_CODE))
    stored_before = cluster.stored(sender)

    getattr(cluster, service).cut()
    for instance in (first, second):  # the first one has the conversation in its cache
        response = instance.post(sender, NO)
        assert response.status_code == 503, response.text
        # In the message's language: the store that would say the conversation's is down.
        assert response.json()["error"] == REPLIES["unavailable"]["sv"]
        assert int(response.headers["Retry-After"]) > 0
    getattr(cluster, service).restore()

    assert cluster.stored(sender) == stored_before
    # The connections the cut closed are replaced as they are used: nothing fails once the
    # service is back, on any instance or worker (the second instance has two).
    for n in range(4):
        for instance in (first, second):
            assert instance.post(f"{sender}-after-{n}", "hej").status_code == 200
    # Sent again, the message is answered from where the conversation was: the advice ran out.
    assert_handoff(second.say(sender, NO), "sv")
    assert cluster.user_texts(sender) == [SMS_CODE, NO]
    assert session_starts(cluster, sender) == 1


def test_an_instance_killed_the_other_goes_on_with_the_same_conversation(services_restored, model_path):
    cluster = services_restored
    survivor = cluster.instances[0]
    doomed = cluster.start_instance()
    cluster.wait_until_answering([doomed])
    sender = f"killed-{cluster.database}"
    assert "skräppost" in joined(doomed.say(sender, "jag har inte fått något mejl med koden"))
    second_step = doomed.say(sender, NO)
    assert PHONE not in joined(second_step)

    doomed.kill()

    # Only the previous two turns make this the end of the no-email advice.
    assert_handoff(survivor.say(sender, NO), "sv")
    assert cluster.user_texts(sender) == ["jag har inte fått något mejl med koden", NO, NO]
    assert session_starts(cluster, sender) == 1
