package operations

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// ValueError is one validation failure.
type ValueError struct {
	// Path is the JSON Pointer of the failing instance location; "" is the root.
	Path string `json:"path"`
	// Message is the validator's text, such as "missing property 'value'".
	Message string `json:"message"`
}

// decodeInstance decodes raw JSON into the validator's generic form, which
// keeps numbers as json.Number.
func decodeInstance(raw []byte) (any, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return v, nil
}

// toInstance converts v for validation: json.RawMessage is decoded, a value
// that already is generic JSON is used as is, and any other Go value
// (including []byte) is marshalled once and decoded.
func toInstance(v any) (any, error) {
	if raw, ok := v.(json.RawMessage); ok {
		return decodeInstance(raw)
	}
	if isGenericJSON(v, 0) {
		return v, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding value: %w", err)
	}
	return decodeInstance(raw)
}

// isGenericJSON reports whether the validator accepts v without conversion.
// Deeply nested values are converted instead of walked.
func isGenericJSON(v any, depth int) bool {
	if depth > 32 {
		return false
	}
	switch x := v.(type) {
	case nil, bool, string, json.Number,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case []any:
		for _, e := range x {
			if !isGenericJSON(e, depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range x {
			if !isGenericJSON(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// CollectErrors validates v against s and returns every failure sorted by
// path, then message; nil means valid. An Unknown schema accepts everything.
// v may be raw JSON (json.RawMessage), generic JSON or any Go value that
// marshals; raw JSON that does not parse is one error at path "" with message
// "invalid JSON: …".
func CollectErrors(s *Schema, v any) []ValueError {
	if s.Unknown() {
		return nil
	}
	inst, err := toInstance(v)
	if err != nil {
		return []ValueError{{Path: "", Message: err.Error()}}
	}
	return validateInstance(s, inst)
}

func validateInstance(s *Schema, inst any) []ValueError {
	err := s.compiled.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []ValueError{{Path: "", Message: err.Error()}}
	}
	var out []ValueError
	collectLeaves(ve, &out)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// collectLeaves appends one ValueError per leaf of the validator's error
// tree. A required failure gives one entry per missing property, at the
// property's own path.
func collectLeaves(ve *jsonschema.ValidationError, out *[]ValueError) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			collectLeaves(c, out)
		}
		return
	}
	path := instancePointer(ve.InstanceLocation)
	if req, ok := ve.ErrorKind.(*kind.Required); ok {
		for _, name := range req.Missing {
			*out = append(*out, ValueError{
				Path:    path + "/" + escapePointer(name),
				Message: "missing property '" + name + "'",
			})
		}
		return
	}
	*out = append(*out, ValueError{Path: path, Message: kindMessage(ve.ErrorKind)})
}

// kindMessage returns the library's English text for one error kind.
func kindMessage(k jsonschema.ErrorKind) string {
	leaf := &jsonschema.ValidationError{ErrorKind: k}
	if out := leaf.BasicOutput(); out.Error != nil {
		return out.Error.String()
	}
	return "validation failed"
}

func instancePointer(tokens []string) string {
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteByte('/')
		sb.WriteString(escapePointer(t))
	}
	return sb.String()
}

// FormatValueErrors writes one line per error, "  - <path>: <message>",
// joined by "\n".
func FormatValueErrors(errs []ValueError) string {
	return FormatValueErrorsIndent(errs, "  - ")
}

// FormatValueErrorsIndent is FormatValueErrors with another line prefix.
func FormatValueErrorsIndent(errs []ValueError, indent string) string {
	var sb strings.Builder
	for i, e := range errs {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(indent)
		sb.WriteString(e.Path)
		sb.WriteString(": ")
		sb.WriteString(e.Message)
	}
	return sb.String()
}

// ValidateValue validates v against s. It returns nil, or a *CallError with
// code VALIDATION_ERROR whose message is "Validation failed for <context>:"
// ("Validation failed:" for an empty context) followed by the formatted
// list, and whose Details are the []ValueError.
func ValidateValue(s *Schema, v any, context string) error {
	errs := CollectErrors(s, v)
	if errs == nil {
		return nil
	}
	return validationError(errs, context)
}

func validationError(errs []ValueError, context string) *CallError {
	head := "Validation failed:"
	if context != "" {
		head = "Validation failed for " + context + ":"
	}
	return NewCallError(CodeValidation, head+"\n"+FormatValueErrors(errs), errs)
}
