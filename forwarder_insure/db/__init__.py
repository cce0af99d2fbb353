"""Persistence: typed SQLAlchemy 2.0 models, the session factory and the unit of work."""
