"""`plenaria`, the one command line (`bot.cli.main`: parsing, and one line on standard error for
every failure), and its verbs that work on the server: accounts (`accounts.py`), backup and
restore (`backup.py`: one encrypted archive of the database, the E2EE stores and the files), and
the documents engine on files (`documents.py`: compile, check a proposal). `preflight.py` holds
the checks a command makes before it starts; `exit_codes.py` the exit codes of SPEC §7."""
