package specload

import (
	"context"
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}}`,
		`{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "host": "h/x", "paths": {"/a": {"get": {"parameters": [{"$ref": "#/parameters/P"}], "responses": {"200": {"description": "ok", "schema": {"items": [{"type": "null"}], "type": ["null", "string"]}}}}}}}`,
		"openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    $ref: '#/components/pathItems/X'\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/A'}\n",
		"openapi: 3.0.0\n200: &a {x: *a}\n",
		`{"openapi": "3.0.0", "paths": {"/a": {"get": {"parameters": "x"}}}}`,
		"swagger: 2.0\ndefinitions: {A: {properties: {b: {required: true}}}}\n",
		"{\"openapi\": 3.1, \"components\": {\"schemas\": {\"A\": {\"$ref\": \"other.json#/A\", \"discriminator\": {\"mapping\": {\"a\": \"x/y\"}}}}}}",
		"openapi: .inf\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			t.Skip()
		}
		doc, err := Parse(context.Background(), data, "fuzz.yaml", Options{})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a *ParseError: %v", err)
			}
			return
		}
		if doc.Spec == nil {
			t.Fatal("nil Spec without error")
		}
		_, _ = doc.BaseURL()
	})
}
