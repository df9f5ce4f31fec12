"""The French (Canada) catalogue is complete, covers every marked string, and is compiled."""

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "fr_CA" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


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


def test_french_catalogue_has_nothing_untranslated_or_fuzzy(gettext_tools, tmp_path):
    statistics = msgfmt(PO, tmp_path / "check.mo")
    assert "fuzzy" not in statistics and "untranslated" not in statistics, statistics


def test_french_catalogue_covers_every_marked_string(
    gettext_tools, tmp_path, settings, monkeypatch
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
    call_command("makemessages", locale=["fr_CA"], no_obsolete=True, verbosity=0)
    # then: every string in the code has a French translation
    po = scratch / "locale" / "fr_CA" / "LC_MESSAGES" / "django.po"
    statistics = msgfmt(po, tmp_path / "new.mo")
    assert "fuzzy" not in statistics and "untranslated" not in statistics, (
        f"{statistics} Run `make messages` and translate the new strings."
    )


def test_french_catalogue_is_compiled(gettext_tools, tmp_path):
    msgfmt(PO, tmp_path / "fresh.mo")
    with MO.open("rb") as committed, (tmp_path / "fresh.mo").open("rb") as fresh:
        assert gettext.GNUTranslations(committed)._catalog == (
            gettext.GNUTranslations(fresh)._catalog
        ), "Run `make messages` to compile the catalogue."
