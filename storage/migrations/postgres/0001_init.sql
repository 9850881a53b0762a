-- The first tables of the hub: identity, projects and sessions (as foreign-key
-- targets), spokes, operations and their registrations, clients (as the other
-- provider type of a registration), the call graph and hub instances.
-- Ids and every column that references one use COLLATE "C", so keyset
-- comparisons order byte-wise as on SQLite. Times come from the application.

CREATE TABLE accounts (
    id           text COLLATE "C" NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    row_version  bigint NOT NULL DEFAULT 1,
    email        text NOT NULL,
    name         text,
    access_level text NOT NULL DEFAULT 'user',
    enabled      boolean NOT NULL DEFAULT true,
    CONSTRAINT pk_accounts PRIMARY KEY (id),
    CONSTRAINT ck_accounts_access_level CHECK (access_level IN ('admin', 'user', 'service'))
);
CREATE UNIQUE INDEX uq_accounts_email ON accounts (email);

CREATE TABLE organizations (
    id          text COLLATE "C" NOT NULL,
    metadata    jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    row_version bigint NOT NULL DEFAULT 1,
    name        text NOT NULL,
    slug        text NOT NULL,
    owner_id    text COLLATE "C" NOT NULL,
    CONSTRAINT pk_organizations PRIMARY KEY (id),
    CONSTRAINT fk_organizations_owner_id FOREIGN KEY (owner_id)
        REFERENCES accounts (id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX uq_organizations_slug ON organizations (slug);
CREATE INDEX idx_organizations_owner_id ON organizations (owner_id);

CREATE TABLE api_keys (
    id           text COLLATE "C" NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    owner_id     text COLLATE "C" NOT NULL,
    org_id       text COLLATE "C",
    name         text,
    prefix       text NOT NULL,
    key_hash     text NOT NULL,
    scopes       jsonb NOT NULL DEFAULT '[]',
    resources    jsonb NOT NULL DEFAULT '{}',
    tags         jsonb NOT NULL DEFAULT '[]',
    enabled      boolean NOT NULL DEFAULT true,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
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
    id          text COLLATE "C" NOT NULL,
    metadata    jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    row_version bigint NOT NULL DEFAULT 1,
    org_id      text COLLATE "C",
    owner_id    text COLLATE "C",
    name        text NOT NULL,
    directory   text,
    repo_url    text,
    vcs         text DEFAULT 'git',
    icon_url    text,
    icon_color  text,
    CONSTRAINT pk_projects PRIMARY KEY (id),
    CONSTRAINT fk_projects_org_id FOREIGN KEY (org_id)
        REFERENCES organizations (id) ON DELETE SET NULL,
    CONSTRAINT fk_projects_owner_id FOREIGN KEY (owner_id)
        REFERENCES accounts (id) ON DELETE SET NULL
);
CREATE INDEX idx_projects_org_id ON projects (org_id);
CREATE INDEX idx_projects_owner_id ON projects (owner_id);

CREATE TABLE workspaces (
    id          text COLLATE "C" NOT NULL,
    metadata    jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    row_version bigint NOT NULL DEFAULT 1,
    project_id  text COLLATE "C" NOT NULL,
    type        text NOT NULL,
    name        text,
    branch      text,
    directory   text,
    extra       jsonb,
    CONSTRAINT pk_workspaces PRIMARY KEY (id),
    CONSTRAINT fk_workspaces_project_id FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT ck_workspaces_type CHECK (type IN ('local', 'remote', 'container'))
);
CREATE INDEX idx_workspaces_project_id ON workspaces (project_id);

CREATE TABLE sessions (
    id               text COLLATE "C" NOT NULL,
    metadata         jsonb NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    row_version      bigint NOT NULL DEFAULT 1,
    account_id       text COLLATE "C",
    project_id       text COLLATE "C" NOT NULL,
    workspace_id     text COLLATE "C",
    parent_id        text COLLATE "C",
    slug             text NOT NULL,
    title            text,
    role_name        text,
    status           text NOT NULL DEFAULT 'idle',
    instance_id      text,
    run_started_at   timestamptz,
    last_activity_at timestamptz,
    data             jsonb,
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
    id            text COLLATE "C" NOT NULL,
    metadata      jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    owner_id      text COLLATE "C" NOT NULL,
    key_id        text COLLATE "C",
    session_id    text COLLATE "C",
    org_id        text COLLATE "C",
    action        text NOT NULL,
    resource_type text,
    resource_id   text,
    outcome       text NOT NULL DEFAULT 'success',
    request_id    text,
    data          jsonb NOT NULL DEFAULT '{}',
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
    id                    text COLLATE "C" NOT NULL,
    metadata              jsonb NOT NULL DEFAULT '{}',
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    row_version           bigint NOT NULL DEFAULT 1,
    name                  text NOT NULL,
    type                  text NOT NULL,
    config                jsonb NOT NULL,
    config_schema_version integer NOT NULL DEFAULT 1,
    enabled               boolean NOT NULL DEFAULT true,
    owner_id              text COLLATE "C" NOT NULL,
    org_id                text COLLATE "C",
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
    id               text COLLATE "C" NOT NULL,
    metadata         jsonb NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    owner_id         text COLLATE "C" NOT NULL,
    name             text NOT NULL,
    spoke_type       text NOT NULL,
    status           text NOT NULL DEFAULT 'connected',
    visibility       text NOT NULL DEFAULT 'private',
    project_id       text COLLATE "C",
    host_info        jsonb,
    protocol_version integer NOT NULL DEFAULT 1,
    max_in_flight    integer NOT NULL DEFAULT 64,
    instance_id      text,
    connection_id    text,
    connected_at     timestamptz,
    disconnected_at  timestamptz,
    last_heartbeat   timestamptz,
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
    id             text COLLATE "C" NOT NULL,
    metadata       jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    namespace      text NOT NULL,
    name           text NOT NULL,
    version        text NOT NULL,
    type           text NOT NULL,
    title          text,
    description    text NOT NULL DEFAULT '',
    tags           jsonb NOT NULL DEFAULT '[]',
    input_schema   jsonb NOT NULL,
    output_schema  jsonb NOT NULL,
    error_schemas  jsonb NOT NULL DEFAULT '[]',
    access_control jsonb NOT NULL,
    spec_meta      jsonb,
    source         text NOT NULL,
    spec_hash      text NOT NULL,
    CONSTRAINT pk_operations PRIMARY KEY (id),
    CONSTRAINT ck_operations_type CHECK (type IN ('query', 'mutation', 'subscription')),
    CONSTRAINT ck_operations_source CHECK (source IN ('hub', 'spoke', 'mcp', 'openapi', 'system'))
);
CREATE UNIQUE INDEX uq_operations_namespace_name ON operations (namespace, name);
CREATE INDEX idx_operations_source ON operations (source);

CREATE TABLE operation_registrations (
    id             text COLLATE "C" NOT NULL,
    metadata       jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    operation_id   text COLLATE "C" NOT NULL,
    provider_type  text NOT NULL,
    spoke_id       text COLLATE "C",
    client_id      text COLLATE "C",
    pre_remap_name text NOT NULL,
    status         text NOT NULL DEFAULT 'active',
    registered_at  timestamptz NOT NULL,
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
    id                text COLLATE "C" NOT NULL,
    metadata          jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    parent_request_id text,
    root_request_id   text NOT NULL,
    operation_id      text COLLATE "C" NOT NULL,
    operation_ref     text NOT NULL,
    status            text NOT NULL,
    identity          jsonb,
    caller_account_id text,
    session_id        text,
    spoke_id          text,
    instance_id       text,
    input             jsonb,
    output            jsonb,
    error             jsonb,
    response_count    integer NOT NULL DEFAULT 0,
    started_at        timestamptz NOT NULL,
    completed_at      timestamptz,
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
    id              text COLLATE "C" NOT NULL,
    metadata        jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    from_request_id text COLLATE "C" NOT NULL,
    to_request_id   text COLLATE "C" NOT NULL,
    edge_type       text NOT NULL DEFAULT 'depends_on',
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
    id           text COLLATE "C" NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    hostname     text NOT NULL,
    version      text NOT NULL,
    pid          integer NOT NULL,
    status       text NOT NULL DEFAULT 'running',
    started_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    stopped_at   timestamptz,
    CONSTRAINT pk_hub_instances PRIMARY KEY (id),
    CONSTRAINT ck_hub_instances_status CHECK (status IN ('running', 'stopped', 'dead'))
);
CREATE INDEX idx_hub_instances_status_last_seen_at ON hub_instances (status, last_seen_at);
