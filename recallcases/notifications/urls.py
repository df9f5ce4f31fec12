from django.urls import path

from recallcases.notifications import views

app_name = "notifications"

urlpatterns = [
    path("texts/inbound/", views.texts_inbound, name="texts_inbound"),
]
