"""Questions in plain words, end to end: mentions answered in threads, DMs in the conversation, honest
declines recorded for content owners, feedback recorded, and never a double answer."""

from __future__ import annotations

import asyncio

import pytest

from bot.fakeslack import BOT_USER_ID
from bot.payloads import message_event
from tests.slack import CHANNEL, SERVICES_WITH_STANDARDS, TEAM, USER, RunningApp, button, eventually, new_ts


def mention(text: str, *, ts: str, thread_ts: str | None = None) -> dict[str, object]:
    return message_event(
        f"<@{BOT_USER_ID}> {text}",
        channel=CHANNEL,
        user=USER,
        ts=ts,
        team_id=TEAM,
        thread_ts=thread_ts,
        mention=True,
    )


def channel_message(text: str, *, ts: str, thread_ts: str | None = None) -> dict[str, object]:
    return message_event(text, channel=CHANNEL, user=USER, ts=ts, team_id=TEAM, thread_ts=thread_ts)


def dm(text: str, *, ts: str) -> dict[str, object]:
    return message_event(text, channel="D0DIRECT", user=USER, ts=ts, team_id=TEAM, channel_type="im")


async def test_mention_is_answered_in_its_thread(app: RunningApp) -> None:
    ts = new_ts()
    response = await app.event(mention("do we have to consult families?", ts=ts))
    assert response.status == 200
    [posted] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert posted.payload["channel"] == CHANNEL
    assert posted.payload["thread_ts"] == ts
    assert (
        "Put the needs of children, young people and families first and ensure that they are engaged and consulted."
        in posted.text
    )
    assert "5 - Commissioning Principles" in posted.text
    assert "Helpful" in posted.text and "Share in channel" not in posted.text  # already public


async def test_follow_up_mention_in_a_thread_stays_in_that_thread(app: RunningApp) -> None:
    parent = new_ts()
    await app.event(mention("early intervention", ts=parent))
    await app.event(mention("and what about value for money?", ts=new_ts(), thread_ts=parent))
    posts = await app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=2)
    assert [p.payload["thread_ts"] for p in posts] == [parent, parent]
    texts = sorted(p.text for p in posts)
    assert any("Provide preventative services at the earliest appropriate moment." in t for t in texts)
    assert any("Spend money wisely" in t for t in texts)


async def test_direct_message_is_answered_in_the_conversation(app: RunningApp) -> None:
    await app.event(dm("which services have national minimum standards?", ts=new_ts()))
    [posted] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert posted.payload["channel"] == "D0DIRECT"
    assert "thread_ts" not in posted.payload
    for service in SERVICES_WITH_STANDARDS:
        assert service in posted.text


async def test_an_entry_that_leads_into_a_list_is_shown_with_the_list(app: RunningApp) -> None:
    await app.event(dm("what does the department of health provide standards for", ts=new_ts()))
    [posted] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert "for the following social care services:" in posted.text
    for service in SERVICES_WITH_STANDARDS:
        assert service in posted.text


async def test_exact_references_win_even_with_typos(app: RunningApp) -> None:
    for question in ("pricniple 9", "the ninth principle", "NOS function 3"):
        await app.event(dm(question, ts=new_ts()))
    posts = await app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=3)
    assert sum("Spend money wisely to secure" in p.text for p in posts) == 2
    assert any("meet legal, ethical and regulatory requirements" in p.text for p in posts)


async def test_out_of_scope_question_is_declined_and_recorded_without_the_user(app: RunningApp) -> None:
    await app.event(dm("what's the weather in Leicester?", ts=new_ts()))
    [posted] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert "outside what it covers" in posted.text
    assert "/principle" in posted.text  # says what it can answer
    for _ in range(40):  # recorded just after the answer is posted
        if questions := await app.deps.store.unanswered_questions():
            break
        await asyncio.sleep(0.05)
    assert [q.text for q in questions] == ["what's the weather in Leicester?"]
    assert USER not in repr(questions)


async def test_a_declined_mention_quotes_the_question_as_the_person_wrote_it(app: RunningApp) -> None:
    await app.event(
        mention("<!channel> what's the weather in <https://evil.example|Leicester>?", ts=new_ts())
    )
    [posted] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert "“what's the weather in Leicester?” is outside what it covers" in posted.text
    assert "<!channel>" not in posted.text and "U0GUIDEBOT" not in posted.text and "evil" not in posted.text


