package demoapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// Problem is the RFC 7807-style error body of every failed API request,
// sent as application/problem+json.
type Problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Error makes a Problem usable as an error inside the package.
func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

func problemf(status int, format string, args ...any) error {
	return &Problem{Title: http.StatusText(status), Status: status, Detail: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return problemf(http.StatusBadRequest, format, args...)
}

// writeError sends err as a problem; errors that are not a *Problem are bugs
// and become a 500 without leaking their text.
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	var p *Problem
	if !errors.As(err, &p) {
		log.Error("demo api request failed", "err", err)
		p = &Problem{Title: http.StatusText(http.StatusInternalServerError), Status: http.StatusInternalServerError,
			Detail: "internal error"}
	}
	writeBody(w, log, p.Status, "application/problem+json", p)
}

func writeJSON(w http.ResponseWriter, log *slog.Logger, status int, v any) {
	writeBody(w, log, status, "application/json", v)
}

func writeBody(w http.ResponseWriter, log *slog.Logger, status int, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own types are marshalled, so this is a bug.
		log.Error("encode demo api response", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
