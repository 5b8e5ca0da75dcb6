from django.conf import settings
from django.contrib import admin, messages

from dailypapers.infra.audit import audit

from . import services
from .models import Featured, FeatureRule, Upstream, UpstreamFeature


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


@admin.register(Upstream)
class UpstreamAdmin(admin.ModelAdmin):
    """The sites whose daily lists this one follows (``DAILYPAPERS_UPSTREAMS``) or followed,
    and how their syncs went. A sync creates the row; its name (as cards say it) can be
    changed. It cannot be deleted here: hide its featurings instead, which recounts the
    votes."""

    list_display = [
        "name", "url", "following", "last_success_at", "last_error_at", "last_error_short",
        "counts",
    ]  # fmt: skip
    search_fields = ["name", "url"]
    readonly_fields = [
        "url", "following", "backfilled_at", "last_success_at", "last_error_at", "last_error",
        "last_counts", "etags",
    ]  # fmt: skip

    @admin.display(boolean=True, description="following")
    def following(self, obj: Upstream) -> bool:
        return obj.url in settings.DAILYPAPERS_UPSTREAMS

    @admin.display(description="last error")
    def last_error_short(self, obj: Upstream) -> str:
        return obj.last_error[:120] + ("…" if len(obj.last_error) > 120 else "")

    @admin.display(description="last counts")
    def counts(self, obj: Upstream) -> str:
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in (obj.last_counts or {}).items())

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(UpstreamFeature)
class UpstreamFeatureAdmin(admin.ModelAdmin):
    """Each upstream's featurings with their counts, as the last sync read them. Moderators
    hide one (its votes stop counting, and the paper leaves the day if no one else featured
    it) and show it again through the actions, which recount the day's featuring; a later
    sync keeps it hidden."""

    list_display = [
        "day", "paper", "upstream", "upvotes", "counted_upvotes", "comments", "submitted_by",
        "hidden",
    ]  # fmt: skip
    list_filter = ["upstream", "hidden", "day"]
    date_hierarchy = "day"
    search_fields = ["=paper__arxiv_id"]
    search_help_text = "An arXiv id, e.g. 2509.04664"
    list_select_related = ["paper", "upstream"]
    readonly_fields = [
        "upstream", "paper", "day", "featured_at", "upvotes", "comments", "counted_upvotes",
        "counted_comments", "submitted_by", "hidden",
    ]  # fmt: skip
    show_full_result_count = False
    actions = ["hide", "show"]

    @admin.action(description="Hide this upstream's featuring", permissions=["change"])
    def hide(self, request, queryset):
        self._set_hidden(request, queryset, True)

    @admin.action(description="Show again", permissions=["change"])
    def show(self, request, queryset):
        self._set_hidden(request, queryset, False)

    @staticmethod
    def _set_hidden(request, queryset, hidden: bool) -> None:
        rows = [row for row in queryset if row.hidden != hidden]
        services.hide_upstream_features(rows, hidden=hidden)
        for row in rows:
            audit(request.user, row, "hid" if hidden else "showed again")
        done = "Hid" if hidden else "Showed again"
        messages.success(request, f"{done} {len(rows)} upstream featuring(s); votes recounted.")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
