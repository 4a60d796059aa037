"""A proposal's receipt goes before its filed copy (issue #14, item 4): what the handler defers
runs after the answer is sent and before the event is marked handled; if it fails, the event
stays for the next start. And a room's sends go out side by side (`bot/matrix/room_send.py`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.matrix.client_server import ClientServerApi
from bot.matrix.e2ee import UndecryptedQueue
from bot.matrix.errors import MatrixError
from bot.matrix.gateway import Gateway
from bot.matrix.room_send import RATE_LIMITED_RETRIES, put_event
from bot.runtime.metrics import Metrics
from bot.storage.database import Database
from bot.sync.after_reply import AfterReply
from bot.sync.classify import CommandEvent
from bot.sync.dispatch import Dispatcher
from commands.builtin import default_table
from commands.reply import Reply
from commands.table import Attachment, Invocation
from tests.unit.services import services


class _Gateway:
    user_id = "@plenaria:example.org"

    def __init__(self, steps: list[str]) -> None:
        self.steps = steps

    async def send_notice(self, room_id: str, reply: Reply, **_: Any) -> str:
        self.steps.append(f"reply: {reply.text}")
        return "$reply"


async def _handled(tmp_path: Path, work_fails: bool) -> tuple[bool, list[str], bool]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'plenaria.db'}")
    await db.migrate()
    steps: list[str] = []
    gateway = _Gateway(steps)
    after = AfterReply()

    async def upload(invocation: Invocation) -> Reply:
        async def file() -> None:
            steps.append("filed")
            if work_fails:
                raise ConnectionError("the homeserver went away")

        after.defer(invocation.event_id, file)
        steps.append("checked")
        return Reply.plain("Received")

    dispatcher = Dispatcher(
        gateway=gateway,  # type: ignore[arg-type]
        db=db,
        table=default_table(),
        services=services(),
        metrics=Metrics(),
        undecrypted=UndecryptedQueue(gateway, db),  # type: ignore[arg-type]
        uploads=upload,
        after_reply=after,
    )
    attachment = Attachment("AG_Matriz.docx", "application/octet-stream", 10, "$up", {})
    command = CommandEvent("!p:x", "$up", "@ag.fp:x", "", 1, None, attachment)
    done = await dispatcher.handle(command)
    marked = await db.is_handled("$up")
    await db.close()
    return done, steps, marked


async def test_the_filed_copy_follows_the_receipt_and_precedes_the_ledger(tmp_path: Path) -> None:
    done, steps, marked = await _handled(tmp_path, work_fails=False)
    assert steps == ["checked", "reply: Received", "filed"]
    assert done and marked


async def test_a_filing_that_fails_leaves_the_upload_for_the_next_start(tmp_path: Path) -> None:
    done, steps, marked = await _handled(tmp_path, work_fails=True)
    assert steps == ["checked", "reply: Received", "filed"]
    assert not done and not marked  # redone at the next start, with the same transaction ids


async def test_work_deferred_for_a_failed_handler_is_forgotten() -> None:
    after, ran = AfterReply(), []

    async def work() -> None:
        ran.append(1)

    after.defer("$a", work)
    after.drop("$a")
    await after.run("$a")
    assert ran == []


class _Api:
    """A homeserver that limits the rate `limited` times, then accepts."""

    def __init__(self, limited: int) -> None:
        self.limited = limited
        self.calls: list[tuple[str, str]] = []

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        self.calls.append((method, path))
        if len(self.calls) <= self.limited:
            return 429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 1}
        return 200, {"event_id": "$sent"}


async def test_a_send_waits_as_the_homeserver_asks_then_goes() -> None:
    api = _Api(limited=2)
    event_id = await put_event(api, "!r:x", "m.room.encrypted", {}, "txn/1")  # type: ignore[arg-type]
    assert event_id == "$sent" and len(api.calls) == 3
    assert api.calls[0] == (
        "PUT",
        "/_matrix/client/v3/rooms/%21r%3Ax/send/m.room.encrypted/txn%2F1",
    )


async def test_a_send_limited_too_often_is_refused() -> None:
    api = _Api(limited=RATE_LIMITED_RETRIES + 1)
    try:
        await put_event(api, "!r:x", "m.room.encrypted", {}, "t")  # type: ignore[arg-type]
    except Exception as error:
        assert "M_LIMIT_EXCEEDED" in str(error)
    else:
        raise AssertionError("a send limited every time must fail")


async def test_sends_into_one_room_wait_for_the_homeserver_side_by_side(tmp_path: Path) -> None:
    """The room's lock covers the encryption, not the homeserver's answer."""
    gateway = Gateway("http://127.0.0.1:9", "@plenaria:x", "unused", tmp_path / "store", "test")
    in_flight, most = 0, 0

    def encrypt(room_id: str, kind: str, content: Any) -> tuple[str, Any]:
        return "m.room.encrypted", {"ciphertext": "…"}

    async def request(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return 200, {"event_id": "$e"}

    gateway.encrypted = lambda room_id: True  # type: ignore[method-assign]
    gateway.client.encrypt = encrypt
    gateway.request = request  # type: ignore[method-assign]
    sends = (gateway.send("!r:x", "m.room.message", {}, f"t{k}") for k in range(5))
    assert await asyncio.gather(*sends) == ["$e"] * 5
    assert most == 5
    await gateway.client.close()


async def test_a_proxy_error_page_is_a_matrix_error_the_dispatcher_retries() -> None:
    """nginx answers 502 with HTML while Synapse restarts: a `MatrixError`, not a crash."""
    from aiohttp import web

    async def bad_gateway(request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html>502 Bad Gateway</html>")

    app = web.Application()
    app.router.add_route("PUT", "/{tail:.*}", bad_gateway)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api = ClientServerApi(f"http://127.0.0.1:{port}", lambda: "token")
    try:
        await put_event(api, "!r:x", "m.room.encrypted", {}, "t")
    except MatrixError as error:
        assert error.code == "502"
    else:
        raise AssertionError("a 502 must be refused")
    finally:
        await api.close()
        await runner.cleanup()
