"""A tiny Stripe API double on loopback: records each request, answers like Stripe would."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


class StripeDouble:
    """``with StripeDouble() as stripe: settings.STRIPE_API_BASE = stripe.url``; ``stripe.requests`` lists calls."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail_with: tuple[int, dict] | None = None
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                record = {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "form": dict(parse_qsl(body, keep_blank_values=True)),
                }
                double.requests.append(record)
                if double.fail_with is not None:
                    status, answer = double.fail_with
                else:
                    status, answer = 200, double.answer(record)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Request-Id", f"req_{len(double.requests)}")
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, record: dict) -> dict:
        n = len(self.requests)
        if record["path"].endswith("/expire"):
            return {"id": record["path"].split("/")[-2], "object": "checkout.session", "status": "expired"}
        if record["path"].startswith("/v1/checkout/sessions"):
            return {
                "id": f"cs_test_{n}",
                "object": "checkout.session",
                "url": f"https://checkout.stripe.test/c/pay/cs_test_{n}",
                "expires_at": int(time.time()) + 24 * 3600,
                "payment_status": "unpaid",
                "metadata": {k[9:-1]: v for k, v in record["form"].items() if k.startswith("metadata[")},
            }
        if record["path"].startswith("/v1/refunds"):
            return {
                "id": f"re_test_{n}",
                "object": "refund",
                "amount": int(record["form"].get("amount", 0)),
                "payment_intent": record["form"].get("payment_intent"),
                "status": "succeeded",
            }
        return {
            "error": {
                "type": "invalid_request_error",
                "message": f"Unrecognized request URL {record['path']}",
            }
        }

    def __enter__(self) -> StripeDouble:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
