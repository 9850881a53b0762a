package storage

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// getByID reads the row of table with the given id into a T.
func getByID[T any](ctx context.Context, db *gorm.DB, table, id string) (T, error) {
	var row T
	err := db.WithContext(ctx).Table(table).Where("id = ?", id).Take(&row).Error
	if err != nil {
		var zero T
		return zero, fmt.Errorf("reading %s %s: %w", table, id, mapError(err, table, stmtWrite))
	}
	return row, nil
}

// deleteByID deletes the row of table with the given id; a missing row is
// ErrNotFound and a RESTRICT reference ErrReferenced.
func deleteByID(ctx context.Context, db *gorm.DB, table, id string) error {
	res := db.WithContext(ctx).Exec("DELETE FROM "+table+" WHERE id = ?", id)
	if res.Error != nil {
		return fmt.Errorf("deleting %s %s: %w", table, id, mapError(res.Error, table, stmtDelete))
	}
	if res.RowsAffected == 0 {
		return notFound(table, id)
	}
	return nil
}
