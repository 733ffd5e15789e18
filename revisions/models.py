"""Revision rounds of a figurine's mesh, their checks, the customer's feedback, pins and approval."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from studio.jobs import JobBase
from studio.workflow import StatusModel


class RevisionStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    CHECKING = "checking", "Checking"
    READY = "ready", "Ready"
    PUBLISHED = "published", "Published"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    SUPERSEDED = "superseded", "Superseded"
    REJECTED = "rejected", "Rejected"


R = RevisionStatus
REVISION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    R.UPLOADED: (R.CHECKING, R.REJECTED, R.SUPERSEDED),
    R.CHECKING: (R.READY, R.REJECTED),
    R.READY: (R.PUBLISHED, R.SUPERSEDED),
    R.PUBLISHED: (R.APPROVED, R.CHANGES_REQUESTED, R.SUPERSEDED),
    R.CHANGES_REQUESTED: (R.SUPERSEDED,),
    R.APPROVED: (),
    R.SUPERSEDED: (),
    R.REJECTED: (),
}


#: Rounds still being made: nobody outside the studio has seen them, so their checks may still write
#: the derived files and the sculptor may still edit the note. From ``published`` on (the customer saw it,
#: approved it, asked for changes, or a newer round replaced it) and for a rejected round, the round is
#: final: a change is a new round (or the item's cancellation), never an edit.
REVISION_OPEN_STATES = (R.UPLOADED, R.CHECKING, R.READY)
#: A round's file and everything derived from it or shown with it; none of them changes once
#: :attr:`Revision.file_locked` (the SHA-256 and the check outputs are never edited by hand at all).
REVISION_LOCKED_FIELDS = (
    "mesh",
    "original_filename",
    "sha256",
    "size_bytes",
    "triangles",
    "vertices",
    "check_report",
    "diff_report",
    "web_glb",
    "heatmap_glb",
    "ar_usdz",
    "renders",
    "note",
)


class RevisionSource(models.TextChoices):
    AI = "ai", "AI base mesh"
    TEMPLATE = "template", "Template body (reconstruction failed)"
    SCULPTOR = "sculptor", "Sculptor upload"


def revision_upload_to(instance: Revision, filename: str) -> str:
    return f"meshes/{instance.item.order.number}/{instance.item_id}/r{instance.number}/{filename}"


class Revision(StatusModel):
    """One round of a figurine's design: the mesh file, its SHA-256, size, checks and previews.

    Revision 0 is the AI base mesh. The full-resolution file never changes once stored; approval
    locks it by its SHA-256.
    """

    TRANSITIONS = REVISION_TRANSITIONS
    SUBJECT = "revision"

    item = models.ForeignKey("orders.Item", on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=RevisionStatus.choices, default=RevisionStatus.UPLOADED, db_index=True
    )
    source = models.CharField(max_length=10, choices=RevisionSource.choices, default=RevisionSource.SCULPTOR)
    mesh = models.FileField(upload_to=revision_upload_to, max_length=255)
    original_filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    triangles = models.PositiveIntegerField(default=0)
    vertices = models.PositiveIntegerField(default=0)
    check_report = models.JSONField(default=dict, blank=True)
    diff_report = models.JSONField(default=dict, blank=True)
    web_glb = models.FileField(upload_to=revision_upload_to, max_length=255, blank=True)
    heatmap_glb = models.FileField(upload_to=revision_upload_to, max_length=255, blank=True)
    ar_usdz = models.FileField(
        upload_to=revision_upload_to,
        max_length=255,
        blank=True,
        help_text="The round's AR file (USDZ, iPhone Quick Look) at the ordered height, made with the web GLB.",
    )
    renders = models.JSONField(default=list, blank=True, help_text="Storage names of the turntable PNGs.")
    note = models.TextField(blank=True, help_text="The sculptor's note to the customer for this round.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="revision_unique_number_per_item")
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} round {self.number}"

    def can_publish(self) -> bool:
        return self.can_transition(RevisionStatus.PUBLISHED)

    def can_approve(self) -> bool:
        return self.can_transition(RevisionStatus.APPROVED)

    @property
    def is_visible_to_customer(self) -> bool:
        return self.published_at is not None

    @property
    def file_locked(self) -> bool:
        """The rule "this round is final": its file, previews, reports and note never change again.

        True once the round left the open states (published, approved, changes requested, superseded,
        rejected) or was ever shown to the customer; the admin shows it read-only and the services refuse
        (409) to write any of :data:`REVISION_LOCKED_FIELDS`.
        """
        return self.status not in REVISION_OPEN_STATES or self.published_at is not None


class FeedbackKind(models.TextChoices):
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    COMMENT = "comment", "Comment"


class Feedback(models.Model):
    """The customer's message on a published round, with pins placed on the model."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="feedback")
    kind = models.CharField(
        max_length=20, choices=FeedbackKind.choices, default=FeedbackKind.CHANGES_REQUESTED
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "feedback"

    def __str__(self) -> str:
        return f"feedback on {self.revision}"


class Pin(models.Model):
    """A comment pinned on the 3D model: a point on the surface in the mesh's own millimetres."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="pins")
    x = models.FloatField()
    y = models.FloatField()
    z = models.FloatField()
    normal = models.JSONField(null=True, blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["feedback_id", "id"]

    def __str__(self) -> str:
        return f"pin at ({self.x:.1f}, {self.y:.1f}, {self.z:.1f}): {self.text[:40]}"

    @property
    def position(self) -> list[float]:
        return [self.x, self.y, self.z]


class FeedbackReply(models.Model):
    """The sculptor's answer to one of the customer's feedback messages, shown under it on the portal.

    Written by a sculptor from the figurine's page in the admin (``revisions.services.feedback_reply_create``);
    the customer reads it on the preview page of the round the feedback was left on.
    """

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "feedback replies"

    def __str__(self) -> str:
        return f"reply to {self.feedback}: {self.text[:40]}"


class Approval(models.Model):
    """The customer's approval of one round: it locks the exact file by its SHA-256.

    One approval per item (a database constraint), so two racing approvals record one.
    """

    item = models.OneToOneField("orders.Item", on_delete=models.PROTECT, related_name="approval")
    revision = models.OneToOneField(Revision, on_delete=models.PROTECT, related_name="approval")
    sha256 = models.CharField(max_length=64)
    approved_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    origin = models.CharField(max_length=40, default="portal", help_text="portal, api or admin")

    class Meta:
        ordering = ["-approved_at"]

    def __str__(self) -> str:
        return f"approval of {self.revision} ({self.sha256[:12]}…)"


class CheckJob(JobBase):
    """One run of the automatic checks on a revision: printability, previews, renders, difference."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="check_jobs")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"checks of {self.revision} ({self.status})"

    def on_gave_up(self) -> None:
        """The checks kept killing their worker: the round is rejected so the sculptor can act."""
        from revisions.services import revision_checks_finished

        if Revision.objects.filter(pk=self.revision_id, status=RevisionStatus.CHECKING).exists():
            issue = {
                "code": "unreadable",
                "severity": "error",
                "message": f"The automatic checks could not finish after {self.attempts} attempts; "
                "export the mesh again (or simplify it) and upload it.",
            }
            revision_checks_finished(
                revision_id=self.revision_id,
                ok=False,
                fields={"check_report": {"printable": False, "issues": [issue]}},
                blocking=[issue],
            )
