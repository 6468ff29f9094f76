"""The marketplace pages. The catalogue itself is the site's front page ("/",
named `home` in config/urls.py)."""

from django.urls import path, re_path, register_converter

from exchange import claim_views, follow_up_views, import_views, report_views, views


class RowIdConverter:
    """A primary key: digits, at most 18 of them. A longer number names no row
    and the database could not even compare it, so such a URL is simply not found."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowIdConverter, "rowid")

app_name = "marketplace"

urlpatterns = [
    path("listings/new/", views.listing_new, name="listing_new"),
    path("listings/import/", import_views.listing_import, name="listing_import"),
    re_path(
        r"^listings/import/template\.(?P<fmt>csv|xlsx)$",
        import_views.listing_import_template,
        name="listing_import_template",
    ),
    path("listings/export/", report_views.listing_export, name="listing_export"),
    path("listings/<rowid:pk>/", views.listing_detail, name="listing"),
    path("listings/<rowid:pk>/claim/", views.listing_claim, name="listing_claim"),
    path("listings/<rowid:pk>/edit/", views.listing_edit, name="listing_edit"),
    path(
        "listings/<rowid:pk>/publish/",
        views.listing_transition,
        {"action": "publish"},
        name="listing_publish",
    ),
    path(
        "listings/<rowid:pk>/withdraw/",
        views.listing_transition,
        {"action": "withdraw"},
        name="listing_withdraw",
    ),
    path("claims/", claim_views.claim_list, name="claims"),
    path("claims/<rowid:pk>/", claim_views.claim_detail, name="claim_page"),
    path("claims/<rowid:pk>/messages/", claim_views.claim_messages, name="claim_messages"),
    path(
        "claims/<rowid:pk>/approve/",
        views.claim_action,
        {"action": "approve"},
        name="claim_approve",
    ),
    path(
        "claims/<rowid:pk>/reject/", views.claim_action, {"action": "reject"}, name="claim_reject"
    ),
    path(
        "claims/<rowid:pk>/cancel/", views.claim_action, {"action": "cancel"}, name="claim_cancel"
    ),
    path(
        "claims/<rowid:pk>/fulfil/", views.claim_action, {"action": "fulfil"}, name="claim_fulfil"
    ),
    path("households/", views.household_list, name="households"),
    path("households/new/", views.household_new, name="household_new"),
    path("households/<rowid:pk>/", views.household_detail, name="household"),
    path("households/<rowid:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<rowid:pk>/close/", views.household_close_view, name="household_close"),
    path("households/<rowid:pk>/reopen/", views.household_reopen_view, name="household_reopen"),
    path("follow-ups/<rowid:pk>/record/", views.follow_up_record_view, name="follow_up_record"),
    path("follow-ups/report/", follow_up_views.follow_up_report, name="follow_up_report"),
    re_path(r"^wallet/(?P<code>\d{10})/$", views.wallet_statement, name="wallet"),
    path("review/duplicates/", views.duplicate_review, name="duplicate_review"),
    path("follow-ups/export/", report_views.follow_up_export, name="follow_up_export"),
    path("reports/monthly/", report_views.monthly_report, name="monthly_report"),
]
