"""API plumbing shared by every app: the exception handler that maps typed errors once, and the field for
stored JSON reports in answers."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from studio.errors import ApplicationError

logger = logging.getLogger(__name__)


def _messages(detail) -> str:
    if isinstance(detail, dict):
        parts = []
        for key, value in detail.items():
            text = _messages(value)
            parts.append(text if key in ("non_field_errors", "detail") else f"{key}: {text}")
        return "; ".join(parts)
    if isinstance(detail, list):
        return " ".join(_messages(d) for d in detail)
    return str(detail)


def exception_handler(exc, context):
    """Turn application, Django and DRF errors into `{"message", "code", "extra"}` JSON answers."""
    if isinstance(exc, ApplicationError):
        return Response(
            {"message": exc.message, "code": exc.code, "extra": exc.extra}, status=exc.status_code
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = drf_exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    body = {
        "message": _messages(detail),
        "code": getattr(exc, "default_code", "error"),
        "extra": {"fields": detail} if isinstance(detail, dict) and "detail" not in detail else {},
    }
    response.data = body
    return response


def report_field(shape, **kwargs) -> serializers.JSONField:
    """A stored JSON report answered exactly as stored (its keys can grow: measures, extra figures),
    documented in the schema with ``shape``: a serializer naming the keys it has (``many=True`` for a list).
    """
    field_class = extend_schema_field(shape)(type("ReportField", (serializers.JSONField,), {}))
    return field_class(**kwargs)
