-- The first tables of the hub: identity, projects and sessions (as foreign-key
-- targets), spokes, operations and their registrations, clients (as the other
-- provider type of a registration), the call graph and hub instances.
-- Columns declared DATETIME make the driver parse the stored text back into
-- time values; booleans are checked to be 0 or 1. Times come from the
-- application.

CREATE TABLE accounts (
    id           TEXT NOT NULL,
    metadata     TEXT NOT NULL DEFAULT '{}',
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    row_version  INTEGER NOT NULL DEFAULT 1,
    email        TEXT NOT NULL,
    name         TEXT,
    access_level TEXT NOT NULL DEFAULT 'user',
    enabled      BOOLEAN NOT NULL DEFAULT TRUE
        CONSTRAINT ck_accounts_enabled CHECK (enabled IN (0, 1)),
    CONSTRAINT pk_accounts PRIMARY KEY (id),
    CONSTRAINT ck_accounts_access_level CHECK (access_level IN ('admin', 'user', 'service'))
);
CREATE UNIQUE INDEX uq_accounts_email ON accounts (email);

CREATE TABLE organizations (
    id          TEXT NOT NULL,
    metadata    TEXT NOT NULL DEFAULT '{}',
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    row_version INTEGER NOT NULL DEFAULT 1,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    CONSTRAINT pk_organizations PRIMARY KEY (id),
    CONSTRAINT fk_organizations_owner_id FOREIGN KEY (owner_id)
        REFERENCES accounts (id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX uq_organizations_slug ON organizations (slug);
CREATE INDEX idx_organizations_owner_id ON organizations (owner_id);

CREATE TABLE api_keys (
    id           TEXT NOT NULL,
    metadata     TEXT NOT NULL DEFAULT '{}',
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    owner_id     TEXT NOT NULL,
    org_id       TEXT,
    name         TEXT,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    scopes       TEXT NOT NULL DEFAULT '[]',
    resources    TEXT NOT NULL DEFAULT '{}',
    tags         TEXT NOT NULL DEFAULT '[]',
    enabled      BOOLEAN NOT NULL DEFAULT TRUE
        CONSTRAINT ck_api_keys_enabled CHECK (enabled IN (0, 1)),
    expires_at   DATETIME,
    revoked_at   DATETIME,
    last_used_at DATETIME,
    CONSTRAINT pk_api_keys PRIMARY KEY (id),
    CONSTRAINT fk_api_keys_owner_id FOREIGN KEY (owner_id)
        REFERENCES accounts (id) ON DELETE RESTRICT,
    CONSTRAINT fk_api_keys_org_id FOREIGN KEY (org_id)
        REFERENCES organizations (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX uq_api_keys_key_hash ON api_keys (key_hash);
CREATE INDEX idx_api_keys_owner_id ON api_keys (owner_id);
CREATE INDEX idx_api_keys_org_id ON api_keys (org_id);

CREATE TABLE projects (
    id          TEXT NOT NULL,
    metadata    TEXT NOT NULL DEFAULT '{}',
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    row_version INTEGER NOT NULL DEFAULT 1,
    org_id      TEXT,
    owner_id    TEXT,
    name        TEXT NOT NULL,
    directory   TEXT,
    repo_url    TEXT,
    vcs         TEXT DEFAULT 'git',
    icon_url    TEXT,
    icon_color  TEXT,
    CONSTRAINT pk_projects PRIMARY KEY (id),
    CONSTRAINT fk_projects_org_id FOREIGN KEY (org_id)
        REFERENCES organizations (id) ON DELETE SET NULL,
    CONSTRAINT fk_projects_owner_id FOREIGN KEY (owner_id)
        REFERENCES accounts (id) ON DELETE SET NULL
);
CREATE INDEX idx_projects_org_id ON projects (org_id);
CREATE INDEX idx_projects_owner_id ON projects (owner_id);

CREATE TABLE workspaces (
    id          TEXT NOT NULL,
    metadata    TEXT NOT NULL DEFAULT '{}',
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    row_version INTEGER NOT NULL DEFAULT 1,
    project_id  TEXT NOT NULL,
    type        TEXT NOT NULL,
    name        TEXT,
    branch      TEXT,
    directory   TEXT,
    extra       TEXT,
    CONSTRAINT pk_workspaces PRIMARY KEY (id),
    CONSTRAINT fk_workspaces_project_id FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT ck_workspaces_type CHECK (type IN ('local', 'remote', 'container'))
);
CREATE INDEX idx_workspaces_project_id ON workspaces (project_id);

CREATE TABLE sessions (
    id               TEXT NOT NULL,
    metadata         TEXT NOT NULL DEFAULT '{}',
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL,
    row_version      INTEGER NOT NULL DEFAULT 1,
    account_id       TEXT,
    project_id       TEXT NOT NULL,
    workspace_id     TEXT,
    parent_id        TEXT,
    slug             TEXT NOT NULL,
    title            TEXT,
    role_name        TEXT,
    status           TEXT NOT NULL DEFAULT 'idle',
    instance_id      TEXT,
    run_started_at   DATETIME,
    last_activity_at DATETIME,
    data             TEXT,
    CONSTRAINT pk_sessions PRIMARY KEY (id),
    CONSTRAINT fk_sessions_account_id FOREIGN KEY (account_id)
        REFERENCES accounts (id) ON DELETE SET NULL,
    CONSTRAINT fk_sessions_project_id FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT fk_sessions_workspace_id FOREIGN KEY (workspace_id)
        REFERENCES workspaces (id) ON DELETE SET NULL,
    CONSTRAINT fk_sessions_parent_id FOREIGN KEY (parent_id)
        REFERENCES sessions (id) ON DELETE SET NULL,
    CONSTRAINT ck_sessions_status CHECK (status IN ('idle', 'busy', 'error', 'archived'))
);
CREATE UNIQUE INDEX uq_sessions_slug ON sessions (slug);
CREATE INDEX idx_sessions_project_id_created_at_id ON sessions (project_id, created_at, id);
CREATE INDEX idx_sessions_account_id ON sessions (account_id);
CREATE INDEX idx_sessions_parent_id ON sessions (parent_id);
CREATE INDEX idx_sessions_workspace_id ON sessions (workspace_id);
CREATE INDEX idx_sessions_busy ON sessions (instance_id) WHERE status = 'busy';

CREATE TABLE audit_logs (
    id            TEXT NOT NULL,
    metadata      TEXT NOT NULL DEFAULT '{}',
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    owner_id      TEXT NOT NULL,
    key_id        TEXT,
    session_id    TEXT,
    org_id        TEXT,
    action        TEXT NOT NULL,
    resource_type TEXT,
    resource_id   TEXT,
    outcome       TEXT NOT NULL DEFAULT 'success',
    request_id    TEXT,
    data          TEXT NOT NULL DEFAULT '{}',
    CONSTRAINT pk_audit_logs PRIMARY KEY (id),
    CONSTRAINT fk_audit_logs_owner_id FOREIGN KEY (owner_id)
        REFERENCES accounts (id) ON DELETE RESTRICT,
    CONSTRAINT fk_audit_logs_key_id FOREIGN KEY (key_id)
        REFERENCES api_keys (id) ON DELETE SET NULL,
    CONSTRAINT fk_audit_logs_session_id FOREIGN KEY (session_id)
        REFERENCES sessions (id) ON DELETE SET NULL,
    CONSTRAINT fk_audit_logs_org_id FOREIGN KEY (org_id)
        REFERENCES organizations (id) ON DELETE SET NULL,
    CONSTRAINT ck_audit_logs_outcome CHECK (outcome IN ('success', 'failure'))
);
CREATE INDEX idx_audit_logs_owner_id_created_at ON audit_logs (owner_id, created_at);
CREATE INDEX idx_audit_logs_org_id_created_at ON audit_logs (org_id, created_at);
CREATE INDEX idx_audit_logs_key_id ON audit_logs (key_id);
CREATE INDEX idx_audit_logs_session_id ON audit_logs (session_id);
CREATE INDEX idx_audit_logs_created_at_id ON audit_logs (created_at, id);
CREATE INDEX idx_audit_logs_resource_type_resource_id ON audit_logs (resource_type, resource_id);

CREATE TABLE clients (
    id                    TEXT NOT NULL,
    metadata              TEXT NOT NULL DEFAULT '{}',
    created_at            DATETIME NOT NULL,
    updated_at            DATETIME NOT NULL,
    row_version           INTEGER NOT NULL DEFAULT 1,
    name                  TEXT NOT NULL,
    type                  TEXT NOT NULL,
    config                TEXT NOT NULL,
    config_schema_version INTEGER NOT NULL DEFAULT 1,
    enabled               BOOLEAN NOT NULL DEFAULT TRUE
        CONSTRAINT ck_clients_enabled CHECK (enabled IN (0, 1)),
    owner_id              TEXT NOT NULL,
    org_id                TEXT,
    CONSTRAINT pk_clients PRIMARY KEY (id),
    CONSTRAINT fk_clients_owner_id FOREIGN KEY (owner_id)
        REFERENCES accounts (id) ON DELETE RESTRICT,
    CONSTRAINT fk_clients_org_id FOREIGN KEY (org_id)
        REFERENCES organizations (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX uq_clients_name ON clients (name);
CREATE INDEX idx_clients_type ON clients (type);
CREATE INDEX idx_clients_owner_id ON clients (owner_id);
CREATE INDEX idx_clients_org_id ON clients (org_id);

CREATE TABLE spokes (
    id               TEXT NOT NULL,
    metadata         TEXT NOT NULL DEFAULT '{}',
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL,
    owner_id         TEXT NOT NULL,
    name             TEXT NOT NULL,
    spoke_type       TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'connected',
    visibility       TEXT NOT NULL DEFAULT 'private',
    project_id       TEXT,
    host_info        TEXT,
    protocol_version INTEGER NOT NULL DEFAULT 1,
    max_in_flight    INTEGER NOT NULL DEFAULT 64,
    instance_id      TEXT,
    connection_id    TEXT,
    connected_at     DATETIME,
    disconnected_at  DATETIME,
    last_heartbeat   DATETIME,
    CONSTRAINT pk_spokes PRIMARY KEY (id),
    CONSTRAINT fk_spokes_owner_id FOREIGN KEY (owner_id)
        REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT fk_spokes_project_id FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE SET NULL,
    CONSTRAINT ck_spokes_spoke_type CHECK (spoke_type IN ('dev-env', 'client', 'compute')),
    CONSTRAINT ck_spokes_status CHECK (status IN ('connected', 'disconnected')),
    CONSTRAINT ck_spokes_visibility CHECK (visibility IN ('private', 'public'))
);
CREATE UNIQUE INDEX uq_spokes_owner_id_name ON spokes (owner_id, name);
CREATE INDEX idx_spokes_project_id ON spokes (project_id);
CREATE INDEX idx_spokes_status ON spokes (status);
CREATE INDEX idx_spokes_name ON spokes (name);
CREATE INDEX idx_spokes_active ON spokes (instance_id) WHERE status = 'connected';

CREATE TABLE operations (
    id             TEXT NOT NULL,
    metadata       TEXT NOT NULL DEFAULT '{}',
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    namespace      TEXT NOT NULL,
    name           TEXT NOT NULL,
    version        TEXT NOT NULL,
    type           TEXT NOT NULL,
    title          TEXT,
    description    TEXT NOT NULL DEFAULT '',
    tags           TEXT NOT NULL DEFAULT '[]',
    input_schema   TEXT NOT NULL,
    output_schema  TEXT NOT NULL,
    error_schemas  TEXT NOT NULL DEFAULT '[]',
    access_control TEXT NOT NULL,
    spec_meta      TEXT,
    source         TEXT NOT NULL,
    spec_hash      TEXT NOT NULL,
    CONSTRAINT pk_operations PRIMARY KEY (id),
    CONSTRAINT ck_operations_type CHECK (type IN ('query', 'mutation', 'subscription')),
    CONSTRAINT ck_operations_source CHECK (source IN ('hub', 'spoke', 'mcp', 'openapi', 'system'))
);
CREATE UNIQUE INDEX uq_operations_namespace_name ON operations (namespace, name);
CREATE INDEX idx_operations_source ON operations (source);

CREATE TABLE operation_registrations (
    id             TEXT NOT NULL,
    metadata       TEXT NOT NULL DEFAULT '{}',
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    operation_id   TEXT NOT NULL,
    provider_type  TEXT NOT NULL,
    spoke_id       TEXT,
    client_id      TEXT,
    pre_remap_name TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'active',
    registered_at  DATETIME NOT NULL,
    CONSTRAINT pk_operation_registrations PRIMARY KEY (id),
    CONSTRAINT fk_operation_registrations_operation_id FOREIGN KEY (operation_id)
        REFERENCES operations (id) ON DELETE CASCADE,
    CONSTRAINT fk_operation_registrations_spoke_id FOREIGN KEY (spoke_id)
        REFERENCES spokes (id) ON DELETE CASCADE,
    CONSTRAINT fk_operation_registrations_client_id FOREIGN KEY (client_id)
        REFERENCES clients (id) ON DELETE CASCADE,
    CONSTRAINT ck_operation_registrations_provider_type CHECK (provider_type IN ('spoke', 'client')),
    CONSTRAINT ck_operation_registrations_status CHECK (status IN ('active', 'inactive')),
    CONSTRAINT ck_operation_registrations_provider CHECK (
        (provider_type = 'spoke' AND spoke_id IS NOT NULL AND client_id IS NULL)
        OR (provider_type = 'client' AND client_id IS NOT NULL AND spoke_id IS NULL))
);
CREATE UNIQUE INDEX uq_operation_registrations_operation_id_spoke_id
    ON operation_registrations (operation_id, spoke_id);
CREATE UNIQUE INDEX uq_operation_registrations_operation_id_client_id
    ON operation_registrations (operation_id, client_id);
CREATE INDEX idx_operation_registrations_spoke_id ON operation_registrations (spoke_id);
CREATE INDEX idx_operation_registrations_client_id ON operation_registrations (client_id);
CREATE INDEX idx_operation_registrations_operation_id_status
    ON operation_registrations (operation_id, status);

CREATE TABLE call_graph_nodes (
    id                TEXT NOT NULL,
    metadata          TEXT NOT NULL DEFAULT '{}',
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    parent_request_id TEXT,
    root_request_id   TEXT NOT NULL,
    operation_id      TEXT NOT NULL,
    operation_ref     TEXT NOT NULL,
    status            TEXT NOT NULL,
    identity          TEXT,
    caller_account_id TEXT,
    session_id        TEXT,
    spoke_id          TEXT,
    instance_id       TEXT,
    input             TEXT,
    output            TEXT,
    error             TEXT,
    response_count    INTEGER NOT NULL DEFAULT 0,
    started_at        DATETIME NOT NULL,
    completed_at      DATETIME,
    CONSTRAINT pk_call_graph_nodes PRIMARY KEY (id),
    CONSTRAINT fk_call_graph_nodes_operation_id FOREIGN KEY (operation_id)
        REFERENCES operations (id) ON DELETE RESTRICT,
    CONSTRAINT ck_call_graph_nodes_status
        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'aborted'))
);
CREATE INDEX idx_call_graph_nodes_parent_request_id ON call_graph_nodes (parent_request_id);
CREATE INDEX idx_call_graph_nodes_root_request_id ON call_graph_nodes (root_request_id);
CREATE INDEX idx_call_graph_nodes_operation_id ON call_graph_nodes (operation_id);
CREATE INDEX idx_call_graph_nodes_session_id ON call_graph_nodes (session_id);
CREATE INDEX idx_call_graph_nodes_created_at_id ON call_graph_nodes (created_at, id);
CREATE INDEX idx_call_graph_nodes_completed_at ON call_graph_nodes (completed_at);
CREATE INDEX idx_call_graph_nodes_open ON call_graph_nodes (instance_id)
    WHERE status IN ('pending', 'running');

CREATE TABLE call_graph_edges (
    id              TEXT NOT NULL,
    metadata        TEXT NOT NULL DEFAULT '{}',
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    from_request_id TEXT NOT NULL,
    to_request_id   TEXT NOT NULL,
    edge_type       TEXT NOT NULL DEFAULT 'depends_on',
    CONSTRAINT pk_call_graph_edges PRIMARY KEY (id),
    CONSTRAINT fk_call_graph_edges_from_request_id FOREIGN KEY (from_request_id)
        REFERENCES call_graph_nodes (id) ON DELETE CASCADE,
    CONSTRAINT fk_call_graph_edges_to_request_id FOREIGN KEY (to_request_id)
        REFERENCES call_graph_nodes (id) ON DELETE CASCADE,
    CONSTRAINT ck_call_graph_edges_edge_type CHECK (edge_type IN ('depends_on'))
);
CREATE UNIQUE INDEX uq_call_graph_edges_from_request_id_to_request_id_edge_type
    ON call_graph_edges (from_request_id, to_request_id, edge_type);
CREATE INDEX idx_call_graph_edges_to_request_id ON call_graph_edges (to_request_id);

CREATE TABLE hub_instances (
    id           TEXT NOT NULL,
    metadata     TEXT NOT NULL DEFAULT '{}',
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    hostname     TEXT NOT NULL,
    version      TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'running',
    started_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL,
    stopped_at   DATETIME,
    CONSTRAINT pk_hub_instances PRIMARY KEY (id),
    CONSTRAINT ck_hub_instances_status CHECK (status IN ('running', 'stopped', 'dead'))
);
CREATE INDEX idx_hub_instances_status_last_seen_at ON hub_instances (status, last_seen_at);
