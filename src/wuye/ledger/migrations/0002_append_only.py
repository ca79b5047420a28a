"""The ledger is append-only, enforced by the database itself, and balanced on PostgreSQL at commit."""

from django.db import migrations

# SQLite: a row in ledger_unlock (a table outside Django's models, so no flush or migration touches
# it) lifts the DELETE guard. Only the test suite uses it, to empty tables between browser tests,
# the way PostgreSQL's TRUNCATE (which these triggers do not see) does.
SQLITE = ["CREATE TABLE IF NOT EXISTS ledger_unlock (reason text)"] + [
    f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op} BEFORE {op.upper()} ON {table}
        {"WHEN NOT EXISTS (SELECT 1 FROM ledger_unlock)" if op == "delete" else ""}
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"""
    for table in ("ledger_ledgertransaction", "ledger_posting")
    for op in ("update", "delete")
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS ledger_unlock"] + [
    f"DROP TRIGGER IF EXISTS {table}_no_{op};"
    for table in ("ledger_ledgertransaction", "ledger_posting")
    for op in ("update", "delete")
]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'the ledger is append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
       FOR EACH ROW EXECUTE FUNCTION ledger_append_only();""",
    """CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON ledger_ledgertransaction
       FOR EACH ROW EXECUTE FUNCTION ledger_append_only();""",
    # Checked once per transaction at commit (statement-level would fire for every bulk insert batch).
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
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_ledgertransaction;",
    "DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting;",
    "DROP TRIGGER IF EXISTS ledger_transaction_append_only ON ledger_ledgertransaction;",
    "DROP FUNCTION IF EXISTS ledger_balanced();",
    "DROP FUNCTION IF EXISTS ledger_append_only();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
