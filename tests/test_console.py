"""The console, as a person runs it: `echo "/principle 9" | python -m bot console`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_console(stdin: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "LOG_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'console.db'}"
    return subprocess.run(
        [sys.executable, "-m", "bot", *extra],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


def test_console_answers_principle_9_and_exits_at_end_of_input(tmp_path: Path) -> None:
    result = run_console("/principle 9\n", tmp_path, "console")
    assert result.returncode == 0, result.stderr
    assert "Principle 9: Spend money wisely" in result.stdout
    assert (
        "Spend money wisely to secure effective and efficient services, decommissioning services where"
        in result.stdout
    )
    assert "5 - Commissioning Principles" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_console_mentions_the_app_in_a_channel_and_is_answered_in_a_thread(tmp_path: Path) -> None:
    result = run_console("@guide when do the NOS launch?\n", tmp_path, "console")
    assert result.returncode == 0, result.stderr
    assert "(in #console, in the thread)" in result.stdout
    assert "When the NOS launch" in result.stdout


def test_run_with_no_tokens_starts_the_console(tmp_path: Path) -> None:
    result = run_console("/nos 3\n", tmp_path, "run")
    assert result.returncode == 0, result.stderr
    assert "NOS function 3" in result.stdout


def test_console_questions_buttons_and_bad_input(tmp_path: Path) -> None:
    script = (
        "\n".join(
            [
                "which services have national minimum standards?",
                "/principle 4",
                "!99",
                "/nonsense",
                "",
                "what's the weather in Leicester?",
            ]
        )
        + "\n"
    )
    result = run_console(script, tmp_path, "console")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Residential special schools" in out
    assert "There is no button [99]" in out
    assert "I don't have a /nonsense command. Type `/commissioning help` to see mine." in out
    assert "outside what it covers" in out
    assert "Traceback" not in out + result.stderr


def test_console_share_button_posts_in_the_channel(tmp_path: Path) -> None:
    result = run_console("/principle 9\n!1\n", tmp_path, "console")
    assert "(in #console)" in result.stdout
    assert "Shared by @you" in result.stdout


def test_check_reports_a_valid_setup(tmp_path: Path) -> None:
    result = run_console("", tmp_path, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all valid" in result.stdout and "valid Slack manifest" in result.stdout


def test_check_reports_broken_content(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("entries:\n  - id: Bad Id\n    kind: principle\n")
    env_dir = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "KNOWLEDGE_DIR": env_dir},
        timeout=60,
    )
    assert result.returncode == 1
    assert "problem: bad.yaml: entry 1 (id 'Bad Id'): id: String should match pattern" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_bad_setting_is_a_one_line_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PORT": "eighty"},
        input="",
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "Configuration error: PORT must be a whole number, not 'eighty'"


def test_a_buttons_confirmation_dialog_is_asked_in_the_console_too(tmp_path: Path) -> None:
    """Cancel checklist has Slack's "Cancel this checklist?" dialog: the console asks it before the press counts,
    and a typed cancel asks the same, privately."""
    script = "\n".join(
        [
            "/checklist nos",
            "!6",  # Cancel checklist on step 1: the dialog, nothing pressed yet
            "reply no, not yet",  # anything else is the dialog's "Keep going"
            "!13",  # Cancel checklist on step 2
            "!13",  # confirmed
            "",
        ]
    )
    result = run_console(script, tmp_path, "console")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "⚠ Cancel this checklist?: The answers so far are kept" in out
    assert "Type !6 again to Cancel checklist, anything else to Keep going." in out
    assert "(not pressed)" in out
    assert "Step 2 of 5" in out  # the reply was an answer: the run went on
    assert out.count("cancelled this checklist") == 1 and "Undo" in out
    assert "Traceback" not in out + result.stderr


def test_console_shows_the_home_tab_and_opens_a_card_from_it(tmp_path: Path) -> None:
    result = run_console(":home\n!15\n", tmp_path, "console")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(Home tab)" in out and "Did you know?" in out
    assert (
        "The principles (choose one):" in out and "[15] Principle 10: Open and transparent processes" in out
    )
    assert "Tips in your messages: off" in out
    assert "(opened for you: Principle 10)" in out
    assert "Principle 10: Open and transparent processes\n│ ─" in out  # the card, opened just for you
    assert "Traceback" not in out + result.stderr


def test_console_thumbs_down_form_suggestion_and_digest(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "which principle is about spending money wisely?",
            "!2",
            ":submit it did not mention our local procurement rules",
            "what is the price of fish?",
            "/commissioning suggest add our <!channel> JSNA",
            ":digest",
            "/principle 9",
            "@guide which principle is about spending money wisely?",
            ":suggest",
            ":submit mention our local scheme of delegation",
        ]
    )
    result = run_console(script + "\n", tmp_path, "console")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(opened for you: What was wrong?)" in out
    assert "(form: Thank you)" in out
    assert "📝 Suggestion for the Guide from @you in #console\n│ > add our <!channel> JSNA" in out
    digest = out[out.index("this week's content digest") :]
    assert "“what is the price of fish?”" in digest
    assert "Principle 9: Spend money wisely: 1 👎" in digest
    assert "“it did not mention our local procurement rules”" in digest
    assert "U0CONSOLE" not in digest[: digest.index("└")] and "@you" not in digest[: digest.index("└")]
    # the message shortcut, on the app's latest message (its answer in the thread)
    assert "(opened for you: Suggest an edit)" in out
    assert (
        "📝 Suggestion for the Guide from @you in #console\n│ > mention our local scheme of delegation" in out
    )
    assert "About: “Principle 9: Spend money wisely" in out


def test_console_home_link_leads_reply_to_the_checklist_thread_and_odd_input_is_explained(
    tmp_path: Path,
) -> None:
    script = "\n".join(
        [
            "/checklist principles",
            "!1",
            ":home",
            "!46",  # Show current step, in the Home tab: a link to the thread
            "reply partly, budget agreed",
            ":foo",
            "which principle is about spending money wisely?",
            "!58",  # 👎 Not helpful
            ":submit " + "x" * 1200,
        ]
    )
    result = run_console(script + "\n", tmp_path, "console")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (
        "[46] Show current step" in out
        and "(Slack would open https://console.example/archives/C0CONSOLE/p" in out
    )
    assert "✔ Partly, answered by @you" in out
    assert "There is no :foo command here: :help lists what you can type." in out
    assert "That's 1,200 characters: this form takes at most 1,000." in out
    assert "Traceback" not in out + result.stderr
