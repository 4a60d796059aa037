"""`plenaria demo`: a local Synapse (SQLite), demo accounts and the bot, for trying plenaria.

Everything lives under one folder (default `.demo/`): the homeserver's data, the generated
passwords (mode 0600), the demo roster, the bot's configuration and E2EE store. Running it again
reuses all of it. The accounts are made the way `plenaria accounts create` makes them
(`AccountService`), named from the demo roster. Ctrl-C stops the bot, then Synapse.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

from bot.accounts.errors import AccountError
from bot.accounts.passwords import generate_password
from bot.accounts.plan import wanted_accounts
from bot.accounts.service import AccountService
from bot.demo.documents import BASE_NAME, sample_base
from bot.demo.synapse_server import LocalSynapse, SynapseError
from bot.governance import roster_service
from bot.matrix.private_files import write_private
from bot.runtime.app import App, build_app
from bot.runtime.settings import Settings, load_settings
from room_policies.roles import Platform, UserId

SERVER_NAME = "localhost"
BOT, WARDEN = "plenaria", "plenaria-warden"

# (localpart, role) of the demo working group: a chair, a secretariat member, and the focal
# point and two experts of three delegations.
DEMO_PEOPLE: list[tuple[str, str]] = [
    ("chair", "Chair"),
    ("sec.ana", "Technical Secretariat"),
    *[
        (f"{code}.{who}", label)
        for code in ("ag", "br", "ca")
        for who, label in (
            ("fp", f"focal point of {code.upper()}"),
            ("exp1", f"expert of {code.upper()}"),
            ("exp2", f"expert of {code.upper()}"),
        )
    ],
]


DEMO_ROSTER = f"""\
# Written by `plenaria demo`: the demo working group (SPEC §7 roster.yaml).
working_group: "Joint Working Group on Disaster Prevention and Response"
chairs: ["@chair:{SERVER_NAME}"]
secretariat: ["@sec.ana:{SERVER_NAME}"]
experts_read_folders: false
delegations:
  - code: AG
    focal_point: "@ag.fp:{SERVER_NAME}"
    experts: ["@ag.exp1:{SERVER_NAME}", "@ag.exp2:{SERVER_NAME}"]
  - code: BR
    focal_point: "@br.fp:{SERVER_NAME}"
    experts: ["@br.exp1:{SERVER_NAME}", "@br.exp2:{SERVER_NAME}"]
  - code: CA
    focal_point: "@ca.fp:{SERVER_NAME}"
    experts: ["@ca.exp1:{SERVER_NAME}", "@ca.exp2:{SERVER_NAME}"]
names:
  "@chair:{SERVER_NAME}": María Fernanda Ortiz
  "@sec.ana:{SERVER_NAME}": Ana Pérez
  "@ag.fp:{SERVER_NAME}": Marcus Joseph
  "@br.fp:{SERVER_NAME}": João Carvalho
  "@ca.fp:{SERVER_NAME}": Claire Tremblay
