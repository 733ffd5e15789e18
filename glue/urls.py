"""URLs (the glue: every app's routes meet here): the admin, the REST API under /api/v1/, its schema and docs.

No route serves MEDIA_ROOT, in any mode: every stored file (photos, meshes, previews, print files)
goes out through its app's permission-checked view (orders.portal_views.portal_photo,
revisions.apis.revision_file, printing.files.printing_file, or a signed URL to one of them).
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from glue import admin_workers, health
from glue import apis as glue_apis
from glue import portal_views as glue_portal_views

admin.site.site_header = "Figurine Studio"
admin.site.site_title = "Figurine Studio admin"
admin.site.index_title = "Studio workroom"

api_v1 = [
    path("orders/<str:number>/", glue_apis.OrderDetailApi.as_view(), name="order-detail"),
    path("", include("printing.urls")),
    path("", include("digital.urls")),
    path("", include("orders.urls")),
]

urlpatterns = [
    path("admin/workers/", admin_workers.workers_and_queues, name="admin-workers"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("portal/orders/<str:number>/", glue_portal_views.portal_order, name="portal-order"),
    path("", include("orders.site_urls")),
    path("", include("revisions.urls")),
    path("", include("printing.portal_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # the load balancer's probe (no sign-in; SECURE_REDIRECT_EXEMPT lets it in over plain HTTP)
    path("healthz", health.healthz, name="healthz"),
    path("healthz/workers", health.healthz_workers, name="healthz-workers"),
]

# Under /api/ even a path no route matches answers in the API's error shape (JSON), never an HTML page.
handler404 = "studio.api.not_found"
handler500 = "studio.api.server_error"
