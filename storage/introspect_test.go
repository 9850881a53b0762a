package storage

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dbSchema is a schema read back from a database, normalised so the two
// dialects compare equal when they are equivalent.
type dbSchema map[string]*dbTable

type dbTable struct {
	columns map[string]dbColumn
	pk      []string
	indexes map[string]dbIndex
	fks     map[string]dbForeignKey // by column
	checks  map[string][]string     // CHECK name → quoted values it lists
}

type dbColumn struct {
	typ      string // SQLite declared type; Postgres types are mapped to it
	notNull  bool
	dflt     string // normalised default expression, "" for none
	collateC bool   // Postgres only
}

type dbIndex struct {
	columns   []string
	unique    bool
	predicate string // normalised WHERE clause of a partial index
}

type dbForeignKey struct {
	refTable, refColumn, onDelete string
}

var (
	quotedValue  = regexp.MustCompile(`'([^']*)'`)
	checkClause  = regexp.MustCompile(`CONSTRAINT (\w+)\s+CHECK\s*\(`)
	typeCast     = regexp.MustCompile(`::[a-z ]+(\[\])?`)
	indexWhere   = regexp.MustCompile(`(?is)\sWHERE\s(.+)$`)
	pgTypeMapper = map[string]string{
		"text": "TEXT", "jsonb": "TEXT", "timestamp with time zone": "DATETIME",
		"bigint": "INTEGER", "integer": "INTEGER", "boolean": "BOOLEAN",
	}
)

// normDefault strips casts and case so 'x'::text and 'x' compare equal.
func normDefault(s string) string {
	s = strings.TrimSpace(typeCast.ReplaceAllString(s, ""))
	switch strings.ToLower(s) {
	case "true", "false":
		return strings.ToLower(s)
	}
	return s
}

// normPredicate reduces a partial-index predicate to a comparable form:
// Postgres writes status IN (…) as status = ANY (ARRAY[…]).
func normPredicate(s string) string {
	s = strings.ToLower(typeCast.ReplaceAllString(s, ""))
	s = strings.ReplaceAll(s, "= any (array[", " in (")
	s = strings.NewReplacer("]", "", "(", "", ")", "", " ", "").Replace(s)
	return s
}

func introspect(t *testing.T, s *Store) dbSchema {
	t.Helper()
	ctx := testContext(t)
	var sc dbSchema
	var err error
	if s.dialect == DialectPostgres {
		sc, err = introspectPostgres(ctx, s)
	} else {
		sc, err = introspectSQLite(ctx, s)
	}
	if err != nil {
		t.Fatalf("introspecting %s: %v", s.dialect, err)
	}
	return sc
}

func introspectSQLite(ctx context.Context, s *Store) (dbSchema, error) {
	db := s.writerSQL
	out := dbSchema{}
	rows, err := db.QueryContext(ctx, "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
	if err != nil {
		return nil, err
	}
	ddl := map[string]string{}
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			return nil, err
		}
		ddl[name] = sql
	}
	rows.Close()

	for name, sql := range ddl {
		tb := &dbTable{columns: map[string]dbColumn{}, indexes: map[string]dbIndex{},
			fks: map[string]dbForeignKey{}, checks: map[string][]string{}}
		out[name] = tb
		cols, err := db.QueryContext(ctx, fmt.Sprintf("PRAGMA table_info(%q)", name))
		if err != nil {
			return nil, err
		}
		type pkCol struct {
			name string
			pos  int
		}
		var pks []pkCol
		for cols.Next() {
			var cid, notNull, pk int
			var col, typ string
			var dflt *string
			if err := cols.Scan(&cid, &col, &typ, &notNull, &dflt, &pk); err != nil {
				return nil, err
			}
			c := dbColumn{typ: typ, notNull: notNull == 1}
			if dflt != nil {
				c.dflt = normDefault(*dflt)
			}
			tb.columns[col] = c
			if pk > 0 {
				pks = append(pks, pkCol{col, pk})
			}
		}
		cols.Close()
		slices.SortFunc(pks, func(a, b pkCol) int { return a.pos - b.pos })
		for _, p := range pks {
			tb.pk = append(tb.pk, p.name)
		}

		idx, err := db.QueryContext(ctx, fmt.Sprintf("PRAGMA index_list(%q)", name))
		if err != nil {
			return nil, err
		}
		type idxRow struct {
			name    string
			unique  bool
			origin  string
			partial bool
		}
		var idxRows []idxRow
		for idx.Next() {
			var seq, unique, partial int
			var iname, origin string
			if err := idx.Scan(&seq, &iname, &unique, &origin, &partial); err != nil {
				return nil, err
			}
			idxRows = append(idxRows, idxRow{iname, unique == 1, origin, partial == 1})
		}
		idx.Close()
		for _, ir := range idxRows {
			if ir.origin == "pk" {
				continue
			}
			info, err := db.QueryContext(ctx, fmt.Sprintf("PRAGMA index_info(%q)", ir.name))
			if err != nil {
				return nil, err
			}
			var ix dbIndex
			for info.Next() {
				var seqno, cid int
				var col string
				if err := info.Scan(&seqno, &cid, &col); err != nil {
					return nil, err
				}
				ix.columns = append(ix.columns, col)
			}
			info.Close()
			ix.unique = ir.unique
			if ir.partial {
				var isql string
				if err := db.QueryRowContext(ctx, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
					ir.name).Scan(&isql); err != nil {
					return nil, err
				}
				if m := indexWhere.FindStringSubmatch(isql); m != nil {
					ix.predicate = normPredicate(m[1])
				}
			}
			tb.indexes[ir.name] = ix
		}

		fks, err := db.QueryContext(ctx, fmt.Sprintf("PRAGMA foreign_key_list(%q)", name))
		if err != nil {
			return nil, err
		}
		for fks.Next() {
			var id, seq int
			var ref, from, to, onUpdate, onDelete, match string
			if err := fks.Scan(&id, &seq, &ref, &from, &to, &onUpdate, &onDelete, &match); err != nil {
				return nil, err
			}
			tb.fks[from] = dbForeignKey{refTable: ref, refColumn: to, onDelete: onDelete}
		}
		fks.Close()

		for _, m := range checkClause.FindAllStringSubmatchIndex(sql, -1) {
			cname := sql[m[2]:m[3]]
			body := balancedParens(sql[m[1]-1:])
			var vals []string
			for _, q := range quotedValue.FindAllStringSubmatch(body, -1) {
				vals = append(vals, q[1])
			}
			tb.checks[cname] = vals
		}
	}
	return out, nil
}

