"""Shared by import_duties and export_duties: which district a command is about."""

from __future__ import annotations

from django.core.management.base import CommandError

from shaobao.org.models import Division


def district_from_option(code: str | None) -> Division:
    """`--district 110117` (short or 12-digit code); without it, the only district in the database."""
    if code:
        found = Division.objects.filter(code=Division.full_code(code.strip()), level="district").first()
        if found is None:
            raise CommandError(f"区县 {code} 不存在 / no district with code {code}")
        return found
    districts = list(Division.objects.filter(level="district")[:2])
    if len(districts) != 1:
        raise CommandError("请用 --district 指定区县 / give the district with --district (e.g. 110117)")
    return districts[0]
