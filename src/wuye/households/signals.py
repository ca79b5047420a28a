"""Extension points of the households app (the only signals it sends).

``people_left(community_id, person_pks, actor)`` is sent inside the transaction when people leave a
household's archive: a move-out date is set (by hand or by an Excel import), or a person is removed
(sent before the row is deleted). Apps that hold something for a person (the access app's cards and
codes) listen to end it; households never imports them.
"""

from django.dispatch import Signal

people_left = Signal()
