from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator


class SignUpForm(forms.Form):
    email = forms.EmailField(max_length=254)
    username = forms.CharField(
        label="Display name",
        max_length=30,
        validators=[
            RegexValidator(r"^[A-Za-z0-9_.-]{2,30}$", "2–30 letters, digits, dots, _ or -.")
        ],
        help_text="Shown with your comments and submissions.",
    )
    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    def clean_username(self) -> str:
        name = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=name).exists():
            raise forms.ValidationError("That display name is taken.")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password"):
            user = get_user_model()(username=data.get("username", ""), email=data.get("email", ""))
            password_validation.validate_password(data["password"], user)
        return data


class LoginForm(AuthenticationForm):
    username = forms.EmailField(label="Email", max_length=254)
    error_messages = {
        "invalid_login": "The email address or the password is not right.",
        "inactive": "This account is closed.",
    }


class SubmitForm(forms.Form):
    paper = forms.CharField(
        label="arXiv id or link",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "2509.04664 or https://arxiv.org/abs/…"}),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Markdown welcome"}),
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class EmailChangeForm(forms.Form):
    """A new address, and the password: a session left open is not enough to take over the
    account's mail (and with it password resets)."""

    email = forms.EmailField(label="New email address", max_length=254)
    password = forms.CharField(label="Your password", widget=forms.PasswordInput)

    def __init__(self, user: AbstractBaseUser, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
