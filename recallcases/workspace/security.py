"""Staff sign-in and sign-out."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy


class StaffLoginView(auth_views.LoginView):
    template_name = "workspace/login.html"
    redirect_authenticated_user = True


login_view = StaffLoginView.as_view()
logout_view = auth_views.LogoutView.as_view(next_page=reverse_lazy("workspace:login"))
