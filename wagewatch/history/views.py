from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from wagewatch.core.models import Role

from . import tree
from .models import TreeHead
from .services import HistoryIntegrityError, public_key_info, tree_head_publish

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
        {
            "heads": heads,
            "event_count": tree.event_count(),
            "key": public_key_info(),
            "interval": settings.HISTORY_TREE_HEAD_MINUTES,
        },
    )


@login_required
@require_POST
def tree_head_publish_now(request):
    """Sign a tree head now instead of waiting for the periodic job."""
    if request.user.role not in PAGE_ROLES:
        raise PermissionDenied("您的角色无权发布树头")
    try:
        head = tree_head_publish(actor=request.user)
    except HistoryIntegrityError as exc:
        messages.error(request, f"未发布:{exc}")
    else:
        if head is None:
            messages.info(request, "自上次发布以来没有新的事件,无需发布。")
        else:
            messages.success(request, f"已发布签名树头:规模 {head.tree_size}。")
    return redirect("history:tree_heads")
