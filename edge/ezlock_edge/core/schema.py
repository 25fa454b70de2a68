"""The database's schema: every version, and the statements that take one to the next.

``PRAGMA user_version`` holds the version a database is at; ``Store`` runs the missing
steps in order, each in one transaction, when it opens the file. A step never changes
once released: a new version is a new step at the end, with a test that a database of
the previous version migrates and keeps its rows.
"""

from __future__ import annotations

_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE users (
    number INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    valid_from TEXT,
    valid_until TEXT,
    created TEXT NOT NULL
);
CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    user_number INTEGER NOT NULL REFERENCES users(number) ON DELETE CASCADE,
    type TEXT NOT NULL,
    slot INTEGER,
    secret_hash BLOB,
    duress INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    UNIQUE (type, slot)
);
CREATE INDEX credentials_user ON credentials(user_number);
CREATE TABLE temporary_passwords (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    code_hash BLOB NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    max_uses INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE TABLE bluetooth_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash BLOB NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    last_seen TEXT
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    ts REAL NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_ts ON events(ts);
"""

# Version 2: weekly schedules (core/schedule.py) on users and visitors, JSON or NULL.
_SCHEMA_V2 = """
ALTER TABLE users ADD COLUMN schedule TEXT;
ALTER TABLE temporary_passwords ADD COLUMN schedule TEXT;
ALTER TABLE bluetooth_keys ADD COLUMN schedule TEXT;
"""

# Version 3: client roles (issue #11.2). Clients paired before roles existed paired in
# the window, at the lock, and could do everything: they stay admins.
_SCHEMA_V3 = """
ALTER TABLE clients ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
"""

# Version 4: temporary passwords and Bluetooth keys are one concept, a visitor credential
# with a kind (uses are counted for temporary passwords; a Bluetooth key has no limit).
_SCHEMA_V4 = """
CREATE TABLE visitor_credentials (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    max_uses INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    schedule TEXT
);
CREATE INDEX visitor_credentials_kind ON visitor_credentials(kind, created);
INSERT INTO visitor_credentials (id, kind, name, secret_hash, valid_from,
        valid_until, max_uses, uses, created, schedule)
    SELECT id, 'temporary_password', name, code_hash, valid_from, valid_until,
           max_uses, uses, created, schedule
    FROM temporary_passwords;
INSERT INTO visitor_credentials (id, kind, name, secret_hash, valid_from,
        valid_until, max_uses, uses, created, schedule)
    SELECT id, 'bluetooth_key', name, key_hash, valid_from, valid_until,
           NULL, 0, created, schedule
    FROM bluetooth_keys;
DROP TABLE temporary_passwords;
DROP TABLE bluetooth_keys;
"""

# Version 5: security events outlive ordinary ones (issue #11.4). ``class_ord`` numbers
# the events of each class (security or not) so retention keeps the newest N of each
# with one indexed range delete. The types are those of events.SECURITY_EVENTS then.
_SCHEMA_V5 = """
ALTER TABLE events ADD COLUMN security INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN class_ord INTEGER;
UPDATE events SET class_ord = seq;
UPDATE events SET security = 1 WHERE type IN (
    'unlocked', 'unlock_failed', 'locked', 'alarm', 'alarm_cleared', 'pairing',
    'client_added', 'client_revoked', 'settings_changed', 'user_added',
    'user_updated', 'user_deleted', 'credential_added', 'credential_updated',
    'credential_deleted', 'credential_refused', 'remote_pin_failed',
    'temporary_password_created', 'temporary_password_revoked',
    'temporary_password_used', 'bluetooth_key_created', 'bluetooth_key_revoked',
    'factory_reset'
);
CREATE INDEX events_class ON events(security, class_ord);
"""

# Version 6: a revoked visitor stays listed, never usable again (issue #14), and the
# last use of a counted one is kept, so ended visitors can be listed, then forgotten.
_SCHEMA_V6 = """
ALTER TABLE visitor_credentials ADD COLUMN revoked_at TEXT;
ALTER TABLE visitor_credentials ADD COLUMN last_used_at TEXT;
"""

# Index i holds the statements that take the schema from version i to i + 1.
MIGRATIONS: tuple[str, ...] = (
    _SCHEMA_V1,
    _SCHEMA_V2,
    _SCHEMA_V3,
    _SCHEMA_V4,
    _SCHEMA_V5,
    _SCHEMA_V6,
)
SCHEMA_VERSION = len(MIGRATIONS)
