"""Limits of payments taken by hand."""

# The most a single counter prepayment or payment may be (fen): ¥1,000,000. Anything above is a typing
# error. A cash payment's tendered amount may exceed what is due by at most this much again.
MAX_COUNTER_FEN = 100_000_000
