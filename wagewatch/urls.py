from django.contrib import admin
from django.urls import include, path

from wagewatch.api import api

admin.site.site_header = "根治欠薪智慧监管平台 · 系统管理"
admin.site.site_title = "根治欠薪智慧监管平台"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("wagewatch.core.urls")),
    path("registry/", include("wagewatch.registry.urls")),
    path("history/", include("wagewatch.history.urls")),
    path("intake/", include("wagewatch.intake.urls")),
    path("cases/", include("wagewatch.cases.urls")),
    path("notify/", include("wagewatch.notify.urls")),
    path("payroll/", include("wagewatch.payroll.urls")),
    path("w/pay/", include("wagewatch.payroll.urls_worker")),
    path("w/", include("wagewatch.intake.urls_worker")),
]

handler400 = "wagewatch.core.views.bad_request"
handler403 = "wagewatch.core.views.forbidden"
handler404 = "wagewatch.core.views.not_found"
handler500 = "wagewatch.core.views.server_error"
