"""Django database entries (``settings.DATABASES[alias]``) as the URLs the
``driftless`` command reads, and back.

PostgreSQL (``django.db.backends.postgresql``, PostGIS) becomes
``postgres://``, MySQL/MariaDB (``django.db.backends.mysql``) ``mysql://``
and SQLite (``django.db.backends.sqlite3``, SpatiaLite) ``sqlite:PATH`` or
``sqlite::memory:``. User and password are percent-encoded; connection
OPTIONS that driftless understands (``sslmode``, certificates, a MySQL
socket) become query parameters. A URL holds the password: hand it to
driftless in the environment, never on a command line, and never print it.
"""
import os
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

POSTGRES = "postgres"
MYSQL = "mysql"
SQLITE = "sqlite"

#: The engines driftless reads, by the family of database they speak to.
ENGINES = {
    "django.db.backends.postgresql": POSTGRES,
    "django.db.backends.postgresql_psycopg2": POSTGRES,
    "django.contrib.gis.db.backends.postgis": POSTGRES,
    "django.db.backends.mysql": MYSQL,
    "django.contrib.gis.db.backends.mysql": MYSQL,
    "django.db.backends.sqlite3": SQLITE,
    "django.contrib.gis.db.backends.spatialite": SQLITE,
}

#: The engine an entry made from a URL of each family gets.
DEFAULT_ENGINES = {
    POSTGRES: "django.db.backends.postgresql",
    MYSQL: "django.db.backends.mysql",
    SQLITE: "django.db.backends.sqlite3",
}

# PostgreSQL OPTIONS passed on as they are (libpq's names, which driftless
# reads too); others (isolation_level, pool, server_side_binding …) only
# matter to Django's own connections.
POSTGRES_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "application_name", "options")
# MySQL OPTIONS (mysqlclient's names) and driftless's names for them.
MYSQL_OPTIONS = {"ssl_mode": "ssl-mode", "unix_socket": "socket", "charset": "charset"}
MYSQL_SSL = {"ca": "ssl-ca", "cert": "ssl-cert", "key": "ssl-key"}
# OPTIONS that hold the connection's parameters elsewhere, out of reach.
ELSEWHERE = ("service", "passfile", "read_default_file")


class UnsupportedDatabase(ValueError):
    """A database entry driftless cannot read: an engine it does not
    support (Oracle, SQL Server …), or connection parameters kept out of
    reach (a libpq service file, a MySQL option file)."""


def where(alias):
    """How messages name an entry: ``DATABASES['default']``, or a setting
    given whole (``DRIFTLESS['DEV_DATABASE']``)."""
    return alias if alias.startswith("DRIFTLESS[") else "DATABASES[%r]" % alias


def family(entry, alias="default"):
    """``postgres``, ``mysql`` or ``sqlite`` for a database entry; raises
    :class:`UnsupportedDatabase` naming any other engine."""
    engine = entry.get("ENGINE") or "django.db.backends.dummy"
    if engine not in ENGINES:
        raise UnsupportedDatabase(
            "%s uses the engine %r, which driftless does not support: it reads "
            "PostgreSQL (django.db.backends.postgresql, PostGIS), MySQL/MariaDB "
            "(django.db.backends.mysql) and SQLite (django.db.backends.sqlite3)" % (where(alias), engine)
        )
    return ENGINES[engine]


def database_url(entry, alias="default"):
    """The driftless URL of a Django database entry (a ``DATABASES`` value)."""
    kind = family(entry, alias)
    if kind == SQLITE:
        return sqlite_url(entry.get("NAME"))
    options = dict(entry.get("OPTIONS") or {})
    for key in ELSEWHERE:
        if key in options:
            raise UnsupportedDatabase(
                "%s keeps its connection parameters in OPTIONS[%r], which driftless "
                "cannot read: give driftless its URL with --db" % (where(alias), key)
            )
    host = str(entry.get("HOST") or "")
    query = []
    if host.startswith("/"):
        # A Unix socket folder: the URL names localhost, libpq's `host` the socket.
        query.append(("host" if kind == POSTGRES else "socket", host))
        host = "localhost"
    if kind == POSTGRES:
        query += [(k, str(options[k])) for k in POSTGRES_OPTIONS if k in options]
    else:
        query += [(MYSQL_OPTIONS[k], str(options[k])) for k in MYSQL_OPTIONS if k in options]
        ssl = options.get("ssl") or {}
        query += [(MYSQL_SSL[k], str(ssl[k])) for k in MYSQL_SSL if k in ssl]
    return server_url(kind, entry, host or "localhost", query)


def server_url(kind, entry, host, query):
    """``SCHEME://USER:PASSWORD@HOST:PORT/NAME?QUERY``, each part encoded."""
    user = quote(str(entry.get("USER") or ""), safe="")
    password = quote(str(entry.get("PASSWORD") or ""), safe="")
    userinfo = user + (":" + password if password else "")
    if ":" in host and not host.startswith("["):
        host = "[%s]" % host  # an IPv6 address
    port = str(entry.get("PORT") or "")
    url = "%s://%s%s%s/%s" % (
        kind,
        userinfo + "@" if userinfo else "",
        host,
        ":" + port if port else "",
        quote(str(entry.get("NAME") or ""), safe=""),
    )
    return url + ("?" + urlencode(query) if query else "")


def sqlite_url(name):
    """``sqlite:ABSOLUTE_PATH``, or ``sqlite::memory:`` for an in-memory database."""
    name = os.fspath(name) if name is not None else ""
    if name in ("", ":memory:") or "mode=memory" in name:
        return "sqlite::memory:"
    if name.startswith("file:"):
        name = name[len("file:"):].split("?")[0]
    if "?" in name:
        raise UnsupportedDatabase("the SQLite file %r cannot be named in a URL (it holds '?')" % name)
    return "sqlite:" + os.path.abspath(name)


def entry_for_url(url, base=None):
    """A Django database entry for a driftless URL: ``base`` (the project's
    own entry: its engine, OPTIONS and TEST settings) with the URL's
    database, host, port, user and password; a fresh entry of the URL's
    kind when ``base`` is of another kind."""
    base = dict(base or {})
    scheme = url.split(":", 1)[0].lower()
    kind = {"postgres": POSTGRES, "postgresql": POSTGRES, "mysql": MYSQL, "mariadb": MYSQL, "sqlite": SQLITE}.get(scheme)
    if kind is None:
        raise UnsupportedDatabase("not a database URL driftless makes: scheme %r" % scheme)
    if ENGINES.get(base.get("ENGINE")) != kind:
        base = {"ENGINE": DEFAULT_ENGINES[kind], "TEST": base.get("TEST", {})}
    if kind == SQLITE:
        path = url[len("sqlite:"):]
        path = (path[2:] if path.startswith("//") else path).split("?")[0]
        base.update(NAME=":memory:" if path in ("", ":memory:") else path, USER="", PASSWORD="", HOST="", PORT="")
        return base
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    host = query.get("host") or query.get("socket") or parts.hostname or ""
    base.update(
        NAME=unquote(parts.path.lstrip("/")),
        USER=unquote(parts.username or ""),
        PASSWORD=unquote(parts.password or ""),
        HOST=host,
        PORT=str(parts.port or ""),
    )
    return base
