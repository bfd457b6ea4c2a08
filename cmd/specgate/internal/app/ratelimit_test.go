package app_test

import (
	"strings"
	"testing"
)

func TestToolCallRateLimit(t *testing.T) {
	cfg := defaults(t)
	cfg.ToolCallsPerMinute = 3
	a, url := startApp(t, cfg)
	c := connect(t, url, false)
	for i := 0; i < 3; i++ {
		if res := call(t, c, "getTask", map[string]any{"taskId": "t1"}); res.IsError {
			t.Fatalf("call %d: %s", i+1, text(res))
		}
	}
	before := len(a.Demo().Requests())
	res := call(t, c, "getTask", map[string]any{"taskId": "t1"})
	if !res.IsError || !strings.Contains(text(res), "at most 3 tool calls per minute") {
		t.Fatalf("4th call: %s", text(res))
	}
	if len(a.Demo().Requests()) != before {
		t.Fatal("a rate-limited call reached the upstream")
	}
}
