"""The console: the real app and handlers, with a local stand-in for Slack, in your terminal.

Each line you type becomes the request Slack would send: `/principle 9` a signed slash command, any
other text a direct message to the app, `!3` a press of button 3, `reply <text>` a reply in the
latest thread. What the app sends back to "Slack" is printed as text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import secrets
import signal
import sys
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from slack_bolt.request.async_request import AsyncBoltRequest

from bot import payloads
from bot.app import close_app, create_app, workspace_client
from bot.fakeslack import BOT_USER_ID, TEAM_ID, Call, FakeSlack
from bot.textview import BUTTON_MARK, Button, render
from bot.worker import AnswerWorker
from handlers import schedule_blocks
from handlers.catalog import SHORTCUTS
from services.deps import Deps
from services.schedules import Schedules

CHANNEL = "C0CONSOLE"
_MENTIONED = re.compile(r"^@(?:commissioning[ _-]?guide|guide|\S+)\s*", re.IGNORECASE)
DM = "D0CONSOLE"
USER = "U0CONSOLE"
OWNERS = "C0OWNERS"  # the content owners' channel, when CONTENT_OWNER_CHANNEL is not set
HELP = """Type a slash command (/principle 9, /commissioning help), a question in your own words (a direct
message), @guide <question> to mention the app in a channel (answered in a thread), !N to press button [N],
reply <text> to answer in the latest checklist thread, :home for the app's Home tab, :digest for this week's
content owners' digest, :suggest to suggest an edit to my latest message, :submit <text> to send an open form, :help for this, or quit (Ctrl-C or Ctrl-D too)."""


@dataclass(frozen=True)
class _Shown:
    """A message on screen whose buttons can be pressed."""

    channel: str
    ts: str
    response_key: str
    ephemeral: bool
    message: dict[str, Any]
    view: dict[str, Any] | None = None  # a Home tab or modal: its buttons are pressed in the view


