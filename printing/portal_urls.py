"""Portal pages of the printing app (included at the site root by glue.urls)."""

from django.urls import path

from printing import portal_views

urlpatterns = [
    path(
        "portal/items/<int:item_id>/guarantee/", portal_views.guarantee_claim, name="portal-guarantee-claim"
    ),
]
