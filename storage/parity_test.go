package storage

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm/schema"
)

// enumChecks maps each closed-enum CHECK to the Go values it must list.
var enumChecks = map[string][]string{
	"ck_accounts_access_level":                 AccessLevel("").Values(),
	"ck_audit_logs_outcome":                    AuditOutcome("").Values(),
	"ck_workspaces_type":                       WorkspaceType("").Values(),
	"ck_sessions_status":                       SessionStatus("").Values(),
	"ck_spokes_spoke_type":                     SpokeType("").Values(),
	"ck_spokes_status":                         SpokeStatus("").Values(),
	"ck_spokes_visibility":                     Visibility("").Values(),
	"ck_operations_type":                       OperationType("").Values(),
	"ck_operations_source":                     OperationSource("").Values(),
	"ck_operation_registrations_provider_type": ProviderType("").Values(),
	"ck_operation_registrations_status":        RegistrationStatus("").Values(),
	"ck_call_graph_nodes_status":               CallStatus("").Values(),
	"ck_call_graph_edges_edge_type":            EdgeType("").Values(),
	"ck_hub_instances_status":                  InstanceStatus("").Values(),
}

// combinedChecks are CHECKs over several columns; only their names and
// quoted values are compared.
var combinedChecks = map[string]bool{"ck_operation_registrations_provider": true}

func migratedSchema(t *testing.T, d Dialect) dbSchema {
	t.Helper()
	s := openPoolsTest(t, testConfig(t, d))
	if _, err := s.Migrate(testContext(t)); err != nil {
		t.Fatalf("migrating %s: %v", d, err)
	}
	return introspect(t, s)
}

func TestSchemaParity(t *testing.T) {
	lite := migratedSchema(t, DialectSQLite)
	pg := migratedSchema(t, DialectPostgres)

	if got, want := tableNames(pg), tableNames(lite); !slices.Equal(got, want) {
		t.Fatalf("Postgres tables %v, SQLite tables %v", got, want)
	}
	for _, name := range tableNames(lite) {
		lt, pt := lite[name], pg[name]
		for col, lc := range lt.columns {
			pc, ok := pt.columns[col]
			if !ok {
				t.Errorf("%s.%s missing on Postgres", name, col)
				continue
			}
			if pc.typ != lc.typ || pc.notNull != lc.notNull || pc.dflt != lc.dflt {
				t.Errorf("%s.%s: Postgres %s notnull=%v default %q, SQLite %s notnull=%v default %q",
					name, col, pc.typ, pc.notNull, pc.dflt, lc.typ, lc.notNull, lc.dflt)
			}
		}
		if len(pt.columns) != len(lt.columns) {
			t.Errorf("%s: Postgres has %d columns, SQLite %d", name, len(pt.columns), len(lt.columns))
		}
		if !slices.Equal(pt.pk, lt.pk) {
			t.Errorf("%s primary key: Postgres %v, SQLite %v", name, pt.pk, lt.pk)
		}
		if fmt.Sprint(sortedIndexes(pt)) != fmt.Sprint(sortedIndexes(lt)) {
			t.Errorf("%s indexes:\n Postgres %v\n SQLite   %v", name, sortedIndexes(pt), sortedIndexes(lt))
		}
		if fmt.Sprint(pt.fks) != fmt.Sprint(lt.fks) {
			t.Errorf("%s foreign keys:\n Postgres %v\n SQLite   %v", name, pt.fks, lt.fks)
		}
		liteChecks := map[string][]string{}
		for cname, vals := range lt.checks {
			col := strings.TrimPrefix(cname, "ck_"+name+"_")
			if c, ok := lt.columns[col]; ok && c.typ == "BOOLEAN" {
				continue // SQLite's 0/1 check of a boolean has no Postgres counterpart
			}
			liteChecks[cname] = vals
		}
		if fmt.Sprint(pt.checks) != fmt.Sprint(liteChecks) {
			t.Errorf("%s checks:\n Postgres %v\n SQLite   %v", name, pt.checks, liteChecks)
		}
	}

	for name, tb := range pg {
		for col, c := range tb.columns {
			_, isFK := tb.fks[col]
			if (col == "id" || isFK) && name != "schema_migrations" && !c.collateC {
				t.Errorf("Postgres %s.%s is an id without COLLATE \"C\"", name, col)
			}
		}
	}
}

