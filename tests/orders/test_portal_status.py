"""What the customer reads on the order page, state by state: the badges, the progress stepper with its
promise and next step, the photo advice, the tracking link and address, and the customer's timeline.

Every assertion reads the HTML the portal serves (through the Django test client), as the customer sees it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import lxml.html
import pytest
from django.test import Client
from django.utils import timezone

from orders import events
from orders.auth import portal_login_link_issue, portal_token_issue
from orders.models import ItemStatus, Order, OrderEvent, OrderStatus, Photo
from orders.portal_presenter import STEP_OF_STATUS, tracking_url
from orders.promises import preview_due_after
from orders.services import order_mark_paid_offline
from revisions.models import Feedback, FeedbackKind, RevisionStatus
from tests.factories import (
    ItemFactory,
    OrderFactory,
    PrintJobFactory,
    RevisionFactory,
    approved_item,
    staff_user,
)
from tests.kits.photo.images import photo_jpeg
from tests.orders.helpers import place_order, portal_header, portal_sign_in, upload

pytestmark = pytest.mark.django_db

DUE_TEXT = "preview is due by"


def page(order: Order) -> lxml.html.HtmlElement:
    """The order page as the order's customer sees it (a fresh browser, signed in by a link)."""
    browser = Client()
    portal_sign_in(browser, f"/portal/login/{portal_login_link_issue(customer=order.customer, order=order)}/")
    response = browser.get(f"/portal/orders/{order.number}/")
    assert response.status_code == 200, response.content
    return lxml.html.fromstring(response.content.decode())


def text(node) -> str:
    return " ".join(node.text_content().split())


def one(doc, testid: str) -> str:
    found = doc.xpath(f'//*[@data-testid="{testid}"]')
    assert len(found) == 1, f"{len(found)} × {testid}"
    return text(found[0])


def current_step(doc) -> str:
    (stepper,) = doc.xpath('//*[@data-testid="stepper"]')
    current = stepper.xpath('.//*[@aria-current="step"]')
    assert len(current) == 1, "exactly one current step"
    return current[0].get("data-step")


def item_in(status: str, *, order_status: str = OrderStatus.IN_DESIGN, **fields):
    order = OrderFactory(
        status=order_status, paid_at=timezone.now(), ship_line1="1 Main St", ship_city="Boston"
    )
    return ItemFactory(order=order, status=status, **fields)


# ---- 1. status texts -----------------------------------------------------------------------------------


def test_photos_in_but_not_paid_says_awaiting_payment_then_the_preview_is_due(client, enqueued):
    data = place_order(client)
    order = Order.objects.get(number=data["number"])
    item = order.items.get()
    assert (
        upload(client, order.number, item.pk, photo_jpeg(), **portal_header(data["portal_token"])).status_code
        == 201
    )

    doc = page(order)
    assert one(doc, "order-status") == "Awaiting payment"
    assert one(doc, "item-status") == "Awaiting payment"  # not "Awaiting photos": they are in
    assert current_step(doc) == "photos"
    assert "Your photos are in." in one(doc, "status-now") and DUE_TEXT not in text(doc)

    order_mark_paid_offline(order_id=order.pk)
    item.refresh_from_db()
    assert item.status == ItemStatus.READY_FOR_DESIGN
    doc = page(order)
    assert one(doc, "order-status") == "In design" and one(doc, "item-status") == "In design"
    assert current_step(doc) == "design"
    due = timezone.localtime(item.preview_due_at)
    assert f"Your preview is due by {due:%a} {due.day} {due:%b}" in one(doc, "promise")
    assert "Your review" in one(doc, "next-step")


def test_a_photo_missing_still_says_awaiting_photos(client, enqueued):
    data = place_order(client)
    doc = page(Order.objects.get(number=data["number"]))
    assert one(doc, "item-status") == "Awaiting photos"
    assert "We need a clear front photo" in one(doc, "status-now")


def test_the_promise_is_in_the_studios_words_and_time_zone(settings):
    settings.STUDIO_TIME_ZONE = "America/New_York"
    item = item_in(ItemStatus.SCULPTING, preview_due_at=datetime(2026, 12, 8, 22, 0, tzinfo=UTC))
    doc = page(item.order)
    assert one(doc, "promise") == "Your preview is due by Tue 8 Dec, 5:00 PM EST."


