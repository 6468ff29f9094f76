"""The personal-data access records, under /finance/access-records/."""

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.access_record_list, name="access_records"),
    path("report/", views.access_report_view, name="access_report"),
]
