"""The finance audit pages, under /finance/."""

from django.urls import path

from ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.account_list, name="accounts"),
    path("accounts/<int:pk>/", views.account_statement_view, name="statement"),
    path("transactions/<int:pk>/", views.transaction_detail, name="transaction"),
    path("trial-balance/", views.trial_balance_view, name="trial_balance"),
    path("verify/", views.verify, name="verify"),
    path("proposals/", views.proposal_list, name="proposals"),
    path("proposals/grant/", views.proposal_grant, name="proposal_grant"),
    path("proposals/correction/", views.proposal_correction, name="proposal_correction"),
    path(
        "proposals/<int:pk>/approve/",
        views.proposal_decide,
        {"action": "approve"},
        name="proposal_approve",
    ),
    path(
        "proposals/<int:pk>/reject/",
        views.proposal_decide,
        {"action": "reject"},
        name="proposal_reject",
    ),
    path("chart/", views.wallet_chart, name="chart"),
]
