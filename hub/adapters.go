package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/hub/spokes"
	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/storage"
)

// keyStore adapts storage's API keys to the authenticator.
type keyStore struct{ st *storage.Store }

func (k keyStore) KeyByHash(ctx context.Context, hash string) (auth.KeyRecord, error) {
	rec, err := k.st.APIKeys().Authenticate(ctx, hash)
	if errors.Is(err, storage.ErrNotFound) {
		return auth.KeyRecord{}, auth.ErrKeyNotFound
	}
	if err != nil {
		return auth.KeyRecord{}, err
	}
	return auth.KeyRecord{
		ID:               rec.Key.ID,
		OwnerID:          rec.Key.OwnerID,
		KeyHash:          rec.Key.KeyHash,
		Scopes:           rec.Key.Scopes.V,
		Resources:        rec.Key.Resources.V,
		Enabled:          rec.Key.Enabled,
		ExpiresAt:        rec.Key.ExpiresAt,
		RevokedAt:        rec.Key.RevokedAt,
		OwnerAccessLevel: string(rec.Owner.AccessLevel),
		OwnerEnabled:     rec.Owner.Enabled,
	}, nil
}

// spokeStore adapts storage to the spoke manager.
type spokeStore struct{ st *storage.Store }

func (s spokeStore) SaveRegistration(ctx context.Context, r spokes.Registration) (spokes.RegistrationResult, error) {
	ops := make([]storage.Operation, 0, len(r.Specs))
	for _, spec := range r.Specs {
		o, err := toStorageOperation(spec, storage.SourceSpoke)
		if err != nil {
			return spokes.RegistrationResult{}, err
		}
		ops = append(ops, o)
	}
	reg := storage.SpokeRegistration{
		OwnerID:      r.OwnerID,
		Name:         r.Name,
		Type:         storage.SpokeType(r.SpokeType),
		Visibility:   storage.Visibility(r.Visibility),
		MaxInFlight:  int32(r.MaxInFlight),
		ConnectionID: r.ConnectionID,
		Operations:   ops,
		NoAlias:      r.NoAlias,
	}
	if r.ProjectID != "" {
		reg.ProjectID = &r.ProjectID
	}
	if len(r.HostInfo) > 0 {
		reg.HostInfo = &storage.RawJSON{V: r.HostInfo}
	}
	res, err := s.st.Spokes().Register(ctx, reg)
	if err != nil {
		return spokes.RegistrationResult{}, err
	}
	out := spokes.RegistrationResult{
		SpokeID:    res.SpokeID,
		Operations: res.Operations,
		Aliases:    res.Aliases,
	}
	for _, c := range res.AliasConflicts {
		out.AliasConflicts = append(out.AliasConflicts, spokes.AliasConflict{Operation: c.Operation, Reason: c.Reason})
	}
	return out, nil
}

func (s spokeStore) MarkDisconnected(ctx context.Context, spokeID, connectionID string, _ time.Time) error {
	_, err := s.st.Spokes().Disconnect(ctx, spokeID, connectionID)
	return err
}

func (s spokeStore) TouchHeartbeat(spokeID string, at time.Time) {
	s.st.Spokes().TouchHeartbeat(spokeID, at)
}

