-- provisio on PostgreSQL: the same tables, keys and checks as the SQLite schema after its
-- migration 0011 (crates/store-sqlite/migrations), written once for this backend. Instants are
-- timestamptz (microseconds, as SQLite's text keeps them); ids are the domain's text; `seq` is
-- the insertion order every list pages by.
--
-- What several instances could break is the schema's to forbid:
-- - emails_one_initial: at most one initial email per line (two planners cannot both queue it);
-- - lines.version / cases.version: a change is written over the version read (compare-and-set);
-- - cases_one_open: at most one unresolved case per line, request type and company;
-- - emails: a lease (`sending`) has an owner and an end; a result is recorded only with the
--   owner and attempt number it was claimed with (the store's UPDATE says so).
--
-- Autovacuum: the outbox (emails) and sessions are updated many times per row; their own
-- settings keep dead tuples from piling up (README "Operations").

-- companies and users: `seq` is the order lists page by (SQLite: the rowid).
CREATE TABLE companies (
    seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id          text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('partner', 'distributor', 'operator')),
    created_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX companies_name ON companies (lower(name));

CREATE TABLE users (
    seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id             text PRIMARY KEY,
    company_id     text NOT NULL REFERENCES companies (id),
    email          text NOT NULL UNIQUE,
    name           text NOT NULL,
    role           text NOT NULL CHECK (role IN ('member', 'support_agent', 'admin', 'integration')),
    can_resend     boolean NOT NULL,
    password_hash  text,
    created_at     timestamptz NOT NULL,
    locale         text CHECK (locale IN ('en', 'sv')),
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled'))
);

CREATE TABLE api_keys (
    id            text PRIMARY KEY,
    user_id       text NOT NULL REFERENCES users (id),
    key_hash      text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);

CREATE TABLE sequences (
    name   text PRIMARY KEY,
    value  bigint NOT NULL
);
INSERT INTO sequences (name, value) VALUES ('sub_ref', 1000000), ('web_order_id', 100000);

CREATE TABLE orders (
    seq                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                 text NOT NULL UNIQUE,
    web_order_id       text NOT NULL UNIQUE,
    partner_id         text NOT NULL REFERENCES companies (id),
    distributor_id     text REFERENCES companies (id),
    end_customer_name  text NOT NULL,
    locale             text NOT NULL CHECK (locale IN ('en', 'sv')),
    placed_by          text NOT NULL REFERENCES users (id),
    placed_at          timestamptz NOT NULL
);
CREATE INDEX orders_partner ON orders (partner_id, seq);
CREATE INDEX orders_distributor ON orders (distributor_id, seq);

CREATE TABLE lines (
    seq                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                    text NOT NULL UNIQUE,
    order_id              text NOT NULL REFERENCES orders (id),
    line_number           integer NOT NULL CHECK (line_number >= 1),
    sub_ref               text NOT NULL UNIQUE,
    offer                 text NOT NULL,
    quantity              integer NOT NULL CHECK (quantity >= 1),
    requested_start_date  text NOT NULL,
    rsd_start_at          timestamptz NOT NULL,
    contact_email         text NOT NULL,
    contact_name          text,
    locale                text NOT NULL CHECK (locale IN ('en', 'sv')),
    stage                 text NOT NULL CHECK (stage IN
                              ('scheduled', 'awaiting_provisioning', 'onboarded', 'provisioned', 'cancelled')),
    status                text NOT NULL CHECK (status IN ('open', 'closed')),
    closed_reason         text CHECK (closed_reason IN ('provisioning_window_lapsed', 'provisioned', 'cancelled')),
    closed_at             timestamptz,
    first_sent_at         timestamptz,
    closes_at             timestamptz,
    organization_id       text,
    organization_name     text,
    version               bigint NOT NULL DEFAULT 0,
    initial_queued        boolean NOT NULL DEFAULT false,
    first_send_due_at     timestamptz,
    close_due_at          timestamptz,
    UNIQUE (order_id, line_number),
    CHECK ((status = 'closed') = (closed_reason IS NOT NULL)),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX lines_order ON lines (order_id);
CREATE INDEX lines_contact ON lines (contact_email);
CREATE INDEX lines_organization_contact ON lines (contact_email) WHERE organization_id IS NOT NULL;
CREATE INDEX lines_organization ON lines (organization_id) WHERE organization_id IS NOT NULL;
CREATE INDEX lines_first_send_due ON lines (first_send_due_at) WHERE first_send_due_at IS NOT NULL;
CREATE INDEX lines_close_due ON lines (close_due_at) WHERE close_due_at IS NOT NULL;

CREATE TABLE offer_policies (
    offer        text PRIMARY KEY,
    window_days  integer NOT NULL CHECK (window_days >= 1),
    updated_at   timestamptz
);
INSERT INTO offer_policies (offer, window_days) VALUES ('A-FLEX', 7), ('A-FLEX-3', 7);

CREATE TABLE cases (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               text NOT NULL UNIQUE,
    request_type     text NOT NULL CHECK (request_type IN
                         ('resend_provisioning_email', 'change_provisioning_contact', 'other')),
    state            text NOT NULL CHECK (state IN ('open', 'waiting', 'resolved')),
    company_id       text NOT NULL REFERENCES companies (id),
    opened_by        text NOT NULL REFERENCES users (id),
    order_id         text NOT NULL REFERENCES orders (id),
    line_id          text REFERENCES lines (id),
    description      text NOT NULL,
    claimed_by       text REFERENCES users (id),
    opened_at        timestamptz NOT NULL,
    first_answer_at  timestamptz,
    resolved_at      timestamptz,
    version          bigint NOT NULL DEFAULT 0,
    CHECK ((state = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE UNIQUE INDEX cases_one_open ON cases (line_id, request_type, company_id)
    WHERE state <> 'resolved' AND line_id IS NOT NULL;
CREATE INDEX cases_company ON cases (company_id, seq);
CREATE INDEX cases_state ON cases (state, seq);
CREATE INDEX cases_opener ON cases (opened_by, opened_at);
CREATE INDEX cases_line ON cases (line_id) WHERE line_id IS NOT NULL;

CREATE TABLE case_comments (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         text NOT NULL UNIQUE,
    case_id    text NOT NULL REFERENCES cases (id),
    author_id  text REFERENCES users (id),
    internal   boolean NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('text', 'resend_queued', 'resend_answered', 'onboarded')),
    body       text,
    data       text,
    at         timestamptz NOT NULL,
    CHECK ((kind = 'text') = (body IS NOT NULL))
);
CREATE INDEX case_comments_case ON case_comments (case_id, seq);

CREATE TABLE case_attachments (
    case_id       text NOT NULL REFERENCES cases (id),
    n             integer NOT NULL CHECK (n BETWEEN 1 AND 5),
    filename      text NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN
                      ('image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf')),
    size          integer NOT NULL CHECK (size BETWEEN 1 AND 5242880),
    bytes         bytea NOT NULL CHECK (length(bytes) = size),
    PRIMARY KEY (case_id, n)
);

-- Append-only audit log (R11). order_id is NULL for events about no order (policy changes).
CREATE TABLE events (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    text REFERENCES orders (id),
    line_id     text REFERENCES lines (id),
    case_id     text REFERENCES cases (id),
    type        text NOT NULL,
    at          timestamptz NOT NULL,
    actor_id    text REFERENCES users (id),
    data        text NOT NULL
);
CREATE INDEX events_order ON events (order_id, seq);
CREATE INDEX events_case ON events (case_id, seq) WHERE case_id IS NOT NULL;
CREATE INDEX events_admin ON events (seq) WHERE order_id IS NULL AND case_id IS NULL;

CREATE TABLE email_kinds (
    kind     text PRIMARY KEY,
    subject  text NOT NULL CHECK (subject IN ('line', 'case')),
    UNIQUE (kind, subject)
);
INSERT INTO email_kinds (kind, subject) VALUES
    ('initial', 'line'), ('resend', 'line'), ('contact_changed', 'line'), ('reminder', 'line'),
    ('handed_off', 'line'), ('case_opened', 'case'), ('case_answered', 'case'),
    ('case_resolved', 'case');

-- The outbox. A row is due while next_attempt_at is set (queued, retrying); `sending` holds a
-- lease until lease_until, an instant of the database's clock (instances' clocks may differ).
CREATE TABLE emails (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               text NOT NULL UNIQUE,
    kind             text NOT NULL,
    subject          text NOT NULL,
    line_id          text REFERENCES lines (id),
    case_id          text REFERENCES cases (id),
    case_comment_id  text REFERENCES case_comments (id),
    for_case         text REFERENCES cases (id),
    recipient        text NOT NULL,
    recipient_name   text,
    locale           text NOT NULL CHECK (locale IN ('en', 'sv')),
    requested_by     text REFERENCES users (id),
    message_id       text NOT NULL UNIQUE,
    state            text NOT NULL CHECK (state IN
                         ('queued', 'sending', 'sent', 'retrying', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    queued_at        timestamptz NOT NULL,
    next_attempt_at  timestamptz,
    sent_at          timestamptz,
    last_reply       text,
    lease_owner      text,
    lease_until      timestamptz,
    handed_off_from  text,
    handed_off_to    text,
    last_email       boolean NOT NULL DEFAULT false,
    FOREIGN KEY (kind, subject) REFERENCES email_kinds (kind, subject),
    CHECK ((subject = 'line') = (line_id IS NOT NULL)),
    CHECK ((subject = 'case') = (case_id IS NOT NULL)),
    CHECK ((state IN ('queued', 'retrying')) = (next_attempt_at IS NOT NULL)),
    CHECK ((state = 'sending') = (lease_until IS NOT NULL)),
    CHECK ((state = 'sending') = (lease_owner IS NOT NULL))
) WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02,
        fillfactor = 80);
CREATE INDEX emails_line ON emails (line_id, seq);
CREATE INDEX emails_case ON emails (case_id, seq) WHERE case_id IS NOT NULL;
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX emails_leased ON emails (lease_until) WHERE lease_until IS NOT NULL;
CREATE UNIQUE INDEX emails_one_initial ON emails (line_id) WHERE kind = 'initial';

CREATE TABLE setup_links (
    token_hash  text PRIMARY KEY,
    email_id    text NOT NULL UNIQUE REFERENCES emails (id),
    line_id     text NOT NULL REFERENCES lines (id),
    state       text NOT NULL CHECK (state IN ('live', 'spent', 'revoked')),
    created_at  timestamptz NOT NULL
);
CREATE INDEX setup_links_live ON setup_links (line_id) WHERE state = 'live';

CREATE TABLE distributor_partners (
    distributor_id  text NOT NULL REFERENCES companies (id),
    partner_id      text NOT NULL REFERENCES companies (id),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (distributor_id, partner_id)
);

CREATE TABLE idempotency_keys (
    user_id        text NOT NULL REFERENCES users (id),
    key            text NOT NULL,
    request_hash   text NOT NULL,
    resource_kind  text NOT NULL,
    resource_id    text NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_created ON idempotency_keys (created_at);

CREATE TABLE settings (
    name   text PRIMARY KEY,
    value  text NOT NULL
);

CREATE TABLE web_sessions (
    id_hash     text PRIMARY KEY,
    data        text NOT NULL,
    expires_at  timestamptz NOT NULL,
    user_id     text REFERENCES users (id)
) WITH (autovacuum_vacuum_scale_factor = 0.05);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
CREATE INDEX web_sessions_user ON web_sessions (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE sign_in_failures (
    account  text NOT NULL,
    at       timestamptz NOT NULL
);
CREATE INDEX sign_in_failures_account ON sign_in_failures (account, at);
