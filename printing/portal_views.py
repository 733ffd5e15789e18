"""The customer's Design Guarantee claim in the portal: what does not match, with photos of what arrived.

A plain form (CSRF checked) over `guarantee_claim_create`; the same rules as `POST items/{id}/reprints/`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from orders.auth import customer_can_see_order, customer_for_request
from orders.models import Item
from printing.models import GuaranteeClaimStatus
from printing.services import guarantee_claim_create
from printing.services.claims import CLAIMABLE_ITEM_STATUSES, MAX_CLAIM_PHOTOS
from studio.errors import ApplicationError, NotFound


@never_cache
@require_http_methods(["GET", "POST"])
def guarantee_claim(request: HttpRequest, item_id: int) -> HttpResponse:
    """GET the form; POST `reason` and `photos` (1–5 files): a claim an operator reviews before a free reprint."""
    customer = customer_for_request(request)
    if customer is None:
        return render(request, "portal/signed_out.html", status=401)
    item = Item.objects.select_related("order").filter(pk=item_id, order__customer=customer).first()
    if item is None or not customer_can_see_order(request, item.order):
        return render(request, "portal/not_found.html", status=404)
    context = {
        "item": item,
        "order": item.order,
        "portal_customer": customer,
        "max_photos": MAX_CLAIM_PHOTOS,
        "claimable": item.status in CLAIMABLE_ITEM_STATUSES,
        "claim_under_review": item.guarantee_claims.filter(status=GuaranteeClaimStatus.SUBMITTED).exists(),
        "reason": "",
    }
    if request.method == "POST":
        context["reason"] = request.POST.get("reason", "")[:2000]
        try:
            claim = guarantee_claim_create(
                item_id=item.pk,
                customer=customer,
                reason=context["reason"],
                photos=request.FILES.getlist("photos"),
            )
        except NotFound:
            return render(request, "portal/not_found.html", status=404)
        except ApplicationError as exc:
            context["error"] = exc.message
            return render(request, "printing/portal/claim.html", context, status=exc.status_code)
        return render(request, "printing/portal/claim_done.html", {**context, "claim": claim}, status=201)
    return render(request, "printing/portal/claim.html", context)
