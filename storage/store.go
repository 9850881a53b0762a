package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Dialect names the database behind a store.
type Dialect string

// Dialects a store can run on.
const (
	DialectSQLite   Dialect = "sqlite"
	DialectPostgres Dialect = "postgres"
)

// Store is an open database with its repositories, write-behind queues and
// hub-instance bookkeeping. It implements Repos outside any transaction.
// Writes go to the writer pool and reads to the reader pool, which are
// separate pools on SQLite and one pool on Postgres. Close releases it.
type Store struct {
	cfg     Config
	opts    Options
	log     *slog.Logger
	dialect Dialect

	writerSQL *sql.DB
	readerSQL *sql.DB
	writer    *gorm.DB // prepared statements; every write outside queues
	reader    *gorm.DB // prepared statements; reads outside transactions
	bulk      *gorm.DB // writer without statement cache, for batch flushes
	dirLock   *dirLock // SQLite only

	root *repos

	instMu     sync.Mutex
	instanceID string

	callGraph *callGraphQueue
	touches   *touchQueue

	stopBackground context.CancelFunc
	background     sync.WaitGroup
	closeOnce      sync.Once
	closeErr       error
}

// Open connects to the database of cfg, takes the SQLite data-directory
// lock, migrates (unless cfg.SkipMigrateOnStart), registers this process in
// hub_instances, resets the rows of dead instances and starts the
// heartbeat, the reaper (Postgres) and the write-behind flushers. It returns
// only when all of that is done. Errors never contain the DSN or password.
func Open(ctx context.Context, cfg Config, o Options) (*Store, error) {
	s, err := openPools(ctx, cfg, o)
	if err != nil {
		return nil, err
	}
	if !s.cfg.SkipMigrateOnStart {
		if _, err := s.Migrate(ctx); err != nil {
			s.closePools()
			return nil, err
		}
	}
	if err := s.startInstance(ctx); err != nil {
		s.closePools()
		return nil, err
	}
	s.startBackground()
	return s, nil
}

// openPools connects to the database and prepares the GORM sessions,
// without migrating or registering an instance.
func openPools(ctx context.Context, cfg Config, o Options) (*Store, error) {
	cfg = cfg.withDefaults()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	s := &Store{cfg: cfg, opts: o, log: o.Logger}

	var err error
	switch cfg.Driver {
	case DriverSQLite:
		s.dialect = DialectSQLite
		err = s.openSQLite(ctx)
	case DriverPostgres:
		s.dialect = DialectPostgres
		err = s.openPostgres(ctx)
	default:
		return nil, fmt.Errorf("%w: unknown storage driver %q (want %q or %q)",
			ErrInvalid, cfg.Driver, DriverSQLite, DriverPostgres)
	}
	if err == nil {
		err = s.openGorm()
	}
	if err != nil {
		s.closePools()
		return nil, err
	}
	s.root = &repos{s: s, w: s.writer, r: s.reader}
	return s, nil
}

// openGorm wraps the SQL pools in GORM sessions configured for the store.
func (s *Store) openGorm() error {
	conf := func(prepare bool) *gorm.Config {
		return &gorm.Config{
			SkipDefaultTransaction: true,
			PrepareStmt:            prepare,
			TranslateError:         false,
			NowFunc:                s.now,
			Logger:                 gormLogger{log: s.log},
		}
	}
	var err error
	if s.writer, err = gorm.Open(s.gormDialector(s.writerSQL), conf(true)); err != nil {
		return fmt.Errorf("opening GORM on the writer pool: %w", err)
	}
	if s.bulk, err = gorm.Open(s.gormDialector(s.writerSQL), conf(false)); err != nil {
		return fmt.Errorf("opening GORM for batch writes: %w", err)
	}
	s.reader = s.writer
	if s.readerSQL != s.writerSQL {
		if s.reader, err = gorm.Open(s.gormDialector(s.readerSQL), conf(true)); err != nil {
			return fmt.Errorf("opening GORM on the reader pool: %w", err)
		}
	}
	for _, db := range []*gorm.DB{s.writer, s.bulk, s.reader} {
		err := db.Callback().Query().After("gorm:after_query").
			Register("storage:utc_times", func(tx *gorm.DB) {
				if tx.Error == nil && tx.Statement.ReflectValue.IsValid() {
					utcTimes(tx.Statement.ReflectValue)
				}
			})
		if err != nil {
			return fmt.Errorf("registering the UTC callback: %w", err)
		}
	}
	return nil
}

