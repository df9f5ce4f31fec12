"""Staff sign-in and sign-out: password, lockout page, second factor (TOTP) and idle timeout."""

import math
from base64 import b32encode

import qrcode
import qrcode.image.svg
from axes.helpers import get_cool_off
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from recallcases.workspace.permissions import (
    TWO_FACTOR_SETUP,
    TWO_FACTOR_VERIFY,
    is_verified,
    redirect_with_next,
    second_factor_step,
    signed_in_staff,
)


class StaffLoginView(auth_views.LoginView):
    template_name = "workspace/login.html"
    redirect_authenticated_user = True
    # Without a `next`, the queue (Django's default would be /accounts/profile/, which is a 404).
    next_page = reverse_lazy("workspace:queue")

    def get_success_url(self):
        # After the password, the second factor when it is due, then the page that was asked for.
        url = super().get_success_url()
        if url == str(self.next_page):
            url = staff_home(self.request.user)
        if step := second_factor_step(self.request):
            return redirect_with_next(step, url).url
        return url


login_view = StaffLoginView.as_view()
logout_view = auth_views.LogoutView.as_view(next_page=reverse_lazy("workspace:login"))


def locked_out(request, original_response=None, credentials=None):
    """The page django-axes returns to a locked-out sign-in (AXES_LOCKOUT_CALLABLE), HTTP 429."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    response = render(
        request,
        "workspace/locked_out.html",
        {"minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self):
        # People copy codes with spaces ("123 456"); the device wants the digits.
        return "".join(self.cleaned_data["code"].split())


def _next_url(request) -> str:
    """Where to go once the sign-in step is done: the page asked for, if it is ours."""
    url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return staff_home(request.user)


def staff_home(user) -> str:
    """Where a staff member starts: the queue, or the calls page for a call-centre agent."""
    if not user.has_perm("claims.view_claim") and user.has_perm("claims.take_calls"):
        return reverse("workspace:calls")
    return reverse("workspace:queue")


WRONG_CODE = gettext_lazy(
    "That code is not right. Check the time on your phone and try the newest code."
)


def _device_accepting(request, form, devices):
    """The device that accepts the form's code, or None with the reason on the form."""
    if not any(device.verify_is_allowed()[0] for device in devices):
        # django-otp doubles the wait after each wrong code, so codes cannot be guessed.
        form.add_error("code", _("Too many wrong codes. Wait a moment, then try again."))
        return None
    code = form.cleaned_data["code"]
    for device in devices:
        if verified := verify_token(request.user, device.persistent_id, code):
            return verified
    form.add_error("code", WRONG_CODE)
    return None


def _passed_second_factor(request, device) -> None:
    otp_login(request, device)
    # The session gained a privilege: give it a new key, as a password sign-in does.
    request.session.cycle_key()


@never_cache
@require_http_methods(["GET", "POST"])
@signed_in_staff
def two_factor_verify(request):
    """After the password: a code from the staff member's confirmed authenticator."""
    next_url = _next_url(request)
    if is_verified(request.user):
        return redirect(next_url)
    devices = list(TOTPDevice.objects.devices_for_user(request.user, confirmed=True))
    if not devices:
        return redirect_with_next(TWO_FACTOR_SETUP, next_url)
    form = TwoFactorCodeForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and (verified := _device_accepting(request, form, devices))
    ):
        _passed_second_factor(request, verified)
        return redirect(next_url)
    return render(
        request,
        "workspace/two_factor_verify.html",
        {"form": form, "next": next_url},
    )


def _qr_code_svg(text: str) -> str:
    """The text as a QR code, an SVG drawn here (no script, no outside service)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage)
    return image.to_string(encoding="unicode")


@never_cache
@require_http_methods(["GET", "POST"])
@signed_in_staff
def two_factor_setup(request):
    """Set up an authenticator app: scan the code (or type the key), then prove it with a code."""
    user = request.user
    next_url = _next_url(request)
    if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        # Whoever knows only the password must not swap in an authenticator of their own.
        if not is_verified(user):
            return redirect_with_next(TWO_FACTOR_VERIFY, next_url)
        messages.info(
            request,
            _(
                "Your authenticator app is already set up. To replace it, ask an administrator "
                "to remove the old one."
            ),
        )
        return redirect(next_url)
    unconfirmed = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk")
    device = unconfirmed.first() or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=False
    )
    form = TwoFactorCodeForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and (verified := _device_accepting(request, form, [device]))
    ):
        verified.confirmed = True
        verified.save(update_fields=["confirmed"])
        unconfirmed.exclude(pk=verified.pk).delete()
        _passed_second_factor(request, verified)
        messages.success(request, _("Two-factor sign-in is set up."))
        return redirect(next_url)
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "workspace/two_factor_setup.html",
        {
            "form": form,
            "next": next_url,
            # Drawn by the qrcode library from our own data: no user input reaches the markup.
            "qr_code": mark_safe(_qr_code_svg(device.config_url)),  # noqa: S308
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )
