package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
)

const (
	// configFileName is the project config file looked up from the working
	// directory towards the filesystem root.
	configFileName = ".taskgraph.toml"
	// defaultTasksDir is the tasks directory when neither --path nor a config
	// names one, and the default of tasks_dir inside a config.
	defaultTasksDir = "tasks"
)

// resolveTasksDir returns the tasks directory when --path is not given. It
// is tasks_dir of table [project] in the nearest config file at or above wd,
// resolved against the directory that contains the config. Without a config
// it is "tasks", relative to the working directory.
func resolveTasksDir(wd string) (string, error) {
	configPath, err := findConfig(wd)
	if err != nil {
		return "", err
	}
	if configPath == "" {
		return defaultTasksDir, nil
	}
	tasksDir, err := readTasksDir(configPath)
	if err != nil {
		return "", err
	}
	if filepath.IsAbs(tasksDir) {
		return tasksDir, nil
	}
	return filepath.Join(filepath.Dir(configPath), tasksDir), nil
}

// findConfig returns the path of the nearest regular file named
// .taskgraph.toml in wd or one of its parents, or "" when there is none.
func findConfig(wd string) (string, error) {
	dir, err := filepath.Abs(wd)
	if err != nil {
		return "", fmt.Errorf("resolving working directory %s: %w", wd, err)
	}
	for {
		candidate := filepath.Join(dir, configFileName)
		info, err := os.Stat(candidate)
		switch {
		case err == nil && info.Mode().IsRegular():
			return candidate, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("looking for %s: %w", configFileName, err)
		}

		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// readTasksDir reads the config file at path and returns its
// project.tasks_dir, or "tasks" when the key is absent. Other keys are
// ignored, but the whole file must be valid TOML.
func readTasksDir(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading config: %w", err)
	}
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return "", fmt.Errorf("Config parse error: %s: %w", path, err)
	}

	project, ok := doc["project"]
	if !ok {
		return defaultTasksDir, nil
	}
	table, isTable := project.(map[string]any)
	if !isTable {
		return "", fmt.Errorf("Config parse error: %s: project must be a table", path)
	}
	value, ok := table["tasks_dir"]
	if !ok {
		return defaultTasksDir, nil
	}
	tasksDir, isString := value.(string)
	if !isString || tasksDir == "" {
		return "", fmt.Errorf("Config parse error: %s: project.tasks_dir must be a non-empty string",
			path)
	}
	return tasksDir, nil
}
