"""Orders admin: the catalog, customers, orders with items and their timeline, photos, payments, Stripe
events, and the e-mails sent (send-once records)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.html import format_html

from orders import roles
from orders.models import (
    ITEM_SPEC_FIELDS,
    Customer,
    Item,
    ItemStatus,
    Notification,
    Order,
    OrderEvent,
    Payment,
    Photo,
    PortalToken,
    ProductLine,
    ShippingRule,
    Size,
    StripeEvent,
)
from orders.roles import SCULPTORS_GROUP
from orders.selectors import photo_url
from orders.services import (
    catalog_price,
    item_assign_sculptor,
    item_change_spec,
    item_transition,
    order_mark_paid_offline,
    order_refund,
    order_transition,
    portal_token_reissue,
    portal_token_revoke,
)
from studio.admin_tools import (
    ReadOnlyInline,
    permission_check,
    pretty_json,
    service_action,
    status_badge,
    transition_action,
)
from studio.errors import ApplicationError


class SizeInline(admin.TabularInline):
    model = Size
    extra = 0
    fields = ("height_mm", "price_cents", "active")


@admin.register(ProductLine)
class ProductLineAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "per_person", "min_persons", "max_persons", "active", "sort_order")
    list_editable = ("active", "sort_order")
    inlines = [SizeInline]


@admin.register(Size)
class SizeAdmin(admin.ModelAdmin):
    list_display = ("product_line", "height_mm", "price_cents", "active")
    list_filter = ("product_line", "active")
    list_select_related = ("product_line",)


@admin.register(ShippingRule)
class ShippingRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "flat_fee_cents", "free_from_cents", "active")


def _reissue(customer: Customer, request) -> None:
    portal_token_reissue(customer_id=customer.pk, user=request.user)


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fk_name = "order"
    fields = ("date", "subject", "subject_id", "type", "from_status", "to_status", "actor", "parameters")
    readonly_fields = fields
    ordering = ("date", "id")
    verbose_name = "timeline event"
    verbose_name_plural = "timeline"


class ItemEventInline(OrderEventInline):
    fk_name = "item"


class ItemInline(ReadOnlyInline):
    model = Item
    fields = (
        "product_line",
        "height_mm",
        "persons",
        "style",
        "status",
        "price_cents",
        "preview_due_at",
        "assigned_sculptor",
    )
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("kind", "provider", "method", "status", "amount_cents", "currency", "created_at")
    readonly_fields = fields


class PhotoInline(ReadOnlyInline):
    model = Photo
    fields = ("thumbnail", "kind", "person_index", "width", "height", "is_usable", "sha256", "uploaded_at")
    readonly_fields = fields

    @admin.display(description="photo")
    def thumbnail(self, obj: Photo) -> str:
        if not obj.image:
            return "—"
        return format_html('<img src="{}" style="max-height:120px;max-width:160px">', photo_url(obj))


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "phone", "created_at")
    search_fields = ("email", "name", "orders__number")
    actions = [
        service_action(
            "Re-issue portal link (revokes the old ones, e-mails the new one)",
            "reissue_portal_link",
            _reissue,
            "new portal link(s) e-mailed",
            permissions=("reissue",),
        )
    ]
    has_reissue_permission = permission_check(*roles.REISSUE_PORTAL_LINK)


@admin.register(PortalToken)
class PortalTokenAdmin(admin.ModelAdmin):
    list_display = ("customer", "order", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("customer__email", "customer__orders__number")
    readonly_fields = ("customer", "order", "token_hash", "created_at", "last_used_at", "created_by")
    list_select_related = ("customer", "order")
    actions = [
        service_action(
            "Revoke selected portal links",
            "revoke_portal_links",
            lambda token, request: portal_token_revoke(token_id=token.pk, user=request.user),
            "link(s) revoked",
            permissions=("revoke",),
        ),
        service_action(
            "Re-issue a portal link to these customers",
            "reissue_portal_links",
            lambda token, request: portal_token_reissue(customer_id=token.customer_id, user=request.user),
            "new portal link(s) e-mailed",
            permissions=("reissue",),
        ),
    ]
    has_revoke_permission = permission_check(*roles.REVOKE_PORTAL_LINK)
    has_reissue_permission = permission_check(*roles.REISSUE_PORTAL_LINK)

    def has_add_permission(self, request) -> bool:
        return False  # tokens are issued by the re-issue action, which e-mails the raw secret


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "status_badge", "total_display", "created_at", "paid_at")
    list_filter = ("status", "created_at")
    search_fields = ("number", "customer__email", "customer__name")
    date_hierarchy = "created_at"
    readonly_fields = (
        "number",
        "status",
        "subtotal_cents",
        "shipping_cents",
        "total_cents",
        "currency",
        "stripe_checkout_session_id",
        "stripe_checkout_url",
        "stripe_checkout_expires_at",
        "created_at",
        "updated_at",
        "paid_at",
    )
    inlines = [ItemInline, PaymentInline, OrderEventInline]
    list_select_related = ("customer",)
    actions = [
        service_action(
            "Mark selected orders paid (offline payment received)",
            "mark_paid_offline",
            lambda order, request: order_mark_paid_offline(order_id=order.pk, user=request.user),
            "order(s) marked paid",
            permissions=("take_payment",),
        ),
        service_action(
            "Refund selected orders (through Stripe when paid there)",
            "refund_orders",
            lambda order, request: order_refund(
                order_id=order.pk, user=request.user, reason="operator refund"
            ),
            "order(s) refunded",
            permissions=("refund",),
        ),
        transition_action(
            order_transition, "order_id", "cancelled", "Cancel selected orders", permissions=("cancel",)
        ),
    ]
    has_take_payment_permission = permission_check(*roles.TAKE_PAYMENT)
    has_refund_permission = permission_check(*roles.REFUND)
    has_cancel_permission = permission_check(*roles.CHANGE_ORDER)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Order) -> str:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="total", ordering="total_cents")
    def total_display(self, obj: Order) -> str:
        return f"${obj.total_cents / 100:,.2f}"


#: The item's fields the form may change only through ``item_change_spec`` (priced again, locked once paid).
ITEM_FORM_SPEC_FIELDS = ("product_line", "height_mm", "persons")


class ItemAdminForm(forms.ModelForm):
    """An item's form: a change of product line, size or persons must be a size the catalog sells."""

    class Meta:
        model = Item
        fields = (*ITEM_FORM_SPEC_FIELDS, "style", "notes", "assigned_sculptor", "flagged", "flag_reason")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("assigned_sculptor")
        if field is not None:  # sculptors only (and whoever has it now, so the form shows the truth)
            current = Q(pk=self.instance.assigned_sculptor_id) if self.instance.assigned_sculptor_id else Q()
            sculptors = Q(groups__name=SCULPTORS_GROUP, is_active=True, is_staff=True)
            field.queryset = (
                get_user_model().objects.filter(sculptors | current).distinct().order_by("username")
            )
            field.help_text = "Members of the Sculptors group."

    def clean(self):
        data = super().clean()
        if any(name in self.changed_data for name in ITEM_FORM_SPEC_FIELDS) and not self.errors:
            try:
                catalog_price(
                    product_line=data.get("product_line", self.instance.product_line),
                    height_mm=data.get("height_mm", self.instance.height_mm),
                    persons=data.get("persons", self.instance.persons),
                )
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message) from None
        return data


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    form = ItemAdminForm
    list_display = (
        "__str__",
        "order_link",
        "product_line",
        "height_mm",
        "persons",
        "style",
        "status_badge",
        "assigned_sculptor",
        "preview_due_at",
        "flagged",
    )
    list_filter = ("status", "product_line", "style", "flagged", "assigned_sculptor")
    search_fields = ("order__number", "order__customer__email")
    readonly_fields = (
        "order",
        "status",
        "unit_price_cents",
        "price_cents",
        "ready_for_design_at",
        "preview_due_at",
        "approved_at",
        "created_at",
        "updated_at",
    )
    fields = (
        "order",
        "status",
        "product_line",
        "height_mm",
        "persons",
        "style",
        "notes",
        "assigned_sculptor",
        "flagged",
        "flag_reason",
        "unit_price_cents",
        "price_cents",
        "ready_for_design_at",
        "preview_due_at",
        "approved_at",
        "created_at",
        "updated_at",
    )
    inlines = [PhotoInline, ItemEventInline]
    list_select_related = ("order", "assigned_sculptor")
    actions = [
        transition_action(
            item_transition, "item_id", ItemStatus.CANCELLED, "Cancel selected items", permissions=("cancel",)
        )
    ]
    has_cancel_permission = permission_check(*roles.CANCEL_ITEM)

    def has_add_permission(self, request) -> bool:
        return False  # items are made with their order, priced from the catalog (order_create)

    def get_readonly_fields(self, request, obj: Item | None = None):
        """Product line, size and persons are read-only once ``Item.spec_locked`` (paid, approved or
        cancelled); the style from approval on (``Item.design_locked``); the price always."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None or obj.spec_locked:
            fields += [name for name in ITEM_FORM_SPEC_FIELDS if name not in fields]
        if obj is None or obj.design_locked:
            fields.append("style")
        return fields

    def save_model(self, request, obj: Item, form, change: bool) -> None:
        """The sculptor changes through ``item_assign_sculptor`` (a line on the timeline), the spec and
        the style through ``item_change_spec``; the other fields are saved as usual."""
        assigning = change and "assigned_sculptor" in form.changed_data
        sculptor = obj.assigned_sculptor
        if assigning:
            stored_id = Item.objects.filter(pk=obj.pk).values_list("assigned_sculptor_id", flat=True).first()
            obj.assigned_sculptor_id = stored_id
        self._save_spec_and_fields(request, obj, form, change)
        if assigning:
            try:
                obj.assigned_sculptor = item_assign_sculptor(
                    item_id=obj.pk, sculptor=sculptor, user=request.user
                ).assigned_sculptor
            except ApplicationError as exc:
                self.message_user(request, f"{obj}: {exc.message}", messages.ERROR)

    def _save_spec_and_fields(self, request, obj: Item, form, change: bool) -> None:
        spec_names = (*ITEM_FORM_SPEC_FIELDS, "style")
        if not change or not any(name in form.changed_data for name in spec_names):
            super().save_model(request, obj, form, change)
            return
        wanted = {name: getattr(obj, name) for name in spec_names}
        stored = Item.objects.get(pk=obj.pk)
        for name in (*ITEM_SPEC_FIELDS, "style"):
            setattr(obj, name, getattr(stored, name))
        super().save_model(request, obj, form, change)
        try:
            changed = item_change_spec(item_id=obj.pk, user=request.user, **wanted)
        except ApplicationError as exc:
            self.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
            return
        for name in (*ITEM_SPEC_FIELDS, "style"):
            setattr(obj, name, getattr(changed, name))

    @admin.display(description="order", ordering="order__number")
    def order_link(self, obj: Item) -> str:
        return format_html('<a href="../order/{}/change/">{}</a>', obj.order_id, obj.order.number)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Item) -> str:
        return status_badge(obj.status, obj.get_status_display())


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "person_index", "width", "height", "is_usable", "uploaded_at")
    list_filter = ("kind", "is_usable")
    search_fields = ("item__order__number", "item__order__customer__email", "sha256")
    readonly_fields = (
        "item",
        "image_preview",
        "width",
        "height",
        "sha256",
        "original_sha256",
        "original_filename",
        "report_display",
        "uploaded_at",
    )
    exclude = ("report", "image")  # the file is shown through the checked photo view, never /media/

    @admin.display(description="photo")
    def image_preview(self, obj: Photo) -> str:
        if not obj.image:
            return "—"
        url = photo_url(obj)
        return format_html('<a href="{0}"><img src="{0}" style="max-height:320px;max-width:480px"></a>', url)

    @admin.display(description="quality report")
    def report_display(self, obj: Photo) -> str:
        return pretty_json(obj.report)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("order", "kind", "provider", "method", "status", "amount_cents", "created_at")
    list_filter = ("status", "kind", "provider")
    search_fields = (
        "order__number",
        "order__customer__email",
        "stripe_payment_intent_id",
        "stripe_refund_id",
    )
    list_select_related = ("order",)
    # Money moves only through the services (Stripe webhook, "mark paid" and "refund" order actions),
    # so every payment row is read-only here.
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "type", "order", "received_at", "processed_at", "outcome")
    list_filter = ("type",)
    search_fields = ("event_id", "order__number")
    readonly_fields = [f.name for f in StripeEvent._meta.fields]
    list_select_related = ("order",)


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin):
    list_display = ("date", "order", "subject", "subject_id", "type", "from_status", "to_status", "actor")
    list_filter = ("subject", "type", "to_status")
    search_fields = ("order__number", "order__customer__email")
    readonly_fields = [f.name for f in OrderEvent._meta.fields]
    list_select_related = ("order",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The e-mails the studio sent or tried to send: one row per kind and key, read only."""

    list_display = ("created_at", "kind", "key", "recipient", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("key", "recipient")
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
