from django.urls import path

from recallcases.incidents import views

app_name = "incidents"

urlpatterns = [
    path(
        "status/<str:token>/incident/", views.incident_create_from_claim, name="report_from_claim"
    ),
    path("<slug:slug>/incident/", views.incident_create, name="report"),
    path("<slug:slug>/incident/received/", views.incident_received, name="received"),
]
