"""The OpenAPI schema shows what the API really answers, and the Output serializers answer exactly that.

Every success answer is described with its properties (no bare objects), down to the nested parts the
customer and the staff read; and an answer passed through its Output serializer is byte for byte the
data the selectors composed (nothing dropped, renamed or reformatted).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.renderers import JSONRenderer

from glue.apis import OrderDetailApi
from glue.order_page import order_page
from orders import selectors as order_selectors
from orders.apis import PhotoUploadApi
from orders.models import Order
from revisions.apis import RevisionOutput, revision_data
from revisions.models import Approval, Feedback, FeedbackKind, Pin, RevisionStatus
from tests.factories import ItemFactory, RevisionFactory, UserFactory, staff_user
from tests.glue.builders import order_with_items


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in node and len(node["allOf"]) == 1:  # a nullable nested serializer
        return _resolve(schema, node["allOf"][0])
    if "anyOf" in node and any(_empty_report(one) for one in node["anyOf"]):  # a report not made yet
        return _resolve(schema, next(one for one in node["anyOf"] if not _empty_report(one)))
    return node


def _empty_report(node: dict) -> bool:
    """The "not made yet" alternative of a report (studio.api.report_field(may_be_empty=True)): `{}`."""
    return node.get("type") == "object" and node.get("maxProperties") == 0


def _success(schema: dict, path: str, method: str) -> dict:
    responses = schema["paths"][path][method]["responses"]
    code = next(code for code in responses if code.startswith("2"))
    return _resolve(schema, responses[code]["content"]["application/json"]["schema"])


def _walk(schema: dict, node: dict, *keys: str) -> dict:
    """Follow properties (and list items) down `keys`; each step must be described."""
    for key in keys:
        node = _resolve(schema, node)
        if node.get("type") == "array":
            node = _resolve(schema, node["items"])
        assert "properties" in node, f"no properties where {key!r} was expected: {node}"
        assert key in node["properties"], f"{key!r} not in {sorted(node['properties'])}"
        node = node["properties"][key]
    return _resolve(schema, node)


@pytest.mark.parametrize(
    "path,method,keys",
    [
        ("/api/v1/orders/{number}/", "get", ("items", "status")),
        ("/api/v1/orders/{number}/", "get", ("items", "photos", "issues", "code")),
        ("/api/v1/orders/{number}/", "get", ("items", "photo_needs", "missing")),
        ("/api/v1/orders/{number}/", "get", ("items", "revisions", "portal_url")),
        ("/api/v1/orders/{number}/", "get", ("items", "tracking", "tracking_number")),
        ("/api/v1/orders/{number}/", "get", ("items", "delivery_estimate", "latest")),
        ("/api/v1/orders/{number}/", "get", ("payments", "amount_cents")),
        ("/api/v1/orders/{number}/", "get", ("events", "text")),
        ("/api/v1/orders/{number}/", "get", ("shipping_address", "country")),
        ("/api/v1/orders/{number}/", "get", ("tracking", "carrier")),
        ("/api/v1/catalog/", "get", ("product_lines", "sizes", "price_cents")),
        ("/api/v1/catalog/", "get", ("shipping", "free_from_cents")),
        ("/api/v1/orders/", "post", ("items", "status")),
        ("/api/v1/orders/{number}/checkout/", "post", ("checkout_url",)),
        ("/api/v1/orders/{number}/items/{item_id}/photos/", "post", ("report", "issues", "severity")),
        ("/api/v1/revisions/{revision_id}/", "get", ("sha256",)),
        ("/api/v1/revisions/{revision_id}/", "get", ("files", "web_glb")),
        ("/api/v1/revisions/{revision_id}/", "get", ("feedback", "pins", "position")),
        ("/api/v1/revisions/{revision_id}/", "get", ("approval", "sha256")),
        ("/api/v1/revisions/{revision_id}/", "get", ("check_report", "printable")),
        ("/api/v1/items/{item_id}/revisions/", "get", ("revisions", "sha256")),
        ("/api/v1/print-jobs/", "get", ("print_file_status", "percent")),
        ("/api/v1/trays/{tray_id}/", "get", ("layout", "parts", "print_job_id")),
    ],
)
def test_the_main_answers_are_described_down_to_their_parts(schema, path, method, keys):
    _walk(schema, _success(schema, path, method), *keys)


def _bare_objects(schema: dict, node: Any, where: str, seen: set[str]) -> list[str]:
    """Places under `node` that are objects without properties (a dict standing for structured data)."""
    if isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _bare_objects(schema, schema["components"]["schemas"][name], f"{where}>{name}", seen)
    if not isinstance(node, dict):
        return []
    found = []
    if node.get("type") == "object" and not node.get("properties") and not _empty_report(node):
        found.append(where)
    for key, child in (node.get("properties") or {}).items():
        found += _bare_objects(schema, child, f"{where}.{key}", seen)
    for key in ("items", "additionalProperties"):
        found += _bare_objects(schema, node.get(key), f"{where}[]", seen)
    for key in ("oneOf", "anyOf", "allOf"):
        for index, child in enumerate(node.get(key) or []):
            found += _bare_objects(schema, child, f"{where}|{index}", seen)
    return found


def test_no_success_answer_is_an_object_without_properties(schema):
    bare = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json")
                if not code.startswith("2") or content is None:
                    continue
                top = _resolve(schema, content["schema"])
                if top.get("type") == "array":
                    top = _resolve(schema, top["items"])
                alternatives = [_resolve(schema, one) for one in top.get("oneOf", [top])]
                if not all(one.get("properties") for one in alternatives):
                    bare.append(f"{method.upper()} {path} {code}")
                bare += _bare_objects(schema, content["schema"], f"{method.upper()} {path} {code}", set())
    assert bare == []


def test_the_schema_builds_without_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))


# ------------------------------------------------------------------------------ answers as composed
def _render(data) -> dict:
    return json.loads(JSONRenderer().render(data))


def _same(data, serializer) -> None:
    assert JSONRenderer().render(serializer.data) == JSONRenderer().render(data)


@pytest.mark.django_db
@pytest.mark.parametrize("staff", [False, True])
def test_the_order_page_answer_is_the_composed_page(staff):
    number = order_with_items(3).number
    request = RequestFactory().get("/")
    request.user = UserFactory(username="page-reader")
    order = order_selectors.order_get_for_request(number=number, request=request)
    page = order_page(order, request, staff=staff)
    assert page["items"][0]["tracking"] and page["items"][1]["photos"][1]["issues"]
    _same(page, OrderDetailApi.Output(page))


@pytest.mark.django_db
def test_the_order_page_through_the_api_is_the_composed_page(client):
    order = order_with_items(2)
    staff = staff_user("api-reader", "Operators")
    client.force_login(staff)
    body = client.get(f"/api/v1/orders/{order.number}/").json()
    request = RequestFactory().get("/")
    request.user = staff
    composed = _render(order_page(Order.objects.get(pk=order.pk), request, staff=True))
    for item in body["items"] + composed["items"]:  # signed photo links carry their own time
        for photo in item["photos"]:
            photo["url"] = photo["url"].split("?", 1)[0]
    assert body == composed


def _reviewed_round(status: str):
    revision = RevisionFactory(
        item=ItemFactory(),
        status=status,
        published_at=timezone.now(),
        check_report={"printable": True, "issues": [], "min_wall_mm": 1.2, "extra_figure": 3},
        diff_report={"max_mm": 0.4, "mean_mm": 0.1, "p95_mm": 0.3},
        renders=["renders/r-0.png"],
    )
    feedback = Feedback.objects.create(revision=revision, kind=FeedbackKind.CHANGES_REQUESTED, comment="Nose")
    Pin.objects.create(feedback=feedback, x=1.0, y=2.5, z=-3.0, normal=[0.0, 0.0, 1.0], text="here")
    if status == RevisionStatus.APPROVED:
        Approval.objects.create(item=revision.item, revision=revision, sha256=revision.sha256)
    return revision


@pytest.mark.django_db
@pytest.mark.parametrize("status", [RevisionStatus.PUBLISHED, RevisionStatus.APPROVED])
@pytest.mark.parametrize("staff", [False, True])
def test_a_revision_answer_is_its_data(status, staff):
    revision = _reviewed_round(status)
    data = revision_data(revision, RequestFactory().get("/"), staff=staff)
    answer = RevisionOutput(data).data
    _same(data, RevisionOutput(data))
    assert ("uploaded_by" in answer, "mesh" in answer["files"]) == (staff, staff)
    assert (answer["approval"] is None) == (status != RevisionStatus.APPROVED)


def test_the_photo_answer_keeps_the_report_as_the_check_wrote_it():
    measured = {"code": "too_dark", "severity": "error", "message": "Dark.", "advice": "Light.", "mean": 31.2}
    body = {
        "id": 1,
        "kind": "front",
        "person_index": 0,
        "url": None,
        "width": 640,
        "height": 480,
        "sha256": "ab" * 32,
        "usable": False,
        "issues": [measured],
        "uploaded_at": timezone.now(),
        "removable": True,
        "acceptable": False,
        "report": {"width": 640, "height": 480, "acceptable": False, "sharpness": 80.1, "issues": [measured]},
    }
    _same(body, PhotoUploadApi.Output(body))