// now is the store clock: UTC, millisecond precision.
func (s *Store) now() time.Time { return Norm(s.opts.Now()) }

// Dialect reports the database behind the store.
func (s *Store) Dialect() Dialect { return s.dialect }

// InstanceID returns the id of this process's hub_instances row. It
// changes when the instance is fenced (see Options.OnFenced).
func (s *Store) InstanceID() string {
	s.instMu.Lock()
	defer s.instMu.Unlock()
	return s.instanceID
}

// Ping checks that the database responds, for health checks.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writerSQL.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: pinging the database: %v", ErrUnavailable, err)
	}
	return nil
}

// Close flushes the write-behind queues until ctx ends (what is left is
// counted as dropped and logged), stops the background goroutines, marks
// this instance stopped with its open rows reset, and closes the pools and
// the SQLite lock. Calling Close again returns the first result.
func (s *Store) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.closeErr = s.close(ctx)
	})
	return s.closeErr
}

// closeResetTimeout bounds the reset of the own instance in Close.
const closeResetTimeout = 10 * time.Second

func (s *Store) close(ctx context.Context) error {
	var errs []error
	if err := s.closeQueues(ctx); err != nil {
		errs = append(errs, err)
	}
	if s.stopBackground != nil {
		s.stopBackground()
	}
	s.background.Wait()

	// The reset runs even when ctx ended during the flush.
	resetCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeResetTimeout)
	defer cancel()
	if err := s.resetInstance(resetCtx, s.InstanceID(), resetShutdown); err != nil {
		errs = append(errs, fmt.Errorf("resetting this instance at close: %w", err))
	}
	if err := s.closePools(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// closePools closes the SQL pools and releases the SQLite lock.
func (s *Store) closePools() error {
	var errs []error
	if s.readerSQL != nil && s.readerSQL != s.writerSQL {
		errs = append(errs, s.readerSQL.Close())
	}
	if s.writerSQL != nil {
		errs = append(errs, s.writerSQL.Close())
	}
	if s.dirLock != nil {
		errs = append(errs, s.dirLock.release())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("closing the database: %w", err)
	}
	return nil
}

// InTx runs fn in one transaction and commits when fn returns nil. Inside
// fn use only r: on SQLite the transaction holds the single writer
// connection, so writing through the Store would wait for it forever. An
// error or a panic in fn rolls back (a panic is re-raised). Transient
// conflicts (deadlock, serialization failure, SQLite BUSY) rerun fn up to 3
// times, so fn must do database work only and publish nothing. InTx called
// on the r of an enclosing InTx runs fn in a savepoint.
func (s *Store) InTx(ctx context.Context, fn func(r Repos) error) error {
	return s.root.InTx(ctx, fn)
}

const (
	txAttempts  = 4 // the first run plus 3 retries
	txJitterMin = 10 * time.Millisecond
	txJitterMax = 100 * time.Millisecond
)

// runTx runs fn in a transaction of db, retrying transient conflicts when
// db is not already inside a transaction.
func (s *Store) runTx(ctx context.Context, db *gorm.DB, nested bool, fn func(tx *gorm.DB) error) error {
	if nested {
		return db.WithContext(ctx).Transaction(fn)
	}
	var err error
	for attempt := range txAttempts {
		if attempt > 0 {
			wait := txJitterMin + rand.N(txJitterMax-txJitterMin)
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(wait):
			}
		}
		err = db.WithContext(ctx).Transaction(fn)
		if err == nil || !isTransient(err) {
			return err
		}
		s.log.Debug("retrying transaction after a transient error", "attempt", attempt+1, "err", err)
	}
	return &Error{Kind: ErrUnavailable, Err: err}
}
