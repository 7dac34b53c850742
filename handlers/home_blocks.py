"""The App Home tab, and the modal a browsed card opens in: pure Block Kit builders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from handlers.blocks import entry_card, escape, truncate
from knowledge.base import KnowledgeBase
from knowledge.checklist_engine import score_line
from knowledge.model import MEMBER_LABELS, Entry
from knowledge.schedule import Schedule
from services.checklists import PersonsRuns

BROWSE_ACTION = "home_open:"  # + the group: each select in the browse block needs its own action_id
LINK_ACTION = "home_link:"  # + the run: link buttons, which Slack still reports (they need only an ack)
TIPS_ACTION = "home_tips"
VIEW_BLOCKS = 100  # Slack's limit for a Home tab or modal
OPTION_TEXT = 75

# The browse menus: (group, placeholder, the kinds listed, in this order).
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("principles", "The principles", ("collection:principle", "overview", "overarching", "principle")),
    ("nos", "The NOS", ("nos", "nos_key_purpose", "collection:nos_function", "nos_function")),
    ("standards", "National minimum standards", ("standards", "collection:service", "service")),
)


def tip_of_the_day(kb: KnowledgeBase, today: date) -> Entry | None:
    """The same fact for everyone on a day, a different one the next."""
    return kb.facts[today.toordinal() % len(kb.facts)] if kb.facts else None


def browse_entries(kb: KnowledgeBase, kinds: Sequence[str]) -> list[Entry]:
    found: list[Entry] = []
    for kind in kinds:
        if kind.startswith("collection:"):
            collection = kb.collection_for(kind.removeprefix("collection:"))
            found.extend([collection] if collection else [])
        else:
            found.extend(
                sorted((e for e in kb.entries if e.kind == kind), key=lambda e: (e.number or 0, e.title))
            )
    return found[:100]  # Slack's limit for a select's options


def _select(
    kb: KnowledgeBase, group: str, placeholder: str, kinds: Sequence[str]
) -> StaticSelectElement | None:
    entries = browse_entries(kb, kinds)
    if not entries:
        return None
    return StaticSelectElement(
        action_id=BROWSE_ACTION + group,
        placeholder=PlainTextObject(text=placeholder),
        options=[
            Option(text=PlainTextObject(text=truncate(e.label, OPTION_TEXT)), value=e.id) for e in entries
        ],
    )


def home_view(
    kb: KnowledgeBase,
    today: date,
    runs: PersonsRuns,
    tips: Schedule | None,
    offered: Schedule,
    next_tip: datetime | None = None,
) -> dict[str, Any]:
    """The person's Home tab: a tip of the day, browsing, their checklists, and their settings."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Commissioning Guide"))]
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(
                text="The East Midlands commissioning framework for children's, young people's and maternity "
                "services: the ten principles, the NOS for Commissioning, Procurement and Contracting, and the "
                "national minimum standards. Ask me in your own words in the *Messages* tab, or mention me in a "
                "channel."
            )
        )
    )
    fact = tip_of_the_day(kb, today)
    if fact is not None:
        blocks.append(DividerBlock())
        card = entry_card(kb, [fact], heading=f"Did you know? {fact.title}", shareable=False)
        blocks.extend(_from_dicts(card.blocks))
    blocks.append(DividerBlock())
    blocks.append(
        SectionBlock(text=MarkdownTextObject(text="*Browse the framework*\nEach opens just for you."))
    )
    selects = [s for g, p, k in GROUPS if (s := _select(kb, g, p, k)) is not None]
    if selects:
        blocks.append(ActionsBlock(block_id="browse", elements=selects))
    blocks.append(DividerBlock())
    blocks.append(SectionBlock(text=MarkdownTextObject(text="*Your open checklists*")))
    if not runs.open:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text="None open. Start one in a channel with `/checklist`.")]
            )
        )
    for item in runs.open:
        run, checklist = item.run, item.checklist
        about = f" ({escape(item.about)})" if item.about else ""
        text = (
            f"*{escape(checklist.title)}*{about} in <#{run.channel_id}>: step {min(run.step_index + 1, len(checklist.steps))} "
            f"of {len(checklist.steps)}, {item.answered} answered, started {run.created_at:%-d %B}"
        )
        accessory = (
            ButtonElement(
                text=PlainTextObject(text="Show current step"),
                action_id=LINK_ACTION + run.id[:8],
                url=item.link,
            )
            if item.link
            else None
        )
        blocks.append(
            SectionBlock(
                block_id=f"run_{run.id[:8]}", text=MarkdownTextObject(text=text), accessory=accessory
            )
        )
    if runs.done:
        lines = []
        for run, summary in runs.done:
            score = score_line(summary) or "nothing scored"
            lines.append(
                f"• *{escape(summary.checklist.title)}* in <#{run.channel_id}>, {run.updated_at:%-d %B}: {score}"
            )
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=truncate("*Recently completed*\n" + "\n".join(lines), 3000))
            )
        )
    blocks.append(DividerBlock())
    if tips is None:
        setting = f"*Tips in your messages*: off. Turn them on for a “did you know” {offered.describe().replace('every ', 'each ', 1)}."
        button = ButtonElement(
            text=PlainTextObject(text="Turn tips on"), action_id=TIPS_ACTION, value="on", style="primary"
        )
    else:
        when = f" The next comes on {next_tip:%A %-d %B}." if next_tip else ""
        setting = f"*Tips in your messages*: on, {tips.describe()}, in your messages with me.{when}"
        button = ButtonElement(text=PlainTextObject(text="Turn tips off"), action_id=TIPS_ACTION, value="off")
    blocks.append(SectionBlock(block_id="settings", text=MarkdownTextObject(text=setting), accessory=button))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="For a channel: `/didyouknow subscribe`. All my commands: `/commissioning help`."
                )
            ]
        )
    )
    # At most about 25 blocks (five runs each way): well inside Slack's 100, which the stand-in enforces.
    view = View(type="home", blocks=blocks)
    return view.to_dict()


def card_modal(kb: KnowledgeBase, entry: Entry) -> dict[str, Any]:
    """A card opened from the Home tab: a modal only the person sees."""
    card = entry_card(kb, [entry], shareable=False)
    title = entry.label.split(":")[0] if entry.kind in MEMBER_LABELS else "Commissioning Guide"
    return View(
        type="modal",
        title=PlainTextObject(text=truncate(title, 24)),
        close=PlainTextObject(text="Close"),
        blocks=_from_dicts(card.blocks),
    ).to_dict()


def _from_dicts(blocks: Sequence[dict[str, Any]]) -> list[Block]:
    parsed = [Block.parse(b) for b in blocks]
    return [b for b in parsed if b is not None]
