"""Test databases built by the real migrations once per run, then cloned per test.

SQLite: the migrated template file is copied. PostgreSQL (TEST_DATABASE_URL set): each test gets
`CREATE DATABASE … TEMPLATE …`, dropped afterwards. Cloning keeps tests independent even though
ledger triggers forbid deleting transfers.
"""
import itertools
import os
import shutil

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

_counter = itertools.count()


class SQLiteDatabases:
    dialect = "sqlite"

    def __init__(self, folder):
        self.folder = folder
        self.template = os.path.join(folder, "template.sqlite3")

    def template_url(self):
        return f"sqlite:///{self.template}"

    def clone(self):
        path = os.path.join(self.folder, f"test-{next(_counter)}.sqlite3")
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url):
        path = make_url(url).database
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)

    def finish(self):
        pass


class PostgresDatabases:
    dialect = "postgresql"

    def __init__(self, url):
        self.url = make_url(url)
        self.base = f"{self.url.database}_{os.getpid()}"
        self.admin = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.template = f"{self.base}_tmpl"
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{self.template}"')

    def _execute(self, sql):
        with self.admin.connect() as connection:
            connection.execute(text(sql))

    def template_url(self):
        return self.url.set(database=self.template).render_as_string(hide_password=False)

    def clone(self):
        name = f"{self.base}_{next(_counter)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url):
        self._execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def finish(self):
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.dispose()


def databases_for_run(tmp_folder):
    url = os.environ.get("TEST_DATABASE_URL")
    return PostgresDatabases(url) if url else SQLiteDatabases(tmp_folder)
