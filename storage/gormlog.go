package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// slowQuery is the duration above which a statement is logged at Warn.
const slowQuery = 200 * time.Millisecond

// gormLogger routes GORM's messages to slog. It renders a statement's SQL
// only when it logs it, and never with its parameter values, which may
// hold key hashes or payloads. Failed statements are logged at Debug,
// because the repositories return those errors to their callers.
type gormLogger struct {
	log *slog.Logger
}

func (l gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (l gormLogger) Info(ctx context.Context, msg string, data ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(msg, data...))
}

func (l gormLogger) Warn(ctx context.Context, msg string, data ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(msg, data...))
}

func (l gormLogger) Error(ctx context.Context, msg string, data ...any) {
	l.log.ErrorContext(ctx, fmt.Sprintf(msg, data...))
}

func (l gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case elapsed > slowQuery:
		sql, rows := fc()
		l.log.WarnContext(ctx, "slow SQL statement", "duration", elapsed, "rows", rows, "sql", sql, "err", err)
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && l.log.Enabled(ctx, slog.LevelDebug):
		sql, _ := fc()
		l.log.DebugContext(ctx, "SQL statement failed", "duration", elapsed, "sql", sql, "err", err)
	}
}

// ParamsFilter drops the parameter values from logged statements.
func (l gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
