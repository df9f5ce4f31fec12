"""Time the staff queue (/workspace/) with BENCH_SCALE claims (69,000 unless set) spread over
every status, against a one-query Django view listing the same first 50 claims.

Builds the demo recall in a scratch PostgreSQL database (bench/benchkit.py says which), COPYs the
claims with their events and photos and the serial registry (bench/scale_data.py), signs in a
Recall manager, and requests each page and the yardstick alternately. Run from the repository root:

    .venv/bin/python bench/staff_queue.py [--claims 69000] [--runs 100]
"""

import argparse

import benchkit
import scale_data

# Rows per bulk write of the other benchmarks' data (purchasers).
CHUNK = 5000


def manager_sign_in():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from recallcases.workspace.models import StaffPolicy
    from recallcases.workspace.roles import RECALL_MANAGER

    # force_login passes no second factor: run as a deployment that relaxed the policy, as the
    # tests do (tests/conftest.py); the second factor's own check costs the same on every page.
    StaffPolicy.objects.update_or_create(
        pk=StaffPolicy.SINGLETON_PK, defaults={"require_two_factor": False}
    )

    # No password: the client signs in with force_login.
    user = get_user_model().objects.create_user(username="bench-manager", is_staff=True)
    user.groups.add(Group.objects.get(name=RECALL_MANAGER))
    client = Client()
    client.force_login(user)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=scale_data.bench_scale())
    parser.add_argument("--runs", type=int, default=100, help="timed requests of each page")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    url = benchkit.bench_database_url()
    benchkit.scratch_database_create(url)
    benchkit.django_setup(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recallcases.claims.models import Claim
    from recallcases.recalls.demo import demo_recall_load

    recall = demo_recall_load()
    print(f"Machine  {benchkit.machine()}")
    serials, built = scale_data.recall_at_scale(recall, claims=args.claims, seed=args.seed)
    client = manager_sign_in()
    searched = serials[len(serials) // 2]
    pages = {
        "queue, first page (oldest first)": "/workspace/",
        "queue, one status": "/workspace/?status=disposal_submitted",
        "queue, search by serial": f"/workspace/?q={searched}",
    }

    def get(url: str) -> str:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.get("Location"))
        return response.content.decode()

    assert searched in get(pages["queue, search by serial"])
    rows = []
    for label, page_url in pages.items():
        page_ms, yardstick_ms = benchkit.time_alternately(
            lambda _i, u=page_url: get(u),
            lambda _i: get("/bench/claims/"),
            runs=args.runs,
            warmup=5,
        )
        with CaptureQueriesContext(connection) as page_queries:
            get(page_url)
        with CaptureQueriesContext(connection) as yardstick_queries:
            get("/bench/claims/")
        rows.append((label, page_ms, len(page_queries), yardstick_ms, len(yardstick_queries)))

    counts = Claim.objects.values("status").distinct().count()
    print()
    print(
        f"Staff queue: {args.claims:,} claims in {counts} statuses (built in {built:.0f} s), "
        f"signed in as a Recall manager; {args.runs} requests of each, interleaved"
    )
    print(f"{'':36}{'median ms':>10}{'p95 ms':>9}{'queries':>9}{'x yardstick':>13}")
    for label, page_ms, page_queries, yardstick_ms, yardstick_queries in rows:
        ratio = benchkit.median(page_ms) / benchkit.median(yardstick_ms)
        print(
            f"{label:36}{benchkit.median(page_ms):10.2f}{benchkit.p95(page_ms):9.2f}"
            f"{page_queries:9}{ratio:12.1f}x"
        )
        print(
            f"{'  one-query view (yardstick)':36}{benchkit.median(yardstick_ms):10.2f}"
            f"{benchkit.p95(yardstick_ms):9.2f}{yardstick_queries:9}"
        )


if __name__ == "__main__":
    main()