// CanWriteProject allows admins and the project's owner. Organisation
// membership joins the rule when organisations do.
func (s spokeStore) CanWriteProject(ctx context.Context, id operations.Identity, projectID string) (bool, error) {
	for _, sc := range id.Scopes {
		if sc == auth.ScopeAdmin {
			return true, nil
		}
	}
	p, err := s.st.Projects().Get(ctx, projectID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return p.OwnerID != nil && *p.OwnerID == id.ID, nil
}

func (s spokeStore) LoadDefinitions(ctx context.Context) ([]spokes.StoredSpoke, error) {
	var out []spokes.StoredSpoke
	page := storage.PageRequest{Limit: 200}
	for {
		rows, err := s.st.Spokes().List(ctx, storage.SpokeFilter{}, page)
		if err != nil {
			return nil, err
		}
		for _, row := range rows.Items {
			sp, err := s.loadSpoke(ctx, row)
			if err != nil {
				return nil, err
			}
			out = append(out, sp)
		}
		if rows.NextCursor == "" {
			return out, nil
		}
		page.Cursor = rows.NextCursor
	}
}

func (s spokeStore) loadSpoke(ctx context.Context, row storage.Spoke) (spokes.StoredSpoke, error) {
	sp := spokes.StoredSpoke{
		ID: row.ID, OwnerID: row.OwnerID, Name: row.Name, SpokeType: string(row.SpokeType),
		Visibility: string(row.Visibility), MaxInFlight: int(row.MaxInFlight),
	}
	if row.ProjectID != nil {
		sp.ProjectID = *row.ProjectID
	}
	regs, err := s.st.Spokes().Registrations(ctx, row.ID)
	if err != nil {
		return sp, err
	}
	for _, reg := range regs {
		def, err := s.st.Operations().Get(ctx, reg.OperationID)
		if err != nil {
			return sp, fmt.Errorf("loading definition %s of spoke %s: %w", reg.OperationID, row.ID, err)
		}
		spec, err := fromStorageOperation(def)
		if err != nil {
			return sp, err
		}
		sp.Definitions = append(sp.Definitions, spokes.Definition{
			Spec:         spec,
			PreRemapName: reg.PreRemapName,
			Alias:        reg.PreRemapName == reg.OperationID,
		})
	}
	return sp, nil
}

// upsertHubDefinitions stores the definitions of hub-native operations.
func upsertHubDefinitions(ctx context.Context, st *storage.Store, specs []operations.OperationSpec) error {
	defs := make([]storage.Operation, 0, len(specs))
	for _, spec := range specs {
		o, err := toStorageOperation(spec, storage.SourceHub)
		if err != nil {
			return err
		}
		defs = append(defs, o)
	}
	_, err := st.Operations().Upsert(ctx, defs)
	return err
}

func toStorageOperation(spec operations.OperationSpec, source storage.OperationSource) (storage.Operation, error) {
	o := storage.Operation{
		Namespace:    spec.Namespace,
		Name:         spec.Name,
		Version:      spec.Version,
		Type:         storage.OperationType(spec.Type),
		Description:  spec.Description,
		Tags:         storage.NewJSON(spec.Tags),
		InputSchema:  storage.RawJSON{V: schemaOrEmpty(spec.InputSchema)},
		OutputSchema: storage.RawJSON{V: schemaOrEmpty(spec.OutputSchema)},
		AccessControl: storage.NewJSON(storage.AccessControl{
			RequiredScopes:    nonNilStrings(spec.AccessControl.RequiredScopes),
			RequiredScopesAny: spec.AccessControl.RequiredScopesAny,
			ResourceType:      spec.AccessControl.ResourceType,
			ResourceAction:    spec.AccessControl.ResourceAction,
		}),
		Source: source,
	}
	if o.Version == "" {
		o.Version = "1.0.0"
	}
	if spec.Title != "" {
		title := spec.Title
		o.Title = &title
	}
	defs := make([]storage.ErrorDefinition, 0, len(spec.ErrorSchemas))
	for _, d := range spec.ErrorSchemas {
		sd := storage.ErrorDefinition{Code: d.Code, Description: d.Description, Schema: schemaOrEmpty(d.Schema)}
		if d.HTTPStatus != 0 {
			status := d.HTTPStatus
			sd.HTTPStatus = &status
		}
		defs = append(defs, sd)
	}
	o.ErrorSchemas = storage.NewJSON(defs)
	if spec.Meta != nil {
		b, err := json.Marshal(spec.Meta)
		if err != nil {
			return o, fmt.Errorf("encoding _meta of %s: %w", spec.ID(), err)
		}
		o.SpecMeta = &storage.RawJSON{V: b}
	}
	return o, nil
}

func fromStorageOperation(o storage.Operation) (operations.OperationSpec, error) {
	spec := operations.OperationSpec{
		Namespace:    o.Namespace,
		Name:         o.Name,
		Version:      o.Version,
		Type:         operations.OperationType(o.Type),
		Description:  o.Description,
		Tags:         o.Tags.V,
		InputSchema:  o.InputSchema.V,
		OutputSchema: o.OutputSchema.V,
		AccessControl: operations.AccessControl{
			RequiredScopes:    o.AccessControl.V.RequiredScopes,
			RequiredScopesAny: o.AccessControl.V.RequiredScopesAny,
			ResourceType:      o.AccessControl.V.ResourceType,
			ResourceAction:    o.AccessControl.V.ResourceAction,
		},
	}
	if o.Title != nil {
		spec.Title = *o.Title
	}
	for _, d := range o.ErrorSchemas.V {
		def := operations.ErrorDefinition{Code: d.Code, Description: d.Description, Schema: d.Schema}
		if d.HTTPStatus != nil {
			def.HTTPStatus = *d.HTTPStatus
		}
		spec.ErrorSchemas = append(spec.ErrorSchemas, def)
	}
	if o.SpecMeta != nil && len(o.SpecMeta.V) > 0 {
		if err := json.Unmarshal(o.SpecMeta.V, &spec.Meta); err != nil {
			return spec, fmt.Errorf("decoding _meta of %s: %w", o.ID, err)
		}
	}
	return spec, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
