// Package telemetry is specgate's operational instrumentation: Prometheus
// metrics on a private registry (Metrics), request IDs carried from the
// client through the logs to the upstream API (RequestID,
// PropagateRequestID, NewLogHandler), and a JSON-lines audit log of tool
// calls and OAuth events (Audit).
//
// Packages that emit events (oauth, forward, refresh, mcpserver) do not
// import this package: each exposes a plain func hook in its Options, and
// Hooks adapts those hooks to a Recorder and an Audit for one API, so only
// the application wiring depends on Prometheus.
package telemetry

import "time"

// Recorder receives the events specgate measures. Metrics implements it;
// so does Discard. Label values should come from small fixed sets (the
// constants below, tool names from the catalog, HTTP status codes).
type Recorder interface {
	// ToolCall records one tools/call of tool on api with its outcome
	// (OutcomeOK or OutcomeError) and duration.
	ToolCall(api, tool, outcome string, d time.Duration)
	// Upstream records one upstream HTTP exchange; status 0 means no
	// response arrived (connection error or timeout).
	Upstream(api string, status int, d time.Duration)
	// SpecRefresh records one spec load or reload result: "ok",
	// "not_modified" or "failed" (refresh.Result*).
	SpecRefresh(api, result string)
	// SpecState records the spec in force for api.
	SpecState(api, digest, version string, ops int)
	// Token records a token event: TokenIssued, TokenRefreshed or TokenRevoked.
	Token(event string)
	// Login records a sign-in result: LoginOK, LoginFailed or LoginThrottled.
	Login(result string)
	// Throttled records a request refused by a rate limit, by kind
	// (e.g. "login", "register").
	Throttled(kind string)
}

// Outcomes of a tool call.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
)

// Token events.
const (
	TokenIssued    = "issued"
	TokenRefreshed = "refreshed"
	TokenRevoked   = "revoked"
)

// Login results.
const (
	LoginOK        = "ok"
	LoginFailed    = "failed"
	LoginThrottled = "throttled"
)

// Discard is a Recorder that records nothing.
var Discard Recorder = discard{}

type discard struct{}

func (discard) ToolCall(string, string, string, time.Duration) {}
func (discard) Upstream(string, int, time.Duration)            {}
func (discard) SpecRefresh(string, string)                     {}
func (discard) SpecState(string, string, string, int)          {}
func (discard) Token(string)                                   {}
func (discard) Login(string)                                   {}
func (discard) Throttled(string)                               {}
