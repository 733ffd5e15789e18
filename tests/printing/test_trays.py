"""Trays: `to: batched` finds an open tray of a fitting printer, tray creation, picture, tray file, moves."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from PIL import Image

from kits.printfiles.packing import Placed, TrayLayout, validate_layout
from printing.models import Batch, PrintJob
from printing.tasks import build_tray_file, make_print_file
from tests.factories import approved_item, job_in_state, printer

pytestmark = pytest.mark.django_db


def move(api, job, to, **body):
    return api.post(f"/api/v1/print-jobs/{job.pk}/transition/", {"to": to, **body}, format="json")


def layout_of(tray: Batch) -> TrayLayout:
    data = tray.layout
    placed = [Placed(p["key"], p["x"], p["y"], p["width"], p["depth"], p["rotated"]) for p in data["parts"]]
    return TrayLayout(*data["tray_mm"], data["margin_mm"], data["algorithm"], placed)


def test_batched_jobs_share_an_open_tray_with_a_picture(
    staff_api, enqueued, django_capture_on_commit_callbacks
):
    first, second = job_in_state("queued", footprint=(60, 45)), job_in_state("queued", footprint=(80, 50))
    with django_capture_on_commit_callbacks(execute=True):
        assert move(staff_api, first, "batched").status_code == 200
    assert move(staff_api, second, "batched").status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.batch_id == second.batch_id is not None
    tray = first.batch
    assert tray.status == "open" and tray.printer == first.printer
    assert sorted(p["print_job_id"] for p in tray.layout["parts"]) == sorted([first.pk, second.pk])
    assert validate_layout(layout_of(tray)) == []
    assert tray.utilisation == pytest.approx((60 * 45 + 80 * 50) / (490 * 390), abs=1e-3)
    with Image.open(tray.layout_png.path) as picture:
        assert picture.format == "PNG" and picture.width > 400
    assert ("printing.tasks.build_tray_file", (tray.pk, 1), None) in enqueued  # the tray file, after commit
    assert tray.layout["revision"] == 2  # the second job laid the tray out again
    assert build_tray_file(tray.pk, 1)["tray_file"] == ""  # a stale layout's task does nothing


def test_a_full_tray_opens_a_new_one(staff_api, enqueued):
    jobs = [job_in_state("queued", footprint=(200, 170)) for _ in range(5)]  # 4 fit on a 490×390 tray
    for job in jobs:
        assert move(staff_api, job, "batched").status_code == 200
    trays = {PrintJob.objects.get(pk=j.pk).batch_id for j in jobs}
    assert len(trays) == 2
    for tray in Batch.objects.all():
        assert validate_layout(layout_of(tray)) == []


def test_no_printer_fits_a_huge_footprint(staff_api, enqueued):
    job = job_in_state("queued", footprint=(700, 700))
    response = move(staff_api, job, "batched")
    assert response.status_code == 409 and "No printer" in response.json()["message"]
    job.refresh_from_db()
    assert job.status == "queued" and job.batch is None


def test_leaving_the_tray_lays_it_out_again(staff_api, enqueued):
    first, second = job_in_state("queued"), job_in_state("queued")
    move(staff_api, first, "batched")
    move(staff_api, second, "batched")
    tray = PrintJob.objects.get(pk=first.pk).batch
    assert move(staff_api, first, "queued").status_code == 200
    tray.refresh_from_db()
    assert [p["print_job_id"] for p in tray.layout["parts"]] == [second.pk]
    assert PrintJob.objects.get(pk=first.pk).batch is None
    assert move(staff_api, second, "cancelled", reason="customer moved house").status_code == 200
    tray.refresh_from_db()
    assert tray.status == "cancelled"


def test_create_tray_fills_it_earliest_due_first(staff_api, enqueued):
    early = job_in_state("queued", footprint=(300, 300), due_in_days=2)
    late = job_in_state("queued", footprint=(300, 300), due_in_days=20)  # cannot share the tray with `early`
    small = job_in_state("queued", footprint=(50, 50), due_in_days=25)
    no_file = job_in_state("queued", footprint=(50, 50))
    PrintJob.objects.filter(pk=no_file.pk).update(print_file="", footprint_mm=None)
    no_footprint = job_in_state("queued", footprint=(50, 50))
    PrintJob.objects.filter(pk=no_footprint.pk).update(footprint_mm=None)
    response = staff_api.post("/api/v1/trays/", {"printer_id": printer("J850-1").pk}, format="json")
    assert response.status_code == 201, response.json()
    tray = Batch.objects.get(pk=response.json()["id"])
    assert sorted(response.json()["jobs"]) == sorted([early.pk, small.pk])
    assert PrintJob.objects.get(pk=late.pk).status == "queued"
    assert PrintJob.objects.get(pk=no_file.pk).status == "queued"
    assert PrintJob.objects.get(pk=no_footprint.pk).status == "queued"
    assert response.json()["layout_png_url"] and 0 < tray.utilisation < 1
    # nothing left that fits on its own: a second tray takes `late`, a third has nothing
    assert (
        staff_api.post("/api/v1/trays/", {"printer_id": printer("J850-1").pk}, format="json").status_code
        == 201
    )
    again = staff_api.post("/api/v1/trays/", {"printer_id": printer("J850-1").pk}, format="json")
    assert again.status_code == 409


def test_tray_moves_take_every_job_along(staff_api, enqueued):
    jobs = [job_in_state("queued") for _ in range(3)]
    tray_id = staff_api.post("/api/v1/trays/", {"printer_id": printer("J850-1").pk}, format="json").json()[
        "id"
    ]
    assert (
        staff_api.post(f"/api/v1/trays/{tray_id}/transition/", {"to": "done"}, format="json").status_code
        == 409
    )
    response = staff_api.post(f"/api/v1/trays/{tray_id}/transition/", {"to": "printing"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "printing"
    assert {PrintJob.objects.get(pk=j.pk).status for j in jobs} == {"printing"}
    # one job fails on the printer: the others are printed when the tray is done
    assert move(staff_api, jobs[0], "qc_failed", reason="support broke the hand").status_code == 200
    assert (
        staff_api.post(f"/api/v1/trays/{tray_id}/transition/", {"to": "done"}, format="json").status_code
        == 200
    )
    assert [PrintJob.objects.get(pk=j.pk).status for j in jobs] == ["qc_failed", "printed", "printed"]


def test_tray_follows_its_jobs(staff_api, enqueued):
    job = job_in_state("queued")
    move(staff_api, job, "batched")
    tray = PrintJob.objects.get(pk=job.pk).batch
    move(staff_api, job, "printing")
    tray.refresh_from_db()
    assert tray.status == "printing"
    move(staff_api, job, "printed")
    tray.refresh_from_db()
    assert tray.status == "done"


def test_tray_file_holds_every_part_in_place(staff_api, enqueued):
    heights = [100, 150]
    jobs = []
    for height in heights:
        item = approved_item(height_mm=height)
        job_id = staff_api.post(
            f"/api/v1/items/{item.pk}/print-jobs/", {"printer_id": printer("J850-1").pk}, format="json"
        ).json()["id"]
        make_print_file(job_id)
        jobs.append(PrintJob.objects.get(pk=job_id))
    tray_id = staff_api.post("/api/v1/trays/", {"printer_id": printer("J850-1").pk}, format="json").json()[
        "id"
    ]
    result = build_tray_file(tray_id)
    tray = Batch.objects.get(pk=tray_id)
    assert result["tray_file"] and tray.tray_file.name.endswith(".3mf")
    scene = trimesh.load(tray.tray_file.path, force="scene")
    placed = [
        scene.geometry[g].copy().apply_transform(t)
        for t, g in (scene.graph[n] for n in scene.graph.nodes_geometry)
    ]
    assert sum(len(m.faces) for m in placed) == sum(j.print_report["triangles"] for j in jobs)
    vertices = np.vstack([m.vertices for m in placed])
    margin = tray.printer.tray_margin_mm
    assert vertices[:, 0].min() >= margin - 0.01 and vertices[:, 1].min() >= margin - 0.01
    assert vertices[:, 0].max() <= 490 - margin + 0.01 and vertices[:, 1].max() <= 390 - margin + 0.01
    assert np.ptp(vertices[:, 2]) == pytest.approx(max(heights), abs=0.5)
    assert tray.layout["tray_file"]["method"] == "objects"
    assert tray.layout["tray_file"]["parts"] == [p["key"] for p in tray.layout["parts"]]
    for part in tray.layout["parts"]:  # each part's own footprint lies where the layout says
        inside = (
            (vertices[:, 0] >= part["x"] - 0.01)
            & (vertices[:, 0] <= part["x"] + part["width"] + 0.01)
            & (vertices[:, 1] >= part["y"] - 0.01)
            & (vertices[:, 1] <= part["y"] + part["depth"] + 0.01)
        )
        assert inside.any()


def test_starting_one_job_starts_its_whole_tray(staff_api, enqueued):
    first, second = job_in_state("queued"), job_in_state("queued")
    move(staff_api, first, "batched")
    move(staff_api, second, "batched")
    assert move(staff_api, second, "printing").status_code == 200
    assert {PrintJob.objects.get(pk=j.pk).status for j in (first, second)} == {"printing"}
    assert PrintJob.objects.get(pk=first.pk).batch.status == "printing"


def test_a_tray_with_a_tampered_print_file_does_not_start(staff_api, enqueued):
    first, second = job_in_state("queued"), job_in_state("queued")
    move(staff_api, first, "batched")
    move(staff_api, second, "batched")
    with open(PrintJob.objects.get(pk=first.pk).print_file.path, "ab") as handle:
        handle.write(b"!")
    response = move(staff_api, second, "printing")
    assert response.status_code == 409 and f"Print job {first.pk}" in response.json()["message"]
    assert {PrintJob.objects.get(pk=j.pk).status for j in (first, second)} == {"batched"}
