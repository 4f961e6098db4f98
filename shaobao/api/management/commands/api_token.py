"""`python manage.py api_token USERNAME [--name NAME]`: issue a token and print it once."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from shaobao.api.actions import do_issue_token


class Command(BaseCommand):
    help = "Issue an API token for a user and print it (it is stored hashed and cannot be shown again)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for, e.g. 12345-gateway")

    def handle(self, *args, username: str, name: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在 / No user named {username}")
        if not user.is_active:
            raise CommandError(f"用户 {username} 已停用 / User {username} is inactive")
        token, raw = do_issue_token(user=user, name=name)
        self.stdout.write(raw)
        self.stderr.write(
            f"令牌仅显示一次，请妥善保存 / Shown once, keep it safe (prefix {token.prefix}, id {token.pk})"
        )
