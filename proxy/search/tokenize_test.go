package search

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"chat.postMessage", []string{"chat", "post", "messag"}},
		{"admin_conversations_convertToPrivate", []string{"admin", "conversat", "convert", "privat"}},
		{"/v2/customers/{customer_id}/cards", []string{"v2", "customer", "customer", "id", "card"}},
		{"list-project-api-keys", []string{"list", "project", "api", "key"}},
		{"HTTPServerURL parseJSONBody", []string{"http", "server", "url", "pars", "json", "body"}},
		{"oauth2Token", []string{"oauth2", "token"}},
		{"Send a message to the channel", []string{"send", "messag", "channel"}},
		{"creates created creating creation create", []string{"creat", "creat", "creat", "creat", "creat"}},
		{"subscription subscribe transcribe transcription", []string{"subscrib", "subscrib", "transcrib", "transcrib"}},
		{"policies entries batches boxes", []string{"policy", "entry", "batch", "box"}},
		{"status class analysis", []string{"status", "class", "analysis"}},
		{"stopped shipping called", []string{"stop", "ship"}},
		{"reaction reactions react", []string{"react", "react", "react"}},
		{"moving move", []string{"mov", "mov"}},
		{"Größe café", []string{"größe", "café"}},
		{"", nil},
		{"the of and", nil},
	}
	for _, tt := range tests {
		if got := tokens(tt.in, nil); !slices.Equal(got, tt.want) {
			t.Errorf("tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitCase(t *testing.T) {
	tests := map[string][]string{
		"postMessage":   {"post", "Message"},
		"URLPath":       {"URL", "Path"},
		"getV2Items":    {"get", "V2", "Items"},
		"lowercase":     {"lowercase"},
		"ABC":           {"ABC"},
		"BatchUpsertCO": {"Batch", "Upsert", "CO"},
	}
	for in, want := range tests {
		if got := splitCase(in); !slices.Equal(got, want) {
			t.Errorf("splitCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzTokens(f *testing.F) {
	for _, s := range []string{"chat.postMessage", "/v1/{a.b}/c-d_e", "ÀÉÎõü ßẞ", "İstanbul", "iiiiies", "x\x00y", "ssssss"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range tokens(s, nil) {
			if tok == "" {
				t.Fatalf("tokens(%q) produced an empty term", s)
			}
			if strings.IndexFunc(tok, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) >= 0 {
				t.Fatalf("tokens(%q) produced %q with a separator in it", s, tok)
			}
			if tok != strings.ToLower(tok) {
				t.Fatalf("tokens(%q) produced %q, not lower-case", s, tok)
			}
		}
	})
}
