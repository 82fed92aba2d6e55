from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kabinet.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Staff role groups need permission rows, which Django creates app by app after
        # migrate (and again after a test flush). Listening to every app's post_migrate means
        # the last call sees them all; the sync is idempotent.
        from kabinet.accounts.services import staff_roles_sync_after_migrate

        post_migrate.connect(staff_roles_sync_after_migrate, dispatch_uid="staff_roles_sync")

        # django-axes announces lockouts with a signal: that is its only hook for them.
        from axes.signals import user_locked_out

        from kabinet.accounts.lockout import lockout_recorded

        user_locked_out.connect(lockout_recorded, dispatch_uid="kabinet_lockout_audit")
