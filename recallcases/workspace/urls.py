from django.urls import path

from recallcases.workspace import fulfilment, security, views

app_name = "workspace"

urlpatterns = [
    path("login/", security.login_view, name="login"),
    path("logout/", security.logout_view, name="logout"),
    path("", views.queue, name="queue"),
    path("claims/<str:reference>/", views.claim_detail, name="claim"),
    path("claims/<str:reference>/act/", views.claim_act, name="claim_act"),
    path("claims/<str:reference>/ship/", fulfilment.claim_ship_view, name="claim_ship"),
    path("approve/", views.bulk_approve, name="bulk_approve"),
    path("fulfilment/", fulfilment.shipping_list, name="fulfilment"),
]
