"""The deploy system check: with ``DRIFTLESS = {"DEPLOY_CHECK": True}``,
``manage.py check --deploy`` warns (``driftless.W001``) for each database
whose last drift check (``manage.py driftless check``) found drift."""
from django.core.checks import Warning, register

from driftless_django import conf, state


@register("driftless", deploy=True)
def drift_found_on_last_run(app_configs=None, **kwargs):
    """driftless.W001 for each database whose last recorded run found
    drift; driftless.W002 when the state file cannot be read."""
    settings = conf.config()
    if not settings.deploy_check:
        return []
    try:
        runs = state.read(settings.state_file)
    except ValueError as error:
        return [Warning(str(error), id="driftless.W002")]
    return [
        Warning(
            "driftless found schema drift in database %r on its last run "
            "(`manage.py driftless %s` at %s, exit %s)." % (alias, run.get("command"), run.get("at"), run.get("exit_code")),
            hint="See it with `python manage.py driftless check --database %s`; "
            "repair it with `python manage.py driftless fix --database %s --apply`." % (alias, alias),
            id="driftless.W001",
        )
        for alias, run in sorted(runs.items())
        if isinstance(run, dict) and run.get("drift")
    ]
