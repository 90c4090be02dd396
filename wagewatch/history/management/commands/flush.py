"""Django's flush, with the history guard triggers suspended for the wipe.

Emptying the whole database (test teardown, a fresh install) is the one legitimate way to
remove history rows; without this the append-only triggers would refuse it."""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from wagewatch.history import guard


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        with guard.suspended(connection):
            return super().handle(**options)
