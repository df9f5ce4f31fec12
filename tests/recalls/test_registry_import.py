import io

import pytest
from django.core.management import CommandError, call_command

from recallcases.recalls.models import RegistryEntry
from recallcases.recalls.selectors import serial_lookup

pytestmark = pytest.mark.django_db

CSV = """model,first_serial,last_serial
A3102016,ACCJRU1D16400841,ACCJRU1D16400960
A3302,ACCJRU2D00000001,
A3302031,ACCJRU2D00000001,
A3102,ACCJRU1D16400900,ACCJRU1D16401000
A9999,ACCJRU1D99999999,
A3102,ACCJRU1D1640096,
A3102,ACCJRU1D1640O961,
A3102,ACCJRU1D16400999,ACCJRU1D16400990
A3102,ACCJRU1D16400999,ACCJRU1E16400999
A3102,ACCJRU1D16401001,ACCJRU1D16401001
"""


@pytest.fixture
def write_csv(tmp_path):
    def write(text):
        path = tmp_path / "registry.csv"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def run_import(write_csv):
    def run(recall, text):
        out, err = io.StringIO(), io.StringIO()
        call_command("registry_import", recall.slug, write_csv(text), stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    return run


def test_registry_import_reports_added_duplicates_and_invalid(recall, run_import):
    before = RegistryEntry.objects.count()
    out, err = run_import(recall, CSV)
    # Three good rows: a range of 120, a single serial, another single serial.
    assert (
        "10 rows read: 3 rows added (122 serials; registry entries stored: 3), 2 duplicates, "
        "5 invalid."
    ) in out
    assert "line 4: already in the registry: ACCJRU2D00000001" in err
    assert "line 5: already in the registry: ACCJRU1D16400900" in err
    assert "line 6: invalid: unknown model 'A9999'" in err
    assert "line 7: invalid: ACCJRU1D1640096 is not 16 characters long" in err
    assert "line 8: invalid: ACCJRU1D1640O961 contains a letter" in err
    assert "line 9: invalid: ACCJRU1D16400999 comes after ACCJRU1D16400990" in err
    assert "line 10: invalid: ACCJRU1D16400999 and ACCJRU1E16400999 differ" in err
    assert RegistryEntry.objects.count() == before + 3
    # and the registry now answers for them
    assert serial_lookup(recall=recall, raw_serial="ACCJRU1D16400900").product.model == "A3102"
    assert serial_lookup(recall=recall, raw_serial="ACCJRU2D00000001").product.model == "A3302"
    assert not serial_lookup(recall=recall, raw_serial="ACCJRU1D16400961").is_recalled


def test_registry_import_twice_adds_nothing_the_second_time(recall, run_import):
    run_import(recall, CSV)
    count = RegistryEntry.objects.count()
    out, _ = run_import(recall, CSV)
    assert "0 rows added (0 serials; registry entries stored: 0)" in out
    assert RegistryEntry.objects.count() == count


def test_registry_import_wrong_header_imports_nothing(recall, run_import):
    before = RegistryEntry.objects.count()
    with pytest.raises(CommandError, match=r"Nothing imported: .*Missing: first_serial"):
        run_import(recall, "model,serial\nA3102,ACCJRU1D16400841\n")
    assert RegistryEntry.objects.count() == before


def test_registry_import_unknown_recall_refused(recall, write_csv):
    with pytest.raises(CommandError, match="No recall"):
        call_command("registry_import", "no-such-recall", write_csv(CSV))


def test_recall_load_command_is_idempotent(db, tmp_path):
    import json

    from recallcases.recalls.demo import DEMO_RECALL_FILE
    from recallcases.recalls.models import Product, Recall

    data = json.loads(DEMO_RECALL_FILE.read_text(encoding="utf-8"))
    data["recall"]["units_affected"] = 70000
    path = tmp_path / "recall.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    call_command("recall_load", str(path), stdout=out)
    call_command("recall_load", str(path), stdout=out)
    assert Recall.objects.get().units_affected == 70000
    assert Product.objects.count() == 2
    assert "Recall anker-speakers-2024: 2 products." in out.getvalue()


def test_recall_load_command_bad_file_loads_nothing(db, tmp_path):
    from recallcases.recalls.models import Recall

    path = tmp_path / "recall.json"
    path.write_text('{"recall": {"slug": "x"}}', encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing loaded"):
        call_command("recall_load", str(path))
    assert not Recall.objects.exists()
