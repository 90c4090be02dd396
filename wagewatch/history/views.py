from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from wagewatch.core.models import Role

from . import tree
from .models import TreeHead
from .services import public_key_info

PAGE_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}


@login_required
def tree_heads(request):
    """Latest signed tree heads and how anyone can check them."""
    if request.user.role not in PAGE_ROLES:
        raise PermissionDenied("您的角色无权查看此页面")
    heads = list(TreeHead.objects.order_by("-tree_size")[:20])
    return render(
        request,
        "history/tree_heads.html",
        {"heads": heads, "event_count": tree.event_count(), "key": public_key_info()},
    )
