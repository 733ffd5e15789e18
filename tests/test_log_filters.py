"""No sign-in code, token, signature or Authorization credential reaches a log line or an error report."""

from __future__ import annotations

import io
import logging

import pytest
from django.test import RequestFactory

from studio.log_filters import RedactSecrets, StudioExceptionReporterFilter, redact

CODE = "Zx81-secretCODE_abcdefghijklmnopqrstuv"


@pytest.mark.parametrize(
    "line, secret",
    [
        (f'"GET /portal/login/{CODE}/ HTTP/1.1" 200 1234', CODE),
        (f'"POST /portal/login/{CODE}/ HTTP/1.1" 303 0', CODE),
        (f"Not Found: /portal/login/{CODE}/", CODE),
        ('"GET /portal/photos/3/?sig=1t2:abcDEF HTTP/1.1" 200 99', "1t2:abcDEF"),
        ("GET /x/?page=2&token=tok123&code=c0de", "tok123"),
        ("GET /x/?page=2&token=tok123&code=c0de", "c0de"),
        ("Authorization: Portal long-lived-token", "long-lived-token"),
        ("{'HTTP_AUTHORIZATION': 'Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b'}", "9944b0"),
    ],
)
def test_redact_removes_the_secret(line, secret):
    cleaned = redact(line)
    assert secret not in cleaned and "[redacted]" in cleaned


def test_redact_keeps_the_rest_of_the_line():
    assert (
        redact(f'"GET /portal/login/{CODE}/ HTTP/1.1" 302 0')
        == '"GET /portal/login/[redacted]/ HTTP/1.1" 302 0'
    )
    assert redact("GET /x/?page=2&token=abc") == "GET /x/?page=2&token=[redacted]"
    assert redact("Authorization: Portal abc") == "Authorization: Portal [redacted]"
    assert (
        redact('"GET /portal/login/ HTTP/1.1" 200 10 monkey=1')
        == '"GET /portal/login/ HTTP/1.1" 200 10 monkey=1'
    )


def test_the_filter_rewrites_a_request_line_with_its_arguments():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        (f"GET /portal/login/{CODE}/ HTTP/1.1", "200", "5"),
        None,
    )
    assert RedactSecrets().filter(record) is True
    assert record.getMessage() == '"GET /portal/login/[redacted]/ HTTP/1.1" 200 5'


def _console_handler() -> logging.Handler:
    handlers = [
        h for h in logging.getLogger().handlers if any(isinstance(f, RedactSecrets) for f in h.filters)
    ]
    assert len(handlers) == 1, "the console handler carries the redaction filter"
    return handlers[0]


def test_the_request_loggers_go_through_the_redacting_handler():
    console = _console_handler()
    for name in ("django", "django.server", "gunicorn.access"):
        logger = logging.getLogger(name)
        assert console in logger.handlers and not logger.propagate
        # no other handler (e.g. Django's default console one) prints its lines unredacted
        for handler in logger.handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue  # pytest's own capture
            assert any(isinstance(f, RedactSecrets) for f in handler.filters), (name, handler)


def test_a_refused_link_logs_its_path_redacted(client, db):
    console = _console_handler()
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        assert client.get(f"/portal/login/{CODE}/").status_code == 404
        logging.getLogger("django.server").info(
            '"%s" %s %s', f"GET /portal/login/{CODE}/ HTTP/1.1", "404", "10"
        )
    finally:
        console.setStream(previous)
    text = stream.getvalue()
    assert "Not Found: /portal/login/[redacted]/" in text
    assert '"GET /portal/login/[redacted]/ HTTP/1.1" 404 10' in text
    assert CODE not in text


def test_error_reports_hide_the_authorization_header_and_codes():
    request = RequestFactory().post(
        f"/portal/login/{CODE}/?sig=abc:def",
        {"code": CODE, "email": "ada@example.com"},
        HTTP_AUTHORIZATION="Portal long-lived-token",
    )
    reporter = StudioExceptionReporterFilter()
    meta = reporter.get_safe_request_meta(request)
    assert "long-lived-token" not in str(meta) and CODE not in str(meta) and "abc:def" not in str(meta)
    posted = reporter.get_post_parameters(request)
    assert posted["code"] != CODE and posted["email"] == "ada@example.com"
