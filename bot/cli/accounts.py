"""`plenaria accounts create | reset-password | handed-over`: accounts, on the server only.

These are the only commands that read the registration shared secret (and so reach Synapse's
admin API, bot/accounts/); `plenaria run` never imports this module. After a roster change in
the chat, the Technical Secretariat runs `accounts create` to make the new accounts and set the
locked display names. Exit codes (SPEC §7): 0 done, 1 refused (one line per reason on standard
error), 2 usage or configuration error (raised as ConfigError, reported by bot.cli.main).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.accounts.errors import AccountError
from bot.accounts.homeserver import HomeserverAdmin
from bot.accounts.passwords import PasswordFile, generate_password, missing_platform_password_files
from bot.accounts.plan import former_accounts, user_id_argument, wanted_accounts
from bot.accounts.service import AccountService, create_accounts
from bot.cli.exit_codes import EXIT_OK, EXIT_REFUSED
from bot.cli.preflight import check_paths, open_database
from bot.matrix.private_files import write_private
from bot.runtime.settings import ConfigError, Settings, load_settings
from room_policies.roster import Roster


def run_accounts(args: argparse.Namespace) -> int:
    try:
        if args.action == "create":
            return asyncio.run(_accounts_create(args))
        settings = load_settings(args.config)
        if args.action == "handed-over":
            return _accounts_handed_over(settings, args)
        check_paths(settings)
        return asyncio.run(_accounts_reset(settings, args))
    except AccountError as exc:
        for reason in exc.reasons:
            print(f"plenaria: {reason}", file=sys.stderr)
        return EXIT_REFUSED


def _read_roster(settings: Settings, path: Path) -> Roster:
    from bot.governance import roster_service

    return roster_service.read_file(settings, path)


async def _rosters_for_accounts(
    settings: Settings, path: Path | None
) -> tuple[Roster, list[Roster]]:
    """The roster to make accounts for (the `--roster` file, else the current roster in the
    database, else `roster:`) and the database's roster history, oldest first."""
    from bot.governance import roster_service

    db = await open_database(settings)
    try:
        stored = await roster_service.current(settings, db)
        history = await roster_service.history(settings, db)
    finally:
        await db.close()
    if path is not None:
        return _read_roster(settings, path), history
    if stored is not None:
        return stored.roster, history
    if settings.roster is not None:
        return _read_roster(settings, settings.roster), history
    raise AccountError(
        "no roster: pass --roster FILE, set roster: in the configuration, or run "
        "`plenaria roster import` first"
    )


def _passwords_file(settings: Settings, output: Path | None) -> PasswordFile:
    return PasswordFile(output or settings.data_dir / "secrets" / "initial-passwords.json")


async def _accounts_create(args: argparse.Namespace) -> int:
    # The bot's and warden's password files must exist for the configuration to load; one
    # generated here is kept only if its account is made with it in this run.
    new_files = missing_platform_password_files(args.config)
    service: AccountService | None = None
    try:
        for path in new_files.values():
            try:
                write_private(path, generate_password())
            except OSError as exc:
                raise ConfigError(f"cannot write password_file {path}: {exc.strerror}") from None
        settings = load_settings(args.config)
        check_paths(settings)
        roster, history = await _rosters_for_accounts(settings, args.roster)
        wanted = wanted_accounts(settings, roster)
        former = former_accounts(settings, history, roster)
        platform = {settings.bot.user_id: settings.bot.secret()}
        if settings.warden is not None:
            platform[settings.warden.user_id] = settings.warden.secret()
        passwords = _passwords_file(settings, args.output)
        service = AccountService.from_settings(settings)
        async with service:
            outcome, written = await create_accounts(
                service,
                wanted,
                former=former,
                platform_passwords=platform,
                new_platform_files=new_files,
                passwords_file=passwords,
            )
    finally:
        made = set(service.created) if service is not None else set()
        for user, path in new_files.items():
            if user not in made:
                path.unlink(missing_ok=True)
    print(
        f"created {len(outcome.created)}, names updated {len(outcome.renamed)}, "
        f"unchanged {len(outcome.unchanged)}"
    )
    for user, path in new_files.items():
        print(f"password of {user} generated in {path} (mode 0600)")
    if written:
        print(
            f"passwords of the {written} new account(s) written to {passwords.path} (mode 0600); "
            "hand each person theirs over a secure channel, then run "
            f"`{_handed_over_command(args)}`"
        )
    return EXIT_OK


def _handed_over_command(args: argparse.Namespace) -> str:
    output = f" -o {args.output}" if args.output is not None else ""
    return f"plenaria accounts handed-over --config {args.config}{output}"


def _accounts_handed_over(settings: Settings, args: argparse.Namespace) -> int:
    passwords = _passwords_file(settings, args.output)
    held = passwords.delete()
    if held is None:
        print(f"no passwords file at {passwords.path}: nothing to delete")
    else:
        print(f"deleted {passwords.path}, which held {held} password(s)")
    return EXIT_OK


async def _accounts_reset(settings: Settings, args: argparse.Namespace) -> int:
    user = user_id_argument(args.user, settings.server_name)
    homeserver = HomeserverAdmin.from_settings(settings)
    if not user.endswith(":" + settings.server_name):
        raise AccountError(f"{user} is not an account of {settings.server_name}")
    if user == homeserver.admin_id:
        raise AccountError(
            f"{user} is the platform's admin account; its password is derived from the "
            "registration shared secret"
        )
    for name, account in (("bot", settings.bot), ("warden", settings.warden)):
        if account is not None and user == account.user_id:
            raise AccountError(
                f"{user} is the platform's {name} account; its password is the one in "
                f"{name}.password_file"
            )
    passwords = _passwords_file(settings, args.output)
    before = passwords.read()
    async with homeserver:
        existing = await homeserver.lookup(user)
        if existing is None:
            raise AccountError(f"unknown user {user}: there is no such account on the homeserver")
        if existing.deactivated:
            raise AccountError(f"{user} is deactivated on the homeserver")
        password = generate_password()
        passwords.write(before | {user: password})
        try:
            await homeserver.reset_password(user, password, logout_devices=True)
        except BaseException:
            passwords.write(before)
            raise
    print(
        f"new password of {user} written to {passwords.path} (mode 0600); "
        "the account was signed out of every device; once it is handed over, run "
        f"`{_handed_over_command(args)}`"
    )
    return EXIT_OK
