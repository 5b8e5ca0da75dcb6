from django.contrib import admin

from .models import Paper


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["arxiv_id", "title", "primary_category", "published", "announced", "hidden"]
    list_filter = ["hidden", "primary_category"]
    search_fields = ["=arxiv_id", "title"]
    readonly_fields = ["created_at", "modified_at"]
    show_full_result_count = False  # COUNT(*) over the whole corpus on every page is slow
