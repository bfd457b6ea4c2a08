package specload

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// structuralError explains why a document kin-openapi's types reject does
// not decode, at the deepest value that fails on its own. It decodes parts
// of the document again, which is fine on this error path.
func structuralError(generic any, t reflect.Type, err error) *ParseError {
	var path []string
	v := generic
	for {
		cv, ct, key, cerr := failingChild(v, t)
		if cerr == nil {
			break
		}
		path, v, t, err = append(path, key), cv, ct, cerr
	}
	pe := &ParseError{Err: describeDecodeError(err)}
	if len(path) > 0 {
		pe.Pointer = pointer(path)
	}
	return pe
}

// failingChild finds a member of v that does not decode into its Go type.
func failingChild(v any, t reflect.Type) (any, reflect.Type, string, error) {
	for {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		// A kin-openapi Ref type decodes the same JSON into its Value.
		if t.Kind() != reflect.Struct {
			break
		}
		if vf, ok := t.FieldByName("Value"); ok {
			if _, ok := t.FieldByName("Ref"); ok {
				if m, isMap := v.(map[string]any); isMap && m["$ref"] != nil {
					return nil, nil, "", nil
				}
				t = vf.Type
				continue
			}
		}
		break
	}
	// Map-like kin-openapi types (Paths, Responses, Callback) keep their
	// entries in an unexported map exposed by Map().
	if mm, ok := reflect.PointerTo(t).MethodByName("Map"); ok && mm.Type.NumIn() == 1 && mm.Type.NumOut() == 1 && mm.Type.Out(0).Kind() == reflect.Map {
		return failingEntry(v, func(string) reflect.Type { return mm.Type.Out(0).Elem() })
	}
	switch t.Kind() {
	case reflect.Struct:
		return failingEntry(v, func(key string) reflect.Type { return fieldType(t, key) })
	case reflect.Map:
		return failingEntry(v, func(string) reflect.Type { return t.Elem() })
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return nil, nil, "", nil
		}
		for i, c := range a {
			if err := decodeInto(c, t.Elem()); err != nil {
				return c, t.Elem(), strconv.Itoa(i), err
			}
		}
	}
	return nil, nil, "", nil
}

func failingEntry(v any, typeOf func(string) reflect.Type) (any, reflect.Type, string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, "", nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ft := typeOf(k)
		if ft == nil {
			continue
		}
		if err := decodeInto(m[k], ft); err != nil {
			return m[k], ft, k, err
		}
	}
	return nil, nil, "", nil
}

// fieldType is the type of the struct field encoding/json fills from key.
func fieldType(t reflect.Type, key string) reflect.Type {
	var fold reflect.Type
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f.Type
		}
		if fold == nil && strings.EqualFold(name, key) {
			fold = f.Type
		}
	}
	return fold
}

func decodeInto(v any, t reflect.Type) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, reflect.New(t).Interface())
}

// describeDecodeError rewords encoding/json type errors in JSON terms.
func describeDecodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Type != nil {
		return fmt.Errorf("expected %s, found %s", goKindToJSON(te.Type), te.Value)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return errors.New(msg)
}

func goKindToJSON(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a value of type " + t.String()
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a number"
}
