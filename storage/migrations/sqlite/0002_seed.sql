-- Rows every database starts with. ON CONFLICT DO NOTHING keeps later
-- edits and makes a re-run change nothing; the fixed time keeps both
-- dialects identical.

-- The owner of audit rows of system actions. It is disabled, so it can
-- never authenticate.
INSERT INTO accounts (id, metadata, created_at, updated_at, row_version, email, name,
    access_level, enabled)
VALUES ('__system__', '{}', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', 1,
    'system@alkhub.invalid', 'system', 'service', FALSE)
ON CONFLICT DO NOTHING;

-- The definition call nodes point to when theirs was deleted or never
-- existed. spec_hash is the SHA-256 of the canonical JSON of this spec.
INSERT INTO operations (id, metadata, created_at, updated_at, namespace, name, version, type,
    title, description, tags, input_schema, output_schema, error_schemas, access_control,
    spec_meta, source, spec_hash)
VALUES ('__removed__', '{}', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00',
    'system', 'removed', '0.0.0', 'query', NULL,
    'Placeholder for calls whose operation definition no longer exists', '[]', '{}', '{}', '[]',
    '{"requiredScopes": ["admin"]}', NULL, 'system',
    '584369bf25aba7df566d8b19710f3adb68a188549528587740a67f7df32b9b3f')
ON CONFLICT DO NOTHING;
