"""PostgreSQL proves balance once per INSERT statement of postings instead of once per transaction row
at commit.

The deferred constraint trigger of 0002 ran a PL/pgSQL function per ledger transaction at commit (a
bank result file of 85,000 payments spent 2.8 s there), and it only looked at a transaction when the
transaction row was inserted: a posting added later to an old transaction went unchecked. This
statement-level trigger sees every INSERT into ``ledger_posting`` (COPY included) with the rows it
wrote, and refuses the statement if any transaction it touched, counting all of that transaction's
postings, does not sum to zero. So the postings of a transaction are written in one statement (as
``transaction_post`` and ``transactions_post_many`` write them), and a transaction is balanced after
every statement, not only at commit. The refusal is a check violation naming the constraint
``ledger_transaction_balanced``, with the transaction and its total as the detail.
"""

import importlib

from django.db import migrations

# Statements per database vendor, run by 0002's runner.
append_only = importlib.import_module("wuye.ledger.migrations.0002_append_only")

CHECK = """
CREATE OR REPLACE FUNCTION ledger_postings_balanced() RETURNS trigger AS $$
  DECLARE bad record;
  BEGIN
    -- One index probe per transaction touched (LATERAL), whatever the size of the ledger.
    SELECT t.id, s.total INTO bad
      FROM (SELECT DISTINCT transaction_id AS id FROM new_postings) t
      CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(p.amount_fen), 0) AS total FROM ledger_posting p WHERE p.transaction_id = t.id
      ) s
      WHERE s.total <> 0
      ORDER BY t.id LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'ledger transaction % does not balance: % fen', bad.id, bad.total
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced',
              DETAIL = bad.id || ' ' || bad.total;
    END IF;
    RETURN NULL;
  END; $$ LANGUAGE plpgsql
  -- Never a sequential scan of the ledger per transaction: the statistics of a table just filled
  -- (a billing run's postings) can make one look cheap, and 85,000 of them took minutes.
  SET enable_seqscan = off;
"""

FORWARD = [
    "DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_ledgertransaction;",
    "DROP FUNCTION IF EXISTS ledger_balanced();",
    CHECK,
    """CREATE TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_posting
       REFERENCING NEW TABLE AS new_postings
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_postings_balanced();""",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_postings_balanced ON ledger_posting;",
    "DROP FUNCTION IF EXISTS ledger_postings_balanced();",
    """CREATE OR REPLACE FUNCTION ledger_balanced() RETURNS trigger AS $$
       DECLARE total bigint;
       BEGIN
         SELECT COALESCE(SUM(amount_fen), 0) INTO total FROM ledger_posting WHERE transaction_id = NEW.id;
         IF total <> 0 THEN
           RAISE EXCEPTION 'ledger transaction % does not balance: % fen', NEW.id, total;
         END IF;
         RETURN NULL;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE CONSTRAINT TRIGGER ledger_transaction_balanced AFTER INSERT ON ledger_ledgertransaction
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_balanced();""",
]


class Migration(migrations.Migration):
    dependencies = [("ledger", "0014_alter_ledgertransaction_kind")]

    operations = [
        migrations.RunPython(
            append_only._run({"postgresql": FORWARD}), append_only._run({"postgresql": BACKWARD})
        )
    ]
