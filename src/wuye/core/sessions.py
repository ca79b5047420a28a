"""The session engine (``SESSION_ENGINE``): Django's database sessions, read by one fixed statement.

Every page of the owner portal and the console reads its session first; Django's store builds that
query with the ORM on each request (about 0.4 ms of Python). This store reads the same row with the
same conditions (the key, not expired) through ``wuye.core.sql``, so on PostgreSQL the statement is
prepared once per connection. Writing, deleting and clearing are Django's, unchanged.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from wuye.core import sql


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        found = sql.instance(
            Session,
            f"SELECT {sql.columns(Session)} FROM {Session._meta.db_table} "  # noqa: S608
            "WHERE session_key = %s AND expire_date > %s",
            [self.session_key, timezone.now()],
        )
        if found is None:
            self._session_key = None
        return found
