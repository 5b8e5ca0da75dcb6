"""Log in with an email address and a password."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        address = (email or username or "").strip()
        if not address or password is None:
            return None
        user = get_user_model().objects.filter(email__iexact=address).first()
        if user is None:
            get_user_model()().set_password(password)  # same time whether or not it exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
