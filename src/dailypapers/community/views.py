from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from dailypapers.feed import selectors as feed
from dailypapers.infra import limits
from dailypapers.infra.http import MemberRequest, error_page
from dailypapers.papers import selectors as papers
from dailypapers.papers.models import Paper

from . import selectors, services, signals
from .decorators import next_url, participant_required
from .forms import CommentForm, EmailChangeForm, LoginForm, SignUpForm, SubmitForm
from .models import Comment, Submission

# --- accounts ---------------------------------------------------------------------------------


@limits.SIGN_UP_PER_ADDRESS.view
@limits.SIGN_UP_PER_EMAIL.view
def sign_up(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.sign_up(**form.cleaned_data)
        return render(request, "community/check_inbox.html", {"email": form.cleaned_data["email"]})
    return render(request, "community/signup.html", {"form": form})


def limit_log_ins(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The log-in's limits, on the site's form and the admin's alike, in one budget: per
    client address, and per account however many addresses try it."""
    return limits.LOG_IN_PER_ADDRESS.view(limits.LOG_IN_PER_ACCOUNT.view(view))


@method_decorator(limit_log_ins, name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "community/login.html"


@method_decorator(limits.PASSWORD_RESET_PER_EMAIL.view, name="dispatch")
@method_decorator(limits.PASSWORD_RESET_PER_ADDRESS.view, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """Its mail links to ``DAILYPAPERS_SITE_URL``, as the site's other mails do, never to the
    Host a request named: a forged one would send the reset token to someone else's site."""

    template_name = "community/password_reset.html"
    email_template_name = "community/mail/password_reset.txt"
    subject_template_name = "community/mail/password_reset_subject.txt"

    @property
    def extra_email_context(self) -> dict[str, str]:  # type: ignore[override]
        return {"site": settings.DAILYPAPERS_SITE_URL}


class _AnnouncesNewPassword:
    """A password view that says, once the new password is set, that the account's
    credentials changed (``reason``): the API revokes its tokens and mails the member."""

    reason: str

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)  # type: ignore[misc]
        signals.credentials_changed.send(sender=type(form.user), user=form.user, reason=self.reason)
        return response


class PasswordResetConfirmView(_AnnouncesNewPassword, auth_views.PasswordResetConfirmView):
    template_name = "community/password_reset_confirm.html"
    reason = "Your password was reset."


class PasswordChangeView(_AnnouncesNewPassword, auth_views.PasswordChangeView):
    template_name = "community/password_change.html"
    success_url = reverse_lazy("account")
    reason = "Your password was changed."


def verify(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.verify_email(token)
    except services.CommunityError as exc:
        return error_page(request, 400, "Cannot verify", exc.message)
    if request.user.is_authenticated:
        messages.success(request, "Your email address is verified.")
        return redirect("home")
    # Not a log-in: whoever holds the mail (a forwarded one, say) does not get the account.
    messages.success(request, f"Your email address is verified. Log in as {user.email}.")
    return redirect("login")


@login_required
@limits.VERIFICATION_MAIL.view
def resend_verification(request: MemberRequest) -> HttpResponse:
    if request.method == "POST":
        services.send_verification(request.user)
        return render(request, "community/check_inbox.html", {"email": request.user.email})
    return render(request, "community/resend.html")


@login_required
@limits.EMAIL_CHANGE.view
def account(request: MemberRequest) -> HttpResponse:
    form = EmailChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_email_change(request.user, form.cleaned_data["email"])
        return render(request, "community/check_inbox.html", {"email": form.cleaned_data["email"]})
    member = selectors.find_member(request.user)
    return render(request, "community/account.html", {"form": form, "member": member})


def profile(request: HttpRequest, username: str) -> HttpResponse:
    data = selectors.profile(username)
    if data is None:
        raise Http404("no such member")
    return render(request, "community/profile.html", data)


@login_required
def delete_account(request: MemberRequest) -> HttpResponse:
    """Delete the account after the password; the member chooses what becomes of comments."""
    error = None
    if request.method == "POST":
        if not request.user.check_password(request.POST.get("password", "")):
            error = "That is not your password."
        else:
            keep = request.POST.get("comments") != "remove"
            services.delete_account(request.user, keep_comments=keep)
            logout(request)
            messages.success(request, "Your account is deleted.")
            return redirect("home")
    return render(request, "community/delete_account.html", {"error": error})


# --- submit, vote, comment --------------------------------------------------------------------


@participant_required
@limits.SUBMIT.view
def submit(request: MemberRequest) -> HttpResponse:
    form = SubmitForm(request.POST or None, initial={"paper": request.GET.get("id", "")})
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            done = services.submit_paper(request.user, form.cleaned_data["paper"])
        except services.CommunityError as exc:
            error = exc
        else:
            if isinstance(done, Submission):  # the worker fetches it from arXiv
                return redirect("submission", pk=done.pk)
            messages.success(request, f"Thanks! arXiv:{done.paper.arxiv_id} is on today's page.")
            # A one-click "feature it" on a listing comes back to that listing.
            return redirect(next_url(request, done.paper.get_absolute_url()))
    return render(request, "community/submit.html", {"form": form, "error": error})


@participant_required
def submission(request: MemberRequest, pk: int) -> HttpResponse:
    """How a submission that is fetched from arXiv goes; the page asks again until it is done."""
    found = selectors.submission_of(request.user, pk)
    if found is None:
        raise Http404("No such submission of yours.")
    return render(request, "community/submission.html", {"submission": found, "form": SubmitForm()})


@require_POST
@participant_required
@limits.VOTE.view
def vote(request: MemberRequest, pk: int) -> HttpResponse:
    paper = get_object_or_404(papers.visible(), pk=pk)  # not a hidden one
    services.set_vote(request.user, paper, up=request.POST.get("action") != "remove")
    if request.htmx:
        context = {
            "paper": feed.with_votes(Paper.objects.filter(pk=paper.pk)).get(),
            "voted": selectors.voted_by(request.user, [paper.pk]),
            "next": next_url(request, paper.get_absolute_url()),
        }
        return render(request, "community/_vote.html", context)
    return redirect(next_url(request, paper.get_absolute_url()))


@require_POST
@participant_required
@limits.COMMENT.view
def comment(request: MemberRequest, pk: int) -> HttpResponse:
    paper = get_object_or_404(papers.visible(), pk=pk)  # not a hidden one
    form = CommentForm(request.POST)
    if form.is_valid():
        parent_id = form.cleaned_data.get("parent")
        parent = Comment.objects.filter(pk=parent_id).first() if parent_id else None
        try:
            c = services.add_comment(request.user, paper, form.cleaned_data["body"], parent)
        except services.CommunityError as exc:
            messages.error(request, exc.message)
        else:
            return redirect(f"{paper.get_absolute_url()}#comment-{c.pk}")
    else:
        messages.error(request, "A comment needs some text (at most 10,000 characters).")
    return redirect(f"{paper.get_absolute_url()}#comments")


@participant_required
@limits.COMMENT_EDIT.view
def edit_comment(request: MemberRequest, pk: int) -> HttpResponse:
    c = get_object_or_404(Comment, pk=pk, hidden=False)
    if c.user_id != request.user.pk:
        return error_page(request, 403, "Not yours", "You can only edit your own comments.")
    form = CommentForm(request.POST or None, initial={"body": c.body})
    if request.method == "POST" and form.is_valid():
        services.edit_comment(request.user, c, form.cleaned_data["body"])
        return redirect(f"{c.paper.get_absolute_url()}#comment-{c.pk}")
    return render(request, "community/edit_comment.html", {"form": form, "comment": c})


@require_POST
@participant_required
def delete_comment(request: MemberRequest, pk: int) -> HttpResponse:
    c = get_object_or_404(Comment, pk=pk)
    url = c.paper.get_absolute_url()
    try:
        services.delete_comment(request.user, c)
    except PermissionDenied as exc:
        return error_page(request, 403, "Cannot delete", str(exc))
    messages.success(request, "Your comment was deleted.")
    return redirect(f"{url}#comments")
