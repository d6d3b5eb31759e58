#!/usr/bin/env python3
"""A Django project with N generated migrations, for the stepper benchmark.

    python3 bench/gen_django.py 200 target/bench/django_200

One app (`ledger`) whose migrations, in one dependency chain, create
tables (some with a foreign key to an earlier one), add columns, add
indexes, alter fields, and now and then run SQL (RunSQL) or Python code
(RunPython, reading rows through the historical models). The project
reads its database from DATABASE_URL like tests/frameworks/django-story,
and installs Django's contenttypes and auth apps as well. Deterministic.
"""
import os
import random
import shutil
import sys

SETTINGS = '''"""Settings of the generated benchmark project (DATABASE_URL)."""
import os
from urllib.parse import urlparse, unquote

SECRET_KEY = "driftless-bench-only"
DEBUG = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "ledger"]


def _database(url):
    if url.startswith("sqlite:"):
        path = url[len("sqlite:"):].split("?")[0]
        path = path[3:] if path.startswith("///") else path[2:] if path.startswith("//") else path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    u = urlparse(url)
    return {
        "ENGINE": "django.db.backends." + {"postgres": "postgresql", "postgresql": "postgresql"}[u.scheme],
        "NAME": unquote(u.path.lstrip("/")),
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "",
        "PORT": str(u.port or ""),
    }


DATABASES = {"default": _database(os.environ.get("DATABASE_URL", "sqlite:db.sqlite3"))}
'''

MANAGE = '''#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproject.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
'''

RUN_PYTHON = '''

def count_rows(apps, schema_editor):
    apps.get_model("ledger", "{model}").objects.count()

'''


class Project:
    """The models as the migrations so far left them."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.models = []  # [name, {field: kind}]
        self.indexes = 0

    def create(self, i):
        name = "Model%03d" % i
        fields = ['("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False))',
                  '("name", models.CharField(max_length=100))',
                  '("created", models.DateTimeField(null=True))']
        kinds = {"name": "char", "created": "date"}
        if self.models and self.rng.random() < 0.5:
            target = self.rng.choice(self.models)[0]
            fields.append('("parent", models.ForeignKey(null=True, on_delete=models.deletion.CASCADE, to="ledger.%s"))'
                          % target.lower())
            kinds["parent"] = "fk"
        self.models.append([name, kinds])
        return "migrations.CreateModel(name=%r, fields=[%s])" % (name, ", ".join(fields))

    def add_field(self, i):
        name, kinds = self.rng.choice(self.models)
        field = "f%03d" % i
        if i % 2:
            kinds[field] = "int"
            spec = "models.IntegerField(default=0)"
        else:
            kinds[field] = "char"
            spec = "models.CharField(max_length=40, null=True)"
        return "migrations.AddField(model_name=%r, name=%r, field=%s)" % (name.lower(), field, spec)

    def add_index(self, i):
        name, kinds = self.rng.choice(self.models)
        field = self.rng.choice(sorted(kinds))
        self.indexes += 1
        return ("migrations.AddIndex(model_name=%r, index=models.Index(fields=[%r], name=%r))"
                % (name.lower(), field, "ix_%s_%03d" % (field, i)))

    def alter_field(self, i):
        name, kinds = self.rng.choice(self.models)
        chars = sorted(f for f, k in kinds.items() if k == "char" and f != "name") or ["name"]
        field = self.rng.choice(chars)
        return ("migrations.AlterField(model_name=%r, name=%r, field=models.CharField(max_length=%d, null=True))"
                % (name.lower(), field, 60 + i))

    def run_sql(self, i):
        name, _ = self.rng.choice(self.models)
        table = "ledger_" + name.lower()
        return ("migrations.RunSQL(%r, reverse_sql=%r)"
                % ("CREATE INDEX sql_ix_%03d ON %s (name)" % (i, table), "DROP INDEX sql_ix_%03d" % i))

    def operation(self, i):
        if i < 3 or i % 5 == 0:
            return self.create(i), None
        if i % 50 == 17:
            model = self.rng.choice(self.models)[0]
            return "migrations.RunPython(count_rows, migrations.RunPython.noop)", model
        if i % 25 == 11:
            return self.run_sql(i), None
        pick = i % 5
        if pick in (1, 2):
            return self.add_field(i), None
        if pick == 3:
            return self.add_index(i), None
        return self.alter_field(i), None


def write(n, folder, seed=200):
    """Writes the project with `n` migrations into `folder` (replaced)."""
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    migrations = os.path.join(folder, "ledger", "migrations")
    os.makedirs(migrations)
    os.makedirs(os.path.join(folder, "benchproject"))
    for path, text in [("manage.py", MANAGE), ("benchproject/__init__.py", ""),
                       ("benchproject/settings.py", SETTINGS), ("ledger/__init__.py", ""),
                       ("ledger/migrations/__init__.py", "")]:
        with open(os.path.join(folder, path), "w") as f:
            f.write(text)
    project = Project(seed)
    previous = None
    for i in range(n):
        name = "%04d_step" % (i + 1)
        op, model = project.operation(i)
        helper = RUN_PYTHON.format(model=model) if model else ""
        deps = "[(%r, %r)]" % ("ledger", previous) if previous else "[]"
        with open(os.path.join(migrations, name + ".py"), "w") as f:
            f.write("from django.db import migrations, models\nimport django.db.models.deletion\n%s\n\n"
                    "class Migration(migrations.Migration):\n    dependencies = %s\n    operations = [%s]\n"
                    % (helper, deps, op))
        previous = name
    return folder


if __name__ == "__main__":
    write(int(sys.argv[1]), sys.argv[2])
