package taskgraph

import (
	"encoding/json"
	"math"
	"strconv"
)

// valueKind classifies a decoded JSON or YAML value for the schema checks.
type valueKind uint8

const (
	kindOther valueKind = iota
	kindNull
	kindString
	kindArray
	kindNumber
	kindBool
	kindObject
)

// fieldValue is a JSON or YAML value reduced to what the schema checks
// need, so that task files and JSON records share one set of rules.
type fieldValue struct {
	kind  valueKind
	text  string
	items []fieldValue
	num   float64
	flag  bool
	raw   json.RawMessage
}

// lookupFunc returns the value stored under key in a record and whether the
// key is present.
type lookupFunc func(key string) (fieldValue, bool)

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "/" + key
}

func kindOfJSON(data []byte) valueKind {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return kindObject
		case '[':
			return kindArray
		case '"':
			return kindString
		case 'n':
			return kindNull
		case 't', 'f':
			return kindBool
		}
		if c == '-' || (c >= '0' && c <= '9') {
			return kindNumber
		}
		return kindOther
	}
	return kindOther
}

// jsonValue converts one syntactically valid JSON value.
func jsonValue(data json.RawMessage) fieldValue {
	v := fieldValue{kind: kindOfJSON(data), raw: data}
	switch v.kind {
	case kindString:
		if json.Unmarshal(data, &v.text) != nil {
			v.kind = kindOther
		}
	case kindNumber:
		if json.Unmarshal(data, &v.num) != nil {
			v.kind = kindOther
		}
	case kindBool:
		if json.Unmarshal(data, &v.flag) != nil {
			v.kind = kindOther
		}
	case kindArray:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			v.kind = kindOther
			break
		}
		v.items = make([]fieldValue, len(items))
		for i, item := range items {
			v.items[i] = jsonValue(item)
		}
	}
	return v
}

// jsonObject is a decoded JSON object together with its path in the
// document, used to name the field of a failed check.
type jsonObject struct {
	path string
	m    map[string]json.RawMessage
}

// parseJSONObject decodes data as an object, or fails with "Expected object"
// at path.
func parseJSONObject(data []byte, path string) (jsonObject, error) {
	if kindOfJSON(data) != kindObject {
		return jsonObject{}, invalidInput(path, msgObject)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return jsonObject{}, invalidInput(path, msgObject)
	}
	return jsonObject{path: path, m: m}, nil
}

func (o jsonObject) lookup(key string) (fieldValue, bool) {
	raw, ok := o.m[key]
	if !ok {
		return fieldValue{}, false
	}
	return jsonValue(raw), true
}

func (o jsonObject) at(key string) string { return joinPath(o.path, key) }

// require fails with "Expected required property" on the first of keys that
// is missing.
func (o jsonObject) require(keys ...string) error {
	for _, key := range keys {
		if _, ok := o.m[key]; !ok {
			return invalidInput(o.at(key), msgRequired)
		}
	}
	return nil
}

// stringField checks an optional string key and returns its text.
func (o jsonObject) stringField(key string) (string, bool, error) {
	v, ok := o.lookup(key)
	if !ok {
		return "", false, nil
	}
	if v.kind != kindString {
		return "", true, invalidInput(o.at(key), msgString)
	}
	return v.text, true, nil
}

// numberField checks an optional number key and returns its value.
func (o jsonObject) numberField(key string) (*float64, error) {
	v, ok := o.lookup(key)
	if !ok {
		return nil, nil
	}
	if v.kind != kindNumber {
		return nil, invalidInput(o.at(key), msgNumber)
	}
	return &v.num, nil
}

// decodeEnumJSON decodes a standalone enum value: a string accepted by
// valid. null, other JSON types and unknown strings are rejected.
func decodeEnumJSON[T ~string](data []byte, dst *T, valid func(T) bool) error {
	v := jsonValue(data)
	e, err := enumValue(v, "", valid)
	if err != nil {
		return err
	}
	*dst = e
	return nil
}

func enumValue[T ~string](v fieldValue, field string, valid func(T) bool) (T, error) {
	if v.kind != kindString || !valid(T(v.text)) {
		return "", invalidInput(field, msgUnion)
	}
	return T(v.text), nil
}

