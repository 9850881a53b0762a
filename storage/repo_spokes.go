package storage

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Spokes reads and writes spokes and their registrations.
type Spokes interface {
	// Register records a spoke connection and its operations in one
	// transaction. It upserts the spoke by (owner, name) as connected on the
	// new connection. It upserts the remapped definition of every offered
	// operation and, unless the alias rule forbids it, the plain one. It
	// makes this spoke's registrations of those definitions active and its
	// other registrations inactive. An error rolls all of it back.
	//
	// Alias rule: the plain id becomes an alias unless it is listed in
	// NoAlias or belongs to a definition that is not a spoke's. It also
	// stays remapped-only when its definition has another spec hash and
	// another spoke actively serves it. AliasConflicts reports such ids.
	Register(ctx context.Context, r SpokeRegistration) (RegisterResult, error)
	// Disconnect marks the spoke disconnected and its registrations
	// inactive, only while connectionID is still its live connection. It
	// reports false, changing nothing, for a stale connection id.
	Disconnect(ctx context.Context, spokeID, connectionID string) (bool, error)
	// Get returns the spoke with id, or ErrNotFound.
	Get(ctx context.Context, id string) (Spoke, error)
	// GetByName returns the spoke an owner registered under name.
	GetByName(ctx context.Context, ownerID, name string) (Spoke, error)
	// List pages spokes in (created_at, id) order.
	List(ctx context.Context, f SpokeFilter, p PageRequest) (Page[Spoke], error)
	// Registrations returns every registration of a spoke, active or not,
	// ordered by operation id.
	Registrations(ctx context.Context, spokeID string) ([]Registration, error)
	// Delete removes a spoke and its registrations; definitions stay.
	Delete(ctx context.Context, id string) error
	// TouchHeartbeat records a heartbeat through the write-behind queue, at
	// most once per 30 s per spoke. It never blocks.
	TouchHeartbeat(id string, at time.Time)
}

// SpokeFilter narrows Spokes.List; zero fields do not filter.
type SpokeFilter struct {
	OwnerID    string      `json:"ownerId,omitempty"`
	Status     SpokeStatus `json:"status,omitempty"`
	ProjectID  string      `json:"projectId,omitempty"`
	InstanceID string      `json:"instanceId,omitempty"`
}

type spokesRepo struct{ rp *repos }

const upsertSpokeSQL = `INSERT INTO spokes (id, metadata, created_at, updated_at, owner_id, name,
  spoke_type, status, visibility, project_id, host_info, protocol_version, max_in_flight,
  instance_id, connection_id, connected_at, disconnected_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 'connected', ?, ?, ?, ?, ?, ?, ?, ?, NULL)
ON CONFLICT (owner_id, name) DO UPDATE SET updated_at = excluded.updated_at,
  spoke_type = excluded.spoke_type, status = 'connected', visibility = excluded.visibility,
  project_id = excluded.project_id, host_info = excluded.host_info,
  protocol_version = excluded.protocol_version, max_in_flight = excluded.max_in_flight,
  instance_id = excluded.instance_id, connection_id = excluded.connection_id,
  connected_at = excluded.connected_at, disconnected_at = NULL
RETURNING id`

const upsertRegistrationSQL = `INSERT INTO operation_registrations (id, metadata, created_at,
  updated_at, operation_id, provider_type, spoke_id, client_id, pre_remap_name, status, registered_at)
VALUES (?, ?, ?, ?, ?, 'spoke', ?, NULL, ?, 'active', ?)
ON CONFLICT (operation_id, spoke_id) DO UPDATE SET updated_at = excluded.updated_at,
  pre_remap_name = excluded.pre_remap_name, status = 'active', registered_at = excluded.registered_at`

// validate checks the header of a registration and fills its defaults.
func (reg *SpokeRegistration) validate(instanceID string) error {
	switch {
	case reg.OwnerID == "" || reg.Name == "" || reg.ConnectionID == "":
		return fmt.Errorf("%w: spoke registration needs an owner, a name and a connection id", ErrInvalid)
	case !reg.Type.Valid():
		return fmt.Errorf("%w: spoke type %q (want one of %v)", ErrInvalid, reg.Type, reg.Type.Values())
	}
	if reg.Visibility == "" {
		reg.Visibility = VisibilityPrivate
	}
	if !reg.Visibility.Valid() {
		return fmt.Errorf("%w: visibility %q (want one of %v)", ErrInvalid, reg.Visibility, reg.Visibility.Values())
	}
	if reg.ProtocolVersion == 0 {
		reg.ProtocolVersion = 1
	}
	if reg.MaxInFlight == 0 {
		reg.MaxInFlight = 64
	}
	if reg.InstanceID == "" {
		reg.InstanceID = instanceID
	}
	return nil
}

func (r spokesRepo) Register(ctx context.Context, reg SpokeRegistration) (RegisterResult, error) {
	if err := reg.validate(r.rp.s.InstanceID()); err != nil {
		return RegisterResult{}, err
	}
	var res RegisterResult
	err := r.rp.inTxInternal(ctx, func(tx *repos) error {
		var err error
		res, err = tx.register(ctx, reg)
		return err
	})
	if err != nil {
		return RegisterResult{}, fmt.Errorf("registering spoke %s: %w", reg.Name, err)
	}
	return res, nil
}

