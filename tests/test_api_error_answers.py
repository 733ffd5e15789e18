"""The error answers are part of the schema, and every answer under /api/ is the API's JSON shape.

studio.api.StudioAutoSchema documents, for each operation, the 4xx answers it can give in the one error
shape; request schemas are as strict as the validation behind them. tests/glue/test_api_fuzz.py checks
real answers against all this; these tests pin the documented parts.
"""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method.upper(), operation


def _error_ref(response: dict) -> str:
    return response["content"]["application/json"]["schema"]["$ref"]


def test_the_error_shape_is_one_component(schema):
    error = schema["components"]["schemas"]["Error"]
    assert sorted(error["required"]) == ["code", "extra", "message"]
    assert {name: spec["type"] for name, spec in error["properties"].items()} == {
        "message": "string",
        "code": "string",
        "extra": "object",
    }


def test_every_operation_documents_the_errors_it_can_answer(schema):
    checked = 0
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        documented_errors = {code for code in responses if code.startswith("4")}
        for code in documented_errors:
            assert _error_ref(responses[code]) == ERROR_REF, (method, path, code)
            assert responses[code]["description"], (method, path, code)
        if "{" in path:
            assert "404" in documented_errors, (method, path)
        if method == "POST":
            assert {"400", "404", "409", "415"} <= documented_errors, (method, path)
        if operation.get("security") and {} not in operation["security"]:
            assert {"401", "403"} <= documented_errors, (method, path)
        checked += 1
    assert checked >= 20


def test_staff_and_customer_operations_document_refusals_and_the_public_catalog_does_not(schema):
    assert {"401", "403"} <= set(schema["paths"]["/api/v1/print-jobs/"]["get"]["responses"])
    assert {"401", "403"} <= set(schema["paths"]["/api/v1/orders/{number}/"]["get"]["responses"])
    assert set(schema["paths"]["/api/v1/catalog/"]["get"]["responses"]) == {"200"}


def test_uploads_document_too_large_and_throttled_operations_too_many_requests(schema):
    photos = schema["paths"]["/api/v1/orders/{number}/items/{item_id}/photos/"]["post"]["responses"]
    assert {"413", "429"} <= set(photos)
    assert "429" in schema["paths"]["/api/v1/orders/"]["post"]["responses"]
    assert "429" not in schema["paths"]["/api/v1/revisions/{revision_id}/"]["get"]["responses"]


def test_request_schemas_are_as_strict_as_the_validation(schema):
    components = schema["components"]["schemas"]
    assert components["OrderCreateIn"]["properties"]["items"]["minItems"] == 1
    assert components["ReprintCreateInput"]["properties"]["reason"]["minLength"] == 1
    assert components["PrintJobTransitionInput"]["properties"]["to"]["minLength"] == 1
    assert components["TrayTransitionInput"]["properties"]["to"]["minLength"] == 1
    # optional text stays optional and may be blank
    assert "minLength" not in components["PrintJobTransitionInput"]["properties"]["tracking_number"]


def test_reports_not_made_yet_are_documented_as_an_empty_object(schema):
    revision = schema["components"]["schemas"]["RevisionOutput"]["properties"]
    for name in ("check_report", "diff"):
        alternatives = revision[name]["anyOf"]
        assert {"type": "object", "maxProperties": 0} in alternatives
        assert any("$ref" in one for one in alternatives)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/items/abc/revisions/", "/api/v1/no-such-thing/", "/api/v1/revisions/1/nope/"]
)
def test_a_path_no_api_route_matches_answers_the_json_error_shape(client, path):
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/json"
    assert answer.json() == {"message": f"No API endpoint at {path}.", "code": "not_found", "extra": {}}


@pytest.mark.django_db
def test_outside_the_api_a_missing_page_is_still_an_html_page(client):
    answer = client.get("/portal/no-such-page/")
    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("text/html")
