from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


def _profile_for_new_account(*, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        from accounts.services import learner_profile_create

        learner_profile_create(user=instance)


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        # Every account gets its row when it is made, however it is made (sign-up, the
        # admin, createsuperuser); `learner_lock` makes one for any made without.
        post_save.connect(
            _profile_for_new_account, sender=settings.AUTH_USER_MODEL, dispatch_uid="profile"
        )
