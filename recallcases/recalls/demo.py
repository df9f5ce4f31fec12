"""Demo data: serials this project makes up in the shape of the real ones, marked as demo.

The real list of recalled serials is not public. Demo serials have the real shape (16 letters and
digits, never O or I) and the letters DMX after the model, so no one mistakes them for real ones.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from recallcases.recalls.models import Recall, RegistryEntry
from recallcases.recalls.services import recall_load, registry_import

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_RECALL_FILE = DATA_DIR / "anker-speakers-2024.json"
# The second demo recall: US only, in English and Spanish, two remedies, three proof items.
POWER_BANK_FILE = DATA_DIR / "anker-power-banks-2025.json"


@dataclass(frozen=True)
class DemoRange:
    model: str
    first_serial: str
    last_serial: str
    # Serials a newcomer can type to see the "not recalled" answers.
    not_recalled: tuple[str, ...]


DEMO_RANGES = (
    DemoRange(
        model="A3102",
        first_serial="A3102DMX10000001",
        last_serial="A3102DMX10000500",
        not_recalled=("A3102DMX10000501", "A3102DMX1000042"),
    ),
    DemoRange(
        model="A3302",
        first_serial="A3302DMX20000001",
        last_serial="A3302DMX20000500",
        not_recalled=("A3302DMX20000501", "A3302DMX30000001"),
    ),
)


POWER_BANK_DEMO_RANGES = (
    DemoRange(
        model="A1263",
        first_serial="A1263DMX000001",
        last_serial="A1263DMX000500",
        not_recalled=("A1263DMX000501", "A1263DMX00042"),
    ),
)


def _demo_load(path: Path, ranges: tuple[DemoRange, ...]) -> Recall:
    """Load a recall file and its demo registry (idempotent)."""
    recall = recall_load(data=json.loads(path.read_text(encoding="utf-8")), base_dir=path.parent)
    if not RegistryEntry.objects.filter(recall=recall, is_demo=True).exists():
        registry_import(
            recall=recall,
            rows=[
                {"model": r.model, "first_serial": r.first_serial, "last_serial": r.last_serial}
                for r in ranges
            ],
            is_demo=True,
        )
    return recall


def demo_recall_load() -> Recall:
    """Load the speaker recall of the brief and its demo registry (idempotent)."""
    return _demo_load(DEMO_RECALL_FILE, DEMO_RANGES)


def demo_power_banks_load() -> Recall:
    """Load the power bank recall (the second demo recall) and its demo registry (idempotent)."""
    return _demo_load(POWER_BANK_FILE, POWER_BANK_DEMO_RANGES)
