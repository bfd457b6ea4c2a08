package catalog

import (
	"reflect"
	"testing"
)

func TestSelect(t *testing.T) {
	c := New([]*Operation{{Name: "b", Method: "DELETE"}, {Name: "a", Method: "GET"}, {Name: "c", Method: "GET"}})
	c.Title, c.Version, c.SpecVersion, c.BaseURL, c.Digest = "T", "1", "3.1.0", "https://api.test", "sha256:x"
	c.Warnings = []Warning{{Where: "GET /a", Message: "m"}}
	c.ScopeDescriptions = map[string]string{"read": "Read"}
	c.Hidden = []string{"POST /secret"}

	got := c.Select(func(op *Operation) bool { return op.Method == "GET" })
	var names []string
	for _, op := range got.Operations() {
		names = append(names, op.Name)
	}
	if !reflect.DeepEqual(names, []string{"a", "c"}) || got.Len() != 2 {
		t.Errorf("kept %v", names)
	}
	if _, ok := got.Lookup("b"); ok {
		t.Error("Lookup finds a dropped operation")
	}
	if op, ok := got.Lookup("c"); !ok || op.Name != "c" {
		t.Error("Lookup misses a kept operation")
	}
	if c.Len() != 3 {
		t.Errorf("Select changed the source catalog: %d operations", c.Len())
	}
	// Every exported catalog-level field is carried over, including fields
	// added after this test was written.
	cv, gv := reflect.ValueOf(c).Elem(), reflect.ValueOf(got).Elem()
	for i := 0; i < cv.NumField(); i++ {
		f := cv.Type().Field(i)
		if f.IsExported() && !reflect.DeepEqual(cv.Field(i).Interface(), gv.Field(i).Interface()) {
			t.Errorf("field %s not carried over", f.Name)
		}
	}
	if (*Catalog)(nil).Select(func(*Operation) bool { return true }) != nil {
		t.Error("nil catalog selects to non-nil")
	}
}
