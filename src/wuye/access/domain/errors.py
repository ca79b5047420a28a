"""The one exception of the access domain. Its message is translated and shown as it is."""


class AccessError(Exception):
    """A refused access change; nothing was changed."""
