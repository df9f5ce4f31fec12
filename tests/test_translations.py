"""The French (Canada) and Spanish (United States) catalogues are complete, cover every marked
string, and are compiled."""

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils.translation import to_locale

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
# Every language of settings.LANGUAGES but English, by its catalogue's folder.
LOCALES = ["fr_CA", "es_US"]


def po_of(locale: str, root: Path = ROOT) -> Path:
    return root / "locale" / locale / "LC_MESSAGES" / "django.po"


@pytest.fixture
def gettext_tools():
    require(bool(shutil.which("msgfmt") and shutil.which("xgettext")), "GNU gettext")


def msgfmt(po: Path, mo: Path) -> str:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(mo), str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_every_language_of_the_site_has_a_catalogue(settings):
    assert sorted(to_locale(code) for code, _name in settings.LANGUAGES if code != "en") == (
        sorted(LOCALES)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_nothing_untranslated_or_fuzzy(gettext_tools, tmp_path, locale):
    statistics = msgfmt(po_of(locale), tmp_path / "check.mo")
    assert "fuzzy" not in statistics and "untranslated" not in statistics, statistics


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_covers_every_marked_string(
    gettext_tools, tmp_path, settings, monkeypatch, locale
):
    # given: a scratch copy of the code and the committed catalogue (makemessages writes into the
    # locale folder of the directory it runs in, so it must not run in the repository itself)
    scratch = tmp_path / "tree"
    for folder in ("recallcases", "templates", "locale"):
        skip = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / folder, scratch / folder, ignore=skip)
    settings.LOCALE_PATHS = [scratch / "locale"]
    monkeypatch.chdir(scratch)
    # when: the catalogue is refreshed from the code
    call_command("makemessages", locale=[locale], no_obsolete=True, verbosity=0)
    # then: every string in the code has a translation
    po = po_of(locale, scratch)
    statistics = msgfmt(po, tmp_path / "new.mo")
    assert "fuzzy" not in statistics and "untranslated" not in statistics, (
        f"{statistics} Run `make messages` and translate the new strings."
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_is_compiled(gettext_tools, tmp_path, locale):
    msgfmt(po_of(locale), tmp_path / "fresh.mo")
    committed_mo = po_of(locale).with_suffix(".mo")
    with committed_mo.open("rb") as committed, (tmp_path / "fresh.mo").open("rb") as fresh:
        assert gettext.GNUTranslations(committed)._catalog == (
            gettext.GNUTranslations(fresh)._catalog
        ), "Run `make messages` to compile the catalogue."
