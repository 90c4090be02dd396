"""`{% load notify_tags %}{% notify_badge %}`: the signed-in user's unread notifications as a
link with a count (one COUNT query; nothing for anonymous users)."""

from django import template
from django.urls import NoReverseMatch, reverse

from ..selectors import notification_unread_count

register = template.Library()


@register.inclusion_tag("notify/badge.html", takes_context=True)
def notify_badge(context):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return {"show": False}
    try:
        url = reverse("notify:list")
    except NoReverseMatch:  # the pages are not mounted in this deployment
        return {"show": False}
    return {"show": True, "url": url, "unread_count": notification_unread_count(user)}
