package search

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

func op(name, method, path, title, desc string, tags ...string) *catalog.Operation {
	return &catalog.Operation{
		Name: name, OperationID: name, Method: method, Path: path, Title: title,
		Description: desc, Tags: tags, InputSchema: json.RawMessage(`{"type":"object"}`),
	}
}

// petCatalog is a small catalog with overlapping vocabulary.
func petCatalog() *catalog.Catalog {
	return catalog.New([]*catalog.Operation{
		op("listPets", "GET", "/pets", "List pets", "Returns all pets in the store.\n\nHTTP: GET /pets", "pets"),
		op("createPet", "POST", "/pets", "Create a pet", "Adds a new pet to the store.", "pets"),
		op("getPet", "GET", "/pets/{petId}", "Get a pet", "Returns one pet by id.", "pets"),
		op("deletePet", "DELETE", "/pets/{petId}", "Delete a pet", "Removes a pet for good.", "pets"),
		op("placeOrder", "POST", "/store/orders", "Place an order", "Buys a pet.", "store"),
		op("getInventory", "GET", "/store/inventory", "Inventory", "Counts pets by status.", "store"),
	})
}

func names(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Op.Name)
	}
	return out
}

func TestSearchRanksTheAskedOperationFirst(t *testing.T) {
	idx := Build(petCatalog())
	tests := map[string]string{
		"remove a pet from the store": "deletePet",
		"add a new pet":               "createPet",
		"show all pets":               "listPets",
		"buy a pet":                   "placeOrder",
		"how many pets per status":    "getInventory",
		"deletePet":                   "deletePet",
	}
	for q, want := range tests {
		res := idx.Search(Query{Text: q}, nil)
		if len(res.Hits) == 0 || res.Hits[0].Op.Name != want {
			t.Errorf("Search(%q) = %v, want %s first", q, names(res.Hits), want)
		}
		for i := 1; i < len(res.Hits); i++ {
			if res.Hits[i].Score > res.Hits[i-1].Score {
				t.Errorf("Search(%q): hits not sorted by score: %v", q, res.Hits)
			}
		}
	}
}

func TestSearchFiltersAndPaging(t *testing.T) {
	idx := Build(petCatalog())
	tests := []struct {
		name      string
		q         Query
		visible   func(*catalog.Operation) bool
		wantTotal int
		want      []string
	}{
		{"empty text lists all in name order", Query{}, nil, 6,
			[]string{"createPet", "deletePet", "getInventory", "getPet", "listPets", "placeOrder"}},
		{"stop words only list all", Query{Text: "the of a"}, nil, 6,
			[]string{"createPet", "deletePet", "getInventory", "getPet", "listPets", "placeOrder"}},
		{"tag filter, case-insensitive", Query{Tags: []string{"STORE"}}, nil, 2, []string{"getInventory", "placeOrder"}},
		{"method filter", Query{Text: "pet", Methods: []string{"delete"}}, nil, 1, []string{"deletePet"}},
		{"tag and method", Query{Tags: []string{"pets"}, Methods: []string{"GET"}}, nil, 2, []string{"getPet", "listPets"}},
		{"limit", Query{Limit: 2}, nil, 6, []string{"createPet", "deletePet"}},
		{"offset", Query{Limit: 2, Offset: 4}, nil, 6, []string{"listPets", "placeOrder"}},
		{"offset past the end", Query{Offset: 10}, nil, 6, nil},
		{"negative offset", Query{Offset: -3, Limit: 1}, nil, 6, []string{"createPet"}},
		{"visible hides and does not count", Query{}, func(op *catalog.Operation) bool { return op.Method == "GET" }, 3,
			[]string{"getInventory", "getPet", "listPets"}},
		{"visible applies to ranked results", Query{Text: "delete pet"}, func(op *catalog.Operation) bool { return op.Name != "deletePet" }, 5, nil},
		{"no match", Query{Text: "kubernetes"}, nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := idx.Search(tt.q, tt.visible)
			if res.Total != tt.wantTotal {
				t.Errorf("Total = %d, want %d (hits %v)", res.Total, tt.wantTotal, names(res.Hits))
			}
			if tt.want != nil && !slices.Equal(names(res.Hits), tt.want) {
				t.Errorf("hits = %v, want %v", names(res.Hits), tt.want)
			}
			for _, h := range res.Hits {
				if tt.visible != nil && !tt.visible(h.Op) {
					t.Errorf("invisible operation %s returned", h.Op.Name)
				}
			}
		})
	}
}

