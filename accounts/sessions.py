"""Django's database sessions, telling a lost database apart from a deleted session.

Django's session store turns any database error while saving an existing session into
"the session was deleted", which the session middleware answers with a 400 telling the
user they may have signed out elsewhere. When the error is the database itself (the
connection died mid-save), that is a server fault: it must be a 500 (and logged as one),
so a client retries rather than believes it did something wrong.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError


class SessionStore(db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create=must_create)
        except UpdateError as error:
            if isinstance(error.__context__, OperationalError | InterfaceError):
                raise error.__context__ from None
            raise
