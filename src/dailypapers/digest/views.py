from __future__ import annotations

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from dailypapers.community.decorators import participant_required
from dailypapers.infra import limits
from dailypapers.infra.http import MemberRequest, error_page

from . import compose, services
from .models import Subscriber


class SubscribeForm(forms.Form):
    email = forms.EmailField(max_length=254)
    frequency = forms.ChoiceField(choices=Subscriber.Frequency.choices, initial="daily")


class MemberDigestForm(forms.Form):
    frequency = forms.ChoiceField(
        choices=[("", "No digest"), *Subscriber.Frequency.choices], required=False
    )
    wants_trending = forms.BooleanField(label="Trending papers", required=False, initial=True)
    categories = forms.CharField(
        label="New papers in these categories",
        required=False,
        help_text="Space-separated, e.g. cs.CL cs.LG",
    )


@limits.SUBSCRIBE_PER_ADDRESS.view
@limits.SUBSCRIBE_PER_EMAIL.view
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.subscribe(form.cleaned_data["email"], form.cleaned_data["frequency"])
        return render(request, "community/check_inbox.html", {"email": form.cleaned_data["email"]})
    return render(request, "digest/subscribe.html", {"form": form})


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        sub = services.confirm(token)
    except services.DigestError as exc:
        return error_page(request, 400, "Cannot confirm", str(exc))
    return render(request, "digest/confirmed.html", {"sub": sub})


@csrf_exempt  # RFC 8058: mail clients POST here without cookies or a CSRF token
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        sub = services.subscriber_for_unsubscribe(token)
    except services.DigestError as exc:
        return error_page(request, 400, "Cannot unsubscribe", str(exc))
    if request.method == "POST":
        services.unsubscribe(sub)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse("Unsubscribed.", content_type="text/plain")
        return render(request, "digest/unsubscribed.html", {"sub": sub})
    return render(request, "digest/unsubscribe.html", {"sub": sub, "token": token})


@participant_required
def member_settings(request: MemberRequest) -> HttpResponse:
    sub = Subscriber.objects.filter(user=request.user).first()
    initial: dict[str, object] = {"frequency": sub.frequency if sub and sub.active else ""}
    if sub:
        initial.update(wants_trending=sub.wants_trending, categories=" ".join(sub.categories))
    form = MemberDigestForm(request.POST or None, initial=initial)
    saved = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["frequency"]:
            sub = services.subscribe_member(
                request.user, data["frequency"], data["wants_trending"], data["categories"].split()
            )
        elif sub:
            services.unsubscribe(sub)
        saved = True
    return render(request, "digest/settings.html", {"form": form, "saved": saved, "sub": sub})


@staff_member_required
def preview(request: HttpRequest) -> HttpResponse:
    """The operator's preview of a digest (?frequency=weekly, ?email= of a subscriber)."""
    frequency = request.GET.get("frequency", "daily")
    sub = Subscriber.objects.filter(email=request.GET.get("email", "")).first()
    return _preview(request, sub or Subscriber(email="preview@example.org"), frequency)


@login_required
def preview_me(request: MemberRequest) -> HttpResponse:
    sub = Subscriber.objects.filter(user=request.user).first()
    sub = sub or Subscriber(email=request.user.email)
    return _preview(request, sub, request.GET.get("frequency", sub.frequency))


def _preview(request: HttpRequest, sub: Subscriber, frequency: str) -> HttpResponse:
    if frequency not in Subscriber.Frequency.values:
        frequency = "daily"
    edition = compose.Edition.build(frequency, compose.period_for(frequency, timezone.localdate()))
    digest = compose.compose(sub, edition, already_sent=set())
    if sub.pk is None:
        sub.pk = 0  # an unsaved preview subscriber still needs a (dummy) unsubscribe link
    subject, _, html = compose.render(digest)
    return render(request, "digest/preview.html", {"subject": subject, "html": html})
