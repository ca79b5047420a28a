"""Extension points of billing (the only signals it sends).

``bills_issued(community_id, run_id, household_ids)``: sent after a billing run chunk committed new
lines. Payments listens to apply prepayment balances to the new bills, oldest first.
"""

from django.dispatch import Signal

bills_issued = Signal()
