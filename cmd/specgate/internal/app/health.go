package app

import (
	"encoding/json"
	"net/http"
)

// healthz reports liveness plus what is being served, as JSON.
func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	cat := a.holder.Current()
	st := a.refresher.Status()
	body := map[string]any{
		"status":  "ok",
		"version": Version,
		"spec": map[string]any{
			"source":       a.SpecSource,
			"title":        cat.Title,
			"version":      cat.Version,
			"digest":       cat.Digest,
			"operations":   cat.Len(),
			"last_success": st.LastSuccess,
			"last_error":   st.LastError,
		},
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(body)
}
