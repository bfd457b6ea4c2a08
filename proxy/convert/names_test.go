package convert

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestSanitizeToolName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"listPets", "listPets"},
		{"find pet by id", "find_pet_by_id"},
		{"put_metadata_templates_schema#update", "put_metadata_templates_schema_update"},
		{"__private__", "__private__"}, // already valid: unchanged
		{"a.b..c", "a_b_c"},
		{"#hash#", "hash"},
		{"x_#y", "x_y"},
		{"über-cool", "ber-cool"},
		{"###", ""},
		{"", ""},
	} {
		if got := SanitizeToolName(tc.in); got != tc.want {
			t.Errorf("SanitizeToolName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMethodPathName(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/users/{userId}/repos", "get_users_userId_repos"},
		{"POST", "/oauth2/token#refresh", "post_oauth2_token_refresh"},
		{"POST", "/responses?beta=true", "post_responses_beta_true"},
		{"GET", "/", "get"},
		{"DELETE", "/chat.delete", "delete_chat_delete"},
		{"GET", "/deployments/{deployment.seriesName}", "get_deployments_deployment_seriesName"},
	} {
		if got := methodPathName(tc.method, tc.path); got != tc.want {
			t.Errorf("methodPathName(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestHumanize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"listPets", "List pets"},
		{"get_users_userId_repos", "Get users user id repos"},
		{"getURLForID", "Get URL for ID"},
		{"find-pet", "Find pet"},
	} {
		if got := humanize(tc.in); got != tc.want {
			t.Errorf("humanize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// opsSpec builds a spec with one POST operation per path, all with the
// given operationIds ("" for none).
func opsSpec(paths []string, ids []string) string {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n")
	for i, p := range paths {
		fmt.Fprintf(&b, "  %q:\n    post:\n", p)
		if ids[i] != "" {
			fmt.Fprintf(&b, "      operationId: %q\n", ids[i])
		}
		b.WriteString("      responses: {'204': {description: ok}}\n")
	}
	return b.String()
}

func names(t *testing.T, spec string, opts Options) map[string]string {
	t.Helper()
	cat := convertYAML(t, spec, opts)
	out := map[string]string{}
	for _, op := range cat.Operations() {
		key := op.Path
		if op.OperationID != "" && strings.Contains(op.OperationID, "#") {
			key += "#" + op.OperationID
		}
		out[key] = op.Name
	}
	return out
}

func TestNameCollision(t *testing.T) {
	spec := opsSpec([]string{"/a", "/b", "/c"}, []string{"dup", "dup", "dup"})
	got := names(t, spec, Options{})
	if got["/a"] != "dup" {
		t.Errorf("first operation: %q, want the bare name", got["/a"])
	}
	for _, p := range []string{"/b", "/c"} {
		if want := "dup" + hashSuffix("POST", p, 0); got[p] != want {
			t.Errorf("%s: %q, want %q", p, got[p], want)
		}
	}
	if !regexp.MustCompile(`^dup_[0-9a-f]{6}$`).MatchString(got["/b"]) {
		t.Errorf("suffix format: %q", got["/b"])
	}
	// Deterministic: the same input gives the same names.
	again := names(t, spec, Options{})
	for k, v := range got {
		if again[k] != v {
			t.Errorf("%s: %q then %q", k, v, again[k])
		}
	}
}

func TestNameTruncation(t *testing.T) {
	long := strings.Repeat("abcdefghij", 7) // 70 characters
	spec := opsSpec([]string{"/x", "/y", "/z"}, []string{long, long + "_other", ""})
	cat := convertYAML(t, spec, Options{MaxNameLength: 48})
	for _, op := range cat.Operations() {
		if len(op.Name) > 48 {
			t.Errorf("%s: name %q longer than 48", op.Path, op.Name)
		}
	}
	x := mustOp(t, cat, "POST", "/x")
	if want := long[:41] + hashSuffix("POST", "/x", 0); x.Name != want {
		t.Errorf("truncated name %q, want %q", x.Name, want)
	}
	if y := mustOp(t, cat, "POST", "/y"); y.Name == x.Name {
		t.Errorf("two truncated names collide: %q", y.Name)
	}
	if z := mustOp(t, cat, "POST", "/z"); z.Name != "post_z" {
		t.Errorf("short name changed: %q", z.Name)
	}
	if !hasWarning(cat, "longer than 48") {
		t.Errorf("no truncation warning: %v", cat.Warnings)
	}
}

func TestNameStability(t *testing.T) {
	v1 := opsSpec([]string{"/a", "/b"}, []string{"dup", "dup"})
	prev := convertYAML(t, v1, Options{})
	// v2 adds an operation that sorts first and has the same operationId:
	// without Previous it would take the bare name.
	v2 := opsSpec([]string{"/0", "/a", "/b"}, []string{"dup", "dup", "dup"})
	fresh := names(t, v2, Options{})
	if fresh["/0"] != "dup" {
		t.Fatalf("without Previous /0 = %q, want dup", fresh["/0"])
	}
	stable := names(t, v2, Options{Previous: prev})
	if stable["/a"] != mustOp(t, prev, "POST", "/a").Name || stable["/b"] != mustOp(t, prev, "POST", "/b").Name {
		t.Errorf("names changed across reload: %v, previous %v", stable, names(t, v1, Options{}))
	}
	if stable["/0"] == "dup" || !strings.HasPrefix(stable["/0"], "dup_") {
		t.Errorf("new operation took a kept name: %q", stable["/0"])
	}

	// Same method and path with a new operationId: still the same tool.
	renamed := names(t, opsSpec([]string{"/a", "/b"}, []string{"renamed", "dup"}), Options{Previous: prev})
	if renamed["/a"] != "dup" {
		t.Errorf("renamed operationId changed the tool name to %q", renamed["/a"])
	}

	// A previous name longer than the current limit is not reused.
	long := strings.Repeat("n", 60)
	prevLong := convertYAML(t, opsSpec([]string{"/a"}, []string{long}), Options{})
	got := names(t, opsSpec([]string{"/a"}, []string{long}), Options{MaxNameLength: 48, Previous: prevLong})
	if len(got["/a"]) > 48 {
		t.Errorf("reused a name over the limit: %q", got["/a"])
	}
}

func TestNameStabilitySharedPath(t *testing.T) {
	// Box gives one HTTP path several operations with #fragments: the
	// operationId tells them apart across reloads.
	v1 := opsSpec([]string{"/token", "/token#refresh"}, []string{"dup", "dup"})
	prev := convertYAML(t, v1, Options{})
	v2 := opsSpec([]string{"/token#refresh", "/token"}, []string{"dup", "dup"})
	cat := convertYAML(t, v2, Options{Previous: prev})
	if cat.Len() != 2 {
		t.Fatalf("%d operations", cat.Len())
	}
	for _, op := range cat.Operations() {
		if op.Path != "/token" {
			t.Errorf("path %q not cleaned", op.Path)
		}
	}
	// Both share method+path+operationId, so no reuse is possible and the
	// names are the deterministic fresh ones.
	fresh := convertYAML(t, v2, Options{})
	for i, op := range cat.Operations() {
		if op.Name != fresh.Operations()[i].Name {
			t.Errorf("ambiguous previous match changed a name: %q vs %q", op.Name, fresh.Operations()[i].Name)
		}
	}
}

func TestBoxNames(t *testing.T) {
	cat, err := Convert(loadSpec(t, "box-platform-v3.0.json"), Options{MaxNameLength: 48})
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^[a-zA-Z0-9_-]{1,48}$`)
	for _, op := range cat.Operations() {
		if !re.MatchString(op.Name) {
			t.Errorf("invalid name %q", op.Name)
		}
	}
	if cat.Len() != 296 {
		t.Errorf("%d tools, want 296", cat.Len())
	}
}

func TestTemporalDuplicates(t *testing.T) {
	cat, err := Convert(loadSpec(t, "temporal-v3.0.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cat.Len() != 226 {
		t.Fatalf("%d tools, want 226", cat.Len())
	}
	// 105 operationIds are used more than once (121 extra uses): the first
	// use keeps the bare name, the others get the method+path hash.
	bare, suffixed := map[string]bool{}, 0
	for _, op := range cat.Operations() {
		switch op.Name {
		case op.OperationID:
			bare[op.OperationID] = true
		case op.OperationID + hashSuffix(op.Method, op.Path, 0):
			suffixed++
		default:
			t.Errorf("%s %s: unexpected name %q", op.Method, op.Path, op.Name)
		}
	}
	if suffixed != 121 || len(bare) != 226-121 {
		t.Errorf("%d suffixed names and %d bare ones, want 121 and 105", suffixed, len(bare))
	}
}

func TestOptionErrors(t *testing.T) {
	doc := loadString(t, opsSpec([]string{"/a"}, []string{"a"}))
	for _, opts := range []Options{{MaxNameLength: 5}, {MaxNameLength: 65}, {MaxNameLength: -1}, {MaxDescriptionLength: -1}} {
		if _, err := Convert(doc, opts); err == nil {
			t.Errorf("Convert with %+v: no error", opts)
		}
	}
	if _, err := Convert(nil, Options{}); err == nil {
		t.Error("Convert(nil): no error")
	}
}