def test_after_changes_the_next_preview_is_due_from_the_request(enqueued):
    item = item_in(ItemStatus.CHANGES_REQUESTED, preview_due_at=timezone.now() - timedelta(days=5))
    revision = RevisionFactory(
        item=item, status=RevisionStatus.CHANGES_REQUESTED, published_at=timezone.now()
    )
    asked = timezone.now() - timedelta(hours=1)
    feedback = Feedback.objects.create(
        revision=revision, kind=FeedbackKind.CHANGES_REQUESTED, comment="Bigger"
    )
    Feedback.objects.filter(pk=feedback.pk).update(created_at=asked)
    doc = page(item.order)
    due = timezone.localtime(preview_due_after(asked))
    assert current_step(doc) == "design" and one(doc, "item-status") == "Working on your changes"
    assert "Your sculptor has your changes." in one(doc, "status-now")
    assert f"Your next preview is due by {due:%a} {due.day} {due:%b}" in one(doc, "promise")


def test_in_review_asks_for_the_review_and_promises_no_due_date():
    item = item_in(ItemStatus.IN_REVIEW, preview_due_at=timezone.now())
    RevisionFactory(item=item, status=RevisionStatus.PUBLISHED, published_at=timezone.now())
    doc = page(item.order)
    assert current_step(doc) == "review" and one(doc, "item-status") == "Your review is needed"
    assert "Your 3D preview is ready." in one(doc, "status-now") and DUE_TEXT not in text(doc)
    assert "nothing is printed before you approve" in one(doc, "next-step")


def test_approved_but_not_sent_to_print_is_queued_not_being_printed():
    item = approved_item()
    item.preview_due_at = timezone.now() - timedelta(days=3)
    item.save()
    doc = page(item.order)
    assert current_step(doc) == "printing"
    assert "Approved — your figurine is queued for printing." in one(doc, "status-now")
    assert "being printed" not in text(doc) and DUE_TEXT not in text(doc)
    assert "Expected delivery" in one(doc, "promise")


@pytest.mark.parametrize(
    ("job_status", "says"),
    [
        ("queued", "Approved — your figurine is queued for printing."),
        ("batched", "Approved — your figurine is queued for printing."),
        ("printing", "Your approved design is being printed."),
        ("qc_passed", "Printed — we are checking and packing your figurine."),
    ],
)
def test_the_print_text_follows_the_print_job(job_status, says):
    item = approved_item()
    item.__class__.objects.filter(pk=item.pk).update(
        status=ItemStatus.IN_PRODUCTION, preview_due_at=timezone.now()
    )
    PrintJobFactory(revision=item.approval.revision, item=item, status=job_status)
    doc = page(item.order)
    assert current_step(doc) == "printing"
    assert says in one(doc, "status-now") and DUE_TEXT not in text(doc)
    if job_status != "printing":
        assert "being printed" not in text(doc)


def test_shipped_shows_no_due_date_and_links_the_tracking_number():
    item = approved_item()
    item.__class__.objects.filter(pk=item.pk).update(status=ItemStatus.SHIPPED, preview_due_at=timezone.now())
    PrintJobFactory(
        revision=item.approval.revision,
        item=item,
        status="shipped",
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
    )
    doc = page(item.order)
    assert current_step(doc) == "shipped" and one(doc, "item-status") == "Shipped"
    assert "on its way" in one(doc, "status-now") and DUE_TEXT not in text(doc)
    (link,) = doc.xpath('//a[@data-testid="tracking-link"]')
    assert link.get("href") == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert text(link) == "1Z999AA10123456784"


# ---- 2. the stepper ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(STEP_OF_STATUS))
def test_the_stepper_marks_the_step_of_every_status(status):
    item = item_in(status)
    doc = page(item.order)
    (stepper,) = doc.xpath('//*[@data-testid="stepper"]')
    steps = [li.get("data-step") for li in stepper.xpath("./li")]
    assert steps == ["photos", "design", "review", "printing", "shipped", "delivered"]
    labels = [(li.xpath('.//span[@class="label"]')[0].text or "").strip() for li in stepper.xpath("./li")]
    assert labels == ["Photos", "Design", "Your review", "Printing", "Shipped", "Delivered"]
    current = current_step(doc)
    assert current == STEP_OF_STATUS[status]
    states = [li.get("class") for li in stepper.xpath("./li")]
    at = steps.index(current)
    assert states == ["done"] * at + ["current"] + ["upcoming"] * (len(steps) - at - 1)
    if current != "delivered":
        assert one(doc, "next-step").startswith("Next —")


