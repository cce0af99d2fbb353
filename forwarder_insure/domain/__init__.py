"""Pure domain logic: standard library (and babel for currency data) only.

Nothing here imports Flask, SQLAlchemy, marshmallow or boto3, so every rule can be tested and
reasoned about without a server or a database.
"""
