"""Who may open a staff page: signed-in staff, holding the permission the page needs."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def staff_view(*permissions: str):
    """Decorate a workspace view: sign-in required, staff only, and every permission named.

    Anonymous visitors (consumers included) go to the staff sign-in page; signed-in accounts
    without the right get 403, whatever the method, so a forged POST is refused too.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "workspace:login")
            if not user.is_active or not user.is_staff:
                raise PermissionDenied
            if permissions and not user.has_perms(permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.staff_permissions = permissions
        return wrapper

    return decorator
