"""`python manage.py rollup_checkin`: rebuild the 双报到 reports' roll-ups from the service records."""

from django.core.management.base import BaseCommand

from shaobao.checkin.rollup import rebuild


class Command(BaseCommand):
    help = "Rebuild ServiceDayCount and MemberMonthCount from the confirmed service records."

    def handle(self, *args, **options):
        rows = rebuild()
        self.stdout.write(f"rollup_checkin: {rows['days']} day cells, {rows['member_months']} member-months")
