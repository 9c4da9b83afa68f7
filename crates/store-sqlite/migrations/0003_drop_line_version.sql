-- Lines are changed by reading, deciding and writing inside one BEGIN IMMEDIATE transaction,
-- so the compare-and-swap counter planned in 0001 is never compared: drop it.
ALTER TABLE lines DROP COLUMN version;
