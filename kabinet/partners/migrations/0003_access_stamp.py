"""AccessStamp and the triggers that write it (see partners.tenancy).

Triggers, not application code: an access change made by any path — services, the admin,
the ERP exchange's bulk upserts, the data set generator's COPY, a hand-written UPDATE — must
change the stamp, or a revoked right would stay in force in a process's memory."""

from django.db import migrations, models

# Tables whose rows are read into a user's tenant context, keyed by the partner they belong to.
PARTNER_OWNED = ("partners_agreement", "partners_counterparty")

POSTGRESQL = [
    """
    CREATE FUNCTION partners_restamp_users(user_ids bigint[]) RETURNS void LANGUAGE sql AS $$
        INSERT INTO partners_accessstamp (user_id, stamp)
        SELECT u, md5(random()::text || clock_timestamp()::text)
        FROM (SELECT DISTINCT unnest(user_ids) AS u) AS users
        WHERE u IS NOT NULL
        ON CONFLICT (user_id) DO UPDATE SET stamp = EXCLUDED.stamp
    $$
    """,
    """
    CREATE FUNCTION partners_restamp_members(partner_ids bigint[]) RETURNS void LANGUAGE sql AS $$
        SELECT partners_restamp_users(ARRAY(
            SELECT user_id FROM partners_membership WHERE partner_id = ANY(partner_ids)
        ))
    $$
    """,
    """
    CREATE FUNCTION partners_membership_restamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM partners_restamp_users(ARRAY[NEW.user_id]::bigint[]);
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM partners_restamp_users(ARRAY[OLD.user_id]::bigint[]);
        ELSE
            PERFORM partners_restamp_users(ARRAY[OLD.user_id, NEW.user_id]::bigint[]);
        END IF;
        RETURN NULL;
    END $$
    """,
    # A partner's row, and its parent's "has subsidiaries".
    """
    CREATE FUNCTION partners_partner_restamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM partners_restamp_members(ARRAY[NEW.id, NEW.parent_id]::bigint[]);
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM partners_restamp_members(ARRAY[OLD.id, OLD.parent_id]::bigint[]);
        ELSE
            PERFORM partners_restamp_members(
                ARRAY[OLD.id, NEW.id, OLD.parent_id, NEW.parent_id]::bigint[]
            );
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION partners_owned_restamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM partners_restamp_members(ARRAY[NEW.partner_id]::bigint[]);
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM partners_restamp_members(ARRAY[OLD.partner_id]::bigint[]);
        ELSE
            PERFORM partners_restamp_members(ARRAY[OLD.partner_id, NEW.partner_id]::bigint[]);
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER partners_membership_restamp
    AFTER INSERT OR UPDATE OR DELETE ON partners_membership
    FOR EACH ROW EXECUTE FUNCTION partners_membership_restamp()
    """,
    """
    CREATE TRIGGER partners_partner_restamp
    AFTER INSERT OR UPDATE OR DELETE ON partners_partner
    FOR EACH ROW EXECUTE FUNCTION partners_partner_restamp()
    """,
    *(
        f"""
        CREATE TRIGGER {table}_restamp
        AFTER INSERT OR UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION partners_owned_restamp()
        """
        for table in PARTNER_OWNED
    ),
]
POSTGRESQL_REVERSE = [
    *(f"DROP TRIGGER {table}_restamp ON {table}" for table in PARTNER_OWNED),
    "DROP TRIGGER partners_partner_restamp ON partners_partner",
    "DROP TRIGGER partners_membership_restamp ON partners_membership",
    "DROP FUNCTION partners_owned_restamp()",
    "DROP FUNCTION partners_partner_restamp()",
    "DROP FUNCTION partners_membership_restamp()",
    "DROP FUNCTION partners_restamp_members(bigint[])",
    "DROP FUNCTION partners_restamp_users(bigint[])",
]


def _sqlite_restamp(users: str) -> str:
    """Statements that give new stamps to the users a SELECT of `user_id`s names. An UPDATE
    and an INSERT OR IGNORE rather than INSERT OR REPLACE: an outer statement's conflict
    clause (Django's `INSERT OR IGNORE` for bulk_create(ignore_conflicts=True)) overrides a
    trigger's, which would turn a REPLACE into an IGNORE and keep the old stamp."""
    return f"""
        UPDATE partners_accessstamp SET stamp = lower(hex(randomblob(16)))
        WHERE user_id IN ({users});
        INSERT OR IGNORE INTO partners_accessstamp (user_id, stamp)
        SELECT user_id, lower(hex(randomblob(16)))
        FROM (SELECT DISTINCT user_id FROM ({users}) WHERE user_id IS NOT NULL);
    """


def _sqlite_members(partner_ids: str) -> str:
    return _sqlite_restamp(
        f"SELECT user_id FROM partners_membership WHERE partner_id IN ({partner_ids})"
    )


def _sqlite_triggers() -> list[tuple[str, str, str]]:
    """(name, the trigger's head, its body) for SQLite, one trigger per table and operation."""
    triggers = []
    membership = {
        "insert": _sqlite_restamp("SELECT NEW.user_id AS user_id"),
        "update": _sqlite_restamp("SELECT OLD.user_id AS user_id UNION SELECT NEW.user_id"),
        "delete": _sqlite_restamp("SELECT OLD.user_id AS user_id"),
    }
    partner = {
        "insert": _sqlite_members("NEW.id, NEW.parent_id"),
        "update": _sqlite_members("OLD.id, NEW.id, OLD.parent_id, NEW.parent_id"),
        "delete": _sqlite_members("OLD.id, OLD.parent_id"),
    }
    owned = {
        "insert": _sqlite_members("NEW.partner_id"),
        "update": _sqlite_members("OLD.partner_id, NEW.partner_id"),
        "delete": _sqlite_members("OLD.partner_id"),
    }
    tables = [("partners_membership", membership), ("partners_partner", partner)]
    tables += [(table, owned) for table in PARTNER_OWNED]
    for table, bodies in tables:
        for operation, body in bodies.items():
            name = f"{table}_restamp_{operation}"
            triggers.append((name, f"AFTER {operation.upper()} ON {table}", body))
    return triggers


SEED = """
    INSERT INTO partners_accessstamp (user_id, stamp)
    SELECT DISTINCT user_id, '' FROM partners_membership
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in POSTGRESQL:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        for name, head, body in _sqlite_triggers():
            schema_editor.execute(f"CREATE TRIGGER {name} {head} BEGIN {body} END")
    else:
        raise NotImplementedError(f"access stamp triggers for {vendor}")
    # Existing members get a stamp; '' is replaced by the next change like any other.
    schema_editor.execute(SEED)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL_REVERSE:
            schema_editor.execute(statement)
    else:
        for name, _, _ in _sqlite_triggers():
            schema_editor.execute(f"DROP TRIGGER {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_partner_require_mfa_invitation"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessStamp",
            fields=[
                (
                    "user_id",
                    models.BigIntegerField(primary_key=True, serialize=False, verbose_name="user"),
                ),
                ("stamp", models.CharField(max_length=32, verbose_name="stamp")),
            ],
            options={
                "verbose_name": "access stamp",
                "verbose_name_plural": "access stamps",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
