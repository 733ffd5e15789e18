"""URLs: the admin, the REST API under /api/v1/, its schema and docs, media in development."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

admin.site.site_header = "Figurine Studio"
admin.site.site_title = "Figurine Studio admin"
admin.site.index_title = "Studio workroom"

api_v1 = [
    path("", include("printing.urls")),
    path("", include("orders.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("orders.site_urls")),
    path("", include("revisions.urls")),
    path("", include("printing.portal_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
