#!/usr/bin/env python
"""The deploy story as a Django project: driftless's framework tests run it."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storyproject.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
