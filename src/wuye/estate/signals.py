"""Extension points of the estate app (the only signals it sends).

``room_changed(community_id, room_pks)`` is sent after rooms are created or changed, inside the
transaction. The households app listens to refresh rule-based tags (e.g. 空置) of that community.
"""

from django.dispatch import Signal

room_changed = Signal()