// optEnum checks an optional nullable label of a task record.
func optEnum[T ~string](lookup lookupFunc, field string, valid func(T) bool) (Opt[T], error) {
	v, ok := lookup(field)
	if !ok {
		return Opt[T]{}, nil
	}
	if v.kind == kindNull {
		return Null[T](), nil
	}
	e, err := enumValue(v, field, valid)
	if err != nil {
		return Opt[T]{}, err
	}
	return Some(e), nil
}

// optString checks an optional nullable free-text field of a task record.
func optString(lookup lookupFunc, field string) (Opt[string], error) {
	v, ok := lookup(field)
	if !ok {
		return Opt[string]{}, nil
	}
	switch v.kind {
	case kindNull:
		return Null[string](), nil
	case kindString:
		return Some(v.text), nil
	}
	return Opt[string]{}, invalidInput(field, msgUnion)
}

// stringList checks an array of strings; elements are reported as
// "<field>/<index>".
func stringList(v fieldValue, field string) ([]string, error) {
	if v.kind != kindArray {
		return nil, invalidInput(field, msgArray)
	}
	list := make([]string, len(v.items))
	for i, item := range v.items {
		if item.kind != kindString {
			return nil, invalidInput(field+"/"+strconv.Itoa(i), msgString)
		}
		list[i] = item.text
	}
	return list, nil
}

// taskFromFields runs the checks of a task record in schema order and
// returns the first failure. Without strict, a missing or null dependsOn
// becomes an empty list.
func taskFromFields(lookup lookupFunc, strict bool) (TaskInput, error) {
	var t TaskInput
	required := []string{"id", "name"}
	if strict {
		required = append(required, "dependsOn")
	}
	for _, key := range required {
		if _, ok := lookup(key); !ok {
			return t, invalidInput(key, msgRequired)
		}
	}

	for _, key := range []string{"id", "name"} {
		v, _ := lookup(key)
		if v.kind != kindString {
			return t, invalidInput(key, msgString)
		}
		if key == "id" {
			t.ID = v.text
		} else {
			t.Name = v.text
		}
	}

	t.DependsOn = []string{}
	if v, ok := lookup("dependsOn"); ok && (strict || v.kind != kindNull) {
		deps, err := stringList(v, "dependsOn")
		if err != nil {
			return t, err
		}
		t.DependsOn = deps
	}

	var err error
	if t.Status, err = optEnum(lookup, "status", Status.Valid); err != nil {
		return t, err
	}
	if t.Scope, err = optEnum(lookup, "scope", Scope.Valid); err != nil {
		return t, err
	}
	if t.Risk, err = optEnum(lookup, "risk", Risk.Valid); err != nil {
		return t, err
	}
	if t.Impact, err = optEnum(lookup, "impact", Impact.Valid); err != nil {
		return t, err
	}
	if t.Level, err = optEnum(lookup, "level", Level.Valid); err != nil {
		return t, err
	}
	if t.Priority, err = optEnum(lookup, "priority", Priority.Valid); err != nil {
		return t, err
	}

	if v, ok := lookup("tags"); ok {
		if t.Tags, err = stringList(v, "tags"); err != nil {
			return t, err
		}
	}

	for _, field := range []struct {
		key string
		dst *Opt[string]
	}{
		{"assignee", &t.Assignee}, {"due", &t.Due},
		{"created", &t.Created}, {"modified", &t.Modified},
	} {
		if *field.dst, err = optString(lookup, field.key); err != nil {
			return t, err
		}
	}
	return t, nil
}

// UnmarshalJSON decodes a task strictly: id, name and dependsOn are
// required, and the first failed check is returned as *InvalidInputError.
// Unknown keys are ignored.
func (t *TaskInput) UnmarshalJSON(data []byte) error {
	o, err := parseJSONObject(data, "")
	if err != nil {
		return err
	}
	task, err := taskFromFields(o.lookup, true)
	if err != nil {
		return err
	}
	*t = task
	return nil
}

