package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokens splits s into index terms: words are cut at every character that
// is not a letter or digit (so snake_case, kebab-case, dotted names such as
// chat.postMessage, path segments and {params} all separate), and again at
// case changes (postMessage -> post, message; URLPath -> url, path). Terms
// are lower-cased, stemmed, and stop words are dropped.
func tokens(s string, out []string) []string {
	for _, w := range words(s) {
		for _, p := range splitCase(w) {
			if t := normalize(p); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// words returns the runs of letters and digits in s.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// splitCase cuts a word at lower->upper changes and before the last upper
// of an upper-case run followed by lower case (HTTPServer -> HTTP, Server).
// Digits stay with the letters before them (v2, oauth2).
func splitCase(w string) []string {
	if !hasUpperAfterFirst(w) {
		return []string{w}
	}
	var parts []string
	runes := []rune(w)
	start := 0
	for i := 1; i < len(runes); i++ {
		prev, cur := runes[i-1], runes[i]
		split := false
		switch {
		case unicode.IsUpper(cur) && (unicode.IsLower(prev) || unicode.IsDigit(prev)):
			split = true
		case unicode.IsUpper(prev) && unicode.IsUpper(cur) && i+1 < len(runes) && unicode.IsLower(runes[i+1]):
			split = true
		}
		if split {
			parts = append(parts, string(runes[start:i]))
			start = i
		}
	}
	return append(parts, string(runes[start:]))
}

func hasUpperAfterFirst(w string) bool {
	_, size := utf8.DecodeRuneInString(w)
	for _, r := range w[size:] {
		if unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

// normalize lower-cases and stems one word; it returns "" for stop words.
func normalize(w string) string {
	w = strings.ToLower(w)
	if stopWords[w] {
		return ""
	}
	return stem(w)
}

// stem applies light suffix rules so that inflections of a word meet:
// plural s/es/ies, -ing, -ed and -tion/-sion, then a final silent e
// (create, creates, created, creating, creation -> creat). It is deliberately simpler than Porter: API
// vocabulary is small and over-stemming merges distinct operations.
func stem(w string) string {
	if len(w) <= 3 || !isASCIIAlpha(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "zes"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
		// class, status, analysis: not plurals.
	case strings.HasSuffix(w, "s"):
		w = w[:len(w)-1]
	}
	switch {
	case strings.HasSuffix(w, "scription"):
		// subscription, transcription, description meet their verbs.
		w = w[:len(w)-len("ption")] + "b"
	case (strings.HasSuffix(w, "tion") || strings.HasSuffix(w, "sion")) && len(w) >= 7:
		// reaction -> react, creation -> creat, deletion -> delet.
		w = w[:len(w)-3]
	case strings.HasSuffix(w, "ied") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ing") && len(w) >= 6:
		w = undouble(w[:len(w)-3])
	case strings.HasSuffix(w, "ed") && len(w) >= 5 && !strings.HasSuffix(w, "eed"):
		w = undouble(w[:len(w)-2])
	}
	if strings.HasSuffix(w, "e") && len(w) >= 4 {
		w = w[:len(w)-1]
	}
	return w
}

// undouble drops one letter of a final doubled consonant left by -ing or
// -ed (stopped -> stop), except ll, ss and zz (called, passed).
func undouble(w string) string {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] && !strings.ContainsRune("aeioulsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

func isASCIIAlpha(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// stopWords carry no meaning for choosing an operation. Verbs such as get,
// list and create are not stop words: they tell operations apart.
var stopWords = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(`a an the and or but nor of to in into on onto at by for from with without
		as is are was were be been being am do does did doing have has had having will would shall should can could
		may might must it its this that these those there here which who whom whose what when where why how
		you your yours we our ours they them their he she his her him us
		please just also then than so too very some any each every both either neither
		if else not no yes via using use per about over under after before up down out off again once
		let lets want need like called named`) {
		m[w] = true
	}
	return m
}()
