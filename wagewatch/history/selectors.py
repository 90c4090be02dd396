"""Reads of the history."""

from django.db.models import Model

from .models import Event, events_name
from .services import object_label


def timeline_for(obj: Model, limit: int = 200):
    """Events of one object, oldest first, as a list whose readings share one cache of the names
    they show. The caller has already checked the object is in scope."""
    object_type, object_id = object_label(obj)
    return events_name(Event.objects.filter(object_type=object_type, object_id=object_id).order_by("seq")[:limit])