// UnmarshalJSON decodes an edge record: from and to are required strings,
// qualityRetention a number when present.
func (e *DependencyEdge) UnmarshalJSON(data []byte) error {
	o, err := parseJSONObject(data, "")
	if err != nil {
		return err
	}
	if err := o.require("from", "to"); err != nil {
		return err
	}
	var edge DependencyEdge
	if edge.From, _, err = o.stringField("from"); err != nil {
		return err
	}
	if edge.To, _, err = o.stringField("to"); err != nil {
		return err
	}
	if edge.QualityRetention, err = o.numberField("qualityRetention"); err != nil {
		return err
	}
	*e = edge
	return nil
}

// labelField checks an optional, non-nullable label of a node record.
func labelField[T ~string](o jsonObject, key string, dst *T, valid func(T) bool) error {
	v, ok := o.lookup(key)
	if !ok {
		return nil
	}
	e, err := enumValue(v, o.at(key), valid)
	if err != nil {
		return err
	}
	*dst = e
	return nil
}

// decodeNodeAttrs checks node attributes at path: name is a required
// string, labels are optional valid values. Unknown keys are dropped.
func decodeNodeAttrs(data []byte, path string) (NodeAttrs, error) {
	var a NodeAttrs
	o, err := parseJSONObject(data, path)
	if err != nil {
		return a, err
	}
	if err := o.require("name"); err != nil {
		return a, err
	}
	if a.Name, _, err = o.stringField("name"); err != nil {
		return a, err
	}
	err = decodeLabels(o, &a.Scope, &a.Risk, &a.Impact, &a.Level, &a.Priority, &a.Status)
	return a, err
}

func decodeLabels(o jsonObject, scope *Scope, risk *Risk, impact *Impact,
	level *Level, priority *Priority, status *Status) error {
	if err := labelField(o, "scope", scope, Scope.Valid); err != nil {
		return err
	}
	if err := labelField(o, "risk", risk, Risk.Valid); err != nil {
		return err
	}
	if err := labelField(o, "impact", impact, Impact.Valid); err != nil {
		return err
	}
	if err := labelField(o, "level", level, Level.Valid); err != nil {
		return err
	}
	if err := labelField(o, "priority", priority, Priority.Valid); err != nil {
		return err
	}
	return labelField(o, "status", status, Status.Valid)
}

// UnmarshalJSON decodes node attributes: name is a required string, labels
// are optional valid values (null is rejected), unknown keys are dropped.
func (a *NodeAttrs) UnmarshalJSON(data []byte) error {
	attrs, err := decodeNodeAttrs(data, "")
	if err != nil {
		return err
	}
	*a = attrs
	return nil
}

// UnmarshalJSON decodes a patch: every key is optional, name a string and
// labels valid values or "" to clear them.
func (p *NodePatch) UnmarshalJSON(data []byte) error {
	o, err := parseJSONObject(data, "")
	if err != nil {
		return err
	}
	var patch NodePatch
	name, ok, err := o.stringField("name")
	if err != nil {
		return err
	}
	if ok {
		patch.Name = &name
	}
	var a NodeAttrs
	if err := decodeLabels(o, &a.Scope, &a.Risk, &a.Impact, &a.Level, &a.Priority,
		&a.Status); err != nil {
		return err
	}
	patch.Scope = presentLabel(o, "scope", a.Scope)
	patch.Risk = presentLabel(o, "risk", a.Risk)
	patch.Impact = presentLabel(o, "impact", a.Impact)
	patch.Level = presentLabel(o, "level", a.Level)
	patch.Priority = presentLabel(o, "priority", a.Priority)
	patch.Status = presentLabel(o, "status", a.Status)
	*p = patch
	return nil
}

func presentLabel[T any](o jsonObject, key string, v T) *T {
	if _, ok := o.m[key]; !ok {
		return nil
	}
	return &v
}

// decodeEdgeAttrs checks edge attributes at path: qualityRetention is a
// number when present.
func decodeEdgeAttrs(data []byte, path string) (EdgeAttrs, error) {
	o, err := parseJSONObject(data, path)
	if err != nil {
		return EdgeAttrs{}, err
	}
	qr, err := o.numberField("qualityRetention")
	return EdgeAttrs{QualityRetention: qr}, err
}

