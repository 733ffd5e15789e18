from django.urls import path

from printing import apis

urlpatterns = [
    path("catalog/", apis.CatalogApi.as_view(), name="catalog"),
]
