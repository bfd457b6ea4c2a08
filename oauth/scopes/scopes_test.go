package scopes

import (
	"slices"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

func TestRequired(t *testing.T) {
	custom := Policy{Read: "api:read", Write: "api:write", Admin: "api:admin"}
	overrides := Policy{
		OperationOverrides: map[string][]string{
			"listPets":    {"pets", "pets", ""},
			"get_health":  {},
			"deletePetOp": {"pets:delete"},
		},
		TagOverrides: map[string][]string{
			"billing": {"billing", "read"},
			"reports": {"reports"},
		},
	}
	tests := []struct {
		name   string
		policy Policy
		op     *catalog.Operation
		want   []string
	}{
		{"nil op", Policy{}, nil, nil},
		{"GET default", Policy{}, &catalog.Operation{Method: "GET"}, []string{"read"}},
		{"HEAD default", Policy{}, &catalog.Operation{Method: "HEAD"}, []string{"read"}},
		{"OPTIONS default", Policy{}, &catalog.Operation{Method: "OPTIONS"}, []string{"read"}},
		{"lower-case get", Policy{}, &catalog.Operation{Method: "get"}, []string{"read"}},
		{"POST default", Policy{}, &catalog.Operation{Method: "POST"}, []string{"write"}},
		{"PUT default", Policy{}, &catalog.Operation{Method: "PUT"}, []string{"write"}},
		{"PATCH default", Policy{}, &catalog.Operation{Method: "PATCH"}, []string{"write"}},
		{"DELETE default", Policy{}, &catalog.Operation{Method: "DELETE"}, []string{"admin"}},
		{"unknown method is admin", Policy{}, &catalog.Operation{Method: "PURGE"}, []string{"admin"}},
		{"custom names GET", custom, &catalog.Operation{Method: "GET"}, []string{"api:read"}},
		{"custom names POST", custom, &catalog.Operation{Method: "POST"}, []string{"api:write"}},
		{"custom names DELETE", custom, &catalog.Operation{Method: "DELETE"}, []string{"api:admin"}},
		{"spec scopes win over method", Policy{},
			&catalog.Operation{Method: "GET", Scopes: []string{"write:pets", "read:pets"}},
			[]string{"read:pets", "write:pets"}},
		{"override by tool name", overrides,
			&catalog.Operation{Name: "listPets", Method: "GET", Scopes: []string{"x"}, Tags: []string{"billing"}},
			[]string{"pets"}},
		{"override by operationId", overrides,
			&catalog.Operation{Name: "delete_pet", OperationID: "deletePetOp", Method: "DELETE"},
			[]string{"pets:delete"}},
		{"empty override needs nothing", overrides,
			&catalog.Operation{Name: "get_health", Method: "GET"}, []string{}},
		{"tag override wins over spec scopes", overrides,
			&catalog.Operation{Name: "invoice", Method: "POST", Tags: []string{"billing"}, Scopes: []string{"x"}},
			[]string{"billing", "read"}},
		{"union of tag overrides", overrides,
			&catalog.Operation{Name: "r", Method: "GET", Tags: []string{"reports", "other", "billing"}},
			[]string{"billing", "read", "reports"}},
		{"unmatched tag falls through", overrides,
			&catalog.Operation{Name: "r", Method: "PUT", Tags: []string{"other"}},
			[]string{"write"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.policy.Required(tt.op)
			if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("Required = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestRequiredDoesNotAlias(t *testing.T) {
	p := Policy{OperationOverrides: map[string][]string{"a": {"x"}}}
	op := &catalog.Operation{Name: "a"}
	got := p.Required(op)
	got[0] = "mutated"
	if p.OperationOverrides["a"][0] != "x" {
		t.Fatal("Required returned a slice aliasing the policy")
	}
	op2 := &catalog.Operation{Name: "b", Scopes: []string{"s"}}
	p.Required(op2)[0] = "mutated"
	if op2.Scopes[0] != "s" {
		t.Fatal("Required returned a slice aliasing the operation")
	}
}

func TestSupported(t *testing.T) {
	c := catalog.New([]*catalog.Operation{
		{Name: "a", Method: "GET"},
		{Name: "b", Method: "POST"},
		{Name: "c", Method: "GET", Scopes: []string{"pets:read"}},
		{Name: "d", Method: "GET"},
	})
	tests := []struct {
		name   string
		policy Policy
		cat    *catalog.Catalog
		want   []string
	}{
		{"nil catalog", Policy{}, nil, []string{"offline_access"}},
		{"empty catalog", Policy{}, catalog.New(nil), []string{"offline_access"}},
		{"defaults", Policy{}, c, []string{"offline_access", "pets:read", "read", "write"}},
		{"override", Policy{OperationOverrides: map[string][]string{"b": {"admin", "offline_access"}}}, c,
			[]string{"admin", "offline_access", "pets:read", "read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Supported(tt.cat); !slices.Equal(got, tt.want) {
				t.Errorf("Supported = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSatisfied(t *testing.T) {
	tests := []struct {
		granted, required []string
		want              bool
	}{
		{nil, nil, true},
		{[]string{"read"}, nil, true},
		{[]string{"read"}, []string{}, true},
		{nil, []string{"read"}, false},
		{[]string{"read", "write"}, []string{"write"}, true},
		{[]string{"read", "write"}, []string{"write", "read"}, true},
		{[]string{"read"}, []string{"read", "write"}, false},
		{[]string{"Read"}, []string{"read"}, false},
		{[]string{"read write"}, []string{"read"}, false},
	}
	for _, tt := range tests {
		if got := Satisfied(tt.granted, tt.required); got != tt.want {
			t.Errorf("Satisfied(%q, %q) = %v, want %v", tt.granted, tt.required, got, tt.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	long := strings.Repeat("é", 200)
	known := map[string]string{
		"read":           "Read your pets",
		"write:pets":     "  modify pets\nin your account  ",
		"multi":          "\n\n  first   real line \n second",
		"blank":          "   \n\t ",
		"long":           long,
		"offline_access": "spec text must not win",
	}
	tests := []struct {
		scope string
		known map[string]string
		want  string
	}{
		{"offline_access", nil, "Stay signed in (refresh tokens)"},
		{"offline_access", known, "Stay signed in (refresh tokens)"},
		{"read", nil, "View data (read-only operations)"},
		{"write", nil, "Create and change data"},
		{"admin", nil, "Delete data and perform administrative operations"},
		{"read", known, "Read your pets"},
		{"write:pets", known, "modify pets"},
		{"multi", known, "first real line"},
		{"blank", known, "Use operations that require the “blank” permission"},
		{"unknown", known, "Use operations that require the “unknown” permission"},
		{"long", known, strings.Repeat("é", 139) + "…"},
	}
	for _, tt := range tests {
		if got := Describe(tt.scope, tt.known); got != tt.want {
			t.Errorf("Describe(%q) = %q, want %q", tt.scope, got, tt.want)
		}
	}
}
