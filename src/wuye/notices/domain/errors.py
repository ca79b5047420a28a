"""The exception of the notices domain; its message is translated and shown as it is."""


class NoticeError(Exception):
    """A refused notice or activity action; nothing was changed."""
