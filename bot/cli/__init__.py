"""`plenaria`, the one command line (`bot.cli.main`), and its verbs that work on the server:
accounts, and the documents engine on files (compile, check a proposal)."""