func TestSearchDefaultLimit(t *testing.T) {
	var ops []*catalog.Operation
	for _, n := range []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "b1", "b2", "b3"} {
		ops = append(ops, op(n, "GET", "/"+n, "", "item"))
	}
	res := Build(catalog.New(ops)).Search(Query{Text: "item"}, nil)
	if res.Total != 12 || len(res.Hits) != DefaultLimit {
		t.Fatalf("Total %d, %d hits; want 12 and %d", res.Total, len(res.Hits), DefaultLimit)
	}
}

func TestSearchEmptyIndexes(t *testing.T) {
	var nilIdx *Index
	for name, idx := range map[string]*Index{"nil": nilIdx, "nil catalog": Build(nil), "empty catalog": Build(catalog.New(nil))} {
		if res := idx.Search(Query{Text: "anything"}, nil); res.Total != 0 || len(res.Hits) != 0 {
			t.Errorf("%s: %+v, want nothing", name, res)
		}
		if idx.Len() != 0 {
			t.Errorf("%s: Len = %d", name, idx.Len())
		}
	}
}

func TestDeprecatedRanksBelowCurrent(t *testing.T) {
	old := op("listThingsOld", "GET", "/things", "List things", "Lists things.")
	old.Deprecated = true
	cur := op("listThingsNew", "GET", "/things", "List things", "Lists things.")
	res := Build(catalog.New([]*catalog.Operation{old, cur})).Search(Query{Text: "list things"}, nil)
	if got := names(res.Hits); !slices.Equal(got, []string{"listThingsNew", "listThingsOld"}) {
		t.Fatalf("hits = %v, want the current operation first", got)
	}
}

func TestBodyAndParameterNamesAreSearchable(t *testing.T) {
	withBody := op("sendThing", "POST", "/things", "Send", "Sends.")
	withBody.Body = &catalog.Body{Arg: "body", MediaType: "application/json", Kind: catalog.BodyJSON}
	withBody.InputSchema = json.RawMessage(`{"type":"object","properties":{"body":{"type":"object","properties":{"recipientEmail":{"type":"string"}}}}}`)
	withParam := op("findThing", "GET", "/things", "Find", "Finds.")
	withParam.Params = []catalog.Param{{Arg: "zipCode", Name: "zip_code", In: catalog.InQuery}}
	idx := Build(catalog.New([]*catalog.Operation{withBody, withParam}))
	for q, want := range map[string]string{"recipient email": "sendThing", "zip code": "findThing"} {
		if res := idx.Search(Query{Text: q}, nil); len(res.Hits) == 0 || res.Hits[0].Op.Name != want {
			t.Errorf("Search(%q) = %v, want %s", q, names(res.Hits), want)
		}
	}
}

func TestConcurrentSearch(t *testing.T) {
	idx := Build(petCatalog())
	done := make(chan []string)
	for range 8 {
		go func() { done <- names(idx.Search(Query{Text: "delete a pet"}, nil).Hits) }()
	}
	first := <-done
	for range 7 {
		if got := <-done; !slices.Equal(got, first) {
			t.Fatalf("concurrent searches disagree: %v vs %v", got, first)
		}
	}
}

func TestHugeQueryIsBounded(t *testing.T) {
	idx := Build(petCatalog())
	q := strings.Repeat("delete pet ", 100000)
	if res := idx.Search(Query{Text: q}, nil); len(res.Hits) == 0 || res.Hits[0].Op.Name != "deletePet" {
		t.Fatalf("huge query = %v", names(res.Hits))
	}
	if n := len(queryWords(q)); n != maxQueryWords {
		t.Fatalf("queryWords kept %d words, want %d", n, maxQueryWords)
	}
}
