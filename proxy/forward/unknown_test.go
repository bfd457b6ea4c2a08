package forward

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

// manyParamsOp is an operation with 50 query parameters.
func manyParamsOp() *catalog.Operation {
	props := map[string]any{}
	var params []catalog.Param
	for i := range 50 {
		k := fmt.Sprintf("parameter_name_%02d", i)
		props[k] = map[string]any{"type": "string"}
		params = append(params, catalog.Param{Arg: k, Name: k, In: catalog.InQuery})
	}
	schema, _ := json.Marshal(map[string]any{"type": "object", "properties": props})
	return &catalog.Operation{Name: "many", Method: "GET", Path: "/m", InputSchema: schema, Params: params}
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	fn()
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc - before
}

// TestUnknownArgumentsCostIsBounded checks that hostile unknown arguments
// (the body cap allows megabytes of them) cost work in proportion to what
// the answer shows: a huge name is not compared letter by letter with every
// valid name nor echoed whole, and thousands of names do not each get the
// full list of valid arguments, of which only maxProblems are shown.
func TestUnknownArgumentsCostIsBounded(t *testing.T) {
	op := manyParamsOp()
	f := New(Options{})
	many := map[string]any{}
	for i := range 100000 {
		many[fmt.Sprintf("k%d", i)] = 1.0
	}
	tests := []struct {
		name     string
		args     map[string]any
		maxAlloc uint64
		want     string
	}{
		{"one huge name", map[string]any{strings.Repeat("X", 1<<20): 1.0}, 16 << 20, `unknown argument "XXXX`},
		{"many names", many, 64 << 20, "(and 99990 more problems)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocated(func() { err = f.Validate(op, tt.args) })
			var ae *ArgumentError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want an ArgumentError containing %q", clipForLog(err), tt.want)
			}
			if len(err.Error()) > 16<<10 {
				t.Errorf("error text is %d bytes", len(err.Error()))
			}
			if n > tt.maxAlloc {
				t.Errorf("Validate allocated %d MiB, want at most %d MiB", n>>20, tt.maxAlloc>>20)
			}
		})
	}
	// A near miss still gets its suggestion.
	err := f.Validate(op, map[string]any{"parameter_name_7": "x"})
	if err == nil || !strings.Contains(err.Error(), `(did you mean "parameter_name_07"?)`) {
		t.Errorf("near miss: %v", err)
	}
}

func clipForLog(err error) string {
	if err == nil {
		return "<nil>"
	}
	s := err.Error()
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
