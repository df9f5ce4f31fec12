from django.urls import path

from recallcases.consumer import views

app_name = "consumer"

urlpatterns = [
    path("", views.home, name="home"),
    # Before the recall pages: "check" is no recall's slug.
    path("check/", views.serial_check_any, name="serial_check_any"),
    path("status/<str:token>/", views.claim_status, name="claim_status"),
    # Staff who edit recalls preview a recall's pages, open or not (the admin links here).
    path("preview/<slug:slug>/", views.recall_preview, name="recall_preview"),
    # "Is this message really from the recall?" (the code at the foot of every message).
    path("verify/", views.message_verify, name="message_verify"),
    path("<slug:slug>/", views.recall_detail, name="recall"),
    path("<slug:slug>/check/", views.serial_check, name="serial_check"),
    path("<slug:slug>/claim/", views.claim_create, name="claim_create"),
    path("<slug:slug>/claim/received/", views.claim_received, name="claim_received"),
]
