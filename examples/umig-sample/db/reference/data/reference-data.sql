-- UMIG reference schema: reference data (statuses)
-- Plain SQL kept in step with db/changelog (release 1.2.0); safe to re-run (IF NOT EXISTS).
-- from changeset 005-seed-status-values
INSERT INTO status_sts (sts_name, sts_color, sts_type, sts_order) VALUES
    ('PLANNING',    '#FFA500', 'Migration', 1),
    ('IN_PROGRESS', '#0052CC', 'Migration', 2),
    ('COMPLETED',   '#00875A', 'Migration', 3),
    ('CANCELLED',   '#DE350B', 'Migration', 4),
    ('PLANNING',    '#FFA500', 'Iteration', 1),
    ('IN_PROGRESS', '#0052CC', 'Iteration', 2),
    ('COMPLETED',   '#00875A', 'Iteration', 3),
    ('CANCELLED',   '#DE350B', 'Iteration', 4),
    ('PLANNING',    '#FFA500', 'Plan', 1),
    ('IN_PROGRESS', '#0052CC', 'Plan', 2),
    ('COMPLETED',   '#00875A', 'Plan', 3),
    ('CANCELLED',   '#DE350B', 'Plan', 4),
    ('PENDING',     '#DFE1E6', 'Step', 1),
    ('TODO',        '#FFFFFF', 'Step', 2),
    ('IN_PROGRESS', '#0052CC', 'Step', 3),
    ('COMPLETED',   '#00875A', 'Step', 4),
    ('FAILED',      '#DE350B', 'Step', 5),
    ('BLOCKED',     '#FF5630', 'Step', 6),
    ('CANCELLED',   '#6B778C', 'Step', 7),
    ('PENDING',     '#DFE1E6', 'Instruction', 1),
    ('COMPLETED',   '#00875A', 'Instruction', 2)
ON CONFLICT (sts_name, sts_type) DO NOTHING;
