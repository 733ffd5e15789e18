"""Orders API under /api/v1/ (included from glue.urls)."""

from django.urls import path

from orders import apis

urlpatterns = [
    path("catalog/", apis.CatalogApi.as_view(), name="catalog"),
    path("orders/", apis.OrderCreateApi.as_view(), name="order-create"),
    path("orders/<str:number>/checkout/", apis.OrderCheckoutApi.as_view(), name="order-checkout"),
    path(
        "orders/<str:number>/items/<int:item_id>/photos/", apis.PhotoUploadApi.as_view(), name="photo-upload"
    ),
    path(
        "orders/<str:number>/items/<int:item_id>/photos/<int:photo_id>/",
        apis.PhotoDeleteApi.as_view(),
        name="photo-delete",
    ),
]
