"""Storage: SQLAlchemy models, engines, writer turns and Alembic migrations."""
