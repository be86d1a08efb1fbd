"""Counting the SQL statements one request sends (a SQLAlchemy `before_cursor_execute` listener)."""
from contextlib import contextmanager

from sqlalchemy import event

from marketplace.extensions import db


@contextmanager
def counting_statements(engine=None):
    """with counting_statements() as statements: … → the SQL text of every statement sent meanwhile."""
    engine = engine or db.engine
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_of_request(client, url):
    """(response, statements) of one GET, started with an empty session as a real request is
    (the tests hold one app context open, whose identity map would otherwise hide lazy loads)."""
    db.session.remove()
    with counting_statements() as statements:
        response = client.get(url)
    return response, statements
