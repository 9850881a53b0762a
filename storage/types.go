package storage

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// Common holds the columns every table except schema_migrations starts
// with. A row inserted with a zero ID gets a UUIDv7, and zero timestamps are
// set to the store clock.
type Common struct {
	// ID is the primary key: a lowercase UUIDv7 unless the table uses a
	// natural key (operations, call_graph_nodes).
	ID string `gorm:"primaryKey" json:"id"`
	// Metadata is a free-form object for callers; nil is stored as {}.
	Metadata JSON[map[string]any] `gorm:"not null;default:'{}'" json:"metadata"`
	// CreatedAt is the insert time, UTC, millisecond precision; it never changes.
	CreatedAt time.Time `gorm:"not null" json:"createdAt"`
	// UpdatedAt is the time of the last write, UTC, millisecond precision.
	UpdatedAt time.Time `gorm:"not null" json:"updatedAt"`
}

// fill sets the zero id and timestamps of a row about to be inserted.
func (c *Common) fill(now time.Time) error {
	if c.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("generating row id: %w", err)
		}
		c.ID = id.String()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	c.CreatedAt = Norm(c.CreatedAt)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.UpdatedAt = Norm(c.UpdatedAt)
	if c.Metadata.V == nil {
		c.Metadata.V = map[string]any{}
	}
	return nil
}

// BeforeCreate fills the id, the timestamps and the metadata of a row that
// GORM is about to insert.
func (c *Common) BeforeCreate(tx *gorm.DB) error {
	return c.fill(Norm(tx.NowFunc()))
}

// Versioned adds the row version of tables whose updates can be guarded
// with an expected version.
type Versioned struct {
	// RowVersion starts at 1 and is incremented by every update.
	RowVersion int64 `gorm:"not null;default:1" json:"rowVersion"`
}

// Norm returns t in UTC, truncated to milliseconds: the form every stored
// time has, so values read back equal on both dialects.
func Norm(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}

// normPtr applies Norm to a nullable time.
func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := Norm(*t)
	return &n
}

var timeType = reflect.TypeFor[time.Time]()

// utcTimes converts every time.Time and *time.Time field of the struct v
// points to, and of the structs it contains, to UTC.
func utcTimes(v reflect.Value) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			utcTimes(v.Index(i).Addr())
		}
		return
	case reflect.Struct:
	default:
		return
	}
	if v.Type() == timeType {
		if v.CanSet() {
			v.Set(reflect.ValueOf(v.Interface().(time.Time).UTC()))
		}
		return
	}
	for i := range v.NumField() {
		f := v.Field(i)
		sf := v.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		switch {
		case f.Type() == timeType:
			f.Set(reflect.ValueOf(f.Interface().(time.Time).UTC()))
		case f.Kind() == reflect.Pointer && f.Type().Elem() == timeType:
			if !f.IsNil() {
				u := f.Elem().Interface().(time.Time).UTC()
				f.Set(reflect.ValueOf(&u))
			}
		case f.Kind() == reflect.Struct:
			utcTimes(f.Addr())
		}
	}
}

// JSON stores V as JSON: jsonb on Postgres, TEXT on SQLite. NOT NULL
// columns use JSON[T] and nullable ones *JSON[T].
type JSON[T any] struct{ V T }

// RawJSON is the type of untyped JSON columns: schemas, call inputs and
// outputs. An empty RawJSON is not a JSON document and fails to store.
type RawJSON = JSON[json.RawMessage]

// NewJSON wraps v for a JSON column.
func NewJSON[T any](v T) JSON[T] { return JSON[T]{V: v} }

// NewJSONPtr wraps v for a nullable JSON column.
func NewJSONPtr[T any](v T) *JSON[T] { return &JSON[T]{V: v} }

// Value encodes V as a JSON string. It fails with ErrInvalid when V
// encodes to nothing (an empty RawJSON) or to a document containing the
// escape \u0000. Postgres jsonb rejects that escape, so rejecting it on
// both dialects keeps them accepting the same data.
func (j JSON[T]) Value() (driver.Value, error) {
	b, err := json.Marshal(j.V)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding JSON column: %v", ErrInvalid, err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty JSON document", ErrInvalid)
	}
	if bytes.Contains(b, []byte(`\u0000`)) {
		return nil, fmt.Errorf("%w: JSON document contains \\u0000", ErrInvalid)
	}
	return string(b), nil
}

// Scan decodes a JSON column read as text or bytes.
func (j *JSON[T]) Scan(src any) error {
	var b []byte
	switch s := src.(type) {
	case nil:
		var zero T
		j.V = zero
		return nil
	case []byte:
		b = bytes.Clone(s)
	case string:
		b = []byte(s)
	default:
		return fmt.Errorf("scanning JSON column: unsupported source type %T", src)
	}
	if err := json.Unmarshal(b, &j.V); err != nil {
		return fmt.Errorf("scanning JSON column: %w", err)
	}
	return nil
}

// GormDataType returns the portable type name of JSON columns.
func (JSON[T]) GormDataType() string { return "json" }

// GormDBDataType returns jsonb on Postgres and TEXT on SQLite.
func (JSON[T]) GormDBDataType(db *gorm.DB, _ *schema.Field) string {
	if db.Dialector.Name() == "postgres" {
		return "jsonb"
	}
	return "TEXT"
}

// MarshalJSON encodes V itself, not a wrapper object.
func (j JSON[T]) MarshalJSON() ([]byte, error) { return json.Marshal(j.V) }

// UnmarshalJSON decodes into V.
func (j *JSON[T]) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &j.V) }

// JSONSchemaAlias makes schema reflection describe T instead of the wrapper.
func (JSON[T]) JSONSchemaAlias() any {
	var zero T
	return zero
}
