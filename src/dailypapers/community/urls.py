from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("accounts/signup", views.sign_up, name="signup"),
    path("accounts/login", views.LoginView.as_view(), name="login"),
    path("accounts/logout", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/verify/resend", views.resend_verification, name="resend_verification"),
    path("accounts/verify/<str:token>", views.verify, name="verify_email"),
    path("accounts/settings", views.account, name="account"),
    path("accounts/delete", views.delete_account, name="delete_account"),
    path("accounts/password/reset", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent",
        auth_views.PasswordResetDoneView.as_view(template_name="community/check_inbox.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="community/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("accounts/password/change", views.PasswordChangeView.as_view(), name="password_change"),
    path("members/<str:username>", views.profile, name="profile"),
    path("submit", views.submit, name="submit"),
    path("submit/<int:pk>", views.submission, name="submission"),
    path("vote/<int:pk>", views.vote, name="vote"),
    path("comments/<int:pk>/new", views.comment, name="comment"),
    path("comments/<int:pk>/edit", views.edit_comment, name="edit_comment"),
    path("comments/<int:pk>/delete", views.delete_comment, name="delete_comment"),
]
