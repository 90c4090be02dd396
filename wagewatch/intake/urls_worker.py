"""The worker's phone pages, mounted at /w/ (no staff login), and the staff-only QR posters."""

from django.urls import path

from . import views_worker

app_name = "worker"

urlpatterns = [
    path("", views_worker.start, name="start"),
    path("p/<str:token>/", views_worker.project_start, name="project"),
    path("p/<str:token>/complain/", views_worker.complain, name="project_complain"),
    path("complain/", views_worker.complain, name="complain"),
    path("complain/confirm/", views_worker.complain_confirm, name="complain_confirm"),
    path("complain/done/", views_worker.complain_done, name="complain_done"),
    path("track/", views_worker.track, name="track"),
    path("track/confirm/", views_worker.track_confirm, name="track_confirm"),
    path("case/", views_worker.case_entry, name="case_entry"),
    path("case/<str:number>/", views_worker.case_detail, name="case"),
    path("case/<str:number>/evidence/", views_worker.case_evidence, name="case_evidence"),
    path("case/<str:number>/rate/", views_worker.case_rate, name="case_rate"),
    path("case/<str:number>/letter.pdf", views_worker.case_letter, name="case_letter"),
    path("leave/", views_worker.leave, name="leave"),
    # staff only (login): printable posters
    path("poster.pdf", views_worker.poster_pdf, name="poster_pdf"),
    path("poster/", views_worker.poster_preview, name="poster"),
    path("poster/<int:project_pk>/", views_worker.poster_preview, name="project_poster"),
    path("poster/<int:project_pk>.pdf", views_worker.project_poster_pdf, name="project_poster_pdf"),
]
