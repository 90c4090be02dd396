"""Reads of the notify app.

Staff notifications are scoped by address, not by territory: a user sees what is addressed to
them or to their own organisation, never another organisation's, whatever their remit."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from wagewatch.core.scoping import get_in_scope_or_404

from .models import Notification, WorkerMessage


def _addressed_to(user) -> Q:
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    q = Q(recipient_user_id=user.pk)
    if user.organisation_id:
        q |= Q(recipient_organisation_id=user.organisation_id)
    return q


def notifications_for(user) -> QuerySet[Notification]:
    """Notifications addressed to `user` or to `user`'s organisation, unread first, newest first."""
    return (
        Notification.objects.filter(_addressed_to(user))
        .alias(read_rank=Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("read_rank", "-created_at", "-pk")
    )


def notification_unread_count(user) -> int:
    return Notification.objects.filter(_addressed_to(user), read_at__isnull=True).count()


def notification_get(*, user, pk) -> Notification:
    """One notification addressed to `user`; anything else answers 404."""
    return get_in_scope_or_404(Notification.objects.filter(_addressed_to(user)), pk=pk)


def worker_messages_for_case(*, case_number: str) -> QuerySet[WorkerMessage]:
    """Messages sent about one case, newest first (for the case's own pages; phones stay encrypted)."""
    return WorkerMessage.objects.filter(case_number=case_number).order_by("-created_at", "-pk")
