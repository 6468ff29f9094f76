"""The inbox pages, under /inbox/."""

from django.urls import path, re_path

from inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox_list, name="list"),
    path("read-all/", views.inbox_read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    # A primary key of at most 18 digits: a longer number names no row.
    re_path(r"^(?P<pk>[0-9]{1,18})/open/$", views.notification_open, name="open"),
]
