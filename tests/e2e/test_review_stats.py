"""Usage figures from a tracker store filled by real conversations over REST."""
import uuid

import pytest

from assistant.review import stats
from assistant.review.conversations import stored_conversations

pytestmark = pytest.mark.e2e


def test_usage_figures_count_real_conversations(bot, tmp_path):
    helped, not_helped = f"stats-sv-{uuid.uuid4()}", f"stats-en-{uuid.uuid4()}"
    bot.say(helped, "jag får ingen sms-kod")
    bot.say(helped, "ja det hjälpte")
    bot.say(not_helped, "the card payment does not go through")
    bot.say(not_helped, "no")  # → technical support

    ours = [(s, e) for s, e in stored_conversations(bot.endpoints) if s in (helped, not_helped)]
    figures = stats.usage(ours)

    assert (figures["sv"].conversations, figures["sv"].handoffs) == (1, 0)
    assert (figures["en"].conversations, figures["en"].handoffs) == (1, 1)
    assert figures["sv"].helped_rate("no_sms_code") == 1.0
    assert figures["en"].helped_rate("card_payment_failed") == 0.0

    # `make stats` over the whole store writes the table and the chart.
    assert stats.main(["--endpoints", str(bot.endpoints), "--out", str(tmp_path / "stats")]) == 0
    assert "| card_payment_failed |" in (tmp_path / "stats" / "usage.md").read_text(encoding="utf-8")
    assert (tmp_path / "stats" / "usage.png").stat().st_size > 5_000