async def test_slack_escaped_characters_are_read_and_quoted_as_typed(app: RunningApp) -> None:
    """Slack sends &, < and > as &amp;, &lt; and &gt; (a pasted quote arrives as "&gt; from Priya: ..."): they are
    read as the characters typed, not as words, and a quoted question shows them once, as typed."""
    await app.event(mention("&gt; from Priya: which principle is about working with providers?", ts=new_ts()))
    [posted] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert "Provide timely information to providers and work constructively with them." in posted.text
    await app.event(mention("what's the wifi password &amp; the door code &lt;3", ts=new_ts()))
    declined = (await app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=2))[-1]
    section = next(b for b in declined.payload["blocks"] if b["type"] == "section")
    assert (
        "“what's the wifi password &amp; the door code &lt;3” is outside what it covers"
        in section["text"]["text"]
    )
    assert "&amp;amp;" not in str(declined.payload["blocks"])


@pytest.mark.xfail(
    strict=True,
    reason="answered with principle 8 since the word model reads the question's form, not its topic words "
    "(issue 13: the trade for content a team can change without retraining)",
)
async def test_a_near_miss_is_declined_and_offers_the_nearest_entry_behind_a_button(app: RunningApp) -> None:
    # the framework has a principle on reviewing services, but says nothing of what changed in a review
    question = "in the last principles review what changed"
    await app.event(mention(question, ts=new_ts()))
    [posted] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert f"“{question}” is outside what it covers" in posted.text
    assert (
        "The nearest the framework comes is *Principle 8: Evaluate services and their impact*" in posted.text
    )
    assert "Continuously evaluate" not in posted.text  # offered, not quoted as if it were the answer
    show = button(posted.payload, "Show it")
    message = {
        "type": "message",
        "ts": "1700000000.000200",
        "text": posted.text,
        "blocks": posted.payload["blocks"],
    }
    _, key = await app.click(
        show, block_id="nearest", is_ephemeral=False, message_ts="1700000000.000200", message=message
    )
    [shown] = await app.fake.wait_for(lambda c: c.method == key)
    assert shown.payload["response_type"] == "ephemeral"
    assert "Continuously evaluate current and developing services" in shown.text and "Helpful" in shown.text
    recorded = await eventually(app.deps.store.unanswered_questions, bool)
    assert [q.text for q in recorded] == [question]


async def test_empty_mention_gets_the_help_card(app: RunningApp) -> None:
    await app.event(
        message_event(
            f"<@{BOT_USER_ID}>", channel=CHANNEL, user=USER, ts=new_ts(), team_id=TEAM, mention=True
        )
    )
    [posted] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    assert "/principle" in posted.text and "/standards" in posted.text
    assert await app.deps.store.unanswered_questions() == []


async def test_mention_delivered_twice_and_retried_is_answered_once(app: RunningApp) -> None:
    ts = new_ts()
    # Slack sends a channel mention as app_mention and as message.channels, and may retry either.
    await asyncio.gather(
        app.event(mention("when do the NOS launch", ts=ts)),
        app.event(channel_message(f"<@{BOT_USER_ID}> when do the NOS launch", ts=ts)),
        app.event(
            mention("when do the NOS launch", ts=ts),
            extra_headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
        ),
    )
    await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    await asyncio.sleep(0.5)
    posts = app.fake.api_calls("chat.postMessage")
    assert len(posts) == 1
    assert "will be launched during 2007" in posts[0].text


async def test_bots_and_the_app_itself_are_never_answered(app: RunningApp) -> None:
    own = message_event(
        "principle 9", channel="D0DIRECT", user=BOT_USER_ID, ts=new_ts(), team_id=TEAM, channel_type="im"
    )
    other = dict(
        message_event(
            "principle 9", channel="D0DIRECT", user="U0OTHERBOT", ts=new_ts(), team_id=TEAM, channel_type="im"
        ),
        bot_id="B0OTHER",
    )
    edited = dict(dm("principle 9", ts=new_ts()), subtype="message_changed")
    for event in (own, other, edited):
        assert (await app.event(event)).status == 200
    await asyncio.sleep(0.5)
    assert app.fake.api_calls("chat.postMessage") == []


async def test_plain_channel_messages_are_not_answered(app: RunningApp) -> None:
    await app.event(channel_message("lunch anyone? principle 9 is my favourite", ts=new_ts()))
    await asyncio.sleep(0.3)
    assert app.fake.api_calls("chat.postMessage") == []


async def test_feedback_is_recorded_and_thanked_privately_leaving_the_buttons_for_others(
    app: RunningApp,
) -> None:
    ts = new_ts()
    await app.event(mention("whats the principle about value for money", ts=ts))
    [posted] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    helpful = button(posted.payload, "Helpful")
    message = {
        "type": "message",
        "ts": "1700000000.000100",
        "text": posted.payload["text"],
        "blocks": posted.payload["blocks"],
    }
    _, key = await app.click(helpful, is_ephemeral=False, message_ts="1700000000.000100", message=message)
    [thanked] = await app.fake.wait_for(lambda c: c.method == key)
    assert thanked.payload["response_type"] == "ephemeral" and thanked.payload["replace_original"] is False
    assert "Thanks, glad it helped." in thanked.text
    # A double click records one vote; a colleague's vote counts too.
    await app.click(helpful, is_ephemeral=False, message_ts="1700000000.000100", message=message)
    await app.click(
        helpful, is_ephemeral=False, message_ts="1700000000.000100", message=message, user="U0COLLEAGUE"
    )
    await app.fake.wait_for(lambda c: c.kind == "response", count=3)
    counts = await app.deps.store.feedback_counts()
    assert [(c.entry_id, c.helpful, c.not_helpful) for c in counts] == [("principle-9", 2, 0)]


