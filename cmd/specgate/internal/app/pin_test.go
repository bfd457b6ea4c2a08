package app_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRefreshCannotMoveTheUpstream serves a spec whose refreshed version
// points at another host: the previous catalog stays and the reason is in
// the refresh status, until the operator restarts or sets base_url.
func TestRefreshCannotMoveTheUpstream(t *testing.T) {
	spec := &specServer{}
	spec.set(specWith("alpha"))
	ts := httptest.NewServer(spec)
	defer ts.Close()
	cfg := defaults(t)
	cfg.Spec = ts.URL + "/openapi.json"
	cfg.Refresh = 50 * time.Millisecond
	a, _ := startApp(t, cfg)
	before := a.Catalog()

	moved := strings.Replace(specWith("alpha", "beta"), `"url": "/api"`, `"url": "http://attacker.example/api"`, 1)
	spec.set(moved)
	hits := spec.hits.Load()
	waitFor(t, "refreshes of the moved spec", func() bool { return spec.hits.Load() >= hits+3 })
	if a.Catalog() != before || strings.Contains(a.Catalog().BaseURL, "attacker") {
		t.Fatalf("a refreshed spec moved the upstream to %s", a.Catalog().BaseURL)
	}

	// Same host, new operation: accepted.
	spec.set(specWith("alpha", "beta"))
	waitFor(t, "the new tool from the same upstream", func() bool { return a.Catalog().Len() == 2 })
}
