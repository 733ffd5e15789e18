"""Printers, trays (batches), print jobs, their print files and Design Guarantee claims."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from studio.jobs import JobBase
from studio.workflow import StatusModel


class PrinterStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    PRINTING = "printing", "Printing"
    MAINTENANCE = "maintenance", "Maintenance"
    OFFLINE = "offline", "Offline"


#: A printer in these states takes no new work.
OUT_OF_SERVICE = (PrinterStatus.MAINTENANCE, PrinterStatus.OFFLINE)


class PrinterQuerySet(models.QuerySet):
    def in_service(self) -> PrinterQuerySet:
        """Printers that take work (not in maintenance, not offline)."""
        return self.exclude(status__in=OUT_OF_SERVICE)


class Printer(models.Model):
    """A full-colour printer: its build volume (mm), the file formats it takes, and its state."""

    name = models.CharField(max_length=100, unique=True)
    model = models.CharField(max_length=100)
    technology = models.CharField(max_length=60, default="Material jetting (full colour)")
    build_x_mm = models.PositiveIntegerField()
    build_y_mm = models.PositiveIntegerField()
    build_z_mm = models.PositiveIntegerField()
    formats = models.JSONField(
        default=list, help_text='Accepted print file formats, preferred first, e.g. ["3mf", "wrl"].'
    )
    status = models.CharField(max_length=16, choices=PrinterStatus.choices, default=PrinterStatus.AVAILABLE)
    resin_cost_cents_per_cm3 = models.PositiveIntegerField(default=45)
    tray_margin_mm = models.PositiveSmallIntegerField(default=5)

    objects = PrinterQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.build_x_mm}×{self.build_y_mm}×{self.build_z_mm} mm)"

    @property
    def build_volume_mm(self) -> tuple[int, int, int]:
        return (self.build_x_mm, self.build_y_mm, self.build_z_mm)

    @property
    def in_service(self) -> bool:
        return self.status not in OUT_OF_SERVICE

    @property
    def preferred_format(self) -> str:
        return (self.formats or ["3mf"])[0]


class TrayStatus(models.TextChoices):
    OPEN = "open", "Open"
    PRINTING = "printing", "Printing"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


T = TrayStatus
TRAY_TRANSITIONS: dict[str, tuple[str, ...]] = {
    T.OPEN: (T.PRINTING, T.CANCELLED),
    T.PRINTING: (T.DONE,),
    T.DONE: (),
    T.CANCELLED: (),
}


def tray_upload_to(instance: Batch, filename: str) -> str:
    return f"trays/{instance.pk or 'new'}/{filename}"


class Batch(StatusModel):
    """A printer tray: print jobs laid out together, its layout picture and the one tray file."""

    TRANSITIONS = TRAY_TRANSITIONS
    SUBJECT = "tray"

    printer = models.ForeignKey(Printer, on_delete=models.PROTECT, related_name="batches")
    status = models.CharField(
        max_length=16, choices=TrayStatus.choices, default=TrayStatus.OPEN, db_index=True
    )
    layout = models.JSONField(default=dict, blank=True)
    utilisation = models.FloatField(default=0.0, help_text="Footprint area used / tray area.")
    layout_png = models.FileField(upload_to=tray_upload_to, blank=True, max_length=255)
    tray_file = models.FileField(upload_to=tray_upload_to, blank=True, max_length=255)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "tray"
        verbose_name_plural = "trays"

    def __str__(self) -> str:
        return f"tray #{self.pk} on {self.printer.name} ({self.get_status_display()})"


class TrayEventType(models.TextChoices):
    STATUS_CHANGED = "status_changed", "Status changed"


class TrayEvent(models.Model):
    """One line of a tray's own history (a tray belongs to no single order): a state change, who made
    it and when. Written by `tray_transition` in the same transaction as the change."""

    tray = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(
        max_length=40, choices=TrayEventType.choices, default=TrayEventType.STATUS_CHANGED
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=60, default="system")
    date = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        change = f" {self.from_status} → {self.to_status}" if self.to_status else ""
        return f"{self.date:%Y-%m-%d %H:%M} tray #{self.tray_id} {self.type}{change}"


class PrintJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    BATCHED = "batched", "On a tray"
    PRINTING = "printing", "Printing"
    PRINTED = "printed", "Printed"
    QC_PASSED = "qc_passed", "QC passed"
    QC_FAILED = "qc_failed", "QC failed"
    PACKED = "packed", "Packed"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


P = PrintJobStatus
PRINT_JOB_TRANSITIONS: dict[str, tuple[str, ...]] = {
    P.QUEUED: (P.BATCHED, P.CANCELLED),
    P.BATCHED: (P.PRINTING, P.QUEUED, P.CANCELLED),
    P.PRINTING: (P.PRINTED, P.QC_FAILED),
    P.PRINTED: (P.QC_PASSED, P.QC_FAILED),
    P.QC_PASSED: (P.PACKED,),
    P.QC_FAILED: (),
    P.PACKED: (P.SHIPPED,),
    P.SHIPPED: (P.DELIVERED,),
    P.DELIVERED: (),
    P.CANCELLED: (),
}
#: Jobs still on their way to the customer (not finished, failed or cancelled).
LIVE_STATUSES = (P.QUEUED, P.BATCHED, P.PRINTING, P.PRINTED, P.QC_PASSED, P.PACKED)
CLOSED_STATUSES = (P.SHIPPED, P.DELIVERED, P.QC_FAILED, P.CANCELLED)


def print_file_upload_to(instance: PrintJob, filename: str) -> str:
    return (
        f"print-files/{instance.item.order.number}/{instance.item_id}/job-{instance.pk or 'new'}/{filename}"
    )


class PrintJob(StatusModel):
    """Printing one approved design: the approved revision and its SHA-256, height, file and parcel.

    A reprint (`is_reprint`) prints the same approved file again at no charge, with its reason.
    """

    TRANSITIONS = PRINT_JOB_TRANSITIONS
    SUBJECT = "print_job"

    item = models.ForeignKey("orders.Item", on_delete=models.PROTECT, related_name="print_jobs")
    revision = models.ForeignKey("revisions.Revision", on_delete=models.PROTECT, related_name="print_jobs")
    approved_sha256 = models.CharField(max_length=64)
    height_mm = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=16, choices=PrintJobStatus.choices, default=PrintJobStatus.QUEUED, db_index=True
    )
    is_reprint = models.BooleanField(default=False)
    reprint_reason = models.TextField(blank=True)
    reprint_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reprints"
    )
    charge_cents = models.PositiveIntegerField(default=0, help_text="Always 0 for reprints.")
    printer = models.ForeignKey(
        Printer, null=True, blank=True, on_delete=models.PROTECT, related_name="print_jobs"
    )
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    print_file = models.FileField(upload_to=print_file_upload_to, blank=True, max_length=255)
    print_file_format = models.CharField(max_length=8, blank=True)
    print_file_sha256 = models.CharField(max_length=64, blank=True)
    print_report = models.JSONField(default=dict, blank=True)
    resin_volume_mm3 = models.FloatField(null=True, blank=True)
    material_cost_cents = models.PositiveIntegerField(null=True, blank=True)
    footprint_mm = models.JSONField(
        null=True, blank=True, help_text="[width, depth] of the scaled figurine with base."
    )
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True, help_text="Latest promised delivery.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    qc_note = models.TextField(blank=True, help_text="What QC found (the reason of a failure).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "created_at"]
        indexes = [
            # The print queue's late filter (selectors.late_jobs_q): status in LIVE_STATUSES, due_at < now.
            models.Index(fields=["status", "due_at"], name="printjob_status_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_reprint=False) | models.Q(charge_cents=0), name="reprint_is_free"
            ),
        ]

    def __str__(self) -> str:
        kind = "reprint" if self.is_reprint else "print"
        return f"{kind} job #{self.pk} for item {self.item_id} ({self.get_status_display()})"

    def can_cancel(self) -> bool:
        return self.can_transition(PrintJobStatus.CANCELLED)


class PrintFileJob(JobBase):
    """One run of print-file generation for a print job (export at height, base, colour format)."""

    print_job = models.ForeignKey(PrintJob, on_delete=models.CASCADE, related_name="file_jobs")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"print file for job #{self.print_job_id} ({self.status})"


def claim_photo_upload_to(instance: ClaimPhoto, filename: str) -> str:
    return f"claims/{instance.claim.item.order.number}/{instance.claim.item_id}/{filename}"


class GuaranteeClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", "Waiting for review"
    APPROVED = "approved", "Approved (reprint made)"
    DECLINED = "declined", "Declined"


C = GuaranteeClaimStatus
GUARANTEE_CLAIM_TRANSITIONS: dict[str, tuple[str, ...]] = {
    C.SUBMITTED: (C.APPROVED, C.DECLINED),
    C.APPROVED: (),
    C.DECLINED: (),
}


class GuaranteeClaim(StatusModel):
    """A customer's Design Guarantee claim: the print that arrived does not match the approved design.

    It records what the customer said and the photos of what arrived. An operator reviews it
    (`printing.services.claims`): approved, it gets its free reprint of the same approved file;
    declined, the customer is told why (`decline_reason`).
    """

    TRANSITIONS = GUARANTEE_CLAIM_TRANSITIONS
    SUBJECT = "guarantee_claim"

    item = models.ForeignKey("orders.Item", on_delete=models.PROTECT, related_name="guarantee_claims")
    reason = models.TextField()
    print_job = models.ForeignKey(
        PrintJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guarantee_claims",
        help_text="The job whose print the claim is about.",
    )
    reprint = models.OneToOneField(
        PrintJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claim",
        help_text="The free reprint made when the claim was approved.",
    )
    status = models.CharField(
        max_length=16,
        choices=GuaranteeClaimStatus.choices,
        default=GuaranteeClaimStatus.SUBMITTED,
        db_index=True,
    )
    decline_reason = models.TextField(
        blank=True, help_text="Why the claim was declined (told to the customer)."
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Design Guarantee claim #{self.pk} on item {self.item_id}"


class ClaimPhoto(models.Model):
    """A photo of what arrived, attached to a Design Guarantee claim."""

    claim = models.ForeignKey(GuaranteeClaim, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=claim_photo_upload_to, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["claim_id", "uploaded_at"]

    def __str__(self) -> str:
        return f"photo of claim #{self.claim_id}"
