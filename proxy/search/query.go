package search

import (
	"slices"
	"strings"
)

// leadBoost weighs the first word of a multi-word query, which in a task
// phrased as an instruction is the action.
const leadBoost = 1.5

// Prefix expansion: a query word of at least minPrefix letters also matches
// index terms that extend it by at most maxPrefixExtra letters.
const (
	minPrefix      = 4
	maxPrefixExtra = 3
	prefixWeight   = 0.5
)

// concept is one thing the query asks for: a word with its synonyms and
// longer forms. A document scores the best of a concept's terms, so a word
// with many synonyms does not outweigh the others by matching several.
type concept []queryTerm

// queryTerm is one index term and its weight.
type queryTerm struct {
	term   string
	weight float64
}

// concepts analyzes text into concepts made of terms known to the index: each
// query word (weight 1, the first one leadBoost) with its synonyms
// (synonymWeight) and longer forms (prefixWeight); neighbours joined into an
// indexed word ("user group" -> usergroup); known phrases ("direct message"
// -> dm). Pronouns only hint at "me" endpoints. asked reports whether text
// has any word that is not a stop word.
func (x *Index) concepts(text string) (_ []concept, asked bool) {
	qws := queryWords(text)
	toks := make([]string, len(qws))
	for i, q := range qws {
		toks[i] = q.term
	}
	var out []concept
	seen := make(map[string]bool)
	known := func(t string) bool {
		_, ok := x.terms[t]
		return ok
	}
	single := func(t string, w float64) {
		if !seen[t] && known(t) {
			seen[t] = true
			out = append(out, concept{{t, w}})
		}
	}
	for i, t := range toks {
		if seen[t] {
			continue
		}
		if pronouns[t] {
			seen[t] = true
			continue
		}
		seen[t] = true
		w := 1.0
		switch {
		case i == 0 && len(toks) > 1 && !lightVerbs[t]:
			w = leadBoost
		case qws[i].qualifier:
			w = qualifierWeight
		}
		var c concept
		if known(t) {
			c = append(c, queryTerm{t, w})
		}
		for _, s := range synonyms[t] {
			if known(s) && !slices.Contains(toks, s) {
				c = append(c, queryTerm{s, w * synonymWeight})
			}
		}
		if len(t) >= minPrefix {
			for _, v := range x.withPrefix(t) {
				if !slices.Contains(toks, v) {
					c = append(c, queryTerm{v, w * prefixWeight})
				}
			}
		}
		if len(c) > 0 {
			out = append(out, c)
		}
	}
	raw := words(strings.ToLower(text))
	raw = raw[:min(len(raw), maxQueryWords)]
	for i := 0; i+1 < len(raw); i++ {
		single(stem(raw[i]+raw[i+1]), 1)
	}
	joined := " " + strings.Join(raw, " ") + " "
	for p, t := range phrases {
		if strings.Contains(joined, " "+p+" ") {
			single(t, 1)
		}
	}
	for _, t := range toks {
		if pronouns[t] {
			single("me", synonymWeight)
			break
		}
	}
	return out, len(qws) > 0
}

// lightVerbs carry little of a task's meaning when they lead it ("check
// whether…", "show me…", "give a customer…"), so they get no lead boost.
var lightVerbs = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields("check show give make turn take see tell help try go keep") {
		m[stem(w)] = true
	}
	return m
}()

// queryWord is one analyzed query word.
type queryWord struct {
	term string
	// qualifier is set for words after a preposition: in "list the
	// workflows in a namespace" the operation is about workflows, and the
	// namespace only scopes it.
	qualifier bool
}

// maxQueryWords bounds the words of a query that are analyzed.
const maxQueryWords = 64

// qualifierWeight weighs words of a prepositional phrase.
const qualifierWeight = 0.7

var prepositions = map[string]bool{
	"in": true, "into": true, "on": true, "onto": true, "at": true, "for": true, "from": true,
	"to": true, "with": true, "within": true, "inside": true, "by": true, "under": true, "of": true,
}

// queryWords analyzes a query like tokens, remembering which words follow a
// preposition.
func queryWords(text string) []queryWord {
	var out []queryWord
	qual := false
	ws := words(text)
	// A task is a sentence; a huge query must not make a search slow.
	ws = ws[:min(len(ws), maxQueryWords)]
	for _, w := range ws {
		if prepositions[strings.ToLower(w)] {
			qual = true
			continue
		}
		for _, p := range splitCase(w) {
			if t := normalize(p); t != "" {
				out = append(out, queryWord{t, qual})
			}
		}
	}
	return out
}

// withPrefix returns the index terms that extend t by 1..maxPrefixExtra bytes.
func (x *Index) withPrefix(t string) []string {
	i, _ := slices.BinarySearch(x.vocab, t)
	var out []string
	for ; i < len(x.vocab) && strings.HasPrefix(x.vocab[i], t); i++ {
		if v := x.vocab[i]; len(v) > len(t) && len(v)-len(t) <= maxPrefixExtra {
			out = append(out, v)
		}
	}
	return out
}
