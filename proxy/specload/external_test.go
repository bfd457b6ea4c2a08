package specload

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// refServer serves a spec with external $refs and the documents they name.
func refServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var common atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/spec.json", func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		w.Write([]byte(`{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
		  "paths": {"/pay": {"post": {
		    "requestBody": {"content": {"application/json": {"schema": {"$ref": "schemas/common.yaml#/definitions/Money"}}}},
		    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "http://` + host + `/schemas/common.yaml#/definitions/Receipt"}}}}}}}},
		  "components": {"schemas": {
		    "Missing": {"$ref": "schemas/common.yaml#/definitions/Nope"},
		    "Gone": {"$ref": "/404.json#/X"},
		    "Away": {"$ref": "/redirect.json#/X"}
		  }}}`))
	})
	mux.HandleFunc("/schemas/common.yaml", func(w http.ResponseWriter, r *http.Request) {
		common.Add(1)
		w.Write([]byte(`
definitions:
  Money:
    type: object
    properties:
      amount: {type: integer}
      currency: {$ref: "currency.json#/Currency"}
  Receipt:
    type: object
    properties:
      total: {$ref: "#/definitions/Money"}
      broken: {$ref: "#/definitions/Absent"}
`))
	})
	mux.HandleFunc("/schemas/currency.json", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"Currency": {"type": "string", "enum": ["EUR", "USD"]}}`))
	})
	mux.HandleFunc("/redirect.json", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://elsewhere.invalid/x.json", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &common
}

func TestExternalRefsAllowlisted(t *testing.T) {
	srv, common := refServer(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	loader := NewLoader(Options{AllowExternalRefHosts: []string{host}})
	doc, err := loader.Load(context.Background(), srv.URL+"/spec.json")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	op := doc.Spec.Paths.Find("/pay").Post
	money := op.RequestBody.Value.Content.Get("application/json").Schema.Value
	if money == nil || money.Properties["amount"] == nil {
		t.Fatalf("external Money not resolved: %+v", money)
	}
	if cur := money.Properties["currency"].Value; cur == nil || len(cur.Enum) != 2 {
		t.Errorf("nested relative ref in the external document not resolved: %+v", cur)
	}
	receipt := op.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
	if receipt.Properties["total"].Value.Properties["amount"] == nil {
		t.Errorf("local ref inside the external document not resolved")
	}
	if got := common.Load(); got != 1 {
		t.Errorf("common.yaml fetched %d times, want once", got)
	}
	base := srv.URL + "/schemas/common.yaml"
	for _, w := range []struct{ where, msg string }{
		{base + "#/definitions/Receipt/properties/broken", `"Absent" not found in #/definitions`},
		{"#/components/schemas/Missing", `"Nope" not found in #/definitions`},
		{"#/components/schemas/Gone", "404 Not Found"},
		{"#/components/schemas/Away", "redirect to http://elsewhere.invalid/x.json refused: host elsewhere.invalid is not on the external reference allowlist"},
	} {
		if !hasWarning(doc, w.where, w.msg) {
			t.Errorf("no warning at %s containing %q in %v", w.where, w.msg, doc.Warnings)
		}
	}
}

func TestExternalRefsNotAllowlisted(t *testing.T) {
	srv, common := refServer(t)
	loader := NewLoader(Options{AllowExternalRefHosts: []string{"other.example.com"}})
	doc, err := loader.Load(context.Background(), srv.URL+"/spec.json")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if common.Load() != 0 {
		t.Errorf("a host not on the allowlist was contacted")
	}
	money := doc.Spec.Paths.Find("/pay").Post.RequestBody.Value.Content.Get("application/json").Schema.Value
	if !strings.Contains(money.Description, "is not on the external reference allowlist") {
		t.Errorf("placeholder description = %q", money.Description)
	}
}

func TestExternalFileRefs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("api/spec.yaml", `
openapi: 3.0.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Pet: {$ref: "models/pet.yaml#/Pet"}
    Secret: {$ref: "../secret.yaml#/S"}
    Abs: {$ref: "/etc/hostname"}
`)
	write("api/models/pet.yaml", "Pet: {type: object, properties: {name: {type: string}}}\n")
	write("secret.yaml", "S: {type: string}\n")
	spec := filepath.Join(dir, "api", "spec.yaml")

	t.Run("disabled", func(t *testing.T) {
		doc, err := NewLoader(Options{}).Load(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		if !hasWarning(doc, "#/components/schemas/Pet", "external file references are disabled") {
			t.Errorf("warnings = %v", doc.Warnings)
		}
	})
	t.Run("enabled", func(t *testing.T) {
		u := url.URL{Scheme: "file", Path: filepath.ToSlash(spec)}
		doc, err := NewLoader(Options{AllowExternalFileRefs: true}).Load(context.Background(), u.String())
		if err != nil {
			t.Fatal(err)
		}
		if pet := doc.Spec.Components.Schemas["Pet"].Value; pet.Properties["name"] == nil {
			t.Errorf("file ref not resolved: %+v", pet)
		}
		for _, name := range []string{"Secret", "Abs"} {
			if !hasWarning(doc, "#/components/schemas/"+name, "outside the spec's directory") {
				t.Errorf("%s: warnings = %v", name, doc.Warnings)
			}
		}
	})
}
