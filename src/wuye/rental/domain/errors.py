class RentalError(Exception):
    """A refused rental change; the message is translated and nothing was written."""


def staff_or_none(actor):
    """The member of staff acting (for ``created_by``), or None: an owner in the portal, a job."""
    from django.contrib.auth import get_user_model

    return actor if isinstance(actor, get_user_model()) and actor.is_authenticated else None
