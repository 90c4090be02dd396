"""Receivers of other apps' signals."""

from .deadlines import deadlines_recompute


def recompute_deadlines_on_calendar_load(sender, year: int, actor=None, **kwargs):
    """A calendar year was loaded or replaced: recompute the open deadlines it touches, in the
    same transaction, and record each move in the case's timeline."""
    from .services import cases_events_for_deadline_changes

    changed = deadlines_recompute(year=year)
    cases_events_for_deadline_changes(changed)
