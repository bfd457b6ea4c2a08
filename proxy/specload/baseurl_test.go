package specload

import (
	"context"
	"strings"
	"testing"
)

func TestBaseURL(t *testing.T) {
	const info = `"info": {"title": "t", "version": "1"}, "paths": {}`
	tests := []struct {
		name    string
		spec    string
		source  string
		want    string
		wantErr string
	}{
		{"absolute", `{"openapi": "3.0.0", ` + info + `, "servers": [{"url": "https://api.example.com/v1/"}, {"url": "https://other"}]}`,
			"spec.json", "https://api.example.com/v1", ""},
		{"variables", `{"openapi": "3.0.0", ` + info + `, "servers": [{"url": "{scheme}://{host}/ds-api",
			"variables": {"scheme": {"default": "https", "enum": ["http", "https"]}, "host": {"default": "developer.uspto.gov"}}}]}`,
			"spec.json", "https://developer.uspto.gov/ds-api", ""},
		{"undefined variable", `{"openapi": "3.0.0", ` + info + `, "servers": [{"url": "https://{region}.example.com"}]}`,
			"spec.json", "", "variable {region} is not defined"},
		{"relative to spec URL", `{"openapi": "3.0.0", ` + info + `, "servers": [{"url": "/api/v3"}]}`,
			"https://me:secret@petstore.example.com/openapi/spec.json?x=1", "https://petstore.example.com/api/v3", ""},
		{"relative path", `{"openapi": "3.0.0", ` + info + `, "servers": [{"url": "v2"}]}`,
			"https://h.example.com/openapi/spec.json", "https://h.example.com/openapi/v2", ""},
		{"no servers", `{"openapi": "3.0.0", ` + info + `}`,
			"http://127.0.0.1:8080/spec.json", "http://127.0.0.1:8080", ""},
		{"relative from file", `{"openapi": "3.0.0", ` + info + `, "servers": [{"url": "/v1"}]}`,
			"specs/api.json", "", "set --base-url"},
		{"no servers from file", `{"openapi": "3.0.0", ` + info + `}`,
			"file:///specs/api.json", "", "set --base-url"},
		{"swagger host", `{"swagger": "2.0", ` + info + `, "host": "api.example.com", "basePath": "/v1/"}`,
			"spec.json", "https://api.example.com/v1", ""},
		{"swagger schemes", `{"swagger": "2.0", ` + info + `, "host": "api.example.com:8443", "schemes": ["http"]}`,
			"spec.json", "http://api.example.com:8443", ""},
		{"swagger without host", `{"swagger": "2.0", ` + info + `, "basePath": "/v1"}`,
			"https://docs.example.com/swagger.json", "https://docs.example.com/v1", ""},
		{"swagger without host or basePath", `{"swagger": "2.0", ` + info + `}`,
			"https://docs.example.com/swagger.json", "https://docs.example.com", ""},
		{"not http", `{"openapi": "3.0.0", ` + info + `, "servers": [{"url": "wss://api.example.com"}]}`,
			"spec.json", "", "is not http or https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse(context.Background(), []byte(tt.spec), tt.source, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := doc.BaseURL()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("BaseURL() = %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("BaseURL() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestBaseURLCorpus(t *testing.T) {
	tests := map[string]string{
		"oai-uspto-v3.0.yaml":     "https://developer.uspto.gov/ds-api",
		"oai-petstore-v2.0.json":  "http://petstore.swagger.io/v1",
		"slack-web-api-v2.0.json": "https://slack.com/api",
	}
	for file, want := range tests {
		doc, err := NewLoader(Options{}).Load(context.Background(), corpusFile(t, file))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := doc.BaseURL(); err != nil || got != want {
			t.Errorf("%s: BaseURL() = %q, %v; want %q", file, got, err, want)
		}
	}
}
