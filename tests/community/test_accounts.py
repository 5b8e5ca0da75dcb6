"""Sign up, verify, log in, reset and change: what a person sees, and what the mail says."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core import mail, signing
from django.test import Client

from dailypapers.community import services
from dailypapers.community.models import Member, Vote
from dailypapers.community.services import VERIFY_SALT
from dailypapers.feed.models import Featured
from tests.factories import PASSWORD, feature, member, paper

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def sign_up(client, email="grace@example.org", username="grace", password=PASSWORD):
    return client.post(
        "/accounts/signup", {"email": email, "username": username, "password": password}
    )


def test_sign_up_mails_a_link_that_verifies_once_and_logs_nobody_in(client):
    response = sign_up(client)

    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["grace@example.org"]
    link = link_in(mail.outbox[0])
    assert not Member.objects.get(user__username="grace").email_verified

    verified = client.get(link.replace("http://127.0.0.1:8000", ""), follow=True)

    assert Member.objects.get(user__username="grace").email_verified
    assert "Your email address is verified" in verified.content.decode()
    # A link in a mailbox is no password: it verifies, and the member then logs in.
    assert not verified.context["user"].is_authenticated
    again = client.get(link.replace("http://127.0.0.1:8000", ""))
    assert again.status_code == 400 and "already used" in again.content.decode()


def test_a_changed_address_or_password_voids_earlier_verification_links(client):
    ada = member("ada", email="ada@example.org")
    services.send_verification(ada, "ada@first.org")
    services.send_verification(ada, "ada@second.org")
    first, second = (link_in(m).replace("http://127.0.0.1:8000", "") for m in mail.outbox)
    assert client.get(second).status_code == 302
    assert client.get(first).status_code == 400  # cannot switch the account back
    assert get_user_model().objects.get(pk=ada.pk).email == "ada@second.org"

    bob = member("bob", verified=False)
    services.send_verification(bob)
    link = link_in(mail.outbox[-1]).replace("http://127.0.0.1:8000", "")
    bob.set_password("another long passphrase 7")
    bob.save()
    assert client.get(link).status_code == 400
    assert not Member.objects.get(user=bob).email_verified


def test_sign_up_with_a_taken_address_looks_the_same_and_tells_the_owner(client):
    member("ada", email="ada@example.org")
    response = sign_up(client, email="ADA@example.org", username="someone")

    assert "Check your inbox" in response.content.decode()  # same answer as a new address
    assert get_user_model().objects.filter(username="someone").count() == 0
    assert mail.outbox[0].to == ["ada@example.org"]
    assert "already has one" in mail.outbox[0].body


class CountingHasher(PBKDF2PasswordHasher):
    """The default hasher, counting its work: hashing is what makes a sign-up slow."""

    calls = 0

    def encode(self, password, salt, iterations=None):
        CountingHasher.calls += 1
        return super().encode(password, salt, iterations)


def test_sign_up_with_a_taken_address_takes_as_long(client, settings):
    """Whether an address has an account must not show in how long the answer takes: both
    paths hash the password once (the slow part, ~0.3 s here; mail is sent on both)."""
    member("ada", email="ada@example.org")
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    for email, username in (("new@example.org", "newcomer"), ("ada@example.org", "someone")):
        CountingHasher.calls = 0
        sign_up(client, email=email, username=username)
        assert CountingHasher.calls == 1, email


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"password": "123"}, "This password is too short"),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"username": "a b"}, "letters, digits"),
    ],
)
def test_sign_up_form_says_what_is_wrong(client, fields, error):
    response = sign_up(client, **fields)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert len(mail.outbox) == 0


def test_taken_display_name_is_refused(client):
    member("grace", email="other@example.org")
    assert "That display name is taken" in sign_up(client).content.decode()


def test_bad_and_expired_verification_links(client, monkeypatch):
    assert client.get("/accounts/verify/garbage").status_code == 400
    user = member("ada", verified=False)
    token = signing.dumps({"user": user.pk, "email": user.email}, salt=VERIFY_SALT)
    monkeypatch.setattr(services, "VERIFY_MAX_AGE", -1)

    response = client.get(f"/accounts/verify/{token}")

    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not Member.objects.get(user=user).email_verified


def test_log_in_with_email_and_a_wrong_password_is_generic(client):
    member("ada", email="ada@example.org")
    wrong = client.post("/accounts/login", {"username": "ada@example.org", "password": "nope"})
    unknown = client.post("/accounts/login", {"username": "who@example.org", "password": "nope"})
    for response in (wrong, unknown):
        assert "The email address or the password is not right" in response.content.decode()

    ok = client.post("/accounts/login", {"username": "ADA@example.org", "password": PASSWORD})
    assert ok.status_code == 302


def test_password_reset_answers_the_same_for_unknown_addresses(client):
    member("ada", email="ada@example.org")
    known = client.post("/accounts/password/reset", {"email": "ada@example.org"}, follow=True)
    unknown = client.post("/accounts/password/reset", {"email": "no@example.org"}, follow=True)
    assert "Check your inbox" in known.content.decode()
    assert "Check your inbox" in unknown.content.decode()
    assert len(mail.outbox) == 1
    # The site's own address, as in every other mail: never the Host the request named.
    link = link_in(mail.outbox[0]).split("http://127.0.0.1:8000", 1)[1]

    form = client.get(link, follow=True)
    new = {"new_password1": "another fine passphrase", "new_password2": "another fine passphrase"}
    done = client.post(form.redirect_chain[-1][0], new, follow=True)
    assert "Your password is changed" in done.content.decode()
    assert client.login(username="ada@example.org", password="another fine passphrase")


def mail_to(address: str):
    return [m for m in mail.outbox if m.to == [address]][-1]


def test_changing_email_takes_effect_when_the_new_address_is_verified(client):
    from dailypapers.digest.models import Subscriber

    user = member("ada", email="ada@example.org")
    Subscriber.objects.create(
        email="ada@example.org", user=user, confirmed_at=dt.datetime.now(dt.UTC)
    )
    client.force_login(user)
    for wrong, error in (({}, "This field is required"), ({"password": "x"}, "not your password")):
        page = client.post("/accounts/settings", {"email": "ada@newlab.org", **wrong})
        assert error in page.content.decode() and not mail.outbox  # asked for, and checked
    client.post("/accounts/settings", {"email": "ada@newlab.org", "password": PASSWORD})
    assert get_user_model().objects.get(pk=user.pk).email == "ada@example.org"
    notice = mail_to("ada@example.org")  # the old address hears of it
    assert "ada@newlab.org" in notice.body and "password" in notice.body

    client.get(link_in(mail_to("ada@newlab.org")).replace("http://127.0.0.1:8000", ""))
    assert get_user_model().objects.get(pk=user.pk).email == "ada@newlab.org"
    assert Subscriber.objects.get(user=user).email == "ada@newlab.org"  # digests follow


def test_an_email_change_that_another_account_claimed_meanwhile_is_refused(client):
    ada = member("ada", email="ada@example.org")
    client.force_login(ada)
    client.post("/accounts/settings", {"email": "shared@lab.org", "password": PASSWORD})
    ada_link = link_in(mail_to("shared@lab.org")).replace("http://127.0.0.1:8000", "")
    other = Client()
    sign_up(other, email="shared@lab.org", username="bob")  # before Ada opens her link
    other.get(link_in(mail_to("shared@lab.org")).replace("http://127.0.0.1:8000", ""))

    response = client.get(ada_link)

    assert response.status_code == 400
    assert "That address now belongs to another account" in response.content.decode()
    emails = dict(get_user_model().objects.values_list("username", "email"))
    assert emails == {"ada": "ada@example.org", "bob": "shared@lab.org"}


def test_profile_lists_submissions_and_upvotes(client):
    ada = member("ada")
    mine = paper(title="Submitted by Ada")
    f = feature(mine, dt.date(2025, 9, 8))
    Featured.objects.filter(pk=f.pk).update(submitted_by=ada, source="member")
    Vote.objects.create(user=ada, paper=paper(title="Liked by Ada"))

    html = client.get("/members/ada").content.decode()
    assert "Submitted by Ada" in html and "Liked by Ada" in html
    assert client.get("/members/nobody").status_code == 404


def test_too_many_log_in_attempts_get_a_readable_429(client, limits_clock):
    # The limits' windows stopped: on the wall clock, a stall or a step of the clock between
    # the 11th try and the last ended both counters' windows, and the right password got in.
    member("ada", email="ada@example.org")
    for _ in range(20):
        client.post("/accounts/login", {"username": "ada@example.org", "password": "guess"})
    response = client.post("/accounts/login", {"username": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "Slow down a little" in response.content.decode()


def test_the_database_holds_one_account_per_address_case_aside():
    from django.db import IntegrityError, transaction

    User = get_user_model()
    User.objects.create_user("ada", "ada@example.org", PASSWORD)
    User.objects.create_user("root", "", PASSWORD)
    User.objects.create_user("admin", "", PASSWORD)  # accounts without an address: any number
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("imposter", "ADA@example.org", PASSWORD)
