package taskgraph

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// SerializeOption configures SerializeFrontmatter.
type SerializeOption func(*serializeConfig)

type serializeConfig struct {
	snakeCase bool
}

// SnakeCaseKeys writes the key depends_on instead of dependsOn, for tools
// that read only the snake-case spelling.
func SnakeCaseKeys() SerializeOption {
	return func(c *serializeConfig) { c.snakeCase = true }
}

// SerializeFrontmatter writes t as a Markdown document: "---\n", a YAML
// mapping, "---\n" and then body. Keys come in schema order (see
// TaskInput); absent keys are left out and null ones written as null.
// dependsOn is always written, an empty list as []; non-empty lists are
// block sequences indented by two spaces. Lines are never folded, and a
// string is quoted when it would otherwise read back as another value (a
// date, a number, a multi-line text).
//
// ParseFrontmatter of the result returns t. It fails only when a string is
// not valid UTF-8.
func SerializeFrontmatter(t TaskInput, body string, opts ...SerializeOption) (string, error) {
	var cfg serializeConfig
	for _, opt := range opts {
		opt(&cfg)
	}

	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, value *yaml.Node) {
		root.Content = append(root.Content, stringNode(key), value)
	}
	addOpt := func(key string, value string, set, null bool) {
		switch {
		case null:
			add(key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"})
		case set:
			add(key, stringNode(value))
		}
	}

	add("id", stringNode(t.ID))
	add("name", stringNode(t.Name))
	dependsKey := "dependsOn"
	if cfg.snakeCase {
		dependsKey = "depends_on"
	}
	add(dependsKey, listNode(t.DependsOn))
	addOpt("status", string(t.Status.Value()), t.Status.IsSet(), t.Status.IsNull())
	addOpt("scope", string(t.Scope.Value()), t.Scope.IsSet(), t.Scope.IsNull())
	addOpt("risk", string(t.Risk.Value()), t.Risk.IsSet(), t.Risk.IsNull())
	addOpt("impact", string(t.Impact.Value()), t.Impact.IsSet(), t.Impact.IsNull())
	addOpt("level", string(t.Level.Value()), t.Level.IsSet(), t.Level.IsNull())
	addOpt("priority", string(t.Priority.Value()), t.Priority.IsSet(), t.Priority.IsNull())
	if t.Tags != nil {
		add("tags", listNode(t.Tags))
	}
	addOpt("assignee", t.Assignee.Value(), t.Assignee.IsSet(), t.Assignee.IsNull())
	addOpt("due", t.Due.Value(), t.Due.IsSet(), t.Due.IsNull())
	addOpt("created", t.Created.Value(), t.Created.IsSet(), t.Created.IsNull())
	addOpt("modified", t.Modified.Value(), t.Modified.IsSet(), t.Modified.IsNull())

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return "", fmt.Errorf("encoding frontmatter of task %q: %w", t.ID, err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("encoding frontmatter of task %q: %w", t.ID, err)
	}

	var out strings.Builder
	out.Grow(8 + buf.Len() + len(body))
	out.WriteString("---\n")
	out.Write(buf.Bytes())
	out.WriteString("---\n")
	out.WriteString(body)
	return out.String(), nil
}

// stringNode returns a string scalar. The encoder writes it plain when it
// reads back as the same string and quotes it otherwise. Texts with line
// breaks are always double-quoted, so no block-scalar chomping rule can
// change them.
func stringNode(s string) *yaml.Node {
	node := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.ContainsAny(s, "\n\r") {
		node.Style = yaml.DoubleQuotedStyle
	}
	return node
}

// listNode returns a block sequence of strings, or the flow sequence [] when
// the list is empty.
func listNode(items []string) *yaml.Node {
	node := &yaml.Node{Kind: yaml.SequenceNode}
	if len(items) == 0 {
		node.Style = yaml.FlowStyle
	}
	for _, item := range items {
		node.Content = append(node.Content, stringNode(item))
	}
	return node
}
