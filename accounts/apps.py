from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


def _profile_in_step(*, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    # Not on a sign-in's update of last_login: only when the username may have changed.
    if not raw and (created or update_fields is None or "username" in update_fields):
        from accounts.services import learner_profile_save

        learner_profile_save(user=instance)


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        # Every account gets its row when it is made, however it is made (sign-up, the
        # admin, createsuperuser); `learner_lock` makes one for any made without.
        post_save.connect(_profile_in_step, sender=settings.AUTH_USER_MODEL, dispatch_uid="profile")