func TestSchemaRules(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d Dialect) {
		sc := migratedSchema(t, d)
		for name, tb := range sc {
			for col, fk := range tb.fks {
				if fk.onDelete == "SET NULL" && tb.columns[col].notNull {
					t.Errorf("%s.%s is NOT NULL with ON DELETE SET NULL", name, col)
				}
				if !leadsAnIndex(tb, col) {
					t.Errorf("foreign key %s.%s leads no index", name, col)
				}
			}
			for cname, vals := range tb.checks {
				col := strings.TrimPrefix(cname, "ck_"+name+"_")
				if c, ok := tb.columns[col]; ok && c.typ == "BOOLEAN" || combinedChecks[cname] {
					continue
				}
				want, ok := enumChecks[cname]
				if !ok {
					t.Errorf("check %s has no enum type", cname)
					continue
				}
				if !slices.Equal(vals, want) {
					t.Errorf("check %s lists %v, the Go enum %v", cname, vals, want)
				}
			}
			for iname := range tb.indexes {
				if len(iname) > 63 {
					t.Errorf("index name %s is longer than 63 characters", iname)
				}
			}
		}
		active := sc["spokes"].indexes["idx_spokes_active"]
		if active.predicate != "status='connected'" {
			t.Errorf("idx_spokes_active predicate = %q, want status='connected'", active.predicate)
		}
		open := sc["call_graph_nodes"].indexes["idx_call_graph_nodes_open"]
		if open.predicate != "statusin'pending','running'" {
			t.Errorf("idx_call_graph_nodes_open predicate = %q", open.predicate)
		}
	})
}

func TestModelsMatchTables(t *testing.T) {
	sc := migratedSchema(t, DialectSQLite)
	models := []any{&Account{}, &APIKey{}, &AuditLog{}, &Project{}, &Spoke{}, &Operation{},
		&Registration{}, &CallNode{}, &CallEdge{}, &HubInstance{}}
	cache := &sync.Map{}
	for _, m := range models {
		ms, err := schema.Parse(m, cache, schema.NamingStrategy{})
		if err != nil {
			t.Fatalf("parsing %T: %v", m, err)
		}
		tb, ok := sc[ms.Table]
		if !ok {
			t.Errorf("%T maps to missing table %s", m, ms.Table)
			continue
		}
		fields := map[string]bool{}
		for _, f := range ms.Fields {
			if f.DBName == "" {
				continue
			}
			fields[f.DBName] = true
			if _, ok := tb.columns[f.DBName]; !ok {
				t.Errorf("%T field %s has no column in %s", m, f.Name, ms.Table)
			}
			col := tb.columns[f.DBName]
			nullable := f.FieldType.Kind().String() == "ptr"
			if col.notNull == nullable {
				t.Errorf("%s.%s: column notnull=%v, Go field %s nullable=%v", ms.Table, f.DBName, col.notNull,
					f.FieldType, nullable)
			}
		}
		for col := range tb.columns {
			if !fields[col] {
				t.Errorf("column %s.%s has no field in %T", ms.Table, col, m)
			}
		}
	}
}

func tableNames(sc dbSchema) []string {
	var out []string
	for n := range sc {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func sortedIndexes(tb *dbTable) []string {
	var out []string
	for n, ix := range tb.indexes {
		out = append(out, fmt.Sprintf("%s%v unique=%v where=%q", n, ix.columns, ix.unique, ix.predicate))
	}
	sort.Strings(out)
	return out
}

func leadsAnIndex(tb *dbTable, col string) bool {
	if len(tb.pk) > 0 && tb.pk[0] == col {
		return true
	}
	for _, ix := range tb.indexes {
		if ix.columns[0] == col {
			return true
		}
	}
	return false
}