def test_a_cancelled_figurine_has_no_stepper():
    item = item_in(ItemStatus.CANCELLED, order_status=OrderStatus.CANCELLED)
    doc = page(item.order)
    assert not doc.xpath('//*[@data-testid="stepper"]')
    assert one(doc, "item-status") == "Cancelled" and one(doc, "order-status") == "Cancelled"


# ---- photos: a rejected photo replaced by a good one -----------------------------------------------------

RETAKE = {"code": "too_dark", "severity": "error", "message": "Too dark.", "advice": "Retake it in daylight."}


def _photo(item, kind: str, *, usable: bool, minutes_ago: int, person_index: int = 0):
    return Photo.objects.create(
        item=item,
        kind=kind,
        person_index=person_index,
        sha256=f"{kind}{minutes_ago}",
        is_usable=usable,
        report={"acceptable": usable, "issues": [] if usable else [RETAKE]},
        uploaded_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_a_rejected_photo_loses_its_red_advice_once_a_good_one_of_its_kind_is_in():
    item = item_in(ItemStatus.AWAITING_PHOTOS)
    dark = _photo(item, "front", usable=False, minutes_ago=10)
    doc = page(item.order)
    assert "Retake it in daylight." in text(doc) and "Please retake" in text(doc)

    _photo(item, "side", usable=True, minutes_ago=5)  # another kind replaces nothing
    assert "Retake it in daylight." in text(page(item.order))

    _photo(item, "front", usable=True, minutes_ago=1)
    doc = page(item.order)
    (old,) = doc.xpath(f'//*[@id="photo-{dark.pk}"]')
    assert "replaced" in old.get("class") and "Replaced" in text(old)
    assert "Retake it in daylight." not in text(doc) and "Please retake" not in text(doc)


# ---- 3. the customer's timeline --------------------------------------------------------------------------


def _status(item, subject, to, *, subject_id, **parameters):
    return OrderEvent.objects.create(
        order=item.order,
        item=item,
        subject=subject,
        subject_id=subject_id,
        type="status_changed",
        to_status=to,
        parameters=parameters,
    )


def _a_whole_story(item) -> None:
    """Every move of a delivered figurine as the log records it: internal checks, rejected rounds, a QC
    failure and its reprint, e-mails, a payment delivered twice, an unknown future event type."""
    order = item.order
    note = dict(order=order, item=item, subject="item", subject_id=item.pk)
    events.order_placed_event(order=order, actor="customer", items=1, total_cents=22900)
    for _ in range(2):  # Stripe redelivers: one payment
        OrderEvent.objects.create(
            order=order,
            subject="payment",
            subject_id=1,
            type="payment_recorded",
            parameters={"payment_id": 1, "amount_cents": 22900},
        )
    _status(item, "order", "paid", subject_id=order.pk)
    for kind in ("front", "side"):
        OrderEvent.objects.create(type="photo_uploaded", parameters={"kind": kind, "usable": True}, **note)
    for to in ("ready_for_design", "reconstructing", "sculpting"):
        _status(item, "item", to, subject_id=item.pk)
    for number, tos in (
        (1, ("checking", "ready", "published", "changes_requested")),
        (2, ("checking", "rejected")),
        (3, ("ready", "published", "approved")),
    ):
        for to in tos:
            _status(item, "revision", to, subject_id=100 + number, round=number)
    OrderEvent.objects.create(type="print_job_created", parameters={"print_job_id": 7}, **note)
    OrderEvent.objects.create(type="print_file_failed", parameters={"code": "x", "message": "boom"}, **note)
    OrderEvent.objects.create(type="email_sent", parameters={"template": "x"}, **note)
    for to in ("batched", "printing", "printed", "qc_failed"):
        _status(item, "print_job", to, subject_id=7)
    OrderEvent.objects.create(type="reprint_created", parameters={"reason": "QC failed: layer shift"}, **note)
    for to in ("printing", "printed", "qc_passed", "packed"):
        _status(item, "print_job", to, subject_id=8, is_reprint=True)
    _status(item, "print_job", "shipped", subject_id=8, carrier="DHL", tracking_number="JD014600006281")
    _status(item, "item", "shipped", subject_id=item.pk)
    _status(item, "item", "delivered", subject_id=item.pk)
    OrderEvent.objects.create(type="some_future_internal_fact", **note)


CUSTOMER_STORY = [
    "Order placed.",
    "Payment received: $229.00.",
    "Photos received: front photo, side profile.",
    "Your photos are good: design has started.",
    "Your 3D preview is ready (round 1).",
    "You sent your changes (round 1).",
    "Your 3D preview is ready (round 3).",
    "You approved the design (round 3).",
    "Printing started.",
    "Shipped with DHL, tracking number JD014600006281.",
    "Delivered.",
]


def test_the_timeline_has_the_customers_moments_once_in_their_words():
    item = item_in(ItemStatus.DELIVERED, order_status=OrderStatus.DELIVERED)
    order = item.order
    _a_whole_story(item)

    doc = page(order)
    entries = [text(li).split(" — ", 1)[1] for li in doc.xpath('//*[@data-testid="timeline-entry"]')]
    assert entries == CUSTOMER_STORY
    timeline = one(doc, "timeline").lower()
    for internal in (
        "qc",
        "reconstructing",
        "order paid",
        "rejected",
        "reprint",
        "print file",
        "e-mail",
        "future",
    ):
        assert internal not in timeline
    # staff keep the full log
    assert OrderEvent.objects.filter(order=order).count() > 30


def test_the_api_answers_the_customer_the_portals_timeline_and_staff_the_full_log():
    item = item_in(ItemStatus.DELIVERED, order_status=OrderStatus.DELIVERED)
    order = item.order
    _a_whole_story(item)
    token = portal_token_issue(customer=order.customer, order=order)

    customer = Client().get(f"/api/v1/orders/{order.number}/", **portal_header(token))
    assert customer.status_code == 200
    events_ = customer.json()["events"]
    assert [e["text"] for e in events_] == CUSTOMER_STORY
    assert [e["text"] for e in events_] == [
        text(li).split(" — ", 1)[1] for li in page(order).xpath('//*[@data-testid="timeline-entry"]')
    ]
    assert all(set(e) == {"date", "type", "item_id", "text"} for e in events_)
    about = {e["item_id"] for e in events_ if e["type"] not in ("order_placed", "payment_recorded")}
    assert about == {item.pk}

    staff = Client()
    staff.force_login(staff_user("sculptor1", "Sculptors"))
    log = staff.get(f"/api/v1/orders/{order.number}/").json()["events"]
    assert len(log) == OrderEvent.objects.filter(order=order).count() > 30
    assert {"subject", "subject_id", "from_status", "to_status", "actor"} <= set(log[0])
    assert "qc_failed" in [e["to_status"] for e in log]  # the studio's internal moves stay on the log
    assert any(e["text"] == "Payment received ($229.00)." for e in log)


def test_a_reprint_after_a_guarantee_claim_is_news_again():
    item = item_in(ItemStatus.IN_PRODUCTION, order_status=OrderStatus.IN_PRODUCTION)
    _status(item, "print_job", "printing", subject_id=1)
    _status(item, "print_job", "shipped", subject_id=1, carrier="UPS", tracking_number="1Z1")
    OrderEvent.objects.create(
        order=item.order,
        item=item,
        subject="item",
        subject_id=item.pk,
        type="guarantee_claim",
        parameters={"claim_id": 3},
    )
    _status(item, "print_job", "printing", subject_id=2, is_reprint=True)
    entries = [
        text(li).split(" — ", 1)[1] for li in page(item.order).xpath('//*[@data-testid="timeline-entry"]')
    ]
    assert entries == [
        "Printing started.",
        "Shipped with UPS, tracking number 1Z1.",
        "We received your Design Guarantee claim.",
        "Printing started.",
    ]


def test_on_an_order_of_several_figurines_each_line_says_which():
    first = item_in(ItemStatus.IN_REVIEW)
    second = ItemFactory(order=first.order, product_line="pet", height_mm=120, status=ItemStatus.IN_REVIEW)
    _status(second, "revision", "published", subject_id=9, round=1)
    entries = [text(li) for li in page(first.order).xpath('//*[@data-testid="timeline-entry"]')]
    assert len(entries) == 1 and entries[0].endswith("Your 3D preview is ready (round 1) — Pet · 120 mm.")


# ---- 4. tracking and the address -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("carrier", "url"),
    [
        (
            "DHL",
            "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=AB%2012",
        ),
        ("Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/AB%2012"),
        ("FedEx", "https://www.fedex.com/fedextrack/?trknbr=AB%2012"),
        ("usps", "https://tools.usps.com/go/TrackConfirmAction?tLabels=AB%2012"),
        ("DPD", "https://tracking.dpd.de/status/en_US/parcel/AB%2012"),
        ("Bob's Couriers", None),
        ("", None),
    ],
)
def test_tracking_urls_by_carrier(carrier, url):
    assert tracking_url(carrier, "AB 12") == url


