"""Revision routes, included once at the site root from glue.urls: the API under /api/v1/ and the
customer's preview page (and its permission-checked files) under /portal/."""

from django.urls import path

from revisions import apis, ar_preview, portal_views

urlpatterns = [
    path("api/v1/items/<int:item_id>/revisions/", apis.ItemRevisionsApi.as_view(), name="item-revisions"),
    path("api/v1/revisions/<int:revision_id>/", apis.RevisionDetailApi.as_view(), name="revision-detail"),
    path(
        "api/v1/revisions/<int:revision_id>/publish/",
        apis.RevisionPublishApi.as_view(),
        name="revision-publish",
    ),
    path(
        "api/v1/revisions/<int:revision_id>/request-changes/",
        apis.RevisionRequestChangesApi.as_view(),
        name="revision-request-changes",
    ),
    path(
        "api/v1/revisions/<int:revision_id>/approve/",
        apis.RevisionApproveApi.as_view(),
        name="revision-approve",
    ),
    path("portal/revisions/<int:revision_id>/", portal_views.revision_preview, name="portal-revision"),
    path("portal/revisions/<int:revision_id>/files/<str:kind>", apis.revision_file, name="revision-file"),
    path("portal/ar/<str:token>/", ar_preview.revision_ar, name="portal-revision-ar"),
    path(
        "portal/revisions/<int:revision_id>/photos/<int:photo_id>/",
        portal_views.revision_photo,
        name="portal-revision-photo",
    ),
]
