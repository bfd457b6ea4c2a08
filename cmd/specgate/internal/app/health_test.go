package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestHealthAndReadiness(t *testing.T) {
	_, mcpURL := startApp(t, defaults(t))
	base := strings.TrimSuffix(mcpURL, "/mcp")
	for _, c := range []struct {
		path  string
		check func(map[string]any) bool
	}{
		{"/healthz", func(m map[string]any) bool {
			spec, _ := m["spec"].(map[string]any)
			return m["status"] == "ok" && spec["operations"] == float64(8) && spec["title"] == "Team Tasks"
		}},
		{"/readyz", func(m map[string]any) bool {
			checks, _ := m["checks"].(map[string]any)
			return m["ready"] == true && checks["spec"] == "ok"
		}},
	} {
		resp, err := http.Get(base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || !c.check(body) {
			t.Fatalf("%s: %d %v %v", c.path, resp.StatusCode, body, err)
		}
	}
}
