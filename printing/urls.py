from django.urls import path

from printing import apis, apis_claims, files

urlpatterns = [
    path("files/<str:kind>/<int:pk>/", files.printing_file, name="printing-file"),
    path("print-jobs/", apis.PrintJobListApi.as_view(), name="print-job-list"),
    path("print-jobs/<int:print_job_id>/", apis.PrintJobDetailApi.as_view(), name="print-job-detail"),
    path(
        "print-jobs/<int:print_job_id>/transition/",
        apis.PrintJobTransitionApi.as_view(),
        name="print-job-transition",
    ),
    path("items/<int:item_id>/print-jobs/", apis.PrintJobCreateApi.as_view(), name="print-job-create"),
    path("items/<int:item_id>/reprints/", apis.ReprintCreateApi.as_view(), name="reprint-create"),
    path(
        "guarantee-claims/<int:claim_id>/approve/",
        apis_claims.GuaranteeClaimApproveApi.as_view(),
        name="guarantee-claim-approve",
    ),
    path(
        "guarantee-claims/<int:claim_id>/decline/",
        apis_claims.GuaranteeClaimDeclineApi.as_view(),
        name="guarantee-claim-decline",
    ),
    path("trays/", apis.TrayCreateApi.as_view(), name="tray-create"),
    path("trays/<int:tray_id>/", apis.TrayDetailApi.as_view(), name="tray-detail"),
    path("trays/<int:tray_id>/transition/", apis.TrayTransitionApi.as_view(), name="tray-transition"),
]
