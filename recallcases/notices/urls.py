from django.urls import path

from recallcases.notices import views

app_name = "notices"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
