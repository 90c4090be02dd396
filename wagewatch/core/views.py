from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    return render(request, "core/home.html", {})


def forbidden(request, exception=None):
    return render(request, "errors.html", {"title": "无权访问", "message": "您的角色无权执行此操作。"}, status=403)


def not_found(request, exception=None):
    return render(request, "errors.html", {"title": "未找到", "message": "未找到该页面或记录,或您无权查看。"}, status=404)


def server_error(request):
    return render(request, "errors.html", {"title": "系统错误", "message": "系统出现错误,已记录。请稍后再试。"}, status=500)
