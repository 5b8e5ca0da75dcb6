from django.contrib import admin

from .models import Delivery, Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "frequency", "confirmed_at", "unsubscribed_at", "disabled_reason"]
    list_filter = ["frequency"]
    search_fields = ["email"]
    raw_id_fields = ["user"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The send ledger."""

    list_display = ["period", "subscriber", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "period"]
    search_fields = ["subscriber__email"]
    raw_id_fields = ["subscriber"]
