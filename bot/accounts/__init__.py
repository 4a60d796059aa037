"""Accounts, made on the server by `plenaria accounts` (and `plenaria demo`). The running bot
never imports this package: it holds no admin secret.

- plan.py: which accounts the platform and the roster want, and what to create or rename (pure);
- homeserver.py: Synapse's shared-secret registration and admin APIs, as the platform's admin;
- passwords.py: generated and derived passwords, the shared secret, the initial-passwords file;
- service.py: surveys the homeserver into a plan and applies it (`plenaria accounts create`);
- errors.py: `AccountError`, one line per reason."""
