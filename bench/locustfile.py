"""Locust users for bench/load.py: a customer signed in on the portal, browsing and uploading.

Each user spends one single-use sign-in link (from the file named by BENCH_DATA, starting at
BENCH_LINK_OFFSET) in on_start, then loops, paced or not (BENCH_PACING). Loopback only; bench/load.py
bounds the run in time.
"""

from __future__ import annotations

import itertools
import json
import os
import random

import gevent
from locust import HttpUser, constant, constant_pacing, events, task

DATA = json.load(open(os.environ["BENCH_DATA"]))
LINKS = itertools.islice(DATA["links"], int(os.environ.get("BENCH_LINK_OFFSET", "0")), None)
#: each run takes the items after the previous runs' (a run stopped mid-upload leaves its last photo behind, and
#: the next run's first upload of that photo to the same item would be a duplicate).
UPLOAD_ITEMS = itertools.islice(
    itertools.cycle(DATA["upload_item_ids"]), int(os.environ.get("BENCH_LINK_OFFSET", "0")), None
)
PHOTO = open(DATA["photo_path"], "rb").read()


@events.init.add_listener
def _only_loopback(environment, **kwargs):
    host = environment.host or ""
    assert host.startswith(("http://127.0.0.1", "http://localhost")), f"loopback only, not {host}"


#: BENCH_PACING=S: each client starts one request every S seconds (a browsing customer); unset: no think
#: time at all (a closed loop at saturation: latency is then clients / throughput).
PACING = float(os.environ.get("BENCH_PACING") or 0)
#: BENCH_UPLOADS=0: the same customers without the photo upload (reads only), to show what the upload's
#: photo check (CPU for a second or so) costs the pages served beside it.
UPLOADS = os.environ.get("BENCH_UPLOADS", "1") != "0"


class Customer(HttpUser):
    wait_time = constant_pacing(PACING) if PACING else constant(0)

    def on_start(self) -> None:
        # Customers arrive at random moments, not all on the same tick: without a random phase the 20
        # paced clients stay in step and send 20 requests at once every second (a burst that queues on
        # 2 cores, p50 130 ms where a lone request takes 20 ms).
        if PACING:
            gevent.sleep(random.uniform(0, PACING))
        link = next(LINKS)
        self.client.get(link, name="sign-in page")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post(
            link,
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}{link}", "X-CSRFToken": token},
            allow_redirects=False,
            name="sign-in",
        )
        self.api = {"Authorization": f"Portal {DATA['portal_token']}"}
        self.upload_item = next(UPLOAD_ITEMS)  # one item per user: no two users upload to the same one

    @task(4)
    def order_page(self) -> None:
        self.client.get(f"/portal/orders/{DATA['number']}/", name="portal order page")

    @task(4)
    def order_api(self) -> None:
        self.client.get(f"/api/v1/orders/{DATA['number']}/", headers=self.api, name="GET orders/{number}/")

    @task(2)
    def catalog(self) -> None:
        self.client.get("/api/v1/catalog/", name="GET catalog/")

    @task(2)
    def revision_page(self) -> None:
        self.client.get(f"/portal/revisions/{DATA['revision_id']}/", name="portal revision page")

    @task(2)
    def revision_api(self) -> None:
        self.client.get(
            f"/api/v1/revisions/{DATA['revision_id']}/", headers=self.api, name="GET revisions/{id}/"
        )

    @task(1)
    def photo_upload(self) -> None:
        """Upload a side photo (checked at once, as customers are told) and remove it again, so the
        item keeps taking photos and the next upload is not a duplicate."""
        if not UPLOADS:
            self.order_page()
            return
        photos = f"/api/v1/orders/{DATA['upload_number']}/items/{self.upload_item}/photos/"
        auth = {"Authorization": f"Portal {DATA['upload_token']}"}
        with self.client.post(
            photos,
            headers=auth,
            files={"image": ("side.jpg", PHOTO, "image/jpeg")},
            data={"kind": "side"},
            name="POST photos/",
            catch_response=True,
        ) as answer:
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
        self.client.delete(f"{photos}{answer.json()['id']}/", headers=auth, name="DELETE photos/{id}/")
