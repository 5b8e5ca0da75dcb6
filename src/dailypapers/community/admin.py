"""Moderation in the admin: hide comments, ban members. Every action lands in the admin's log
(who, when, what) through services.audit."""

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry

from . import services
from .models import Comment, Member, Submission


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "paper", "body", "hidden"]
    list_filter = ["hidden"]
    search_fields = ["body", "user__username", "=paper__arxiv_id"]
    raw_id_fields = ["paper", "user", "parent"]
    actions = ["hide", "unhide"]

    @admin.action(description="Hide selected comments", permissions=["change"])
    def hide(self, request, queryset):
        for comment in queryset:
            services.set_hidden(comment, True, request.user)
        messages.success(request, f"Hid {len(queryset)} comment(s).")

    @admin.action(description="Show selected comments again", permissions=["change"])
    def unhide(self, request, queryset):
        for comment in queryset:
            services.set_hidden(comment, False, request.user)


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Bans go through the actions, which also close or reopen the account and are logged:
    the ``banned`` box itself is read-only."""

    list_display = ["user", "email_verified", "banned", "banned_at"]
    list_filter = ["banned", "email_verified"]
    search_fields = ["user__username", "user__email"]
    readonly_fields = ["user", "banned", "banned_at"]
    actions = ["ban", "unban"]

    @admin.action(
        description="Ban selected members (their votes and comments stop counting)",
        permissions=["change"],
    )
    def ban(self, request, queryset):
        members = self._within_reach(request, queryset)
        for member in members:
            services.ban(member, request.user)
        messages.success(request, f"Banned {len(members)} member(s).")

    @admin.action(description="Lift the ban of selected members", permissions=["change"])
    def unban(self, request, queryset):
        members = self._within_reach(request, queryset.filter(banned=True))
        for member in members:
            services.unban(member, request.user)
        messages.success(request, f"Lifted the ban of {len(members)} member(s).")

    @staticmethod
    def _within_reach(request, queryset) -> list[Member]:
        """The selected members this moderator may ban or unban, with a warning naming the
        others: operators never (from here), and other staff only by an operator, or any
        moderator could shut the other moderators out."""
        members = list(queryset.select_related("user"))
        out = [
            m
            for m in members
            if m.user.is_superuser or (m.user.is_staff and not request.user.is_superuser)
        ]
        if out:
            names = ", ".join(m.user.username for m in out)
            messages.warning(
                request,
                f"Left as they are: {names}. Operators cannot be banned here, and only an "
                "operator bans or lets back other staff.",
            )
        return [m for m in members if m not in out]


@admin.register(LogEntry)
class AuditLogAdmin(admin.ModelAdmin):
    """The audit trail: every change made in the admin and every moderation action."""

    list_display = ["action_time", "user", "content_type", "object_repr", "change_message"]
    list_filter = ["content_type"]
    search_fields = ["object_repr", "change_message", "user__username"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Submissions fetched from arXiv, to see what members asked for and why a fetch failed."""

    list_display = ["created_at", "user", "arxiv_id", "status", "message"]
    list_filter = ["status"]
    search_fields = ["=arxiv_id", "user__username"]
    readonly_fields = ["user", "arxiv_id", "day", "status", "message", "finished_at"]