class Console:
    def __init__(self, deps: Deps, out: TextIO = sys.stdout) -> None:
        self.deps = deps
        self.out = out
        self.fake = FakeSlack(users={USER: "you"})  # the name the export shows for your answers
        self.secret = secrets.token_hex(16)
        self.buttons: list[tuple[Button, _Shown]] = []
        self.last_thread: tuple[str, str] | None = None
        self.last_posted: _Shown | None = None  # the app's latest message in a conversation, for :suggest
        self.shown_by_key: dict[str, _Shown] = {}
        self._confirming: str | None = None  # a button whose confirmation dialog is showing
        self.modal: dict[str, Any] | None = None  # an open form, waiting for :submit
        self._keys = 0

    async def __aenter__(self) -> Console:
        await self.fake.start()
        self.fake.on_call = self._show_call
        self.fake.on_refusal = self._warn
        settings = dataclasses.replace(
            self.deps.settings,
            slack_api_url=self.fake.api_url,
            slack_bot_token="xoxb-console-0000",
            slack_signing_secret=self.secret,
            content_owner_channel=self.deps.settings.content_owner_channel or OWNERS,
        )
        schedules = Schedules(
            self.deps.store,
            schedule_blocks,
            owner_channel=settings.content_owner_channel,
            owner_team=settings.content_owner_team,
        )
        deps = dataclasses.replace(self.deps, settings=settings, schedules=schedules)
        self.app_deps = deps
        self.app = create_app(deps, process_before_response=True)
        # Questions are answered by the worker, as in `serve`; the console waits for it after each message.
        self.worker = AnswerWorker(deps, workspace_client(self.app))
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await close_app(self.app)
        await self.fake.stop()

    def _key(self) -> str:
        self._keys += 1
        return f"console-{self._keys}"

    async def handle(self, line: str) -> bool:
        """Act on one line of input; False when the person asked to quit."""
        line = line.strip()
        if self._confirming is not None and line != f"!{self._confirming}":
            self._confirming = None  # the dialog's "deny": nothing was pressed
            self._print("(not pressed)")
        if not line:
            return True
        if line.lower() in ("quit", "exit", ":q"):
            return False
        if line.lower() in (":help", "!help", "!"):
            self._print(HELP)
        elif line.lower() == ":home":
            await self._home()
        elif line.lower() == ":digest":
            await self._digest()
        elif line.lower() == ":suggest":
            await self._suggest()
        elif line.lower() == ":close":
            self.modal = None
            self._print("(form closed)")
        elif line.lower() == ":submit" or line.lower().startswith(":submit "):
            await self._submit(line[7:].strip())
        elif line.startswith(":"):
            self._print(f"There is no {line.split()[0]} command here: :help lists what you can type.")
        elif line.startswith("/"):
            await self._command(line)
        elif line.startswith("!"):
            await self._press(line[1:].strip())
        elif line.lower() == "reply" or line.lower().startswith("reply "):
            await self._reply(line[5:].strip())
        elif line.startswith("@"):  # "@guide when do the NOS launch?", "@Commissioning Guide ..."
            await self._mention(_MENTIONED.sub("", line, count=1))
        else:
            await self._message(line)
        return True

    async def _dispatch(self, body: str, content_type: str) -> tuple[int, str]:
        headers: dict[str, str | Sequence[str]] = dict(
            payloads.signed_headers(self.secret, body, content_type)
        )
        response = await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        if response.status == 200:
            self._check_ack(response.body)
        return response.status, response.body

    def _check_ack(self, body: str) -> None:
        """A reply in the ack is a message Slack shows; the stand-in warns (via `_warn`) if Slack would not."""
        try:
            reply = json.loads(body) if body else None
        except ValueError:
            return
        if isinstance(reply, dict):
            self.fake.check_ack(reply)

    def _warn(self, refusal: str) -> None:
        self._print(f"⚠ Real Slack would refuse this: {refusal}")

    async def _command(self, line: str) -> None:
        command, _, text = line.partition(" ")
        key = self._key()
        body = payloads.slash_command(
            command,
            text,
            team_id=TEAM_ID,
            channel_id=CHANNEL,
            user_id=USER,
            response_url=self.fake.response_url(key),
            channel_name="console",
            user_name="you",
        )
        _status, reply = await self._dispatch(body, payloads.FORM)
        if reply:
            message = json.loads(reply)
            private = message.get("response_type") != "in_channel"
            where = "only visible to you" if private else "in #console"
            self._show(message, _Shown(CHANNEL, self.fake.next_ts(), key, private, {}), where)

    async def _message(self, text: str, *, thread_ts: str | None = None, channel: str = DM) -> None:
        ts = self.fake.next_ts()
        event = payloads.message_event(
            text,
            channel=channel,
            user=USER,
            ts=ts,
            team_id=TEAM_ID,
            channel_type="im" if channel == DM else "channel",
            thread_ts=thread_ts,
        )
        await self._dispatch(payloads.event_callback(event, team_id=TEAM_ID), payloads.JSON)
        await self.worker.drain()

    async def _mention(self, text: str) -> None:
        ts = self.fake.next_ts()
        event = payloads.message_event(
            f"<@{BOT_USER_ID}> {text}", channel=CHANNEL, user=USER, ts=ts, team_id=TEAM_ID, mention=True
        )
        await self._dispatch(payloads.event_callback(event, team_id=TEAM_ID), payloads.JSON)
        await self.worker.drain()

    async def _reply(self, text: str) -> None:
        if not text:
            self._print("Type reply and your answer, e.g. reply yes, reply skip or reply note: …")
            return
        if self.last_thread is None:
            self._print("There is no thread to reply in yet: start a checklist, or press Show current step.")
            return
        channel, thread_ts = self.last_thread
        await self._message(text, thread_ts=thread_ts, channel=channel)

    async def _home(self) -> None:
        event = payloads.app_home_opened(USER)
        await self._dispatch(payloads.event_callback(event, team_id=TEAM_ID), payloads.JSON)

    async def _suggest(self) -> None:
        """The message shortcut "Suggest a Guide edit", used on the app's latest message."""
        shown = self.last_posted
        if shown is None:
            self._print("There is no message of mine to suggest an edit to yet: ask me something first.")
            return
        body = payloads.message_action(
            callback_id=SHORTCUTS[0],
            message={
                "type": "message",
                "ts": shown.ts,
                "text": shown.message.get("text", ""),
                "user": BOT_USER_ID,
            },
            channel_id=shown.channel,
            team_id=TEAM_ID,
            user_id=USER,
            response_url=self.fake.response_url(self._key()),
        )
        await self._dispatch(body, payloads.FORM)

    async def _digest(self) -> None:
        """What the content owners' digest would say now, for the last seven days (it is posted on Mondays)."""
        from handlers.schedule_blocks import digest_message

        now = datetime.now(UTC)
        digest = await self.app_deps.schedules.digest(now - timedelta(days=7), now)
        message = digest_message(self.app_deps.knowledge.current, digest)
        self._show(
            message.as_kwargs(),
            _Shown(OWNERS, self.fake.next_ts(), self._key(), False, {}),
            "in #content-owners",
        )

    async def _submit(self, text: str) -> None:
        if self.modal is None:
            self._print("There is no form open to send. Forms open from buttons (👎 Not helpful, for one).")
            return
        if not text:
            self._print(
                "Type :submit and what you want to say, e.g. :submit it answered a different question"
            )
            return
        limit = _input_limit(self.modal)
        if limit is not None and len(text) > limit:  # Slack's form takes no more than its max_length
            self._print(
                f"That's {len(text):,} characters: this form takes at most {limit:,}. Shorten it and :submit again."
            )
            return
        modal, self.modal = self.modal, None
        body = payloads.view_submission(
            view=modal, values={"said": {"text": text}}, team_id=TEAM_ID, user_id=USER
        )
        _status, reply = await self._dispatch(body, payloads.FORM)
        answer = json.loads(reply) if reply else {}
        if answer.get("response_action") == "errors":
            self.modal = modal
            self._print("⚠ " + "; ".join(str(e) for e in (answer.get("errors") or {}).values()))
        elif answer.get("response_action") == "update":
            self._show_view(answer.get("view") or {}, "form")
        else:
            self._print("(form sent)")

    def _follow_links(self, lines: Sequence[str]) -> None:
        """A link to a message in one of the console's threads (Show current step) makes that thread the one
        `reply` answers in, as following the link in Slack would take you there."""
        for line in lines:
            for channel, digits in _ARCHIVE_LINK.findall(line):
                found = self.fake._find(channel, f"{digits[:-6]}.{digits[-6:]}")
                if found is not None:
                    self.last_thread = (channel, str(found.get("thread_ts") or found["ts"]))

    def _show_view(self, view: dict[str, Any], where: str) -> None:
        shown = _Shown("", "", self._key(), True, {}, view=view)
        title = (view.get("title") or {}).get("text")
        self._show(view, shown, f"{where}: {title}" if title else where)
        if any(b.get("type") == "input" for b in view.get("blocks") or []):
            self.modal = view

    async def _press(self, number: str) -> None:
        if not number.isdigit() or not 1 <= int(number) <= len(self.buttons):
            self._print(f"There is no button [{number}]. Buttons are numbered in square brackets, e.g. !1.")
            return
        button, shown = self.buttons[int(number) - 1]
        if button.confirm and self._confirming != number:
            # Slack asks before such a press counts (the dialog of the Cancel button): so does the console.
            dialog = button.confirm
            self._confirming = number
            self._print(
                f"⚠ {_dialog_text(dialog.get('title'))}: {_dialog_text(dialog.get('text'))}\n"
                f"  Type !{number} again to {_dialog_text(dialog.get('confirm')) or 'confirm'}, "
                f"anything else to {_dialog_text(dialog.get('deny')) or 'cancel'}."
            )
            return
        self._confirming = None
        if button.url:  # Slack opens a link button's address; a link to a thread here makes it `reply`'s
            self._print(f"(Slack would open {button.url})")
            self._follow_links([button.url])
        if shown.view is not None:  # in the Home tab or a form: no channel, no response_url
            action: dict[str, Any] = {"action_id": button.action_id, "type": button.kind}
            if button.option is not None:
                action["selected_option"] = button.option
            else:
                action |= {"value": button.value, "text": {"type": "plain_text", "text": button.label}}
            body = payloads.view_actions(
                action=action, block_id=button.block_id, team_id=TEAM_ID, user_id=USER, view=shown.view
            )
            await self._dispatch(body, payloads.FORM)
            return
        body = payloads.block_actions(
            action_id=button.action_id,
            value=button.value,
            block_id=button.block_id,
            label=button.label,
            team_id=TEAM_ID,
            user_id=USER,
            channel_id=shown.channel,
            message_ts=shown.ts,
            response_url=self.fake.response_url(shown.response_key),
            is_ephemeral=shown.ephemeral,
            message=shown.message or None,
        )
        await self._dispatch(body, payloads.FORM)

    def _show_call(self, call: Call) -> None:
        if call.kind == "response":
            p = call.payload
            if p.get("delete_original") in (True, "true"):
                self._print("(the private message above was removed)")
                return
            original = self.shown_by_key.get(call.method)
            replacing = p.get("replace_original") in (True, "true")
            if replacing and original is not None:  # a replaced message stays where it was
                where = "only visible to you" if original.ephemeral else self._place(original.channel, None)
                shown = _Shown(original.channel, original.ts, call.method, original.ephemeral, p)
                where += ", replacing the message above"
            else:
                private = p.get("response_type") != "in_channel"
                where = "only visible to you" if private else "in #console"
                shown = _Shown(CHANNEL, self.fake.next_ts(), call.method, private, p)
            self._show(p, shown, where)
        elif call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral") and call.result.get(
            "ok"
        ):
            p = dict(call.payload)
            channel = str(p.get("channel", ""))
            ts = str(call.result.get("ts") or call.result.get("message_ts") or "")
            thread = p.get("thread_ts")
            where = self._place(channel, thread)
            if thread and "checklist_" in str(p.get("blocks")):  # `reply` answers the latest checklist
                self.last_thread = (channel, str(thread))
            if call.method == "chat.update":
                where = "message updated"
            if call.method == "chat.postEphemeral":
                where = "only visible to you"
            message = {"type": "message", "ts": ts, "text": p.get("text", ""), "blocks": p.get("blocks", [])}
            posted = _Shown(channel, ts, self._key(), call.method == "chat.postEphemeral", message)
            if call.method == "chat.postMessage" and channel != self.app_deps.settings.content_owner_channel:
                self.last_posted = posted
            self._show(p, posted, where)
        elif call.method == "views.publish" and call.result.get("ok"):
            self._show_view(dict(call.result.get("view") or {}), "Home tab")
        elif call.method == "views.open" and call.result.get("ok"):
            self._show_view(dict(call.result.get("view") or {}), "opened for you")
        elif call.method == "files.completeUploadExternal":
            for file in call.payload.get("files") or []:
                content = self.fake.files.get(str(file.get("id")), b"").decode("utf-8", errors="replace")
                self._print(f"┌ File posted in the thread: {file.get('title')}")
                for line in content.splitlines():
                    self._print(f"│ {line}")
                self._print("└")
        elif not call.result.get("ok", True) and call.method != "auth.test":
            self._print(f"(Slack answered {call.method} with {call.result.get('error')})")

    def _place(self, channel: str, thread: object) -> str:
        if channel == self.app_deps.settings.content_owner_channel:
            where = "in #content-owners"
        elif channel.startswith("U"):
            where = "direct message"  # posted to a person: their messages with the app
        else:
            where = "direct message" if channel.startswith("D") else "in #console"
        return where + (", in the thread" if thread else "")

    def _show(self, payload: dict[str, Any], shown: _Shown, where: str) -> None:
        self.shown_by_key[shown.response_key] = shown
        lines, buttons = render(payload)
        numbers = []
        for button in buttons:
            self.buttons.append((button, shown))
            numbers.append(len(self.buttons))
        placed: set[int] = set()
        self._print(f"┌ Commissioning Guide ({where})")
        for line in lines:
            if line.startswith(BUTTON_MARK):  # a button beside the text above it
                index = int(line.removeprefix(BUTTON_MARK))
                placed.add(index)
                self._print(f"│   [{numbers[index]}] {buttons[index].label}")
            else:
                self._print(f"│ {line}")
        rest = [f"[{numbers[i]}] {b.label}" for i, b in enumerate(buttons) if i not in placed]
        if rest:
            self._print("│ " + "   ".join(rest))
        self._print("└")
        self._follow_links(lines)

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)


