"""Root URLs: pages, the admin, the API under /api/v1/, and /healthz."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from config import api
from config.views import healthz
from ledger import api as ledger_api
from people import views as people_views
from regions import views as region_views
from regions.api import RegionViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("ledger/accounts", ledger_api.AccountViewSet, basename="ledger-account")
router.register("ledger/transactions", ledger_api.TransactionViewSet, basename="ledger-transaction")
router.register("ledger/proposals", ledger_api.ProposalViewSet, basename="ledger-proposal")

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("ledger/trial-balance/", ledger_api.TrialBalanceView.as_view(), name="trial-balance"),
    path("", include(router.urls)),
    re_path(r"^.*$", api.not_found),
]

urlpatterns = [
    path("", region_views.home, name="home"),
    path("dashboard/", people_views.dashboard, name="dashboard"),
    path("finance/", include("ledger.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("healthz", healthz, name="healthz"),
]
