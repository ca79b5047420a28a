class RentalError(Exception):
    """A refused rental change; the message is translated and nothing was written."""
