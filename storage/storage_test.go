package storage_test

import (
	"testing"

	"github.com/alkdev/alkhub/storage"
	"github.com/alkdev/alkhub/storage/storagetest"
)

func TestSQLite(t *testing.T) {
	storagetest.Run(t, storage.DialectSQLite)
}

func TestPostgres(t *testing.T) {
	storagetest.Run(t, storage.DialectPostgres)
}
