package hub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/alkdev/alkhub/hub/config"
)

// RunOptions are what cmd/hub passes to Run. Empty fields take the
// configuration's values.
type RunOptions struct {
	ConfigPath string
	DataDir    string
	Addr       string
	LogLevel   string
	Dev        bool
	// LogOutput receives the logs (standard error when nil).
	LogOutput io.Writer
}

// LoadConfig resolves and loads the configuration as Run does, applying the
// flag overrides of o.
func LoadConfig(o RunOptions) (*config.Config, error) {
	cfg, err := config.Load(config.Locate(o.ConfigPath), o.Dev)
	if err != nil {
		return nil, err
	}
	if o.DataDir != "" {
		cfg.DataDir = o.DataDir
		cfg.Storage.SQLitePath = ""
		cfg.Bootstrap.AdminKeyFile = ""
		if err := cfg.Finish(); err != nil {
			return nil, err
		}
	}
	if o.Addr != "" {
		if err := cfg.SetAddr(o.Addr); err != nil {
			return nil, err
		}
	}
	if o.LogLevel != "" {
		cfg.Logging.Level = o.LogLevel
		if err := cfg.Finish(); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// NewLogger builds the process logger of a configuration: text for a
// person at a terminal (zero-config and dev mode), JSON otherwise.
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.Logging.Level)))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Logging.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Run loads the configuration, then starts a hub on it: what cmd/hub does.
// It returns the running hub, or the failure of the first step.
func Run(ctx context.Context, o RunOptions, extra ...Option) (*Hub, error) {
	cfg, err := LoadConfig(o)
	if err != nil {
		return nil, fmt.Errorf("loading configuration: %w", err)
	}
	log := NewLogger(cfg, o.LogOutput)
	if cfg.ZeroConfig {
		log.Info("no configuration file found; starting in zero-config mode", "dataDir", cfg.DataDir)
	}
	h, err := New(cfg, append([]Option{WithLogger(log)}, extra...)...)
	if err != nil {
		return nil, err
	}
	for _, s := range []string{StepBootstrapLogger, StepResolveConfigPath, StepReadConfig, StepValidateConfig} {
		h.health.Begin(s)
		h.health.End(s, nil)
	}
	if err := h.Start(ctx); err != nil {
		_ = h.Shutdown(context.Background())
		return nil, err
	}
	return h, nil
}
