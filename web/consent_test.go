package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func TestRenderConsent(t *testing.T) {
	scopes := []ScopeChoice{
		{Name: "read", Description: "View data", Checked: true},
		{Name: "write", Description: "Create and change data", Checked: true},
		{Name: "admin", Description: "", Checked: false},
	}
	tests := []struct {
		name        string
		page        ConsentPage
		wantWarning bool
		wantClient  string
		check       func(t *testing.T, d *doc)
	}{
		{
			name: "loopback client",
			page: ConsentPage{Action: "/consent", CSRFToken: "c1", RequestID: "r1", ClientName: "Claude Code",
				RedirectHost: "localhost:53682", User: "Alice Example", LoopbackRedirect: true, Scopes: scopes},
			wantWarning: true, wantClient: "Claude Code",
		},
		{
			name: "remote client with website",
			page: ConsentPage{Action: "/consent", CSRFToken: "c2", RequestID: "r2", ClientName: "Acme",
				ClientURI: "https://acme.example/app", RedirectHost: "app.acme.example", User: "bob", Scopes: scopes[:1],
				ProductName: "Pets API"},
			wantClient: "Acme",
			check: func(t *testing.T, d *doc) {
				if !strings.Contains(text(d.root), "https://acme.example/app") {
					t.Error("client website missing")
				}
				if len(d.tag("a")) != 0 {
					t.Error("unverified client website must not be a link")
				}
				if !strings.Contains(text(d.byAttr("h1", "id", "page-title")), "your Pets API account") {
					t.Error("product name missing from heading")
				}
			},
		},
		{
			name:        "unnamed client without scopes",
			page:        ConsentPage{Action: "/consent", CSRFToken: "c3", RequestID: "r3", RedirectHost: "127.0.0.1:9", User: "u", LoopbackRedirect: true},
			wantWarning: true, wantClient: "An unnamed application",
			check: func(t *testing.T, d *doc) {
				if len(d.tag("fieldset")) != 0 {
					t.Error("empty scope list rendered")
				}
				if !strings.Contains(text(d.root), "asks for no specific permissions") {
					t.Error("no-scopes hint missing")
				}
			},
		},
		{
			name: "escaping",
			page: ConsentPage{Action: "/consent", CSRFToken: "c4", RequestID: "r4",
				ClientName: `<script>alert(1)</script>`, ClientURI: `javascript:alert(1)`, RedirectHost: `evil"><svg onload=x>`,
				User: `<b>u</b>`, Scopes: []ScopeChoice{{Name: `a" onclick="x`, Description: `<img src=x>`, Checked: true}}},
			wantClient: `<script>alert(1)</script>`,
			check: func(t *testing.T, d *doc) {
				if len(d.tag("img")) != 0 || len(d.tag("b")) != 0 || len(d.tag("svg")) != 1 { // the brand mark only
					t.Errorf("markup injected: img=%d b=%d svg=%d", len(d.tag("img")), len(d.tag("b")), len(d.tag("svg")))
				}
				box := d.byAttr("input", "id", "scope-0")
				if v, _ := attr(box, "value"); v != `a" onclick="x` {
					t.Errorf("scope value = %q", v)
				}
				if !strings.Contains(text(d.root), `evil"><svg onload=x>`) {
					t.Error("redirect host text does not round-trip")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if err := RenderConsent(rec, http.StatusOK, tt.page); err != nil {
				t.Fatal(err)
			}
			d := checkCommon(t, rec, http.StatusOK)
			checkHidden(t, d, tt.page.CSRFToken, tt.page.RequestID)
			h1 := text(d.byAttr("h1", "id", "page-title"))
			if !strings.HasPrefix(h1, tt.wantClient+" wants to access") {
				t.Errorf("h1 = %q, want the client name %q", h1, tt.wantClient)
			}
			host := d.byAttr("p", "class", "redirect-host mono")
			if got := text(host); got != tt.page.RedirectHost {
				t.Errorf("redirect host = %q, want %q", got, tt.page.RedirectHost)
			}
			if !strings.Contains(text(d.root), "will redirect you to "+tt.page.RedirectHost) {
				t.Error("redirect sentence missing")
			}
			if !strings.Contains(text(d.byAttr("p", "class", "signed-in")), "Signed in as "+tt.page.User) {
				t.Error("signed-in user missing")
			}
			warned := strings.Contains(text(d.root), "This application runs on your own computer")
			if warned != tt.wantWarning {
				t.Errorf("loopback warning shown = %v, want %v", warned, tt.wantWarning)
			}
			checkScopes(t, d, tt.page.Scopes)
			checkDecisions(t, d)
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

// checkScopes verifies one labelled checkbox per scope, in order.
func checkScopes(t *testing.T, d *doc, want []ScopeChoice) {
	t.Helper()
	boxes := d.all(func(n *html.Node) bool {
		typ, _ := attr(n, "type")
		return n.Data == "input" && typ == "checkbox"
	})
	if len(boxes) != len(want) {
		t.Fatalf("%d checkboxes, want %d", len(boxes), len(want))
	}
	for i, box := range boxes {
		name, _ := attr(box, "name")
		value, _ := attr(box, "value")
		_, checked := attr(box, "checked")
		id, _ := attr(box, "id")
		if name != FieldScope || value != want[i].Name || checked != want[i].Checked {
			t.Errorf("checkbox %d: name=%q value=%q checked=%v, want %q %q %v",
				i, name, value, checked, FieldScope, want[i].Name, want[i].Checked)
		}
		label := text(d.byAttr("label", "for", id))
		if !strings.Contains(label, want[i].Name) || !strings.Contains(label, want[i].Description) {
			t.Errorf("label of %q = %q, want name and description", want[i].Name, label)
		}
	}
}

// checkDecisions verifies the Deny and Approve submit buttons; Deny comes
// first so pressing Enter (implicit submission) denies.
func checkDecisions(t *testing.T, d *doc) {
	t.Helper()
	buttons := d.tag("button")
	if len(buttons) != 2 {
		t.Fatalf("%d buttons, want 2", len(buttons))
	}
	for i, want := range []string{DecisionDeny, DecisionApprove} {
		typ, _ := attr(buttons[i], "type")
		name, _ := attr(buttons[i], "name")
		value, _ := attr(buttons[i], "value")
		if typ != "submit" || name != FieldDecision || value != want {
			t.Errorf("button %d: type=%q name=%q value=%q, want submit %q %q", i, typ, name, value, FieldDecision, want)
		}
	}
}

func FuzzRenderConsent(f *testing.F) {
	f.Add("Claude Code", "localhost:1", "alice", "read", "View")
	f.Add("<script>x</script>", `"'><`, "&amp;", "a b", "\x00\ufffd")
	f.Fuzz(func(t *testing.T, client, host, user, scope, desc string) {
		if host == "" {
			host = "h"
		}
		rec := httptest.NewRecorder()
		p := ConsentPage{CSRFToken: "t", ClientName: client, RedirectHost: host, User: user,
			Scopes: []ScopeChoice{{Name: scope, Description: desc, Checked: true}}}
		if err := RenderConsent(rec, 200, p); err != nil {
			t.Fatal(err)
		}
		d := parse(t, rec.Body.String())
		if n := len(d.tag("script")); n != 0 {
			t.Fatalf("%d script elements", n)
		}
		if n := len(d.tag("button")); n != 2 {
			t.Fatalf("%d buttons: markup broken by input", n)
		}
		// The HTML parser rewrites NUL, CR and invalid UTF-8, so only
		// clean values must round-trip exactly.
		if !utf8.ValidString(scope) || strings.ContainsAny(scope, "\x00\r") {
			return
		}
		if v, _ := attr(d.byAttr("input", "id", "scope-0"), "value"); v != scope {
			t.Fatalf("scope value %q does not round-trip %q", v, scope)
		}
	})
}