"""


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _passwords(path: Path, localparts: list[str]) -> dict[str, str]:
    try:
        saved: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        saved = {}
    changed = False
    for localpart in localparts:
        if localpart not in saved:
            saved[localpart] = generate_password()
            changed = True
    if changed:
        write_private(path, json.dumps(saved, indent=2))
    return saved


def _write_config(directory: Path, synapse: LocalSynapse, http_port: int) -> Path:
    config = directory / "config.yaml"
    config.write_text(
        "\n".join(
            [
                "# Written by `plenaria demo`; secrets are in ./secrets (mode 0600).",
                f"homeserver_url: {synapse.url}",
                f"server_name: {SERVER_NAME}",
                "data_dir: ./data",
                "bot:",
                f'  user_id: "@{BOT}:{SERVER_NAME}"',
                "  password_file: ./secrets/bot-password",
                "warden:",
                f'  user_id: "@{WARDEN}:{SERVER_NAME}"',
                "  password_file: ./secrets/warden-password",
                f"registration_shared_secret_file: {synapse.secret_path}",
                "roster: ./roster.yaml",
                f"http: {{host: 127.0.0.1, port: {http_port}}}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return config


def run_demo(directory: Path, port: int, http_port: int, scenario: bool = False) -> int:
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    if not _port_free(port):
        print(
            f"plenaria demo: port {port} is in use; stop what uses it or pass --port",
            file=sys.stderr,
        )
        return 1
    if not _port_free(http_port):
        http_port = 0
    platform = Platform(UserId(f"@{BOT}:{SERVER_NAME}"), UserId(f"@{WARDEN}:{SERVER_NAME}"))
    synapse = LocalSynapse(directory / "synapse", SERVER_NAME, port, platform=platform)
    print(f"Starting Synapse on {synapse.url} (data in {synapse.directory}) …", flush=True)
    try:
        synapse.write_config()
        synapse.start()
    except SynapseError as exc:
        print(f"plenaria demo: {exc}", file=sys.stderr)
        return 1
    try:
        return asyncio.run(_serve(directory, synapse, http_port, scenario))
    finally:
        print("Stopping Synapse …", flush=True)
        synapse.stop()


async def _serve(
    directory: Path, synapse: LocalSynapse, http_port: int, scenario: bool = False
) -> int:
    people = [localpart for localpart, _ in DEMO_PEOPLE]
    accounts = [BOT, WARDEN, *people]
    passwords = _passwords(directory / "secrets" / "passwords.json", accounts)
    write_private(directory / "secrets" / "bot-password", passwords[BOT])
    write_private(directory / "secrets" / "warden-password", passwords[WARDEN])
    (directory / "roster.yaml").write_text(DEMO_ROSTER, encoding="utf-8")
    settings = load_settings(_write_config(directory, synapse, http_port))
    try:
        await _create_accounts(settings, passwords)
    except AccountError as exc:
        for reason in exc.reasons:
            print(f"plenaria demo: {reason}", file=sys.stderr)
        return 1
    app = build_app(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.stop)
    runner = asyncio.create_task(app.run())
    print("Provisioning the demo working group's rooms …", flush=True)
    ready = asyncio.ensure_future(_ready(app))
    await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
    if runner.done():
        ready.cancel()
        runner.result()
    _print_welcome(synapse, passwords, app.http.port, len(app.governance.rooms.known()))
    if scenario:
        from bot.demo.scenario import play

        try:
            await play(synapse.url, SERVER_NAME, passwords, directory)
        except (TimeoutError, RuntimeError) as exc:
            print(f"plenaria demo: the scenario stopped: {exc}", file=sys.stderr)
        print("The platform keeps running: log in as above. Ctrl-C stops it.", flush=True)
    await runner
    print("Bot stopped.", flush=True)
    return 0


async def _ready(app: App) -> None:
    await app.router.synced.wait()
    await app.provisioned.wait()
    # A base text to negotiate, in the Inter-American Plan folder (once: the key says so).
    await app.documents.publish_file(
        sample_base(),
        BASE_NAME,
        "plan",
        title="Inter-American Plan — draft matrix",
        symbol="OEA/Ser.G CP/GT/CPDP-12/11",
        publisher=app.gateway.user_id,
        key=f"demo:{BASE_NAME}:1",
    )


async def _create_accounts(settings: Settings, passwords: dict[str, str]) -> None:
    """The demo's accounts, with the passwords it remembers (a rerun renames, never resets)."""
    roster = roster_service.parse(settings, DEMO_ROSTER)
    by_user = {f"@{localpart}:{SERVER_NAME}": password for localpart, password in passwords.items()}
    async with AccountService.from_settings(settings) as service:
        plan = await service.survey(wanted_accounts(settings, roster))
        if plan.deactivated:
            raise AccountError(
                f"{user} is deactivated on the demo homeserver; delete "
                f"{settings.data_dir.parent} to start afresh"
                for user in plan.deactivated
            )
        await service.apply(plan, by_user)


def _print_welcome(
    synapse: LocalSynapse, passwords: dict[str, str], http_port: int, rooms: int
) -> None:
    width = max(len(localpart) for localpart, _ in DEMO_PEOPLE)
    lines = [
        "",
        "plenaria demo is running.",
        "",
        f"  Homeserver URL : {synapse.url}   (server name: {SERVER_NAME})",
        f"  The bot        : @{BOT}:{SERVER_NAME}",
        f"  Health, metrics: http://127.0.0.1:{http_port}/healthz  /metrics",
        "",
        "Sign in with Element (desktop, or Element Web): choose 'Sign in', edit the homeserver",
        f"to {synapse.url}, then use one of these logins (user name / password):",
        "",
    ]
    for localpart, role in DEMO_PEOPLE:
        lines.append(f"  {localpart.ljust(width)}  {passwords[localpart]}   {role}")
    lines += [
        "",
        f"The platform governs {rooms} encrypted rooms. Each person is invited to theirs: accept",
        "the invitations. As ag.fp you find the working group's space, the Plenary, the three",
        "document folders, your Desk (send !help there) and the Experts room of Antigua and",
        "Barbuda; as chair, the Moderation room too (!delegations, !reconcile --dry-run, !audit).",
        f"The Inter-American Plan folder holds {BASE_NAME}. As a focal point, download it, make",
        "your changes with Track Changes on, save it as AG_Matriz.docx (your code) and upload it",
        "in the Plenary: you get a receipt, or the reason it is refused. As chair, send !compile",
        "in the Moderation room: the revised text and the compilation matrix come back there.",
        f"Any of you may start a chat with @{BOT}:{SERVER_NAME} and send !ping or !help, or",
        "!support <question>: the ticket reaches the Secretariat's Support room (sign in as",
        "sec.ana to answer it: reply to the ticket).",
        "The first time each person joins, the bot sends them a guide for their role (a focal",
        "point in the Desk, anyone else in a chat the bot opens); !guide sends it again, and",
        "!lang es, fr, pt or en chooses the language the platform answers them in.",
        "Ctrl-C stops the bot and Synapse; running `make demo` again reuses .demo/.",
        "",
    ]
    print("\n".join(lines), flush=True)
