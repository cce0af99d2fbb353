"""Test set-up: every app-level test runs once on SQLite and once on PostgreSQL (when it answers).

Select backends with ``--db sqlite`` or ``--db postgresql`` (default: both). PostgreSQL is found
through ``FI_TEST_POSTGRES_URL`` (default: the local server, database ``test``); each run works in
a schema of its own, dropped at the end.
"""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.app",
    "tests.fixtures.insurance",
    "tests.fixtures.s3",
    "tests.fixtures.books",
]


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        action="append",
        choices=["sqlite", "postgresql"],
        help="database backend(s) to run app tests on (default: both)",
    )
