from django.urls import path

from . import views_detail, views_lists

app_name = "cases"

urlpatterns = [
    # lists (views_lists.py)
    path("", views_lists.case_list, name="list"),
    path("export.xlsx", views_lists.case_export, name="export"),
    path("inbox/", views_lists.unit_inbox, name="inbox"),
    path("overdue/", views_lists.overdue_board, name="overdue_board"),
    path("approvals/", views_lists.approvals, name="approvals"),
    # one case (views_detail.py)
    path("<int:pk>/", views_detail.case_detail, name="detail"),
    path("<int:pk>/action/<str:action>/", views_detail.case_action, name="action"),
    path("<int:pk>/commitment-letter.pdf", views_detail.commitment_letter_pdf, name="commitment_letter"),
    path("<int:pk>/dispatch-order.pdf", views_detail.dispatch_order_pdf, name="dispatch_order"),
    path("<int:pk>/evidence/<int:evidence_pk>/", views_detail.evidence_download, name="evidence"),
]
