package taskgraph

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ParseOption configures the parse functions.
type ParseOption func(*parseConfig)

type parseConfig struct {
	strict bool
}

// Strict makes dependsOn (or depends_on) required and rejects a null value
// for it. Without it (lenient, the default) a missing or null dependsOn is
// read as an empty list; every other check is the same in both modes.
func Strict() ParseOption {
	return func(c *parseConfig) { c.strict = true }
}

func parseOptions(opts []ParseOption) parseConfig {
	var c parseConfig
	for _, opt := range opts {
		opt(&c)
	}
	return c
}

// SplitFrontmatter splits a Markdown document into its YAML frontmatter and
// the body after it. ok is false when s has no frontmatter block.
//
// A leading byte order mark is dropped. The first line must start with
// optional spaces or tabs and exactly three dashes, and the rest of that
// line is ignored. The block ends at the first later line that starts, at
// column 0, with three dashes not followed by a fourth, and the rest of
// that line is dropped. The closing line may follow the opening line
// directly. data is the text
// between the two lines without the final newline; content is everything
// after the closing line. A "---" in the body (a horizontal rule) stays in
// content, and "\r" of CRLF line ends stays at the end of data lines.
func SplitFrontmatter(s string) (data, content string, ok bool) {
	s = strings.TrimPrefix(s, "\uFEFF")

	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if !isDelimiter(s, i) {
		return "", "", false
	}
	newline := strings.IndexByte(s[i:], '\n')
	if newline < 0 {
		return "", "", false
	}
	dataStart := i + newline + 1

	closing := -1
	if isDelimiter(s, dataStart) {
		closing = dataStart
	} else {
		for p := dataStart; ; {
			j := strings.IndexByte(s[p:], '\n')
			if j < 0 {
				break
			}
			p += j + 1
			if isDelimiter(s, p) {
				closing = p
				break
			}
		}
	}
	if closing < 0 {
		return "", "", false
	}

	if closing > dataStart {
		data = s[dataStart : closing-1]
	}
	if j := strings.IndexByte(s[closing+3:], '\n'); j >= 0 {
		content = s[closing+3+j+1:]
	}
	return data, content, true
}

// isDelimiter reports whether s has "---" at p not followed by another "-".
func isDelimiter(s string, p int) bool {
	return strings.HasPrefix(s[p:], "---") && (len(s) == p+3 || s[p+3] != '-')
}

// ParseFrontmatter reads the task record in the frontmatter of a Markdown
// document (see SplitFrontmatter); the body is not returned. Every failure
// is an *InvalidInputError; checks run in this order and the first failure
// wins:
//
//   - no frontmatter: "No valid frontmatter found";
//   - invalid YAML, a repeated mapping key or several documents: a message
//     starting with "YAML parse error: ";
//   - a document that is not a mapping (also an empty one): "YAML
//     frontmatter must be a mapping (object), not a scalar or array";
//   - missing id, then name (then dependsOn with Strict): field of that key,
//     "Expected required property";
//   - each present key in schema order (see TaskInput): "Expected string",
//     "Expected array" (also for a null tags) or, for labels and free-text
//     fields that are neither null nor valid, "Expected union value". List
//     elements are reported as "dependsOn/<i>" or "tags/<i>".
//
// depends_on is read as dependsOn unless dependsOn is present too. Unknown
// keys, including "<<", are dropped. Scalars resolve as YAML 1.2 core
// schema (yes and on are strings), and unquoted dates stay strings with
// their literal text. Absent keys stay absent and keys without a value are
// null.
func ParseFrontmatter(s string, opts ...ParseOption) (TaskInput, error) {
	data, _, ok := SplitFrontmatter(s)
	if !ok {
		return TaskInput{}, invalidInput("", msgNoFrontmatter)
	}
	return parseFrontmatterData(data, parseOptions(opts))
}

