package search

import (
	"math"
	"slices"

	"github.com/specgate/specgate/proxy/catalog"
)

// BM25 parameters: k1 saturates repeated terms, b sets how strongly a long
// field is penalized.
const (
	k1 = 1.2
	b  = 0.75
)

// Field weights. The name and summary say what an operation does; path and
// tags say what it acts on; descriptions are long and noisy, and parameter
// names only hint.
const (
	wName   = 3.0
	wTitle  = 2.5
	wLead   = 1.5
	wPath   = 1.5
	wTags   = 1.2
	wDesc   = 1.0
	wParams = 0.4
	wMethod = 0.6
)

// deprecatedFactor lowers deprecated operations below an equally relevant
// current one.
const deprecatedFactor = 0.8

// Build indexes the operations of cat. A nil catalog yields an empty index.
func Build(cat *catalog.Catalog) *Index {
	ops := cat.Operations()
	idx := &Index{ops: ops, terms: make(map[string][]posting)}
	if len(ops) == 0 {
		return idx
	}
	idx.names = make([][][]string, len(ops))
	for i, op := range ops {
		id := op.OperationID
		if id == "" {
			id = op.Name
		}
		idx.names[i] = [][]string{distinct(nameTerms(id)), distinct(tokens(op.Title, nil))}
	}
	docs := make([]docFields, len(ops))
	var sum [numFields]float64
	for i, op := range ops {
		docs[i] = analyze(op)
		for f := range numFields {
			sum[f] += float64(docs[i].length[f])
		}
	}
	var avg [numFields]float64
	for f := range numFields {
		avg[f] = max(sum[f]/float64(len(ops)), 1)
	}
	n := float64(len(ops))
	for i, w := range bm25F(docs, avg, n) {
		factor := 1.0
		if ops[i].Deprecated {
			factor = deprecatedFactor
		}
		for t, v := range w {
			idx.terms[t] = append(idx.terms[t], posting{doc: int32(i), weight: float32(factor * v)})
		}
	}
	idx.vocab = make([]string, 0, len(idx.terms))
	for t := range idx.terms {
		idx.vocab = append(idx.vocab, t)
	}
	slices.Sort(idx.vocab)
	return idx
}

// idf is the BM25 inverse document frequency, always positive.
func idf(n, df float64) float64 {
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// bm25F returns each document's term weights. As in BM25F, each field's
// term frequency is normalized by the field's length and weighted, the
// fields are summed into one pseudo frequency, and that is saturated once.
// The idf, though, is the average of the term's per-field idfs, weighted by
// how much each field contributes to its frequency: "workflow" in a Temporal
// operation's name is informative (few names say it) even though nearly every
// description does, and "query" in a name is informative though many
// operations have a query parameter.
func bm25F(docs []docFields, avg [numFields]float64, n float64) []map[string]float64 {
	var df [numFields]map[string]int
	for f := range numFields {
		df[f] = make(map[string]int)
		for i := range docs {
			seen := make(map[string]bool)
			for _, t := range docs[i].terms[f] {
				if !seen[t] {
					seen[t] = true
					df[f][t]++
				}
			}
		}
	}
	out := make([]map[string]float64, len(docs))
	for i := range docs {
		d := &docs[i]
		tf := make(map[string]float64)
		idfSum := make(map[string]float64)
		for f := range numFields {
			norm := 1 - b + b*float64(d.length[f])/avg[f]
			for _, t := range d.terms[f] {
				c := fieldWeight[f] / norm
				tf[t] += c
				idfSum[t] += c * idf(n, float64(df[f][t]))
			}
		}
		w := make(map[string]float64, len(tf))
		for t, v := range tf {
			meanIDF := idfSum[t] / v
			w[t] = meanIDF * v * (k1 + 1) / (v + k1)
		}
		out[i] = w
	}
	return out
}

func distinct(terms []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(terms)))
}
