from django.urls import path

from recallcases.workspace import emails, fulfilment, security, views

app_name = "workspace"

urlpatterns = [
    path("login/", security.login_view, name="login"),
    path("logout/", security.logout_view, name="logout"),
    path("two-factor/", security.two_factor_verify, name="two_factor_verify"),
    path("two-factor/setup/", security.two_factor_setup, name="two_factor_setup"),
    path("", views.queue, name="queue"),
    path("claims/<str:reference>/", views.claim_detail, name="claim"),
    path("claims/<str:reference>/act/", views.claim_act, name="claim_act"),
    path("claims/<str:reference>/ship/", fulfilment.claim_ship_view, name="claim_ship"),
    path("approve/", views.bulk_approve, name="bulk_approve"),
    path("fulfilment/", fulfilment.shipping_list, name="fulfilment"),
    path("fulfilment/export.csv", fulfilment.shipping_export, name="fulfilment_export"),
    path("fulfilment/import/", fulfilment.tracking_import_view, name="fulfilment_import"),
    path("emails/failed/", emails.failed_emails, name="failed_emails"),
    path("emails/<int:email_id>/retry/", emails.email_retry, name="email_retry"),
]
