"""Hypothesis settings for the property tests: deterministic and bounded unless asked otherwise.

"ci" (the default) draws the same examples on every run, so a red build is reproducible and a
green one stays green; HYPOTHESIS_PROFILE=dev explores new examples on each run. Tests that use
the database ask for fewer examples with their own @settings.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=100,
    deadline=None,
    print_blob=True,
    # The database tests share pytest's function-scoped `db` transaction across examples on
    # purpose; each example cleans up after itself (see `rolled_back`).
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "dev",
    parent=settings.get_profile("ci"),
    derandomize=False,
    max_examples=500,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
