from django.urls import path

from recallcases.workspace.views import (
    audit,
    callcentre,
    claims,
    fulfilment,
    incidents,
    notices,
    outbox,
    registry,
    reports,
    signin,
)

app_name = "workspace"

urlpatterns = [
    path("login/", signin.login_view, name="login"),
    path("logout/", signin.logout_view, name="logout"),
    path("two-factor/", signin.two_factor_verify, name="two_factor_verify"),
    path("two-factor/setup/", signin.two_factor_setup, name="two_factor_setup"),
    path("", claims.queue, name="queue"),
    path("claims/<str:reference>/", claims.claim_detail, name="claim"),
    path("claims/<str:reference>/act/", claims.claim_act, name="claim_act"),
    path("claims/<str:reference>/ship/", fulfilment.claim_ship_view, name="claim_ship"),
    path(
        "claims/<str:reference>/links/renew/",
        claims.claim_links_renew_view,
        name="claim_links_renew",
    ),
    path("approve/", claims.bulk_approve, name="bulk_approve"),
    path("calls/", callcentre.calls_home, name="calls"),
    path("calls/look-up/", callcentre.calls_look_up, name="calls_look_up"),
    path("calls/serial/", callcentre.calls_serial_check, name="calls_serial_check"),
    path("calls/log/", callcentre.calls_log, name="calls_log"),
    path("calls/claims/<str:reference>/", callcentre.calls_claim, name="calls_claim"),
    path("calls/new/<slug:slug>/", callcentre.calls_claim_new, name="calls_claim_new"),
    path("fulfilment/", fulfilment.shipping_list, name="fulfilment"),
    path("fulfilment/export.csv", fulfilment.shipping_export, name="fulfilment_export"),
    path("fulfilment/import/", fulfilment.tracking_import_view, name="fulfilment_import"),
    path("registry/import/", registry.registry_import_view, name="registry_import"),
    path("emails/failed/", outbox.failed_emails, name="failed_emails"),
    path("emails/<int:email_id>/retry/", outbox.email_retry, name="email_retry"),
    path("incidents/", incidents.incident_list_view, name="incidents"),
    path("incidents/export.csv", incidents.incident_export, name="incidents_export"),
    path("incidents/<str:incident_reference>/", incidents.incident_detail, name="incident"),
    path(
        "incidents/<str:incident_reference>/photo/",
        incidents.incident_photo,
        name="incident_photo",
    ),
    path(
        "incidents/<str:incident_reference>/acknowledge/",
        incidents.incident_acknowledge_view,
        name="incident_acknowledge",
    ),
    path(
        "incidents/<str:incident_reference>/regulator-notice/",
        incidents.incident_regulator_notice_view,
        name="incident_regulator_notice",
    ),
    path(
        "incidents/<str:incident_reference>/written-report/",
        incidents.incident_written_report_view,
        name="incident_written_report",
    ),
    path("notices/", notices.notices_index, name="notices"),
    path("notices/<slug:slug>/", notices.notices_recall, name="notices_recall"),
    path("notices/<slug:slug>/send/", notices.notices_send_view, name="notices_send"),
    path("notices/<slug:slug>/import/", notices.purchasers_import_view, name="notices_import"),
    path("notices/<slug:slug>/bounces/", notices.bounces_import_view, name="notices_bounces"),
    path("audit/", audit.audit_list, name="audit"),
    path("reports/", reports.reports_index, name="reports"),
    path("reports/<slug:slug>/", reports.report_dashboard, name="report_dashboard"),
    path("reports/<slug:slug>/cpsc/<str:month>/", reports.report_cpsc, name="report_cpsc"),
    path(
        "reports/<slug:slug>/cpsc/<str:month>.csv", reports.report_cpsc_csv, name="report_cpsc_csv"
    ),
    path(
        "reports/<slug:slug>/health-canada/<str:month>/",
        reports.report_health_canada,
        name="report_health_canada",
    ),
    path(
        "reports/<slug:slug>/health-canada/<str:month>.csv",
        reports.report_health_canada_csv,
        name="report_health_canada_csv",
    ),
]