// parseFrontmatterData parses the YAML part of a frontmatter block.
func parseFrontmatterData(data string, cfg parseConfig) (TaskInput, error) {
	root, err := decodeYAMLDocument(data)
	if err != nil {
		return TaskInput{}, err
	}
	if root == nil || root.Kind != yaml.MappingNode {
		return TaskInput{}, invalidInput("", msgNotMapping)
	}

	fields := make(map[string]*yaml.Node, len(root.Content)/2)
	for i := 0; i+1 < len(root.Content); i += 2 {
		key := root.Content[i]
		if key.Kind == yaml.ScalarNode {
			fields[key.Value] = root.Content[i+1]
		}
	}
	if snake, ok := fields["depends_on"]; ok {
		if _, camel := fields["dependsOn"]; !camel {
			fields["dependsOn"] = snake
		}
	}
	lookup := func(key string) (fieldValue, bool) {
		node, ok := fields[key]
		if !ok {
			return fieldValue{}, false
		}
		return yamlValue(node), true
	}
	return taskFromFields(lookup, cfg.strict)
}

// decodeYAMLDocument parses data as a single YAML document and returns its
// root node, with aliases resolved, or nil for an empty document.
func decodeYAMLDocument(data string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, invalidInput("", msgYAMLPrefix+err.Error())
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, invalidInput("", msgYAMLPrefix+err.Error())
		}
		return nil, invalidInput("", msgYAMLPrefix+"the frontmatter contains more than one document")
	}
	if err := checkDuplicateKeys(&doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return resolveAlias(doc.Content[0]), nil
}

// checkDuplicateKeys reports a mapping that repeats a key, anywhere in the
// tree below node. yaml.v3 detects repeated keys only when decoding into Go
// values, not into nodes. Aliases are not followed: the node they point to
// is checked where it is defined.
func checkDuplicateKeys(node *yaml.Node) error {
	if node.Kind == yaml.MappingNode {
		seen := make(map[string]int, len(node.Content)/2)
		for i := 0; i+1 < len(node.Content); i += 2 {
			key := node.Content[i]
			if key.Kind != yaml.ScalarNode {
				continue
			}
			if line, ok := seen[key.Value]; ok {
				return invalidInput("", fmt.Sprintf(
					"%sline %d: mapping key %q already defined at line %d",
					msgYAMLPrefix, key.Line, key.Value, line))
			}
			seen[key.Value] = key.Line
		}
	}
	for _, child := range node.Content {
		if err := checkDuplicateKeys(child); err != nil {
			return err
		}
	}
	return nil
}

// resolveAlias follows alias nodes to the node they name.
func resolveAlias(node *yaml.Node) *yaml.Node {
	for node != nil && node.Kind == yaml.AliasNode {
		node = node.Alias
	}
	return node
}

// yamlValue classifies a YAML node for the schema checks. Scalars tagged as
// timestamps, binary data or with a tag outside the core schema are strings
// with their literal text. The items of a sequence are classified one level
// deep only, which is all the checks need: an alias may point back into its
// own sequence.
func yamlValue(node *yaml.Node) fieldValue {
	v := yamlItemValue(node)
	if v.kind == kindArray {
		node = resolveAlias(node)
		v.items = make([]fieldValue, len(node.Content))
		for i, item := range node.Content {
			v.items[i] = yamlItemValue(item)
		}
	}
	return v
}

// yamlItemValue classifies a node without looking into sequences.
func yamlItemValue(node *yaml.Node) fieldValue {
	node = resolveAlias(node)
	if node == nil {
		return fieldValue{kind: kindNull}
	}
	switch node.Kind {
	case yaml.ScalarNode:
		switch node.ShortTag() {
		case "!!null":
			return fieldValue{kind: kindNull}
		case "!!bool", "!!int", "!!float", "!!merge":
			return fieldValue{kind: kindOther}
		}
		return fieldValue{kind: kindString, text: node.Value}
	case yaml.SequenceNode:
		return fieldValue{kind: kindArray}
	case yaml.MappingNode:
		return fieldValue{kind: kindObject}
	}
	return fieldValue{kind: kindOther}
}
