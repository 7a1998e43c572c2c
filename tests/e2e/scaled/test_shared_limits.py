"""The rate limit counts in Redis: a conversation spread over the instances is counted once."""
import time
import uuid

import pytest

from tests.e2e.scaled.conftest import RATE_LIMIT_PER_SENDER, RATE_LIMIT_WINDOW_SECONDS

pytestmark = pytest.mark.e2e


def test_a_conversation_sending_too_fast_is_stopped_whichever_instance_it_reaches(cluster):
    first, second = cluster.instances[:2]
    time.sleep(RATE_LIMIT_WINDOW_SECONDS - time.time() % RATE_LIMIT_WINDOW_SECONDS + 0.05)
    sender = f"fast-{uuid.uuid4()}"
    statuses = [(first, second)[n % 2].post(sender, "hej").status_code for n in range(RATE_LIMIT_PER_SENDER + 1)]
    # Each instance alone has seen only half as many.
    assert statuses == [200] * RATE_LIMIT_PER_SENDER + [429]
    assert cluster.user_texts(sender) == ["hej"] * RATE_LIMIT_PER_SENDER
