package specload

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/specgate/specgate/proxy/catalog"
)

// Validate checks doc against the OpenAPI specification and returns every
// problem as a warning. It can take seconds on big specs: run it in the
// background, never on a request path. It reads doc.Spec only.
func Validate(ctx context.Context, doc *Document) (warns []catalog.Warning) {
	if doc == nil || doc.Spec == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			warns = append(warns, catalog.Warning{Message: fmt.Sprintf("validation stopped: validator failed: %v", r)})
		}
	}()
	err := doc.Spec.Validate(ctx, openapi3.EnableMultiError())
	if err == nil {
		return nil
	}
	errs := []error{err}
	if me, ok := err.(openapi3.MultiError); ok {
		// Keep each top-level error whole: its wrappers say where it is.
		errs = me
	}
	for _, e := range errs {
		warns = append(warns, catalog.Warning{Where: validationWhere(e), Message: cleanMessage(e.Error())})
	}
	return warns
}

// maxMessage bounds a validation message: kin-openapi can nest many
// schema errors in one.
const maxMessage = 1000

// cleanMessage drops the schema and value dumps kin-openapi appends to
// schema errors (whole schemas, unfit for a log line) and joins the lines.
func cleanMessage(msg string) string {
	var out []string
	skipping := false
	for _, line := range strings.Split(msg, "\n") {
		t := strings.TrimSpace(line)
		if t == "Schema:" || t == "Value:" {
			skipping = true
			continue
		}
		if skipping && (t == "" || strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) {
			continue
		}
		skipping = false
		if t != "" {
			out = append(out, t)
		}
	}
	s := strings.Join(out, " ")
	if len(s) > maxMessage {
		s = strings.ToValidUTF8(s[:maxMessage], "") + "..."
	}
	return s
}

var componentKeys = map[string]string{
	"schema": "schemas", "parameter": "parameters", "header": "headers",
	"request body": "requestBodies", "response": "responses",
	"security scheme": "securitySchemes", "example": "examples", "link": "links",
	"callback": "callbacks",
}

// validationWhere names the place of a validation error from kin-openapi's
// context wrappers: "GET /pets", "/pets", "#/components/schemas/Pet" or the
// section.
func validationWhere(err error) string {
	var op *openapi3.OperationValidationError
	var path *openapi3.PathValidationError
	var comp *openapi3.ComponentValidationError
	var sec *openapi3.SectionValidationError
	switch {
	case errors.As(err, &path) && errors.As(err, &op):
		return strings.ToUpper(op.Method) + " " + path.Path
	case errors.As(err, &path):
		return path.Path
	case errors.As(err, &comp):
		key := componentKeys[comp.Section]
		if key == "" {
			key = comp.Section
		}
		return pointer([]string{"components", key, comp.Name})
	case errors.As(err, &sec):
		return "#/" + sec.Section
	}
	return ""
}