def test_an_unknown_carrier_shows_the_number_as_text_and_the_address_is_shown():
    item = approved_item()
    order = item.order
    order.ship_name, order.ship_line1, order.ship_line2 = "Ada Lovelace", "12 St James's Square", "Flat 2"
    order.ship_city, order.ship_postcode, order.ship_country = "London", "SW1Y 4JH", "gb"
    order.save()
    item.__class__.objects.filter(pk=item.pk).update(status=ItemStatus.SHIPPED)
    PrintJobFactory(
        revision=item.approval.revision,
        item=item,
        status="shipped",
        carrier="Bob's Couriers",
        tracking_number="B-1",
    )
    doc = page(order)
    assert not doc.xpath('//a[@data-testid="tracking-link"]')
    assert one(doc, "tracking-number") == "B-1" and "Bob's Couriers" in one(doc, "parcel")
    (address,) = doc.xpath('//*[@data-testid="shipping-address"]')
    lines = [line.strip() for line in address.itertext() if line.strip()]
    assert lines == ["Ada Lovelace", "12 St James's Square", "Flat 2", "SW1Y 4JH London", "GB"]


# ---- in a real browser, desktop and phone ---------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("size", "viewport"), [("desktop", (1280, 900)), ("phone", (390, 844))])
def test_the_stepper_and_tracking_in_a_browser(live_server, monkeypatch, settings, size, viewport):
    from tests.browser import ARTIFACTS, chromium_page

    settings.PUBLIC_BASE_URL = live_server.url
    shipped = approved_item()
    order = shipped.order
    order.ship_name, order.ship_line1, order.ship_city, order.ship_country = (
        "Ada",
        "1 Main St",
        "Boston",
        "us",
    )
    order.save()
    shipped.__class__.objects.filter(pk=shipped.pk).update(status=ItemStatus.SHIPPED)
    PrintJobFactory(
        revision=shipped.approval.revision,
        item=shipped,
        status="shipped",
        carrier="DHL",
        tracking_number="JD01",
    )
    ItemFactory(
        order=order, status=ItemStatus.SCULPTING, preview_due_at=datetime(2026, 12, 8, 22, 0, tzinfo=UTC)
    )
    width, height = viewport
    with chromium_page(monkeypatch, viewport={"width": width, "height": height}) as browser:
        browser.goto(
            f"{live_server.url}/portal/login/{portal_login_link_issue(customer=order.customer, order=order)}/"
        )
        with browser.expect_navigation():
            browser.get_by_test_id("sign-in").click()
        steppers = browser.get_by_test_id("stepper")
        assert steppers.count() == 2 and steppers.first.is_visible()
        current = [steppers.nth(i).locator("[aria-current='step']").inner_text() for i in range(2)]
        assert [" ".join(c.split()) for c in current] == ["5 Shipped", "2 Design"]
        assert browser.get_by_test_id("tracking-link").is_visible()
        assert "Tue 8 Dec" in browser.get_by_test_id("promise").nth(1).inner_text()
        assert browser.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off a phone
        ARTIFACTS.mkdir(exist_ok=True)
        browser.screenshot(path=str(ARTIFACTS / f"portal_order_{size}.png"), full_page=True)
