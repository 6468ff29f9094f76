"""Root URLs: pages, the admin, the API under /api/v1/, and /healthz.

This module puts every app together, so it alone may import any of them (the
layering test exempts it). The pages and API that combine listings,
households, claims and donors live in exchange/; their URL names keep the
namespaces they had ("marketplace:", "donors:"), so every link stays the same.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from config import api
from config.views import healthz
from exchange import account_views as people_views
from exchange import api as marketplace_api
from exchange import donor_api as donors_api
from exchange import donor_urls as donors_urls
from exchange import views as marketplace_views
from inbox import api as inbox_api
from ledger import api as ledger_api
from people import api as people_api
from people.forms import LoginForm
from regions.api import RegionViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("ledger/accounts", ledger_api.AccountViewSet, basename="ledger-account")
router.register("ledger/transactions", ledger_api.TransactionViewSet, basename="ledger-transaction")
router.register("ledger/proposals", ledger_api.ProposalViewSet, basename="ledger-proposal")
router.register("categories", marketplace_api.CategoryViewSet, basename="category")
router.register("listings", marketplace_api.ListingViewSet, basename="listing")
router.register("households", marketplace_api.HouseholdViewSet, basename="household")
router.register("claims", marketplace_api.ClaimViewSet, basename="claim")
router.register("donors", donors_api.DonorViewSet, basename="donor")
router.register("pledges", donors_api.PledgeViewSet, basename="pledge")
router.register("matches", donors_api.MatchViewSet, basename="match")
router.register("notifications", inbox_api.NotificationViewSet, basename="notification")

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from a URL, so the
    # page needs no inline script under the Content-Security-Policy.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="swagger-ui",
    ),
    path("auth/token/", people_api.TokenView.as_view(), name="auth-token"),
    path("ledger/trial-balance/", ledger_api.TrialBalanceView.as_view(), name="trial-balance"),
    path("", include(router.urls)),
    # Any character, line breaks included ("." would stop at one): a path holding a
    # line break is still an API path and gets the JSON 404.
    re_path(r"^[\s\S]*$", api.not_found),
]

urlpatterns = [
    path("", marketplace_views.catalogue_view, name="home"),
    path("", include("exchange.urls")),
    path("dashboard/", people_views.dashboard, name="dashboard"),
    path("finance/matching/", include((donors_urls.finance_urlpatterns, "donors_finance"))),
    path("finance/access-records/", include("audit.urls")),
    path("finance/", include("ledger.urls")),
    path("donors/", include("exchange.donor_urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/profile/", people_views.profile, name="profile"),
    path("inbox/", include("inbox.urls")),
    # Django's password views with the project's Korean templates
    # (templates/registration/); the reset answers the same whether or not the
    # address belongs to anyone.
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(
            html_email_template_name=None,
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("privacy/", TemplateView.as_view(template_name="pages/privacy.html"), name="privacy"),
    path("terms/", TemplateView.as_view(template_name="pages/terms.html"), name="terms"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("healthz", healthz, name="healthz"),
]

# Error pages in Korean, and JSON errors under /api/ (config/views.py).
handler400 = "config.views.bad_request"
handler500 = "config.views.server_error"
