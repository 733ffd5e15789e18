"""Routes of the digital files (included under /api/v1/ by glue.urls)."""

from django.urls import path

from digital import views

urlpatterns = [
    path("digital-files/<int:pk>/", views.digital_file, name="digital-file"),
]
