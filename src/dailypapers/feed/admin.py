from django.contrib import admin

from .models import Featured, FeatureRule


@admin.register(Featured)
class FeaturedAdmin(admin.ModelAdmin):
    list_display = ["day", "paper", "source", "imported_upvotes", "imported_comments"]
    list_filter = ["source"]
    date_hierarchy = "day"
    search_fields = ["=paper__arxiv_id", "paper__title"]
    raw_id_fields = ["paper", "submitted_by"]


@admin.register(FeatureRule)
class FeatureRuleAdmin(admin.ModelAdmin):
    """Operator rules: feature every new paper of chosen categories on its announcement day."""

    list_display = ["name", "categories", "include_cross_lists", "enabled"]
    list_editable = ["enabled"]
