"""A real browser: Debian's Chromium driven by Playwright (nothing downloaded)."""

import os
import re
import shutil

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.conftest import require, restore_roles

PASSWORD = "a-long-test-password"

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machine has no network but loopback: keep Chromium from calling home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    require(os.path.exists(path), "Debian's Chromium (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django then refuses ORM calls
    # from it unless told that this test thread is not an async context.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A page in a phone-sized window, that fails the test on any console error (CSP included)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="fr-CA",
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    yield page
    context.close()


@pytest.fixture
def roles(transactional_db):
    """The staff roles, which the flush after an earlier browser test took away."""
    restore_roles()


def authenticator_code(device: TOTPDevice) -> str:
    """The code the staff member's authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def staff_browser(browser, live_server):
    """Sign a staff member in through the sign-in page and the second factor (their authenticator
    app, as the staff policy requires by default), in a desktop window of their own.

    Each page collects its console errors (a Content Security Policy violation is one), as the
    phone fixture does.
    """
    contexts = []

    def sign_in(user):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-CA")
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.console_errors = errors
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        page.goto(f"{live_server.url}/workspace/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r".*/workspace/two-factor/\?"))
        page.get_by_label("Code from your authenticator app").fill(authenticator_code(device))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(f"{live_server.url}/workspace/")
        expect(page.locator("header")).to_contain_text(user.username)
        return page

    yield sign_in
    for context in contexts:
        context.close()
