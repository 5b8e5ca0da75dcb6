from django.contrib import admin

from .models import HarvestState, IngestError, IngestRun


class IngestErrorInline(admin.TabularInline):
    model = IngestError
    fields = readonly_fields = ("location", "reason")
    can_delete = False
    extra = 0
    max_num = 0
    show_change_link = False


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    """The ingest log: every import, fetch and harvest with its counts and rejected records."""

    list_display = [
        "started_at", "kind", "status", "requests", "read", "created", "updated", "unchanged",
        "skipped", "featured", "deleted",
    ]  # fmt: skip
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in IngestRun._meta.fields]
    inlines = [IngestErrorInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(HarvestState)
class HarvestStateAdmin(admin.ModelAdmin):
    list_display = ["key", "harvested_until", "started_from", "last_datestamp", "pages"]
