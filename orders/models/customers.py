"""Customers, their portal tokens (the API's long-lived credential) and their single-use sign-in links."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Customer(models.Model):
    """A person who orders figurines; reaches the portal through an e-mailed magic link."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class PortalToken(models.Model):
    """A customer's portal secret. Only its SHA-256 is stored; it expires and can be revoked."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="portal_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "Order",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="portal_tokens",
        help_text="When set, the token opens only this order (tokens issued when ordering); "
        "else all of the customer's orders (tokens an operator issued).",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token {self.token_hash[:8]}… for {self.customer.email}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class PortalLoginLink(models.Model):
    """A single-use sign-in link (the e-mailed magic link). Only the SHA-256 of its code is stored.

    Spending it (the first sign-in) sets the portal session and marks it used; a used or expired link
    signs no one in. Unlike a PortalToken it never works as an API credential.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="login_links")
    order = models.ForeignKey(
        "Order",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="login_links",
        help_text="When set, the session it opens sees only this order; else all of the customer's orders.",
    )
    code_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(
        max_length=40, blank=True, help_text="What carried it: the e-mail or the request."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["customer", "reason", "created_at"], name="login_link_recent")]

    def __str__(self) -> str:
        return f"sign-in link {self.code_hash[:8]}… for {self.customer.email}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()
