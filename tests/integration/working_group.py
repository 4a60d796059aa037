"""A whole working group on the test homeserver: accounts, a roster, and a running platform.

People are named by seat (`chair`, `sec`, `ag.fp`, `ag.exp1`, …); each gets a fresh account (a
unique localpart), so several working groups share one Synapse without meeting.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.accounts.homeserver import register
from bot.demo.synapse_server import LocalSynapse
from bot.runtime.app import build_app
from bot.runtime.clock import Clock
from bot.runtime.settings import load_settings
from room_policies.roles import Platform, UserId
from room_policies.rooms import RoomRef
from tests.integration.conftest import SERVER_NAME, RunningBot, unique, write_bot_config
from tests.integration.matrix_user import MatrixUser

Account = tuple[str, str]

# The 35 member States of the OAS, by ISO 3166 code (tests and benchmarks of scale use them).
OAS: tuple[str, ...] = (
    *("AG", "AR", "BS", "BB", "BZ", "BO", "BR", "CA", "CL", "CO", "CR", "CU", "DM", "DO", "EC"),
    *("SV", "US", "GD", "GT", "GY", "HT", "HN", "JM", "MX", "NI", "PA", "PY", "PE", "KN", "LC"),
    *("VC", "SR", "TT", "UY", "VE"),
)


class Http:
    """Plain client-server calls as one user (fast; no E2EE needed for membership and state)."""

    def __init__(self, homeserver: str, token: str) -> None:
        self.homeserver = homeserver
        self.token = token

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as http,
            http.request(
                method,
                self.homeserver + path,
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
            ) as resp,
        ):
            return resp.status, await resp.json(content_type=None)

    async def joined_rooms(self) -> set[str]:
        status, data = await self.call("GET", "/_matrix/client/v3/joined_rooms")
        assert status == 200, data
        return set(data["joined_rooms"])

    async def invited_rooms(self) -> set[str]:
        # A filter of its own each time: Synapse caches an identical initial /sync for minutes.
        unique = secrets.token_hex(4)
        sync_filter = json.dumps(
            {"room": {"timeline": {"limit": 0}}, "presence": {"not_types": [f"x.{unique}"]}}
        )
        status, data = await self.call(
            "GET", "/_matrix/client/v3/sync?timeout=0&filter=" + quote(sync_filter)
        )
        assert status == 200, data
        return set(data.get("rooms", {}).get("invite", {}))

    async def join(self, room_id: str) -> tuple[int, Any]:
        return await self.call("POST", f"/_matrix/client/v3/join/{quote(room_id)}", {})

    async def state(self, room_id: str) -> list[dict[str, Any]]:
        status, data = await self.call("GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/state")
        assert status == 200, data
        return list(data)


async def login(homeserver: str, user_id: str, password: str) -> Http:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            homeserver + "/_matrix/client/v3/login",
            json={
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": user_id},
                "password": password,
            },
        ) as resp,
    ):
        data = await resp.json()
        assert resp.status == 200, data
        return Http(homeserver, data["access_token"])


class WorkingGroup:
    def __init__(
        self,
        synapse: LocalSynapse,
        directory: Path,
        codes: Iterable[str],
        extra_config: str = "",
    ) -> None:
        self.extra_config = extra_config  # more YAML for the bot's config.yaml
        self.synapse = synapse
        self.directory = directory
        self.codes = [c.upper() for c in codes]
        self.accounts: dict[str, Account] = {}
        self.http: dict[str, Http] = {}
        self.users: list[MatrixUser] = []
        self.bot: RunningBot | None = None

    def seats(self) -> list[str]:
        seats = ["chair", "sec"]
        for code in self.codes:
            seats += [f"{code.lower()}.fp", f"{code.lower()}.exp1", f"{code.lower()}.exp2"]
        return seats

    def id(self, seat: str) -> UserId:
        return UserId(self.accounts[seat][0])

    async def make_account(self, seat: str, admin: bool = False) -> Account:
        localpart = unique(seat.replace(".", "-") + "-")
        password = "Pw-" + secrets.token_urlsafe(12) + "9a"
        await register(
            self.synapse.url, self.synapse.registration_secret, localpart, password, admin=admin
        )
        self.accounts[seat] = (f"@{localpart}:{SERVER_NAME}", password)
        return self.accounts[seat]

    async def create_accounts(self, admins: Iterable[str] = ()) -> None:
        await asyncio.gather(
            *(
                self.make_account(s, admin=s in set(admins))
                for s in ["bot", "warden", *self.seats()]
            )
        )

    @property
    def platform(self) -> Platform:
        return Platform(self.id("bot"), self.id("warden"))

    def roster_yaml(self) -> str:
        lines = [
            'working_group: "Test Working Group"',
            f'chairs: ["{self.id("chair")}"]',
            f'secretariat: ["{self.id("sec")}"]',
            "delegations:",
        ]
        for code in self.codes:
            low = code.lower()
            lines += [
                f"  - code: {code}",
                f'    focal_point: "{self.id(low + ".fp")}"',
                f'    experts: ["{self.id(low + ".exp1")}", "{self.id(low + ".exp2")}"]',
            ]
        return "\n".join(lines) + "\n"

    def write_config(self, http_port: int = 0) -> Path:
        directory = self.directory
        config = write_bot_config(
            directory,
            self.synapse,
            *self.accounts["bot"],
            http_port=http_port,
            warden=self.accounts["warden"],
        )
        (directory / "roster.yaml").write_text(self.roster_yaml())
        with config.open("a") as fh:
            fh.write("roster: ./roster.yaml\n")
            fh.write(f"registration_shared_secret_file: {self.secret_file}\n")
            fh.write(self.extra_config)
        if not self.secret_file.exists():
            self.secret_file.write_text(self.synapse.registration_secret)
            self.secret_file.chmod(0o600)
        return config

    @property
    def secret_file(self) -> Path:
        """The configuration's copy of Synapse's registration shared secret: for `plenaria
        accounts` only; the running bot never opens it."""
        return self.directory / "registration-shared-secret"

    async def start(
        self, *, wait_provisioned: bool = True, clock: Clock | None = None
    ) -> RunningBot:
        """The platform, in this process; `clock`: a test's own (bot/runtime/clock.py)."""
        self.bot = RunningBot(build_app(load_settings(self.write_config()), clock=clock))
        await self.bot.ready()
        if wait_provisioned:
            await self.provisioned()
        return self.bot

    async def provisioned(self, timeout: float = 120.0) -> None:
        assert self.bot is not None
        await wait_for(self.bot.app.provisioned.is_set, timeout, "provisioning")

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
        for user in self.users:
            await user.close()

    async def as_http(self, seat: str) -> Http:
        if seat not in self.http:
            self.http[seat] = await login(self.synapse.url, *self.accounts[seat])
        return self.http[seat]

    async def minted_token(self, seat: str, *, admin: str) -> Http:
        """What Synapse's admin login API gives the server's administrator (the account at seat
        `admin`): a token for `seat`, with no device."""
        status, data = await (await self.as_http(admin)).call(
            "POST", f"/_synapse/admin/v1/users/{quote(self.id(seat))}/login", {}
        )
        assert status == 200, data
        return Http(self.synapse.url, data["access_token"])

    async def matrix_user(self, seat: str) -> MatrixUser:
        user_id, password = self.accounts[seat]
        user = MatrixUser(self.synapse.url, user_id, password, self.directory / "users" / seat)
        await user.login()
        self.users.append(user)
        return user

    async def accept_invites(self, seats: Iterable[str] | None = None) -> None:
        async def accept(seat: str) -> None:
            http = await self.as_http(seat)
            for room_id in await http.invited_rooms():
                status, data = await http.join(room_id)
                assert status == 200, (seat, data)

        await asyncio.gather(*(accept(s) for s in (seats or self.seats())))

    def ref_of(self, room_id: str) -> RoomRef | None:
        assert self.bot is not None
        return self.bot.app.governance.rooms.ref_of(room_id)

    def room_id(self, ref: RoomRef) -> str:
        assert self.bot is not None
        room_id = self.bot.app.governance.rooms.room_id(ref)
        assert room_id is not None, ref
        return room_id

    async def governed_rooms_of(self, seat: str) -> set[RoomRef]:
        http = await self.as_http(seat)
        return {ref for r in await http.joined_rooms() if (ref := self.ref_of(r)) is not None}


async def wait_for(check: Callable[[], bool | Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
