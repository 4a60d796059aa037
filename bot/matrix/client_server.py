"""Plain HTTP calls of the Matrix client-server API, as one logged-in account.

For what nio lacks or keeps no state for: the reconciler's room calls (create, state, invite,
kick: the warden holds no nio room state to speak of), single events, device lists and raw
`/keys/query` answers. `Gateway` (bot/matrix/gateway.py) is a `ClientServerApi` too, with nio
for sync, encryption and sending. A refusal raises `MatrixError`; a homeserver out of reach,
`HomeserverUnreachable`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.matrix.errors import HomeserverUnreachable, MatrixError


def path_quote(value: str) -> str:
    return quote(value, safe="")


class ClientServerApi:
    """Client-server API calls with the access token `access_token()` gives at the time."""

    def __init__(self, homeserver: str, access_token: Callable[[], str]) -> None:
        self.homeserver = homeserver.rstrip("/")
        self._access_token = access_token
        self._http: aiohttp.ClientSession | None = None

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """A raw client-server API call (for endpoints nio lacks): status and JSON body."""
        status, data = await self._json_request(method, path, body)
        return status, data if isinstance(data, dict) else {}

    async def _json_request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=32),
                timeout=aiohttp.ClientTimeout(total=120),
            )
        url = self.homeserver + path
        headers = {"Authorization": f"Bearer {self._access_token()}"}
        try:
            async with self._http.request(method, url, json=body, headers=headers) as resp:
                try:
                    return resp.status, await resp.json(content_type=None)
                except ValueError:  # not JSON: a proxy's error page while Synapse restarts
                    return resp.status, None
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise HomeserverUnreachable(path, "unreachable", type(exc).__name__) from None

    async def _required_call(
        self, what: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Any:
        """A client-server API call that must succeed; a refusal raises `MatrixError`."""
        status, data = await self._json_request(method, "/_matrix/client/v3" + path, body)
        if status != 200:
            errcode = data.get("errcode", str(status)) if isinstance(data, dict) else str(status)
            message = data.get("error", "") if isinstance(data, dict) else ""
            raise MatrixError(what, str(errcode), str(message))
        return data

    # -- rooms, for the reconciler -------------------------------------------------------------

    async def create_room(self, body: dict[str, Any]) -> str:
        data = await self._required_call("create room", "POST", "/createRoom", body)
        return str(data["room_id"])

    async def joined_rooms(self) -> list[str]:
        data = await self._required_call("joined rooms", "GET", "/joined_rooms")
        return [str(r) for r in data.get("joined_rooms", [])]

    async def room_state(self, room_id: str) -> list[dict[str, Any]]:
        """The room's current state events (as the homeserver serves them)."""
        data = await self._required_call("room state", "GET", f"/rooms/{path_quote(room_id)}/state")
        return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []

    async def room_event(self, room_id: str, event_id: str) -> dict[str, Any] | None:
        """One event of the room as the homeserver serves it (redacted, if it was); None if the
        homeserver does not show it."""
        path = f"/_matrix/client/v3/rooms/{path_quote(room_id)}/event/{path_quote(event_id)}"
        status, data = await self._json_request("GET", path)
        if status == 404:
            return None
        if status != 200 or not isinstance(data, dict):
            errcode = data.get("errcode", str(status)) if isinstance(data, dict) else str(status)
            raise MatrixError("read event", str(errcode))
        return data

    async def put_state(
        self, room_id: str, event_type: str, state_key: str, content: dict[str, Any]
    ) -> str:
        path = (
            f"/rooms/{path_quote(room_id)}/state/{path_quote(event_type)}/{path_quote(state_key)}"
        )
        data = await self._required_call(f"set {event_type}", "PUT", path, content)
        return str(data.get("event_id", ""))

    async def invite(self, room_id: str, user_id: str, reason: str | None = None) -> None:
        body: dict[str, Any] = {"user_id": user_id}
        if reason:
            body["reason"] = reason
        await self._required_call("invite", "POST", f"/rooms/{path_quote(room_id)}/invite", body)

    async def kick(self, room_id: str, user_id: str, reason: str) -> None:
        body = {"user_id": user_id, "reason": reason}
        await self._required_call("kick", "POST", f"/rooms/{path_quote(room_id)}/kick", body)

    # -- device keys ---------------------------------------------------------------------------

    async def keys_of(self, user_id: str) -> dict[str, Any]:
        return await self.keys_of_many([user_id])

    async def keys_of_many(self, user_ids: list[str]) -> dict[str, Any]:
        """The raw `/keys/query` answer for these users (devices, cross-signing keys)."""
        status, data = await self.request(
            "POST", "/_matrix/client/v3/keys/query", {"device_keys": {u: [] for u in user_ids}}
        )
        if status != 200:
            raise MatrixError("keys query", str(status), str(data.get("errcode", "")))
        return data

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
