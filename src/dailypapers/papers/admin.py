from django.contrib import admin

from dailypapers.infra.audit import audit

from . import services
from .models import Paper


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["arxiv_id", "title", "primary_category", "published", "announced", "hidden"]
    list_filter = ["hidden", "primary_category"]
    search_fields = ["=arxiv_id", "title"]
    readonly_fields = ["created_at", "modified_at", "deleted_at"]
    show_full_result_count = False  # COUNT(*) over the whole corpus on every page is slow
    actions = ["hide", "unhide"]

    @admin.action(description="Hide selected papers from the feeds", permissions=["change"])
    def hide(self, request, queryset):
        for paper in queryset:
            services.set_hidden(paper, True)
            audit(request.user, paper, "hid")

    @admin.action(description="Show selected papers in the feeds again", permissions=["change"])
    def unhide(self, request, queryset):
        for paper in queryset:
            services.set_hidden(paper, False)
            audit(request.user, paper, "unhid")
