from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kabinet.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Staff role groups need the permission rows, which exist only after migrate; the
        # handler keeps the groups in step with kabinet.accounts.roles on every migrate.
        from kabinet.accounts.services import staff_roles_sync_after_migrate

        post_migrate.connect(staff_roles_sync_after_migrate, sender=self)
