"""Portal pages and the Stripe webhook (included at the site root from glue.urls)."""

from django.urls import path

from orders import apis, portal_views

urlpatterns = [
    path("portal/", portal_views.portal_home, name="portal-home"),
    path("portal/login/", portal_views.portal_login_request, name="portal-login-request"),
    path("portal/login/<str:code>/", portal_views.portal_login, name="portal-login"),
    path("portal/logout/", portal_views.portal_logout, name="portal-logout"),
    path("portal/orders/<str:number>/pay/", portal_views.portal_pay, name="portal-pay"),
    path(
        "portal/orders/<str:number>/items/<int:item_id>/photos/",
        portal_views.portal_photo_upload,
        name="portal-photo-upload",
    ),
    path(
        "portal/orders/<str:number>/items/<int:item_id>/photos/<int:photo_id>/delete/",
        portal_views.portal_photo_delete,
        name="portal-photo-delete",
    ),
    path("portal/photos/<int:photo_id>/", portal_views.portal_photo, name="portal-photo"),
    path("webhooks/stripe/", apis.stripe_webhook, name="stripe-webhook"),
]
