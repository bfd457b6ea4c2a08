package forward

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

// benchBody is a JSON object of about 2 KB.
func benchBody() []byte {
	items := make([]string, 0, 20)
	for i := 0; i < 20; i++ {
		items = append(items, fmt.Sprintf(`{"id":%d,"name":"item number %d","price":%d.5,"tags":["a","b"],"ok":true}`, 1000+i, i, i))
	}
	return []byte(`{"total":20,"next":"cursor-abc","items":[` + strings.Join(items, ",") + `]}`)
}

func BenchmarkCall(b *testing.B) {
	body := benchBody()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	op := &catalog.Operation{
		Name: "listItems", Method: "GET", Path: "/stores/{store}/items",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"store":{"type":"string"},
			"limit":{"type":"integer","minimum":1},"tags":{"type":"array","items":{"type":"string"}}},"required":["store"]}`),
		Params: []catalog.Param{
			{Arg: "store", Name: "store", In: catalog.InPath, Required: true},
			{Arg: "limit", Name: "limit", In: catalog.InQuery, Explode: true},
			{Arg: "tags", Name: "tags", In: catalog.InQuery, Explode: true},
		},
	}
	structured := *op
	structured.Name = "listItemsStructured"
	structured.OutputSchema = json.RawMessage(`{"type":"object","properties":{"total":{"type":"integer"},
		"items":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"}}}}}}`)
	a := args(b, `{"store":"main","limit":20,"tags":["a","b"]}`)
	for _, tc := range []struct {
		name string
		op   *catalog.Operation
	}{{"text", op}, {"structured", &structured}} {
		b.Run(tc.name, func(b *testing.B) {
			f := New(Options{})
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if res := f.Call(ctx, srv.URL, tc.op, a); res.IsError {
					b.Fatal(resultText(res))
				}
			}
		})
	}
}

func BenchmarkBuildRequest(b *testing.B) {
	op := fuzzOps[0]
	a := args(b, `{"s":"1","l":["a","b"],"m":{"k":"v"},"x":"json","f":[1,2],"d":{"a":{"b":1}},"h":"v","c":"v"}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildRequest(ctx, fuzzBase, op, a); err != nil {
			b.Fatal(err)
		}
	}
}
