"""Reads of the history."""

from django.db.models import Model

from .models import Event
from .services import object_label


def timeline_for(obj: Model, limit: int = 200):
    """Events of one object, oldest first. The caller has already checked the object is in scope."""
    object_type, object_id = object_label(obj)
    return Event.objects.filter(object_type=object_type, object_id=object_id).order_by("seq")[:limit]
