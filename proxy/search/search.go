// Package search ranks the operations of a catalog against a free-text
// query, so that an agent facing a large API can find the one operation it
// needs instead of reading hundreds of tool definitions.
//
// Every operation is a document with weighted fields: tool name and
// operationId, title, the lead sentence of the description, path, tags,
// description, parameter names and the HTTP method's usual verb. Documents
// and queries share one analyzer (see tokens): camelCase, snake_case,
// kebab-case, dotted names (chat.postMessage) and path segments are split,
// words are lower-cased, lightly stemmed, and stop words are dropped.
//
// Scoring is BM25F (per-field length normalization, one saturation per
// term) with a field-aware idf, summed over the query's concepts: a concept
// is a query word together with its generic API synonyms (remove ~ delete,
// server ~ guild) and longer indexed forms (remind ~ reminder), and a
// document scores the best of them. The first word of a task (its action)
// weighs more, words after a preposition (its scope) less. Operations that
// match more concepts, and whose name the query covers, rank higher. Build
// precomputes every term's weight per operation, so a search only sums
// postings; see BenchmarkSearch.
//
// An Index is immutable and safe for concurrent use; build one per catalog.
package search

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/specgate/specgate/proxy/catalog"
)

// Index is a search index over one catalog's operations.
type Index struct {
	ops   []*catalog.Operation
	terms map[string][]posting
	vocab []string // sorted keys of terms
	// names holds each operation's distinct operationId (else name) terms
	// and its distinct title terms.
	names [][][]string
}

// posting is one document containing a term, with its precomputed BM25F
// contribution (idf times saturated, length-normalized term frequency).
type posting struct {
	doc    int32
	weight float32
}

// Query selects and pages operations.
type Query struct {
	// Text is free text. Empty (or only stop words) matches every operation,
	// in name order; words the index does not know match nothing.
	Text string
	// Tags keeps operations having at least one of these tags
	// (case-insensitive); empty keeps all.
	Tags []string
	// Methods keeps operations with one of these HTTP methods
	// (case-insensitive); empty keeps all.
	Methods []string
	// Limit is the page size; <= 0 means 10.
	Limit int
	// Offset skips that many ranked results; < 0 means 0.
	Offset int
}

// Hit is one ranked operation.
type Hit struct {
	Op    *catalog.Operation
	Score float64
}

// Results are one page of ranked operations.
type Results struct {
	// Total counts every operation that matched and was visible, before
	// paging.
	Total int
	// Hits is the requested page, best first.
	Hits []Hit
}

// Two adjustments on top of the summed BM25F scores:
//   - coordination: an operation matching more of the query's concepts
//     ranks higher, times (matched/concepts)^coordExp, so one rare word
//     cannot carry an operation that ignores the rest of the task;
//   - name coverage: times 1 + nameBoost * the share of the operation's
//     name (or title) terms the query asked for, so delete_message beats
//     bulk_delete_messages for "delete a message".
const (
	coordExp  = 0.5
	nameBoost = 1.0
)

// coverage is the share of an operation's name terms that the query asked
// for (directly or through a synonym): delete_message covers "delete a
// message" fully, bulk_delete_messages only two thirds.
func coverage(names [][]string, asked map[string]bool) float64 {
	best := 0.0
	for _, name := range names {
		if len(name) == 0 {
			continue
		}
		n := 0
		for _, t := range name {
			if asked[t] {
				n++
			}
		}
		best = max(best, float64(n)/float64(len(name)))
	}
	return best
}

// DefaultLimit is the page size of a Query without a Limit.
const DefaultLimit = 10

// Len returns the number of indexed operations.
func (x *Index) Len() int {
	if x == nil {
		return 0
	}
	return len(x.ops)
}

// Search ranks the operations matching q. visible, if not nil, hides
// operations the caller may not see: they are neither returned nor counted.
func (x *Index) Search(q Query, visible func(*catalog.Operation) bool) Results {
	if x == nil || len(x.ops) == 0 {
		return Results{}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	offset := max(q.Offset, 0)
	keep := func(op *catalog.Operation) bool {
		return matchesAny(op.Tags, q.Tags) && matchesOne(op.Method, q.Methods) && (visible == nil || visible(op))
	}

	var hits []Hit
	concepts, asked := x.concepts(q.Text)
	if !asked {
		for _, op := range x.ops { // catalog order is name order
			if keep(op) {
				hits = append(hits, Hit{Op: op})
			}
		}
	} else if len(concepts) > 0 {
		terms := make(map[string]bool)
		for _, c := range concepts {
			for _, qt := range c {
				terms[qt.term] = true
			}
		}
		scores := make([]float64, len(x.ops))
		matched := make([]int32, len(x.ops))
		best := make([]float64, len(x.ops))
		var touched, inConcept []int32
		for _, c := range concepts {
			inConcept = inConcept[:0]
			for _, qt := range c {
				for _, p := range x.terms[qt.term] {
					s := qt.weight * float64(p.weight)
					if best[p.doc] == 0 {
						inConcept = append(inConcept, p.doc)
					}
					best[p.doc] = max(best[p.doc], s)
				}
			}
			for _, d := range inConcept {
				if scores[d] == 0 {
					touched = append(touched, d)
				}
				scores[d] += best[d]
				matched[d]++
				best[d] = 0
			}
		}
		hits = make([]Hit, 0, len(touched))
		for _, d := range touched {
			if op := x.ops[d]; keep(op) {
				coord := math.Pow(float64(matched[d])/float64(len(concepts)), coordExp)
				cov := coverage(x.names[d], terms)
				hits = append(hits, Hit{Op: op, Score: scores[d] * coord * (1 + nameBoost*cov)})
			}
		}
		slices.SortFunc(hits, func(a, b Hit) int {
			if c := cmp.Compare(b.Score, a.Score); c != 0 {
				return c
			}
			return strings.Compare(a.Op.Name, b.Op.Name)
		})
	}
	res := Results{Total: len(hits)}
	if offset < len(hits) {
		res.Hits = hits[offset:min(offset+limit, len(hits))]
	}
	return res
}

func matchesAny(have, want []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, w := range want {
		for _, h := range have {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}

func matchesOne(have string, want []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, w := range want {
		if strings.EqualFold(have, w) {
			return true
		}
	}
	return false
}