// register runs the steps of Spokes.Register inside a transaction.
func (tx *repos) register(ctx context.Context, reg SpokeRegistration) (RegisterResult, error) {
	now := tx.s.now()
	res := RegisterResult{Operations: map[string]string{}, Aliases: map[string]string{}}

	// Step 1: the spoke row, remembering the connection it replaces.
	lock := ""
	if tx.s.dialect == DialectPostgres {
		lock = " FOR UPDATE"
	}
	var prev []Spoke
	err := tx.w.WithContext(ctx).Raw("SELECT * FROM spokes WHERE owner_id = ? AND name = ?"+lock,
		reg.OwnerID, reg.Name).Find(&prev).Error
	if err != nil {
		return res, fmt.Errorf("reading the spoke: %w", mapError(err, "spokes", stmtWrite))
	}
	row := Spoke{}
	if err := row.fill(now); err != nil {
		return res, err
	}
	var ids []string
	err = tx.w.WithContext(ctx).Raw(upsertSpokeSQL, row.ID, row.Metadata, now, now, reg.OwnerID, reg.Name,
		reg.Type, reg.Visibility, reg.ProjectID, reg.HostInfo, reg.ProtocolVersion, reg.MaxInFlight,
		reg.InstanceID, reg.ConnectionID, now).Scan(&ids).Error
	if err != nil {
		return res, fmt.Errorf("writing the spoke: %w", mapError(err, "spokes", stmtWrite))
	}
	res.SpokeID = ids[0]
	res.Created = len(prev) == 0
	if !res.Created {
		if c := prev[0].ConnectionID; c != nil && *c != reg.ConnectionID {
			res.PreviousConnectionID = *c
		}
		if i := prev[0].InstanceID; i != nil && (*i != reg.InstanceID || res.PreviousConnectionID != "") {
			res.PreviousInstanceID = *i
		}
	}

	// Steps 2 and 3: definitions and active registrations.
	before, err := tx.Spokes().Registrations(ctx, res.SpokeID)
	if err != nil {
		return res, err
	}
	wasActive := map[string]bool{}
	for _, b := range before {
		wasActive[b.OperationID] = b.Status == RegistrationActive
	}
	target := map[string]string{} // operation id → pre-remap name
	var order []string
	for _, spec := range reg.Operations {
		plainID := spec.Namespace + "." + spec.Name
		if _, dup := res.Operations[plainID]; dup {
			return res, fmt.Errorf("%w: operation %s offered twice", ErrInvalid, plainID)
		}
		hash, err := SpecHash(spec)
		if err != nil {
			return res, err
		}

		remapped := spec
		remapped.Common = Common{}
		remapped.Namespace = RemappedNamespace(reg.Type, res.SpokeID, spec.Namespace)
		remapped.ID = remapped.Namespace + "." + spec.Name
		remapped.Source = SourceSpoke
		remapped.SpecHash = hash
		if _, err := tx.upsertOperation(ctx, &remapped); err != nil {
			return res, err
		}
		res.Operations[plainID] = remapped.ID
		target[remapped.ID] = plainID
		order = append(order, remapped.ID)

		conflict, err := tx.aliasConflict(ctx, reg, res.SpokeID, plainID, hash)
		if err != nil {
			return res, err
		}
		if conflict != "" {
			res.AliasConflicts = append(res.AliasConflicts, AliasConflict{Operation: plainID, Reason: conflict})
			continue
		}
		alias := spec
		alias.Common = Common{}
		alias.ID = plainID
		alias.Source = SourceSpoke
		alias.SpecHash = hash
		if _, err := tx.upsertOperation(ctx, &alias); err != nil {
			return res, err
		}
		res.Aliases[plainID] = plainID
		target[plainID] = plainID
		order = append(order, plainID)
	}
	for _, opID := range order {
		reg := Registration{}
		if err := reg.fill(now); err != nil {
			return res, err
		}
		err := tx.w.WithContext(ctx).Exec(upsertRegistrationSQL, reg.ID, reg.Metadata, now, now, opID,
			res.SpokeID, target[opID], now).Error
		if err != nil {
			return res, fmt.Errorf("registering %s: %w", opID, mapError(err, "operation_registrations", stmtWrite))
		}
		if !wasActive[opID] {
			res.Activated = append(res.Activated, opID)
		}
	}

	// Step 4: the spoke's other registrations become inactive.
	for _, b := range before {
		if _, kept := target[b.OperationID]; !kept && b.Status == RegistrationActive {
			res.Deactivated = append(res.Deactivated, b.OperationID)
		}
	}
	if len(res.Deactivated) > 0 {
		err := tx.w.WithContext(ctx).Exec(`UPDATE operation_registrations SET status = 'inactive', updated_at = ?
WHERE spoke_id = ? AND operation_id IN ?`, now, res.SpokeID, res.Deactivated).Error
		if err != nil {
			return res, fmt.Errorf("deactivating registrations: %w", mapError(err, "operation_registrations", stmtWrite))
		}
	}
	return res, nil
}