// UnmarshalJSON decodes edge attributes: qualityRetention must be a number
// when present (null, strings and booleans are rejected).
func (a *EdgeAttrs) UnmarshalJSON(data []byte) error {
	attrs, err := decodeEdgeAttrs(data, "")
	if err != nil {
		return err
	}
	*a = attrs
	return nil
}

// UnmarshalJSON accepts only the Scope constants.
func (s *Scope) UnmarshalJSON(data []byte) error { return decodeEnumJSON(data, s, Scope.Valid) }

// UnmarshalJSON accepts only the Risk constants.
func (r *Risk) UnmarshalJSON(data []byte) error { return decodeEnumJSON(data, r, Risk.Valid) }

// UnmarshalJSON accepts only the Impact constants.
func (i *Impact) UnmarshalJSON(data []byte) error {
	return decodeEnumJSON(data, i, Impact.Valid)
}

// UnmarshalJSON accepts only the Level constants.
func (l *Level) UnmarshalJSON(data []byte) error { return decodeEnumJSON(data, l, Level.Valid) }

// UnmarshalJSON accepts only the Priority constants.
func (p *Priority) UnmarshalJSON(data []byte) error {
	return decodeEnumJSON(data, p, Priority.Valid)
}

// UnmarshalJSON accepts only the Status constants.
func (s *Status) UnmarshalJSON(data []byte) error {
	return decodeEnumJSON(data, s, Status.Valid)
}

// UnmarshalJSON accepts only the two PropagationMode constants.
func (m *PropagationMode) UnmarshalJSON(data []byte) error {
	return decodeEnumJSON(data, m, PropagationMode.valid)
}

// decodeEVConfig checks an EV configuration at path: the four keys are
// numbers when present; unknown keys are tolerated.
func decodeEVConfig(data []byte, path string) (EVConfig, error) {
	var cfg EVConfig
	o, err := parseJSONObject(data, path)
	if err != nil {
		return cfg, err
	}
	for _, field := range []struct {
		key string
		dst *float64
	}{
		{"retries", &cfg.Retries}, {"fallbackCost", &cfg.FallbackCost},
		{"timeLost", &cfg.TimeLost}, {"valueRate", &cfg.ValueRate},
	} {
		n, err := o.numberField(field.key)
		if err != nil {
			return cfg, err
		}
		if n != nil {
			*field.dst = *n
		}
	}
	return cfg, nil
}

// UnmarshalJSON decodes an EV configuration: retries, fallbackCost,
// timeLost and valueRate must be numbers; unknown keys are tolerated.
func (c *EVConfig) UnmarshalJSON(data []byte) error {
	cfg, err := decodeEVConfig(data, "")
	if err != nil {
		return err
	}
	*c = cfg
	return nil
}

// UnmarshalJSON decodes workflow-cost options: includeCompleted a boolean,
// limit an integer, propagationMode one of the two modes,
// defaultQualityRetention a number and ev an EVConfig.
func (w *WorkflowCostOptions) UnmarshalJSON(data []byte) error {
	o, err := parseJSONObject(data, "")
	if err != nil {
		return err
	}
	var opts WorkflowCostOptions

	if v, ok := o.lookup("includeCompleted"); ok {
		if v.kind != kindBool {
			return invalidInput("includeCompleted", msgBoolean)
		}
		opts.IncludeCompleted = v.flag
	}
	n, err := o.numberField("limit")
	if err != nil {
		return err
	}
	if n != nil {
		if *n != math.Trunc(*n) || math.Abs(*n) > math.MaxInt32 {
			return invalidInput("limit", msgInteger)
		}
		limit := int(*n)
		opts.Limit = &limit
	}

	if v, ok := o.lookup("propagationMode"); ok {
		if opts.PropagationMode, err = enumValue(v, "propagationMode",
			PropagationMode.valid); err != nil {
			return err
		}
	}
	if opts.DefaultQualityRetention, err = o.numberField("defaultQualityRetention"); err != nil {
		return err
	}

	if raw, ok := o.m["ev"]; ok {
		cfg, err := decodeEVConfig(raw, "ev")
		if err != nil {
			return err
		}
		opts.EV = &cfg
	}
	*w = opts
	return nil
}