// balancedParens returns s up to the parenthesis closing its first one.
func balancedParens(s string) string {
	depth := 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return s[:i+1]
			}
		}
	}
	return s
}

func introspectPostgres(ctx context.Context, s *Store) (dbSchema, error) {
	db := s.writerSQL
	out := dbSchema{}
	table := func(name string) *dbTable {
		if out[name] == nil {
			out[name] = &dbTable{columns: map[string]dbColumn{}, indexes: map[string]dbIndex{},
				fks: map[string]dbForeignKey{}, checks: map[string][]string{}}
		}
		return out[name]
	}

	cols, err := db.QueryContext(ctx, `SELECT table_name, column_name, data_type, is_nullable,
  coalesce(column_default, ''), coalesce(collation_name, '')
FROM information_schema.columns WHERE table_schema = current_schema()`)
	if err != nil {
		return nil, err
	}
	for cols.Next() {
		var tname, col, typ, nullable, dflt, coll string
		if err := cols.Scan(&tname, &col, &typ, &nullable, &dflt, &coll); err != nil {
			return nil, err
		}
		mapped, ok := pgTypeMapper[typ]
		if !ok {
			mapped = "unmapped " + typ
		}
		table(tname).columns[col] = dbColumn{typ: mapped, notNull: nullable == "NO", dflt: normDefault(dflt),
			collateC: coll == "C"}
	}
	cols.Close()

	idx, err := db.QueryContext(ctx, `SELECT t.relname, i.relname, ix.indisunique, ix.indisprimary,
  coalesce(pg_get_expr(ix.indpred, ix.indrelid), ''),
  array_to_string(ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum ORDER BY k.ord), ',')
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema()`)
	if err != nil {
		return nil, err
	}
	for idx.Next() {
		var tname, iname, pred, colList string
		var unique, primary bool
		if err := idx.Scan(&tname, &iname, &unique, &primary, &pred, &colList); err != nil {
			return nil, err
		}
		if primary {
			table(tname).pk = strings.Split(colList, ",")
			continue
		}
		table(tname).indexes[iname] = dbIndex{columns: strings.Split(colList, ","), unique: unique,
			predicate: normPredicate(pred)}
	}
	idx.Close()

	cons, err := db.QueryContext(ctx, `SELECT c.conname, c.contype, t.relname, coalesce(r.relname, ''),
  c.confdeltype, pg_get_constraintdef(c.oid),
  coalesce((SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = c.conkey[1]), ''),
  coalesce((SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.confrelid AND a.attnum = c.confkey[1]), '')
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
LEFT JOIN pg_class r ON r.oid = c.confrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND c.contype IN ('c', 'f')`)
	if err != nil {
		return nil, err
	}
	actions := map[string]string{"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "a": "NO ACTION", "d": "SET DEFAULT"}
	for cons.Next() {
		var name, typ, tname, ref, del, def, col, refCol string
		if err := cons.Scan(&name, &typ, &tname, &ref, &del, &def, &col, &refCol); err != nil {
			return nil, err
		}
		if typ == "f" {
			table(tname).fks[col] = dbForeignKey{refTable: ref, refColumn: refCol, onDelete: actions[del]}
			continue
		}
		var vals []string
		for _, q := range quotedValue.FindAllStringSubmatch(def, -1) {
			vals = append(vals, q[1])
		}
		table(tname).checks[name] = vals
	}
	cons.Close()
	return out, nil
}
