"""Keep secrets out of logs and error reports.

``RedactSecrets`` (a logging filter on the console handler, see settings.LOGGING) rewrites every
record's message: a sign-in code in ``/portal/login/<code>/``, the values of ``token=``, ``code=``,
``sig=``, ``key=`` and ``password=`` parameters and the credential of an ``Authorization`` header
become ``[redacted]``. It covers the request lines of ``runserver`` (django.server), Django's
"Not Found: /path" warnings and gunicorn's access log when it is routed through the same handler.

``StudioExceptionReporterFilter`` hides the same things from error reports (the DEBUG page, mails
to ADMINS): the ``Authorization`` header and those query parameters.
"""

from __future__ import annotations

import logging
import re

from django.views.debug import SafeExceptionReporterFilter

REDACTED = "[redacted]"


def _credential(match: re.Match[str]) -> str:
    scheme = match.group(2)
    return f"{match.group(1)}{scheme + ' ' if scheme else ''}{REDACTED}"


_PATTERNS: list[tuple[re.Pattern[str], object]] = [
    # the sign-in link's code (the path segment after /portal/login/)
    (re.compile(r"(/portal/login/)[^/\s?\"'#]+"), rf"\g<1>{REDACTED}"),
    # secrets passed as parameters (query strings, form bodies, key=value log text)
    (
        re.compile(r"(?i)\b((?:portal_)?token|code|sig|key|api_key|password|secret)=[^&\s\"'#,;]+"),
        rf"\g<1>={REDACTED}",
    ),
    # an Authorization header's credential: "Authorization: Portal abc", "HTTP_AUTHORIZATION': 'Token abc'"
    (
        re.compile(r"(?i)((?:http_)?authorization['\"]?\s*[:=]\s*['\"]?)(?:(\w+)\s+)?[^\s'\",}]+"),
        _credential,
    ),
]


def redact(text: str) -> str:
    """``text`` with sign-in codes, secret parameters and Authorization credentials replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrite a record's message (its arguments merged in) with :func:`redact`; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is, never lost
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class StudioExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, also hiding Authorization headers and sign-in codes, tokens and signatures."""

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|AUTHORIZATION|^CODE$|^SIG$", flags=re.I
    )

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        for name in ("QUERY_STRING", "PATH_INFO", "REQUEST_URI", "RAW_URI"):
            if isinstance(meta.get(name), str):
                meta[name] = redact(meta[name])
        return meta

    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if request is None:
            return params
        params = params.copy()
        for name in ("code", "token", "portal_token", "sig"):
            if name in params:
                params[name] = self.cleansed_substitute
        return params
