package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
	"unicode/utf8"
)

// AuditKind is the event field of an audit record.
type AuditKind string

// Audit record kinds.
const (
	AuditToolCall AuditKind = "tool_call"
	AuditGrant    AuditKind = "grant"   // an authorization code was exchanged for tokens
	AuditRefresh  AuditKind = "refresh" // a refresh token was redeemed
	AuditRevoke   AuditKind = "revoke"  // a token was revoked
	AuditLogin    AuditKind = "login"   // a sign-in form was submitted
)

// Limits on what one audit record carries; longer values are cut.
const (
	maxAuditString = 256
	maxAuditScopes = 64
)

// AuditEvent is one audit record. It has only typed, named fields on
// purpose: there is no place for a token, password, credential or any
// free-form data, so none can end up in the audit log by accident.
type AuditEvent struct {
	// Time defaults to now.
	Time time.Time
	Kind AuditKind
	// User is the authenticated subject, Client the OAuth client ID.
	User, Client string
	// API and Tool name the tool called (tool_call only).
	API, Tool string
	// Scopes are the scopes of the caller's token or of the grant.
	Scopes []string
	// UpstreamStatus is the upstream HTTP status; 0 when no request was
	// sent or no response arrived.
	UpstreamStatus int
	// Duration of the tool call (tool_call only).
	Duration time.Duration
	// Outcome is e.g. "ok", "error", "failed", "throttled".
	Outcome string
	// RequestID defaults to the request ID in the context.
	RequestID string
}

// auditLine is the JSON form of an AuditEvent; field order is stable.
type auditLine struct {
	Time           string   `json:"time"`
	Event          string   `json:"event"`
	User           string   `json:"user,omitempty"`
	Client         string   `json:"client,omitempty"`
	API            string   `json:"api,omitempty"`
	Tool           string   `json:"tool,omitempty"`
	Scopes         []string `json:"scopes,omitempty"`
	UpstreamStatus int      `json:"upstream_status,omitempty"`
	DurationMS     *float64 `json:"duration_ms,omitempty"`
	Outcome        string   `json:"outcome,omitempty"`
	RequestID      string   `json:"request_id,omitempty"`
}

// Audit writes one JSON object per line to a writer, separate from the
// application log. It is safe for concurrent use; a nil *Audit records
// nothing.
type Audit struct {
	mu     sync.Mutex
	w      io.Writer
	log    *slog.Logger
	now    func() time.Time
	failed bool // a write failed; logged once until a write succeeds again
}

// NewAudit returns an audit log writing to w. Write failures are reported
// to log (nil discards them) and never block the request.
func NewAudit(w io.Writer, log *slog.Logger) *Audit {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Audit{w: w, log: log, now: time.Now}
}

// OpenAudit opens the audit log named by path: "" disables it (nil Audit),
// "-" writes to stdout, anything else is a file opened for appending
// (created 0600). Close the returned closer at shutdown.
func OpenAudit(path string, stdout io.Writer, log *slog.Logger) (*Audit, io.Closer, error) {
	switch path {
	case "":
		return nil, noClose{}, nil
	case "-":
		return NewAudit(stdout, log), noClose{}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open audit log %s: %w", path, err)
	}
	return NewAudit(f, log), f, nil
}

// Record writes e as one line.
func (a *Audit) Record(ctx context.Context, e AuditEvent) {
	if a == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = a.now()
	}
	if e.RequestID == "" {
		e.RequestID = RequestIDFromContext(ctx)
	}
	line := auditLine{
		Time:           e.Time.UTC().Format(time.RFC3339Nano),
		Event:          clip(string(e.Kind)),
		User:           clip(e.User),
		Client:         clip(e.Client),
		API:            clip(e.API),
		Tool:           clip(e.Tool),
		UpstreamStatus: e.UpstreamStatus,
		Outcome:        clip(e.Outcome),
		RequestID:      clip(e.RequestID),
	}
	for i, s := range e.Scopes {
		if i == maxAuditScopes {
			break
		}
		line.Scopes = append(line.Scopes, clip(s))
	}
	if e.Kind == AuditToolCall {
		ms := float64(e.Duration.Microseconds()) / 1000
		line.DurationMS = &ms
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(line); err != nil { // cannot happen: strings and numbers only
		a.log.ErrorContext(ctx, "encode audit record", "event", line.Event, "err", err)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	// One Write per line keeps lines whole on files opened for appending.
	if _, err := a.w.Write(buf.Bytes()); err != nil {
		if !a.failed {
			a.log.ErrorContext(ctx, "write audit log failed; audit records are being lost", "err", err)
		}
		a.failed = true
		return
	}
	if a.failed {
		a.log.InfoContext(ctx, "audit log writable again")
		a.failed = false
	}
}

// clip cuts s to maxAuditString bytes on a rune boundary.
func clip(s string) string {
	if len(s) <= maxAuditString {
		return s
	}
	i := maxAuditString
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// noClose is the closer of an audit log that has nothing to close.
type noClose struct{}

func (noClose) Close() error { return nil }
