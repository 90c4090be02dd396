"""Signals other features listen to.

`calendar_year_loaded(sender=CalendarYear, year=int, actor=User|None)` is sent inside the
transaction that replaced the year's calendar rows, after they are written, so a receiver that
recomputes open provisional deadlines commits or rolls back together with the load. Receivers
that leave the database (tasks, messages) should defer that work with `transaction.on_commit`.
"""

from django.dispatch import Signal

calendar_year_loaded = Signal()
