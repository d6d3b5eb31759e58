"""driftless for Django: ``python manage.py driftless check|plan|fix|migrations``
runs the ``driftless`` command (the ``driftless-db`` distribution) on the
project's database, with the project's migrations stepped through by Django
itself, and a deploy system check (see :mod:`driftless_django.conf`)."""
