package taskgraph

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// TaskFile is a task loaded from a file: its path, its record and the
// Markdown body after the frontmatter.
type TaskFile struct {
	Path string    `json:"path"`
	Task TaskInput `json:"task"`
	Body string    `json:"body"`
}

// FileError is a task file that could not be loaded, with the reason.
type FileError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// TaskSet is the result of loading a task directory: the tasks in walk
// order and the files that failed. Neither list is nil.
type TaskSet struct {
	Tasks  []TaskFile  `json:"tasks"`
	Errors []FileError `json:"errors"`
}

// Inputs returns the task records of s in load order.
func (s *TaskSet) Inputs() []TaskInput {
	tasks := make([]TaskInput, len(s.Tasks))
	for i, f := range s.Tasks {
		tasks[i] = f.Task
	}
	return tasks
}

// MissingDependency lists the dependency ids of a task that are not tasks.
type MissingDependency struct {
	TaskID  string   `json:"taskId"`
	Missing []string `json:"missing"`
}

// ParseTaskFile reads and parses one task file (see ParseFrontmatter). A
// read failure is returned wrapped, so errors.Is(err, fs.ErrNotExist) holds
// for a missing file. A frontmatter problem is an *InvalidInputError,
// wrapped with the path of the file.
func ParseTaskFile(path string, opts ...ParseOption) (TaskInput, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return TaskInput{}, fmt.Errorf("reading task file: %w", err)
	}
	task, err := ParseFrontmatter(string(data), opts...)
	if err != nil {
		return TaskInput{}, fmt.Errorf("parsing task file %s: %w", path, err)
	}
	return task, nil
}

// taskTree abstracts the file system walked by the directory functions.
type taskTree struct {
	root string
	walk func(fn fs.WalkDirFunc) error
	read func(path string) ([]byte, error)
}

func osTree(dir string) taskTree {
	return taskTree{
		root: dir,
		walk: func(fn fs.WalkDirFunc) error { return filepath.WalkDir(dir, fn) },
		read: os.ReadFile,
	}
}

func fsTree(fsys fs.FS, root string) taskTree {
	return taskTree{
		root: root,
		walk: func(fn fs.WalkDirFunc) error { return fs.WalkDir(fsys, root, fn) },
		read: func(path string) ([]byte, error) { return fs.ReadFile(fsys, path) },
	}
}

// visitFunc handles one task file; err is a failure to read it or, when
// the file is a directory below the root, to list it.
type visitFunc func(path string, data []byte, err error) error

// visit walks the tree in lexical order, depth first, and calls fn for every
// regular file whose extension is ".md" in any letter case. Symbolic links
// and other files are ignored. A failure on the root is returned as is.
func (t taskTree) visit(fn visitFunc) error {
	return t.walk(func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == t.root {
				return err
			}
			return fn(path, nil, err)
		}
		if !d.Type().IsRegular() || !strings.EqualFold(filepath.Ext(d.Name()), ".md") {
			return nil
		}
		data, err := t.read(path)
		return fn(path, data, err)
	})
}

// parseTree implements ParseTaskDirectory and ParseTaskFS.
func parseTree(t taskTree, opts []ParseOption) ([]TaskInput, error) {
	cfg := parseOptions(opts)
	tasks := []TaskInput{}
	err := t.visit(func(path string, data []byte, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		frontmatter, _, ok := SplitFrontmatter(string(data))
		if !ok {
			return nil
		}
		task, err := parseFrontmatterData(frontmatter, cfg)
		if err != nil {
			return nil
		}
		tasks = append(tasks, task)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walking task directory: %w", err)
	}
	return tasks, nil
}

// ParseTaskDirectory parses every task file below dir, recursively in
// lexical walk order: regular files whose extension is ".md" in any letter
// case. Files that fail to parse are skipped silently; use
// LoadTaskDirectory to learn about them. I/O errors, such as a missing dir
// (errors.Is(err, fs.ErrNotExist)) or an unreadable file, are returned. The
// result is never nil.
func ParseTaskDirectory(dir string, opts ...ParseOption) ([]TaskInput, error) {
	return parseTree(osTree(dir), opts)
}

// ParseTaskFS is ParseTaskDirectory over the directory root of fsys.
func ParseTaskFS(fsys fs.FS, root string, opts ...ParseOption) ([]TaskInput, error) {
	return parseTree(fsTree(fsys, root), opts)
}

// loadTree implements LoadTaskDirectory and LoadTaskFS.
func loadTree(t taskTree, opts []ParseOption) (*TaskSet, error) {
	cfg := parseOptions(opts)
	set := &TaskSet{Tasks: []TaskFile{}, Errors: []FileError{}}
	seen := make(map[string]bool)
	err := t.visit(func(path string, data []byte, err error) error {
		if err != nil {
			set.Errors = append(set.Errors, FileError{Path: path, Message: err.Error()})
			return nil
		}
		frontmatter, body, ok := SplitFrontmatter(string(data))
		if !ok {
			return nil
		}
		task, err := parseFrontmatterData(frontmatter, cfg)
		if err != nil {
			set.Errors = append(set.Errors, FileError{Path: path, Message: err.Error()})
			return nil
		}
		if seen[task.ID] {
			set.Errors = append(set.Errors, FileError{
				Path: path, Message: "Duplicate task ID: " + task.ID,
			})
			return nil
		}
		seen[task.ID] = true
		set.Tasks = append(set.Tasks, TaskFile{Path: path, Task: task, Body: body})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walking task directory: %w", err)
	}
	return set, nil
}

// LoadTaskDirectory walks dir like ParseTaskDirectory but reports what went
// wrong instead of skipping it. A .md file without frontmatter is skipped
// without an error (README files are common). A file that fails to parse,
// cannot be read, or repeats an id that was already loaded
// ("Duplicate task ID: <id>") becomes a FileError. For a parse failure the
// message is the *InvalidInputError text, which names the field. Only
// errors on dir itself are returned, such as a missing directory
// (errors.Is(err, fs.ErrNotExist)). Paths are dir joined with the path of
// the file below it.
func LoadTaskDirectory(dir string, opts ...ParseOption) (*TaskSet, error) {
	return loadTree(osTree(dir), opts)
}

// LoadTaskFS is LoadTaskDirectory over the directory root of fsys; paths
// are slash-separated fs.FS paths.
func LoadTaskFS(fsys fs.FS, root string, opts ...ParseOption) (*TaskSet, error) {
	return loadTree(fsTree(fsys, root), opts)
}

// MissingDependencies reports, for each task in input order, the ids in its
// DependsOn (in list order, repeats removed) that are not ids of tasks. A
// task's own id does not count as missing. Tasks without missing ids are
// left out, and the result is never nil. FromTasks would turn these ids
// into nodes of their own.
func MissingDependencies(tasks []TaskInput) []MissingDependency {
	known := make(map[string]bool, len(tasks))
	for _, t := range tasks {
		known[t.ID] = true
	}
	result := []MissingDependency{}
	for _, t := range tasks {
		var missing []string
		for _, dep := range t.DependsOn {
			if known[dep] || dep == t.ID || slices.Contains(missing, dep) {
				continue
			}
			missing = append(missing, dep)
		}
		if len(missing) > 0 {
			result = append(result, MissingDependency{TaskID: t.ID, Missing: missing})
		}
	}
	return result
}
