"""A real Synapse for the whole test session, accounts on it, and bots built with build_app."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.accounts.homeserver import register
from bot.demo.synapse_server import LocalSynapse, free_port
from bot.runtime.app import App, build_app
from bot.runtime.settings import Settings, load_settings
from commands.table import CommandTable
from tests.integration.element_client import ElementClient, open_element
from tests.integration.matrix_user import MatrixUser
from tests.servers.postgres import LocalPostgres
from tests.servers.synapse_workers import ScaledSynapse

SERVER_NAME = "test.plenaria"
_counter = itertools.count()


# The stacks the integration tests run on, a parameter of every test that uses the `synapse`
# fixture:
#   sqlite      Synapse and plenaria on SQLite, Synapse in one process: the demo's stack;
#   postgresql  as production runs it: Synapse on PostgreSQL, and plenaria on PostgreSQL.
# A module runs on the stacks its `pytestmark = pytest.mark.stacks(...)` names, else on
# DEFAULT_STACKS: the foundation, the governance, the documents and rounds flows, the intake
# crash, privacy and the roster CLI name both; the slow and database-indifferent rest stays on
# sqlite, to keep `make test` within CI's time (each module's marker says why). `pytest
# --stacks=all` runs every module on every stack, `--stacks=postgresql` every module on that one.
# A test takes a stack through the `synapse` fixture or by asking for `stack` itself. Each
# stack's servers start once per test session (per xdist worker) and live to its end, so
# modules on different stacks may follow each other in any order.
STACKS = ("sqlite", "postgresql")
DEFAULT_STACKS = ("sqlite",)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stacks",
        default="marked",
        help="the stacks of the integration tests: 'marked' (each module on those its "
        "`stacks` marker names, the default), 'all' (every module on every stack), or a "
        f"comma-separated list of {', '.join(STACKS)} (every module on those)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "stacks(*names): the stacks (sqlite, postgresql) a module's tests run on"
    )


def _stacks(metafunc: pytest.Metafunc) -> tuple[str, ...]:
    chosen = str(metafunc.config.getoption("stacks"))
    if chosen == "marked":
        marker = metafunc.definition.get_closest_marker("stacks")
        names = tuple(marker.args) if marker is not None else DEFAULT_STACKS
    elif chosen == "all":
        names = STACKS
    else:
        names = tuple(name.strip() for name in chosen.split(",") if name.strip())
    unknown = set(names) - set(STACKS)
    assert names and not unknown, f"unknown stacks {sorted(unknown)}: the stacks are {STACKS}"
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "stack" not in metafunc.fixturenames:  # the `synapse` fixture's, or a test's own
        return
    metafunc.parametrize("stack", _stacks(metafunc), indirect=True, scope="module")


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """One PostgreSQL server for the session (Debian's, as `make servers` installs it)."""
    server = LocalPostgres(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stack_database_url(stack: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """The `database_url` of a bot a test configures itself, without the session's Synapse:
    "" on the sqlite stack (SQLite in its data_dir), a new PostgreSQL database on postgresql."""
    if stack != "postgresql":
        yield ""
        return
    postgres: LocalPostgres = request.getfixturevalue("postgres")
    database = postgres.create_database()
    yield database.url()
    database.drop()


class StackHomeserver(ScaledSynapse):
    """The session's Synapse, and the databases of the bots that run beside it on its stack.
    On the postgresql stack Synapse runs as production scales it: on PostgreSQL, with a worker
    and Redis, behind the deployed routing (tests/servers/synapse_workers.py)."""

    def __init__(self, directory: Path, stack: str, postgres: LocalPostgres | None) -> None:
        extra: dict[str, Any] = {}
        if postgres is not None:
            extra["database"] = {
                "name": "psycopg2",
                "args": postgres.create_database().synapse_args(),
            }
        super().__init__(
            directory, SERVER_NAME, free_port(), workers=postgres is not None, extra_config=extra
        )
        self.stack = stack
        self._postgres = postgres
        self._databases: dict[Path, str] = {}

    def plenaria_database(self, directory: Path) -> str:
        """The `database_url` of the bot whose folder is `directory`, the same at every start
        ("": SQLite in its data_dir, the default)."""
        if self._postgres is None:
            return ""
        key = directory.resolve()
        if key not in self._databases:
            self._databases[key] = self._postgres.create_database().url()
        return self._databases[key]


def _homeserver(
    stack: str, postgres: LocalPostgres | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StackHomeserver]:
    server = StackHomeserver(tmp_path_factory.mktemp(f"synapse-{stack}"), stack, postgres)
    server.start()
    yield server
    server.remove()


@pytest.fixture
def own_homeserver(
    stack: str, synapse: LocalSynapse, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[StackHomeserver]:
    """A homeserver of the test's own on the session's stack, not yet started: for a test that
    stops and starts it (all its processes) under a running bot."""
    postgres = request.getfixturevalue("postgres") if stack == "postgresql" else None
    server = StackHomeserver(tmp_path / "synapse", stack, postgres)
    yield server
    server.remove()


@pytest.fixture(scope="session")
def sqlite_homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHomeserver]:
    yield from _homeserver("sqlite", None, tmp_path_factory)


@pytest.fixture(scope="session")
def postgresql_homeserver(
    postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StackHomeserver]:
    yield from _homeserver("postgresql", postgres, tmp_path_factory)


@pytest.fixture(scope="module")
def synapse(stack: str, request: pytest.FixtureRequest) -> LocalSynapse:
    """The homeserver of the module's stack (started once per session)."""
    server: LocalSynapse = request.getfixturevalue(f"{stack}_homeserver")
    return server


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}x{secrets.token_hex(2)}"


Account = tuple[str, str]  # user id, password
MakeAccount = Callable[..., Awaitable[Account]]


@pytest.fixture(scope="module")
def make_account(synapse: LocalSynapse) -> MakeAccount:
    async def make(prefix: str = "user", admin: bool = False) -> Account:
        localpart = unique(prefix)
        password = secrets.token_urlsafe(12)
        await register(synapse.url, synapse.registration_secret, localpart, password, admin=admin)
        return f"@{localpart}:{SERVER_NAME}", password

    return make


@pytest.fixture
async def make_user(
    synapse: LocalSynapse, make_account: MakeAccount, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[MatrixUser]]]:
    users: list[MatrixUser] = []

    async def make(prefix: str = "user") -> MatrixUser:
        user_id, password = await make_account(prefix)
        user = MatrixUser(synapse.url, user_id, password, tmp_path / "users" / user_id)
        await user.login()
        users.append(user)
        return user

    yield make
    for user in users:
        await user.close()


MakeElement = Callable[..., Awaitable[ElementClient]]


@pytest.fixture
async def make_element(
    synapse: LocalSynapse, make_account: MakeAccount, tmp_path: Path
) -> AsyncIterator[MakeElement]:
    """Element clients (matrix-js-sdk, "exclude insecure devices"): logged in, syncing, joining
    every room they are invited to, each device cross-signed by its owner unless asked not to."""
    clients: list[ElementClient] = []

    async def make(
        account: Account | None = None, *, cross_sign: bool = True, device_name: str = "Element"
    ) -> ElementClient:
        user_id, password = account if account is not None else await make_account("element")
        log = tmp_path / "element" / f"{user_id[1:].split(':')[0]}-{len(clients)}.log"
        element = await open_element(
            synapse.url, user_id, password, log, cross_sign=cross_sign, device_name=device_name
        )
        clients.append(element)
        return element

    yield make
    for element in clients:
        await element.close()


def write_bot_config(
    directory: Path,
    synapse: LocalSynapse,
    user_id: str,
    password: str,
    http_port: int = 0,
    timeline_limit: int = 100,
    warden: tuple[str, str] | None = None,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bot-password").write_text(password)
    config = directory / "config.yaml"
    config.write_text(
        "\n".join(
            [
                f"homeserver_url: {synapse.url}",
                f"server_name: {SERVER_NAME}",
                "data_dir: ./data",
                "bot:",
                f'  user_id: "{user_id}"',
                "  password_file: ./bot-password",
                f"http: {{host: 127.0.0.1, port: {http_port}}}",
                f"sync: {{timeout_ms: 5000, max_backoff_s: 2, timeline_limit: {timeline_limit}}}",
                "",
            ]
        )
    )
    if isinstance(synapse, StackHomeserver) and (url := synapse.plenaria_database(directory)):
        with config.open("a") as fh:
            fh.write(f"database_url: {url}\n")
    if warden is not None:
        (directory / "warden-password").write_text(warden[1])
        with config.open("a") as fh:
            fh.write(f'warden:\n  user_id: "{warden[0]}"\n  password_file: ./warden-password\n')
    return config


class RunningBot:
    def __init__(self, app: App) -> None:
        self.app = app
        self.task: asyncio.Task[None] = asyncio.create_task(app.run())

    @property
    def user_id(self) -> str:
        return self.app.gateway.user_id

    async def ready(self, timeout: float = 60.0) -> RunningBot:
        waiter = asyncio.ensure_future(self.app.router.synced.wait())
        done, _ = await asyncio.wait(
            {waiter, self.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if self.task in done:
            self.task.result()
        assert waiter in done, "the bot did not finish its first sync"
        return self

    async def stop(self) -> None:
        self.app.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 30)


@pytest.fixture
async def start_bot(
    synapse: LocalSynapse, make_account: MakeAccount, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[RunningBot]]]:
    bots: list[RunningBot] = []

    async def start(commands: CommandTable | None = None) -> RunningBot:
        user_id, password = await make_account("bot")
        settings: Settings = load_settings(
            write_bot_config(tmp_path / f"bot{len(bots)}", synapse, user_id, password)
        )
        bot = RunningBot(build_app(settings, commands=commands))
        bots.append(bot)
        return await bot.ready()

    yield start
    for bot in bots:
        await bot.stop()


class BotProcess:
    """`plenaria run` as a real process, for crash and restart tests."""

    def __init__(self, config: Path, http_port: int) -> None:
        self.config = config
        self.http_port = http_port
        self.process: subprocess.Popen[bytes] | None = None
        self.log = config.parent / "bot.log"

    def start(self) -> None:
        out = open(self.log, "ab")  # noqa: SIM115 (handed to the process)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli.main", "run", "--config", str(self.config)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()

    async def healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.http_port}/healthz"
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.process is not None and self.process.poll() is None, (
                    self.log.read_text()
                )
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(url) as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise TimeoutError(f"bot not healthy: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def query_keys(homeserver: str, asker: MatrixUser, user_id: str) -> dict[str, Any]:
    """What any client sees of a user's keys: `/keys/query` as `asker`."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            homeserver + "/_matrix/client/v3/keys/query",
            json={"device_keys": {user_id: []}},
            headers={"Authorization": f"Bearer {asker.client.access_token}"},
        ) as resp,
    ):
        assert resp.status == 200
        data: dict[str, Any] = await resp.json()
        return data
