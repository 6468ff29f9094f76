"""The donor portal under /donors/ and finance's view of matching under
/finance/matching/ (config/urls.py mounts each list)."""

from django.urls import path

from exchange import donor_views as views

app_name = "donors"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("<int:pk>/", views.portal, name="donor"),
    path("<int:pk>/profile/", views.profile_update, name="profile"),
    path("<int:pk>/pledges/", views.pledge_new, name="pledge_new"),
    path("<int:pk>/gifts/new/", views.gift_new, name="gift_new"),
    path("<int:pk>/matches/<int:match_pk>/commit/", views.match_commit_view, name="match_commit"),
    path("<int:pk>/receipts/<int:year>/", views.receipt_view, name="receipt"),
    path("<int:pk>/receipts/<int:year>/issue/", views.receipt_issue_view, name="receipt_new"),
    path("<int:pk>/receipts/issued/<int:issue_pk>/", views.receipt_issued, name="receipt_issue"),
    path("pledges/<int:pk>/withdraw/", views.pledge_withdraw_view, name="pledge_withdraw"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/publish/", views.review_publish, name="review_publish"),
]

#: Mounted at /finance/matching/ under the namespace "donors_finance".
finance_urlpatterns = [
    path("", views.finance_matching, name="matching"),
    path("pledges/<int:pk>/confirm/", views.finance_pledge_confirm, name="pledge_confirm"),
    path("donors/<int:pk>/verify/", views.finance_donor_verify, name="donor_verify"),
]
