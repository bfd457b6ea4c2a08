package demoapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of the writable task fields; openapi.json states the same numbers.
const (
	maxTitle       = 200
	maxDescription = 5000
	maxTags        = 20
	maxTagLen      = 50
	maxQueryLen    = 200
)

var (
	statuses = []string{"open", "in_progress", "done"}
	sorts    = []string{"createdAt", "-createdAt", "due", "priority"}
)

// newTaskBody is the NewTask schema; pointers tell an absent field from an
// empty one.
type newTaskBody struct {
	Title       *string  `json:"title"`
	Description *string  `json:"description"`
	Status      *string  `json:"status"`
	Tags        []string `json:"tags"`
	Due         *string  `json:"due"`
	Priority    *int     `json:"priority"`
}

// fields validates the body and applies the defaults of absent fields.
func (b newTaskBody) fields() (taskFields, error) {
	if b.Title == nil {
		return taskFields{}, badRequest("title is required")
	}
	f := taskFields{Title: *b.Title, Status: "open", Tags: b.Tags, Priority: b.Priority}
	if b.Description != nil {
		f.Description = *b.Description
	}
	if b.Status != nil {
		f.Status = *b.Status
	}
	if b.Due != nil {
		f.Due = *b.Due
	}
	checks := []error{checkTitle(f.Title), checkDescription(f.Description), checkStatus(f.Status), checkTags(f.Tags)}
	if b.Due != nil {
		checks = append(checks, checkDue(f.Due))
	}
	if f.Priority != nil {
		checks = append(checks, checkPriority(*f.Priority))
	}
	for _, err := range checks {
		if err != nil {
			return taskFields{}, err
		}
	}
	return f, nil
}

func checkTitle(s string) error {
	if strings.TrimSpace(s) == "" {
		return badRequest("title must not be empty")
	}
	if n := utf8.RuneCountInString(s); n > maxTitle {
		return badRequest("title must be at most %d characters, got %d", maxTitle, n)
	}
	return nil
}

func checkDescription(s string) error {
	if n := utf8.RuneCountInString(s); n > maxDescription {
		return badRequest("description must be at most %d characters, got %d", maxDescription, n)
	}
	return nil
}

func checkStatus(s string) error {
	return checkEnum("status", s, statuses)
}

func checkEnum(name, value string, allowed []string) error {
	if !slices.Contains(allowed, value) {
		return badRequest("%s must be one of %s; got %q", name, strings.Join(allowed, ", "), value)
	}
	return nil
}

func checkTags(tags []string) error {
	if len(tags) > maxTags {
		return badRequest("at most %d tags are allowed, got %d", maxTags, len(tags))
	}
	for i, tag := range tags {
		if n := utf8.RuneCountInString(tag); n < 1 || n > maxTagLen {
			return badRequest("tags[%d] must be 1 to %d characters long, got %d", i, maxTagLen, n)
		}
		if slices.Contains(tags[:i], tag) {
			return badRequest("tag %q is given twice", tag)
		}
	}
	return nil
}

func checkDue(s string) error {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return badRequest("due must be a date like 2025-07-15, got %q", s)
	}
	return nil
}

func checkPriority(p int) error {
	if p < 1 || p > 5 {
		return badRequest("priority must be between 1 and 5, got %d", p)
	}
	return nil
}

// requireJSON accepts application/json and any +json media type.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return problemf(http.StatusUnsupportedMediaType, "Content-Type must be application/json, got %q", ct)
	}
	return nil
}

// decodeJSON reads one strict JSON value (no unknown fields, nothing after it)
// from the request body into v.
func decodeJSON(r *http.Request, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return badRequest("read request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("a JSON request body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("invalid JSON body: %s", jsonErrText(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("invalid JSON body: unexpected data after the JSON value")
	}
	return nil
}

// jsonErrText turns a decoding error into a message that names the field.
func jsonErrText(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return fmt.Sprintf("the body must be %s, not %s", kindName(typeErr.Type), typeErr.Value)
		}
		return fmt.Sprintf("field %q must be %s, not %s", typeErr.Field, kindName(typeErr.Type), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("%v (at byte %d)", syntaxErr, syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON value is incomplete"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "a JSON object"
	}
	return t.String()
}

// patchFields maps each TaskPatch field to how a value or a null changes a
// task. A nil clear means the field cannot be null.
var patchFields = map[string]struct {
	set   func(key string, raw json.RawMessage) (func(*taskFields), error)
	clear func(*taskFields)
}{
	"title":       {set: setter(checkTitle, func(f *taskFields, v string) { f.Title = v })},
	"description": {setter(checkDescription, func(f *taskFields, v string) { f.Description = v }), func(f *taskFields) { f.Description = "" }},
	"status":      {set: setter(checkStatus, func(f *taskFields, v string) { f.Status = v })},
	"tags":        {setter(checkTags, func(f *taskFields, v []string) { f.Tags = v }), func(f *taskFields) { f.Tags = nil }},
	"due":         {setter(checkDue, func(f *taskFields, v string) { f.Due = v }), func(f *taskFields) { f.Due = "" }},
	"priority":    {setter(checkPriority, func(f *taskFields, v int) { f.Priority = &v }), func(f *taskFields) { f.Priority = nil }},
}

func setter[T any](check func(T) error, set func(*taskFields, T)) func(string, json.RawMessage) (func(*taskFields), error) {
	return func(key string, raw json.RawMessage) (func(*taskFields), error) {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, badRequest("field %q must be %s, got %s", key, kindName(reflect.TypeFor[T]()), snippet(raw))
		}
		if err := check(v); err != nil {
			return nil, err
		}
		return func(f *taskFields) { set(f, v) }, nil
	}
}

// decodePatch reads a JSON merge patch (RFC 7396) and returns the change it
// makes, having validated every value.
func decodePatch(r *http.Request) (func(*taskFields), error) {
	var raw map[string]json.RawMessage
	if err := decodeJSON(r, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, badRequest("the merge patch must be a JSON object, not null")
	}
	var ops []func(*taskFields)
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		field, ok := patchFields[key]
		if !ok {
			return nil, badRequest("unknown field %q", key)
		}
		val := raw[key]
		if string(bytes.TrimSpace(val)) == "null" {
			if field.clear == nil {
				return nil, badRequest("field %q cannot be null", key)
			}
			ops = append(ops, field.clear)
			continue
		}
		op, err := field.set(key, val)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return func(f *taskFields) {
		for _, op := range ops {
			op(f)
		}
	}, nil
}

// snippet shortens a raw value for an error message.
func snippet(raw []byte) string {
	const max = 40
	if len(raw) <= max {
		return string(raw)
	}
	return string(bytes.ToValidUTF8(raw[:max], nil)) + "…"
}
