"""Limits of payments: amounts taken by hand, and what the public notify endpoint accepts."""

from wuye.core.counters import counter_add, counter_key, counter_value

# The most a single counter prepayment or payment may be (fen): ¥1,000,000. Anything above is a typing
# error. A cash payment's tendered amount may exceed what is due by at most this much again.
MAX_COUNTER_FEN = 100_000_000

# The notify endpoint counts, per client address, the requests it refuses (too large, not shaped like a
# notification, for no channel account, or not verified). Past this many in the window, a request from
# that address is verified before anything is stored, and kept only if it verifies: a channel's genuine
# notifications always get through, junk is no longer stored. Genuine notifications are never counted,
# so a channel's bursts do not count against it.
NOTIFY_REFUSED_PER_SOURCE = 20
NOTIFY_REFUSED_WINDOW_SECONDS = 10 * 60


def _notify_key(source: str) -> str:
    return counter_key("notify-refused", source or "-")


def notify_refused_count(*, source: str) -> None:
    counter_add(_notify_key(source), window_seconds=NOTIFY_REFUSED_WINDOW_SECONDS)


def notify_source_limited(*, source: str) -> bool:
    return counter_value(_notify_key(source)) >= NOTIFY_REFUSED_PER_SOURCE
