"""The imperative shell of plenaria: settings, Matrix gateway, E2EE, sync, storage, HTTP, CLI."""
