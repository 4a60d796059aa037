"""The router's classification (bot/sync/classify.py), with events built from their JSON as a
homeserver sends them: which are commands, which are uploads, which are nothing for the bot."""

from __future__ import annotations

from typing import Any

from nio import Event

from bot.sync.classify import (
    after_own_join,
    as_command,
    command_word,
    joined_members,
    reply_txn_id,
)
from room_policies.trust import SenderProof

BOT = "@plenaria:example.org"
ALICE = "@alice:example.org"
ROOM = "!room:example.org"
FIRST_START_MS = 1_000
_count = 0


def event(content: dict[str, Any], *, sender: str = ALICE, ts: int = 5_000, **extra: Any) -> Event:
    global _count
    _count += 1
    source = {
        "type": extra.pop("type", "m.room.message"),
        "event_id": f"$e{_count}",
        "sender": sender,
        "origin_server_ts": ts,
        "content": content,
        **extra,
    }
    # What the bot's crypto hands over after decrypting an encrypted file's event.
    parse = Event.parse_decrypted_event if "file" in content else Event.parse_event
    parsed = parse(source)
    assert isinstance(parsed, Event), parsed
    return parsed


def text(body: str, **kwargs: Any) -> Event:
    return event({"msgtype": "m.text", "body": body}, **kwargs)


def member(user: str, membership: str, prev: str | None = None) -> Event:
    unsigned = {"prev_content": {"membership": prev}} if prev else {}
    return event(
        {"membership": membership},
        type="m.room.member",
        state_key=user,
        sender=user,
        unsigned=unsigned,
    )


def encrypted_file(name: str, caption: str | None = None) -> Event:
    content: dict[str, Any] = {
        "msgtype": "m.file",
        "body": caption if caption is not None else name,
        "info": {"size": 1234, "mimetype": "application/octet-stream"},
        "file": {
            "url": "mxc://example.org/abc",
            "key": {
                "k": "key",
                "alg": "A256CTR",
                "ext": True,
                "key_ops": ["decrypt"],
                "kty": "oct",
            },
            "iv": "AAAAAAAAAAAAAAAAAAAAAA",
            "hashes": {"sha256": "hash"},
            "v": "v2",
        },
    }
    if caption is not None:
        content["filename"] = name
    return event(content)


def classify(ev: Event, *, takes_uploads: bool = True) -> Any:
    return as_command(
        ROOM, ev, own_user_id=BOT, first_start_ms=FIRST_START_MS, takes_uploads=takes_uploads
    )


def test_a_text_command_is_a_command() -> None:
    ev = text("!ping")
    command = classify(ev)
    assert command is not None
    assert (command.room_id, command.event_id, command.sender) == (ROOM, ev.event_id, ALICE)
    assert (command.body, command.sent_ms, command.is_upload) == ("!ping", 5_000, False)
    assert command.thread_root is None and command.reply_to is None
    assert command.proof == SenderProof(encrypted=False)


def test_chat_is_not_a_command() -> None:
    for body in ("hello", "!!! wow", "! ok", "", "ping!"):
        assert classify(text(body)) is None, body


def test_the_bots_own_messages_are_nothing() -> None:
    assert classify(text("!ping", sender=BOT)) is None


def test_what_was_sent_before_the_first_start_is_history() -> None:
    assert classify(text("!ping", ts=FIRST_START_MS - 1)) is None
    assert classify(text("!ping", ts=FIRST_START_MS)) is not None


def test_an_edit_is_not_a_new_command() -> None:
    edit = event(
        {
            "msgtype": "m.text",
            "body": "* !ping",
            "m.new_content": {"msgtype": "m.text", "body": "!ping"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$earlier"},
        }
    )
    assert classify(edit) is None


def test_a_command_in_a_thread_knows_its_thread() -> None:
    threaded = event(
        {
            "msgtype": "m.text",
            "body": "!ping",
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": "$root",
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": "$last-in-thread"},
            },
        }
    )
    command = classify(threaded)
    assert command is not None
    # A thread's fallback reply is not a reply to a file: only the thread root is kept.
    assert (command.thread_root, command.reply_to) == ("$root", None)


def test_a_reply_remembers_what_it_replies_to() -> None:
    reply = event(
        {
            "msgtype": "m.text",
            "body": "!publish plan",
            "m.relates_to": {"m.in_reply_to": {"event_id": "$the-file"}},
        }
    )
    command = classify(reply)
    assert command is not None and command.reply_to == "$the-file"


def test_a_file_alone_is_an_upload() -> None:
    command = classify(encrypted_file("AG_Propuesta.docx"))
    assert command is not None and command.is_upload
    assert command.attachment is not None
    assert (command.attachment.file_name, command.attachment.size) == ("AG_Propuesta.docx", 1234)


def test_a_file_is_nothing_where_uploads_are_not_taken() -> None:
    assert classify(encrypted_file("AG_Propuesta.docx"), takes_uploads=False) is None


def test_a_file_with_a_command_caption_is_that_command_on_the_file() -> None:
    command = classify(encrypted_file("Plan.docx", caption="!publish plan --title Plan"))
    assert command is not None and not command.is_upload
    assert command.body == "!publish plan --title Plan"
    assert command.attachment is not None and command.attachment.file_name == "Plan.docx"


def test_a_file_with_a_prose_caption_is_an_upload() -> None:
    command = classify(encrypted_file("AG_Propuesta.docx", caption="our proposal, as agreed"))
    assert command is not None and command.is_upload and command.body == ""


def test_other_events_are_nothing() -> None:
    assert classify(member(ALICE, "join")) is None
    assert classify(event({"msgtype": "m.notice", "body": "!ping"})) is None


def test_history_before_the_bot_joined_is_dropped() -> None:
    old = text("!ping")
    joined = member(BOT, "join")
    new = text("!help")
    assert after_own_join([old, joined, new], BOT) == [new]
    # A profile change of the bot (join after join) is not its joining.
    again = member(BOT, "join", prev="join")
    assert after_own_join([old, again, new], BOT) == [old, again, new]


def test_newcomers_are_the_others_who_joined() -> None:
    alice = member(ALICE, "join", prev="invite")
    bot = member(BOT, "join")
    rename = member("@bob:example.org", "join", prev="join")
    assert joined_members([alice, bot, rename], BOT) == [(ALICE, alice.event_id)]


def test_the_audit_names_a_command_even_when_it_does_not_parse() -> None:
    assert command_word("!publish 'unbalanced") == "publish"
    assert command_word("") == "?"
    assert command_word("!" + "x" * 50) == "x" * 32


def test_a_reply_is_sent_with_one_transaction_id_per_command() -> None:
    assert reply_txn_id("$a") == reply_txn_id("$a") != reply_txn_id("$b")
    assert reply_txn_id("$a").startswith("plenaria-reply-")
