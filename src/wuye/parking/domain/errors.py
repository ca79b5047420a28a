class ParkingError(Exception):
    """A refused parking operation; the message is translated and nothing was written."""
