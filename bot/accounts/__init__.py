"""Accounts, made on the server by `plenaria accounts`: the plan of which accounts the roster
wants, the homeserver's admin and registration APIs, and the file of initial passwords. The
running bot never imports this package: it holds no admin secret."""
