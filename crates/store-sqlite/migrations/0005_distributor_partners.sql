-- Distributors act for the partners they serve (SPEC §10): admins link them. Pairs that
-- already placed orders together are linked, so nothing that worked before is refused now.
CREATE TABLE distributor_partners (
    distributor_id  TEXT NOT NULL REFERENCES companies (id),
    partner_id      TEXT NOT NULL REFERENCES companies (id),
    created_at      TEXT NOT NULL,
    PRIMARY KEY (distributor_id, partner_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO distributor_partners (distributor_id, partner_id, created_at)
SELECT DISTINCT distributor_id, partner_id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM orders WHERE distributor_id IS NOT NULL;

-- Organization ids belong to the tenant (partner) whose line onboarded them first: the
-- onboarding check looks them up by id.
CREATE INDEX lines_organization ON lines (organization_id) WHERE organization_id IS NOT NULL;
