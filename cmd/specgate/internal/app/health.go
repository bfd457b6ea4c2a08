package app

import (
	"encoding/json"
	"net/http"

	"github.com/specgate/specgate/proxy/specload"
)

// healthz reports liveness plus what is being served, as JSON.
func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	var apis []map[string]any
	for _, s := range a.apis {
		cat := s.holder.Current()
		st := s.refresher.Status()
		apis = append(apis, map[string]any{
			"name":         s.name,
			"path":         s.path,
			"mode":         s.mcp.Mode(),
			"source":       specload.RedactSource(s.source), // /healthz is public: no tokens from the URL
			"title":        cat.Title,
			"version":      cat.Version,
			"digest":       cat.Digest,
			"operations":   cat.Len(),
			"last_success": st.LastSuccess,
			"last_error":   st.LastError,
		})
	}
	body := map[string]any{
		"status":  "ok",
		"version": Version,
		"spec":    apis[0], // the first (usually only) API
		"apis":    apis,
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(body)
}

// readyCheck is one dependency /readyz reports on.
type readyCheck struct {
	name  string
	check func(r *http.Request) error
}

// readyz reports whether this instance can serve: a spec is loaded and every
// dependency (e.g. the shared store) answers. 503 when not.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{}
	ready := true
	for _, s := range a.apis {
		key := "spec"
		if len(a.apis) > 1 {
			key = "spec:" + s.name
		}
		if s.holder.Current() == nil {
			checks[key] = "no spec loaded"
			ready = false
		} else {
			checks[key] = "ok"
		}
	}
	for _, c := range a.readyChecks {
		if err := c.check(r); err != nil {
			checks[c.name] = err.Error()
			ready = false
		} else {
			checks[c.name] = "ok"
		}
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": ready, "checks": checks})
}