async def test_private_answers_swap_their_buttons_for_thanks(app: RunningApp) -> None:
    response, _ = await app.command("/commissioning", "value for money")
    _, key = await app.click(button(response.json, "Not helpful"), is_ephemeral=True)
    [replaced] = await app.fake.wait_for(lambda c: c.method == key)
    assert replaced.payload["replace_original"] is True
    assert "Thanks for telling us" in replaced.text and "Not helpful" not in replaced.text
    assert "Spend money wisely" in replaced.text  # the answer stays


async def test_close_calls_offer_did_you_mean_buttons(app: RunningApp) -> None:
    response, _ = await app.command("/commissioning", "outcomes")
    shown = response.shown
    assert "Did you mean" in shown
    alternative = button(response.json, "Did you mean")
    _, key = await app.click(alternative, block_id="alternatives")
    [reply] = await app.fake.wait_for(lambda c: c.method == key)
    assert reply.payload["response_type"] == "ephemeral"
    entry = app.deps.knowledge.current.get(alternative["value"])
    assert entry is not None
    assert entry.label in reply.text and "Helpful" in reply.text


async def test_commissioning_question_is_private_and_shareable(app: RunningApp) -> None:
    response, _ = await app.command("/commissioning", "who is developing the NOS?")
    assert response.json["response_type"] == "ephemeral"
    assert "Skills for Care and Development is developing National Occupational Standards" in response.shown
    assert "Share in channel" in response.shown and "Helpful" in response.shown


async def test_hostile_and_odd_input_is_handled(app: RunningApp) -> None:
    questions = [
        "<!channel> <!here> what is principle <https://evil.example|9>?",
        "🙂🙂🙂 ❤️ 🤔",
        "x" * 100_000,
        "<@U0SOMEONE> <#C0OTHER|general> can you help",
        "\u202e\u200b\u0000 zero width",
    ]
    for text in questions:
        await app.event(dm(text, ts=new_ts()))
    posts = await app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=len(questions))
    for post in posts:
        assert "<!channel>" not in post.text and "<!here>" not in post.text
        assert "https://evil.example" not in post.text
    assert any("Spend money wisely" in p.text for p in posts)  # the link's label "9" still counts


async def test_greetings_and_thanks_get_a_short_reply_not_the_help_screen(app: RunningApp) -> None:
    said = ["hi", "thanks!", "\N{PERSON WITH FOLDED HANDS} thanks", ":wave:", "\N{THUMBS UP SIGN}"]
    for text in said:
        await app.event(dm(text, ts=new_ts()))
    posts = await app.fake.wait_for(lambda c: c.method == "chat.postMessage", count=len(said))
    texts = sorted(str(p.payload["text"]) for p in posts)
    assert all(t.startswith("Hello! Ask me about the commissioning principles") for t in texts[:2])
    assert texts[2:] == ["You're welcome."] * 3
    assert await app.deps.store.unanswered_questions() == []


async def test_a_second_vote_on_the_same_answer_keeps_the_first(app: RunningApp) -> None:
    await app.event(dm("value for money", ts=new_ts()))
    [posted] = await app.fake.wait_for(lambda c: c.method == "chat.postMessage")
    message = {
        "type": "message",
        "ts": "1700000000.000200",
        "text": posted.payload["text"],
        "blocks": posted.payload["blocks"],
    }
    await app.click(
        button(posted.payload, "Not helpful"),
        is_ephemeral=False,
        message_ts="1700000000.000200",
        message=message,
    )
    _, key = await app.click(
        button(posted.payload, "Helpful"), is_ephemeral=False, message_ts="1700000000.000200", message=message
    )
    [second] = await app.fake.wait_for(lambda c: c.method == key)
    assert "your first answer is kept" in second.text
    counts = await app.deps.store.feedback_counts()
    assert [(c.entry_id, c.helpful, c.not_helpful) for c in counts] == [("principle-9", 0, 1)]


async def test_accents_do_not_stop_a_match(app: RunningApp) -> None:
    response, _ = await app.command("/commissioning", "what is the principle on partnérship wörking")
    assert "Work in partnership to maximise effectiveness" in response.shown
