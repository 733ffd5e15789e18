"""Design Guarantee claims are reviewed by an operator before the free reprint is made: a status
(submitted -> approved | declined), the reason given to the customer when declined, who reviewed it
and when. Claims made before review existed already have their reprint: they become approved
(reviewed when they were made); going back, the fields are dropped again."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def approve_claims_with_a_reprint(apps, schema_editor):
    GuaranteeClaim = apps.get_model("printing", "GuaranteeClaim")
    for claim in GuaranteeClaim.objects.filter(reprint__isnull=False, status="submitted"):
        claim.status = "approved"
        claim.reviewed_at = claim.created_at
        claim.save(update_fields=["status", "reviewed_at"])


def back_to_submitted(apps, schema_editor):
    GuaranteeClaim = apps.get_model("printing", "GuaranteeClaim")
    GuaranteeClaim.objects.filter(status="approved", reprint__isnull=False).update(
        status="submitted", reviewed_at=None
    )


class Migration(migrations.Migration):
    dependencies = [
        ("printing", "0008_printfilejob_lease"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="guaranteeclaim",
            name="decline_reason",
            field=models.TextField(
                blank=True, help_text="Why the claim was declined (told to the customer)."
            ),
        ),
        migrations.AddField(
            model_name="guaranteeclaim",
            name="reviewed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="guaranteeclaim",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="guaranteeclaim",
            name="status",
            field=models.CharField(
                choices=[
                    ("submitted", "Waiting for review"),
                    ("approved", "Approved (reprint made)"),
                    ("declined", "Declined"),
                ],
                db_index=True,
                default="submitted",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="guaranteeclaim",
            name="reprint",
            field=models.OneToOneField(
                blank=True,
                help_text="The free reprint made when the claim was approved.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="claim",
                to="printing.printjob",
            ),
        ),
        migrations.RunPython(approve_claims_with_a_reprint, back_to_submitted),
    ]