async def _stdin_lines(interactive: bool) -> AsyncIterator[str]:
    """Lines typed or piped in, until end of input, or Ctrl-C at the prompt.

    Read on a daemon thread of its own rather than the loop's executor: a read blocked at the prompt would
    otherwise hold the process open after Ctrl-C until Enter was pressed."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in iter(sys.stdin.readline, ""):
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=read, name="console-input", daemon=True).start()
    if interactive:
        loop.add_signal_handler(signal.SIGINT, lines.put_nowait, None)
    while True:
        if interactive:
            print("you> ", end="", flush=True)
        line = await lines.get()
        if line is None:
            if interactive:
                print()  # the prompt's line ends before the shell's
            return
        yield line


async def run_console(deps: Deps) -> int:
    interactive = sys.stdin.isatty()
    async with Console(deps) as console:
        if interactive:
            print("Commissioning Guide console: the real app, no Slack needed.\n" + HELP + "\n")
        async for line in _stdin_lines(interactive):
            if not await console.handle(line):
                break
    return 0


_ARCHIVE_LINK = re.compile(r"https://console\.example/archives/([A-Z0-9]+)/p(\d{7,})")


def _input_limit(view: dict[str, Any]) -> int | None:
    for block in view.get("blocks") or []:
        if block.get("type") == "input":
            limit = (block.get("element") or {}).get("max_length")
            return int(limit) if limit else None
    return None


def _dialog_text(part: Any) -> str:
    """The words of a confirmation dialog's part (a text object, or a string)."""
    if isinstance(part, dict):
        return str(part.get("text") or "")
    return str(part or "")
