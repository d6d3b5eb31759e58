"""The mapping of Django database entries to driftless URLs and back
(`python -m unittest discover -s tests`, with driftless-django and Django
installed; the repository's Rust tests run it)."""
import os
import unittest

from driftless_django.database_url import UnsupportedDatabase, database_url, entry_for_url


class DatabaseUrl(unittest.TestCase):
    def test_postgresql_with_a_password_to_encode_and_ssl_options(self):
        entry = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "shop",
            "USER": "app",
            "PASSWORD": "p@ss:w/rd?#%",
            "HOST": "db.internal",
            "PORT": "6432",
            "OPTIONS": {"sslmode": "require", "isolation_level": 2},
        }
        self.assertEqual(
            database_url(entry),
            "postgres://app:p%40ss%3Aw%2Frd%3F%23%25@db.internal:6432/shop?sslmode=require",
        )

    def test_postgis_a_unix_socket_and_no_user(self):
        entry = {"ENGINE": "django.contrib.gis.db.backends.postgis", "NAME": "geo", "HOST": "/var/run/postgresql"}
        self.assertEqual(database_url(entry), "postgres://localhost/geo?host=%2Fvar%2Frun%2Fpostgresql")

    def test_an_empty_host_is_localhost(self):
        entry = {"ENGINE": "django.db.backends.postgresql", "NAME": "shop", "USER": "app"}
        self.assertEqual(database_url(entry), "postgres://app@localhost/shop")

    def test_mysql_with_ssl_files_and_an_ipv6_host(self):
        entry = {
            "ENGINE": "django.db.backends.mysql",
            "NAME": "shop",
            "USER": "root",
            "HOST": "::1",
            "PORT": 3306,
            "OPTIONS": {"ssl": {"ca": "/etc/ca.pem"}, "charset": "utf8mb4", "init_command": "SET x=1"},
        }
        self.assertEqual(
            database_url(entry), "mysql://root@[::1]:3306/shop?charset=utf8mb4&ssl-ca=%2Fetc%2Fca.pem"
        )

    def test_sqlite_files_and_memory(self):
        entry = {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}
        self.assertEqual(database_url(entry), "sqlite:" + os.path.abspath("db.sqlite3"))
        for memory in (":memory:", "", "file:memdb1?mode=memory&cache=shared"):
            entry = {"ENGINE": "django.db.backends.sqlite3", "NAME": memory}
            self.assertEqual(database_url(entry), "sqlite::memory:")

    def test_unsupported_engines_are_named(self):
        for engine in ("django.db.backends.oracle", "mssql", ""):
            with self.assertRaises(UnsupportedDatabase) as caught:
                database_url({"ENGINE": engine, "NAME": "x"}, "reports")
            shown = engine or "django.db.backends.dummy"
            self.assertIn("DATABASES['reports'] uses the engine %r" % shown, str(caught.exception))
            self.assertIn("driftless does not support", str(caught.exception))

    def test_parameters_kept_elsewhere_are_refused(self):
        entry = {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"service": "prod"}}
        with self.assertRaises(UnsupportedDatabase) as caught:
            database_url(entry)
        self.assertIn("OPTIONS['service']", str(caught.exception))


class EntryForUrl(unittest.TestCase):
    def test_round_trip_keeps_the_projects_engine_and_options(self):
        base = {
            "ENGINE": "django.contrib.gis.db.backends.postgis",
            "NAME": "prod",
            "USER": "app",
            "PASSWORD": "secret",
            "HOST": "db",
            "OPTIONS": {"sslmode": "require"},
            "TEST": {"NAME": "t"},
        }
        entry = entry_for_url("postgres://dev:p%40ss@127.0.0.1:5433/test_prod?sslmode=require", base)
        self.assertEqual(entry["ENGINE"], base["ENGINE"])
        self.assertEqual(entry["OPTIONS"], {"sslmode": "require"})
        self.assertEqual(
            (entry["NAME"], entry["USER"], entry["PASSWORD"], entry["HOST"], entry["PORT"]),
            ("test_prod", "dev", "p@ss", "127.0.0.1", "5433"),
        )
        self.assertEqual(database_url(dict(base, **entry)).split("?")[0], "postgres://dev:p%40ss@127.0.0.1:5433/test_prod")

    def test_a_sqlite_url_for_a_server_entry_makes_a_sqlite_entry(self):
        base = {"ENGINE": "django.db.backends.postgresql", "NAME": "prod", "OPTIONS": {"sslmode": "require"}}
        for url, name in (("sqlite::memory:", ":memory:"), ("sqlite:/tmp/dev.db", "/tmp/dev.db"), ("sqlite:///tmp/x.db?mode=rwc", "/tmp/x.db")):
            entry = entry_for_url(url, base)
            self.assertEqual((entry["ENGINE"], entry["NAME"]), ("django.db.backends.sqlite3", name))
            self.assertNotIn("OPTIONS", entry)

    def test_a_mysql_socket(self):
        entry = entry_for_url("mysql://root@localhost/shop?socket=%2Frun%2Fmysqld.sock", None)
        self.assertEqual((entry["ENGINE"], entry["HOST"]), ("django.db.backends.mysql", "/run/mysqld.sock"))


if __name__ == "__main__":
    unittest.main()
