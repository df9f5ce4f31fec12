from django.core.management.base import BaseCommand, CommandError

from recallcases.workspace.roles import roles_sync


class Command(BaseCommand):
    help = (
        "Give the staff roles (groups) exactly the permissions of recallcases/workspace/roles.py: "
        "create missing groups, add missing grants, take away grants it does not name. Prints "
        "each change; running it again changes nothing."
    )

    def handle(self, *args, **options):
        try:
            changes = roles_sync()
        except LookupError as error:
            raise CommandError(str(error)) from None
        for change in changes:
            self.stdout.write(change)
        if not changes:
            self.stdout.write("The roles already match roles.ROLES: nothing changed.")
        else:
            self.stdout.write(f"{len(changes)} change{'s' if len(changes) > 1 else ''}.")
