"""Settings of the story project: the database comes from DATABASE_URL
(postgres://user@host:port/name or sqlite:PATH), as on Render or Heroku."""
import os
from urllib.parse import urlparse, unquote

SECRET_KEY = "driftless-test-only"
DEBUG = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "authentication",
]


def _database(url):
    if url.startswith("sqlite:"):
        # sqlite:PATH, sqlite://PATH, sqlite:///relative, sqlite:////absolute
        path = url[len("sqlite:"):].split("?")[0]
        path = path[3:] if path.startswith("///") else path[2:] if path.startswith("//") else path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    u = urlparse(url)
    engine = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql"}[u.scheme]
    return {
        "ENGINE": "django.db.backends." + engine,
        "NAME": unquote(u.path.lstrip("/")),
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "",
        "PORT": str(u.port or ""),
    }


DATABASES = {"default": _database(os.environ.get("DATABASE_URL", "sqlite:db.sqlite3"))}
