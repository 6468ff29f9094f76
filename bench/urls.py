"""The application's URLs plus `/bench/trivial`: the smallest response Django
can give through the same server, settings and middleware stack. Its requests
per second are the ceiling the benchmark compares every real path with. Used
only by the benchmark server (bench/settings.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler500
from config.urls import urlpatterns as app_urlpatterns

__all__ = ["handler400", "handler500", "urlpatterns"]


def trivial(request: HttpRequest) -> HttpResponse:
    """No database, no template, no session read: a constant body."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/trivial", trivial), *app_urlpatterns]
