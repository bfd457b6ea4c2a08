package telemetry

import (
	"context"
	"time"

	"github.com/specgate/specgate/proxy/catalog"
)

// Identity is who made a request, as far as the audit log is concerned.
type Identity struct {
	User, Client string
	Scopes       []string
}

// Hooks adapts the event hooks of specgate's packages to a Recorder and an
// Audit for one API. Its methods have exactly the signatures of the hooks,
// so method values plug in directly:
//
//	mcpserver.Options.OnToolCall = h.ToolCall
//	forward.Options.OnUpstream   = h.Upstream
//	refresh.Options.OnRefresh    = h.Refresh
//	holder.Subscribe(h.SpecChanged)
//	oauth.Config.OnEvent: func(ctx context.Context, e oauth.Event) {
//		h.OAuth(ctx, string(e.Kind), e.Subject, e.ClientID, e.Scopes)
//	}
//
// The zero value of every field is valid: no metrics, no audit log,
// anonymous callers.
type Hooks struct {
	// API is the api label of metrics and the api field of audit records.
	API string
	// Metrics receives measurements; nil records none.
	Metrics Recorder
	// Audit receives audit records; nil writes none.
	Audit *Audit
	// Identify returns the caller of a request (e.g. from the OAuth
	// principal in ctx); nil means anonymous.
	Identify func(ctx context.Context) Identity
}

func (h Hooks) metrics() Recorder {
	if h.Metrics == nil {
		return Discard
	}
	return h.Metrics
}

func (h Hooks) identify(ctx context.Context) Identity {
	if h.Identify == nil {
		return Identity{}
	}
	return h.Identify(ctx)
}

// ToolCall records a finished tools/call: a metric and an audit record with
// the caller, the upstream status the same request saw (see Upstream) and
// the request ID. It fits mcpserver.Options.OnToolCall.
func (h Hooks) ToolCall(ctx context.Context, op *catalog.Operation, isError bool, d time.Duration) {
	if op == nil {
		return
	}
	outcome := OutcomeOK
	if isError {
		outcome = OutcomeError
	}
	h.metrics().ToolCall(h.API, op.Name, outcome, d)
	if h.Audit == nil {
		return
	}
	who := h.identify(ctx)
	h.Audit.Record(ctx, AuditEvent{
		Kind: AuditToolCall, User: who.User, Client: who.Client, Scopes: who.Scopes,
		API: h.API, Tool: op.Name, UpstreamStatus: upstreamStatus(ctx), Duration: d, Outcome: outcome,
	})
}

// Upstream records an upstream exchange and remembers its status for the
// tool call's audit record. It fits forward.Options.OnUpstream.
func (h Hooks) Upstream(ctx context.Context, status int, d time.Duration) {
	h.metrics().Upstream(h.API, status, d)
	noteUpstream(ctx, status)
}

// Refresh records a spec load result. It fits refresh.Options.OnRefresh.
func (h Hooks) Refresh(result string) { h.metrics().SpecRefresh(h.API, result) }

// SpecChanged records the catalog now in force. It fits
// catalog.Holder.Subscribe.
func (h Hooks) SpecChanged(_, cur *catalog.Catalog) {
	if cur != nil {
		h.metrics().SpecState(h.API, cur.Digest, cur.Version, cur.Len())
	}
}

// OAuth records an authorization server event; kind is an oauth.EventKind
// ("token_issued", "token_refreshed", "token_revoked", "login_ok",
// "login_failed", "login_throttled", "register_throttled"). Unknown kinds
// are ignored.
func (h Hooks) OAuth(ctx context.Context, kind, user, client string, scopes []string) {
	m := h.metrics()
	rec := AuditEvent{User: user, Client: client, Scopes: scopes, Outcome: OutcomeOK}
	switch kind {
	case "token_issued":
		m.Token(TokenIssued)
		rec.Kind = AuditGrant
	case "token_refreshed":
		m.Token(TokenRefreshed)
		rec.Kind = AuditRefresh
	case "token_revoked":
		m.Token(TokenRevoked)
		rec.Kind = AuditRevoke
	case "login_ok":
		m.Login(LoginOK)
		rec.Kind, rec.Outcome = AuditLogin, LoginOK
	case "login_failed":
		m.Login(LoginFailed)
		rec.Kind, rec.Outcome = AuditLogin, LoginFailed
	case "login_throttled":
		m.Login(LoginThrottled)
		m.Throttled("login")
		rec.Kind, rec.Outcome = AuditLogin, LoginThrottled
	case "register_throttled":
		m.Throttled("register")
		return // not a grant: metrics only
	default:
		return
	}
	h.Audit.Record(ctx, rec)
}
