"""The one exception of the service domain. Its message is translated and shown as it is."""


class ServiceError(Exception):
    """A refused service action; nothing was changed."""
