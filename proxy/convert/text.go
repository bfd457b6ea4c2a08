package convert

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	defaultMaxDescription = 1000
	maxTitle              = 120
	ellipsis              = "…"
)

// firstParagraph returns the text up to the first blank line, with line
// breaks inside it kept.
func firstParagraph(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	// Lines holding only whitespace also end a paragraph.
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			lines = lines[:i]
			break
		}
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// clip shortens s to at most max runes, cutting after the last sentence end
// or else at the last word boundary in the second half, and marks the cut
// with "…".
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max <= 1 {
		return ellipsis
	}
	runes := []rune(s)
	cut := string(runes[:max-1]) // room for the ellipsis
	half := len(cut) / 2
	if i := lastSentenceEnd(cut); i >= half {
		return strings.TrimSpace(cut[:i]) + " " + ellipsis
	}
	if i := strings.LastIndexFunc(cut, unicode.IsSpace); i >= half {
		return strings.TrimRightFunc(cut[:i], func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsPunct(r) && r != ')' && r != '"'
		}) + ellipsis
	}
	return cut + ellipsis
}

// lastSentenceEnd returns the byte index just after the last ". ", "! ",
// "? " or end of line in s, or -1.
func lastSentenceEnd(s string) int {
	best := -1
	for _, sep := range []string{". ", "! ", "? ", ".\n", "\n"} {
		if i := strings.LastIndex(s, sep); i >= 0 {
			end := i + 1
			if sep == "\n" {
				end = i
			}
			if end > best {
				best = end
			}
		}
	}
	return best
}

// title returns the tool title: the summary, or a readable form of the name.
func title(summary, name string) string {
	t := strings.Join(strings.Fields(summary), " ")
	t = strings.TrimRight(t, ".")
	if t == "" {
		return humanize(name)
	}
	return clip(t, maxTitle)
}

// description builds the tool description: the summary and the first
// paragraph of the description, clipped so that the whole text fits max
// runes, then a deprecation notice and always the HTTP method and path.
func description(summary, desc, method, pathAndQuery string, deprecated bool, max int) string {
	summary = strings.TrimSpace(summary)
	para := firstParagraph(desc)
	var prose string
	switch {
	case summary == "":
		prose = para
	case para == "" || strings.HasPrefix(para, strings.TrimRight(summary, ".")):
		if para == "" {
			prose = summary
		} else {
			prose = para
		}
	default:
		prose = summary
		if !strings.HasSuffix(prose, ".") && !strings.HasSuffix(prose, "!") && !strings.HasSuffix(prose, "?") {
			prose += "."
		}
		prose += "\n\n" + para
	}
	return withTail(prose, method, pathAndQuery, deprecated, max)
}

// customDescription builds the description from a text written for agents
// (x-mcp-description or a configured override): the whole text, clipped,
// then the same tail as description.
func customDescription(text, method, pathAndQuery string, deprecated bool, max int) string {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	return withTail(text, method, pathAndQuery, deprecated, max)
}

// withTail clips prose so that it and the tail (a deprecation notice, then
// the HTTP method and path) fit max runes, and joins them.
func withTail(prose, method, pathAndQuery string, deprecated bool, max int) string {
	var tail strings.Builder
	if deprecated {
		tail.WriteString("Deprecated: this operation may be removed; prefer an alternative.\n")
	}
	tail.WriteString("HTTP: " + method + " " + pathAndQuery)
	if prose == "" {
		return tail.String()
	}
	budget := max - utf8.RuneCountInString(tail.String()) - 2
	if budget < 1 {
		return tail.String()
	}
	return clip(prose, budget) + "\n\n" + tail.String()
}
