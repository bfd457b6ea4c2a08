package specload

import (
	"context"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	valid := mustParse(t, `{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
	  "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok"}}}}}}`)
	if w := Validate(context.Background(), valid); len(w) != 0 {
		t.Errorf("valid document: %v", w)
	}

	invalid := mustParse(t, `{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
	  "paths": {
	    "/pets/{id}": {"get": {"responses": {"200": {"description": "ok"}}}},
	    "/pets": {"post": {"responses": {"200": {"description": "ok", "content": {"application/json": {
	      "schema": {"type": "object", "properties": {"n": {"type": "integer"}}}, "example": {"n": "not a number"}}}}}}}
	  },
	  "components": {"schemas": {"Bad": {"type": "bogus"}}}}`)
	w := Validate(context.Background(), invalid)
	want := map[string]string{
		"#/paths":                  "GET /pets/{id} must define exactly all path parameters",
		"POST /pets":               `Error at "/n"`,
		"#/components/schemas/Bad": "bogus",
	}
	for _, x := range w {
		if strings.Contains(x.Message, "\n") || strings.Contains(x.Message, "Schema:") {
			t.Errorf("message not cleaned: %q", x.Message)
		}
		if sub, ok := want[x.Where]; ok && strings.Contains(x.Message, sub) {
			delete(want, x.Where)
		}
	}
	if len(want) != 0 {
		t.Errorf("missing warnings %v in %v", want, w)
	}
	if Validate(context.Background(), nil) != nil {
		t.Error("nil document")
	}
}
