-- provisio core schema (SQLite). Instants are RFC 3339 UTC text with exactly six fractional
-- digits ("2026-05-04T08:00:00.000000Z") so that text order is time order. States are
-- constrained text: the words of provisio_domain::state.

CREATE TABLE companies (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('partner', 'distributor', 'operator')),
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX companies_name ON companies (name COLLATE NOCASE);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    company_id     TEXT NOT NULL REFERENCES companies (id),
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('member', 'support_agent', 'admin', 'integration')),
    can_resend     INTEGER NOT NULL CHECK (can_resend IN (0, 1)),
    password_hash  TEXT,
    created_at     TEXT NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    key_hash    TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- Numbers handed out for subscription references and generated web order ids.
CREATE TABLE sequences (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);
INSERT INTO sequences (name, value) VALUES ('sub_ref', 1000000), ('web_order_id', 100000);

CREATE TABLE orders (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    id                 TEXT NOT NULL UNIQUE,
    web_order_id       TEXT NOT NULL UNIQUE,
    partner_id         TEXT NOT NULL REFERENCES companies (id),
    distributor_id     TEXT REFERENCES companies (id),
    end_customer_name  TEXT NOT NULL,
    locale             TEXT NOT NULL CHECK (locale IN ('en', 'sv')),
    placed_by          TEXT NOT NULL REFERENCES users (id),
    placed_at          TEXT NOT NULL
);
CREATE INDEX orders_partner ON orders (partner_id, seq);
CREATE INDEX orders_distributor ON orders (distributor_id, seq);

CREATE TABLE lines (
    seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
    id                    TEXT NOT NULL UNIQUE,
    order_id              TEXT NOT NULL REFERENCES orders (id),
    line_number           INTEGER NOT NULL CHECK (line_number >= 1),
    sub_ref               TEXT NOT NULL UNIQUE,
    offer                 TEXT NOT NULL,
    quantity              INTEGER NOT NULL CHECK (quantity >= 1),
    requested_start_date  TEXT NOT NULL,
    rsd_start_at          TEXT NOT NULL,
    contact_email         TEXT NOT NULL,
    contact_name          TEXT,
    locale                TEXT NOT NULL CHECK (locale IN ('en', 'sv')),
    stage                 TEXT NOT NULL CHECK (stage IN
                              ('scheduled', 'awaiting_provisioning', 'onboarded', 'provisioned', 'cancelled')),
    status                TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    closed_reason         TEXT CHECK (closed_reason IN ('provisioning_window_lapsed', 'provisioned', 'cancelled')),
    closed_at             TEXT,
    first_sent_at         TEXT,
    closes_at             TEXT,
    organization_id       TEXT,
    organization_name     TEXT,
    version               INTEGER NOT NULL DEFAULT 0,
    UNIQUE (order_id, line_number),
    CHECK ((status = 'closed') = (closed_reason IS NOT NULL)),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX lines_order ON lines (order_id);
CREATE INDEX lines_contact ON lines (contact_email);
CREATE INDEX lines_due ON lines (stage, rsd_start_at);
CREATE INDEX lines_closing ON lines (status, closes_at);

CREATE TABLE offer_policies (
    offer        TEXT PRIMARY KEY,
    window_days  INTEGER NOT NULL CHECK (window_days >= 1),
    updated_at   TEXT
);
INSERT INTO offer_policies (offer, window_days) VALUES ('A-FLEX', 7), ('A-FLEX-3', 7);

-- Append-only audit log (R11). order_id is NULL for events about no order (policy changes).
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id    TEXT REFERENCES orders (id),
    line_id     TEXT REFERENCES lines (id),
    type        TEXT NOT NULL,
    at          TEXT NOT NULL,
    actor_id    TEXT REFERENCES users (id),
    data        TEXT NOT NULL
);
CREATE INDEX events_order ON events (order_id, seq);

CREATE TABLE idempotency_keys (
    user_id        TEXT NOT NULL REFERENCES users (id),
    key            TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    resource_kind  TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);