// aliasConflict returns why plainID cannot be an alias served by this
// spoke, or "" when it can.
func (tx *repos) aliasConflict(ctx context.Context, reg SpokeRegistration, spokeID, plainID, hash string) (string, error) {
	if slices.Contains(reg.NoAlias, plainID) || plainID == RemovedOperationID {
		return "a hub operation has this id", nil
	}
	var existing []Operation
	err := tx.w.WithContext(ctx).Select("id", "source", "spec_hash").Where("id = ?", plainID).Find(&existing).Error
	if err != nil {
		return "", fmt.Errorf("reading operation %s: %w", plainID, mapError(err, "operations", stmtWrite))
	}
	if len(existing) == 0 {
		return "", nil
	}
	if existing[0].Source != SourceSpoke {
		return fmt.Sprintf("a %s operation has this id", existing[0].Source), nil
	}
	if existing[0].SpecHash == hash {
		return "", nil
	}
	var others int64
	err = tx.w.WithContext(ctx).Model(&Registration{}).
		Where("operation_id = ? AND status = ? AND (spoke_id IS NULL OR spoke_id <> ?)",
			plainID, RegistrationActive, spokeID).Count(&others).Error
	if err != nil {
		return "", fmt.Errorf("reading providers of %s: %w", plainID, mapError(err, "operation_registrations", stmtWrite))
	}
	if others > 0 {
		return "schema differs from the active alias", nil
	}
	return "", nil
}

func (r spokesRepo) Disconnect(ctx context.Context, spokeID, connectionID string) (bool, error) {
	changed := false
	err := r.rp.inTxInternal(ctx, func(tx *repos) error {
		now := tx.s.now()
		res := tx.w.WithContext(ctx).Exec(`UPDATE spokes SET status = 'disconnected', disconnected_at = ?,
  connection_id = NULL, instance_id = NULL, updated_at = ?
WHERE id = ? AND connection_id = ?`, now, now, spokeID, connectionID)
		if res.Error != nil {
			return fmt.Errorf("disconnecting spoke %s: %w", spokeID, mapError(res.Error, "spokes", stmtWrite))
		}
		if res.RowsAffected == 0 {
			_, err := tx.Spokes().Get(ctx, spokeID)
			return err
		}
		changed = true
		return tx.deactivateSpokes(ctx, []string{spokeID}, now)
	})
	return changed, err
}

// deactivateSpokes turns every active registration of the spokes inactive.
func (tx *repos) deactivateSpokes(ctx context.Context, spokeIDs []string, now time.Time) error {
	if len(spokeIDs) == 0 {
		return nil
	}
	err := tx.w.WithContext(ctx).Exec(`UPDATE operation_registrations SET status = 'inactive', updated_at = ?
WHERE spoke_id IN ? AND status = 'active'`, now, spokeIDs).Error
	if err != nil {
		return fmt.Errorf("deactivating registrations: %w", mapError(err, "operation_registrations", stmtWrite))
	}
	return nil
}

func (r spokesRepo) Get(ctx context.Context, id string) (Spoke, error) {
	return getByID[Spoke](ctx, r.rp.r, "spokes", id)
}

func (r spokesRepo) GetByName(ctx context.Context, ownerID, name string) (Spoke, error) {
	var s Spoke
	err := r.rp.r.WithContext(ctx).Where("owner_id = ? AND name = ?", ownerID, name).Take(&s).Error
	if err != nil {
		return Spoke{}, fmt.Errorf("reading spoke %s: %w", name, mapError(err, "spokes", stmtWrite))
	}
	return s, nil
}

func (r spokesRepo) List(ctx context.Context, f SpokeFilter, p PageRequest) (Page[Spoke], error) {
	q := r.rp.r
	for col, v := range map[string]string{"owner_id": f.OwnerID, "status": string(f.Status),
		"project_id": f.ProjectID, "instance_id": f.InstanceID} {
		if v != "" {
			q = q.Where(col+" = ?", v)
		}
	}
	return listPage(ctx, q, "spokes", f, p, "created_at", func(s *Spoke) keyset { return createdKey(&s.Common) })
}

func (r spokesRepo) Registrations(ctx context.Context, spokeID string) ([]Registration, error) {
	var regs []Registration
	err := r.rp.r.WithContext(ctx).Where("spoke_id = ?", spokeID).Order("operation_id").Find(&regs).Error
	if err != nil {
		return nil, fmt.Errorf("reading registrations of spoke %s: %w", spokeID,
			mapError(err, "operation_registrations", stmtWrite))
	}
	return regs, nil
}

func (r spokesRepo) Delete(ctx context.Context, id string) error {
	return deleteByID(ctx, r.rp.w, "spokes", id)
}

func (r spokesRepo) TouchHeartbeat(id string, at time.Time) {
	r.rp.s.touches.enqueue(touchSpoke, id, at)
}
