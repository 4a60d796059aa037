"""Persistent state: SQLAlchemy 2 (async) models, Alembic migrations, repositories."""
