package filter

import (
	"errors"
	"strings"
)

// glob is a compiled path pattern: its segments, "**" standing for zero or
// more whole segments.
type glob struct{ segs []string }

// compileGlob checks a path pattern (see the package comment).
func compileGlob(pattern string) (glob, error) {
	p := strings.TrimSpace(pattern)
	if !strings.HasPrefix(p, "/") {
		return glob{}, errors.New(`must start with "/" (e.g. "/admin/**")`)
	}
	if strings.Contains(p, "//") {
		return glob{}, errors.New(`has an empty segment ("//")`)
	}
	segs := splitPath(p)
	for _, s := range segs {
		if strings.Contains(s, "**") && s != "**" {
			return glob{}, errors.New(`"**" must be a whole path segment (e.g. "/admin/**"); use "*" inside a segment`)
		}
	}
	return glob{segs: segs}, nil
}

// splitPath splits "/a/b/" into [a b]; "/" gives none.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func (g glob) match(path string) bool {
	return matchSegs(g.segs, splitPath(path))
}

// matchSegs matches pattern segments against path segments: ok[i][j]
// says whether pat[i:] matches segs[j:], filled from the end, so any number
// of "**" costs at most len(pat)*len(segs) steps.
func matchSegs(pat, segs []string) bool {
	n := len(segs)
	next := make([]bool, n+1) // row i+1
	cur := make([]bool, n+1)
	next[n] = true // empty pattern matches only the empty rest
	for i := len(pat) - 1; i >= 0; i-- {
		for j := n; j >= 0; j-- {
			switch {
			case pat[i] == "**":
				// Match zero segments, or one and stay on "**".
				cur[j] = next[j] || j < n && cur[j+1]
			case j < n:
				cur[j] = next[j+1] && matchStar(pat[i], segs[j])
			default:
				cur[j] = false
			}
		}
		next, cur = cur, next
	}
	return next[0]
}

// matchStar matches s against a pattern in which "*" stands for any run of
// characters and everything else is literal. It is linear in practice:
// only the last "*" is ever backtracked to.
func matchStar(pat, s string) bool {
	star, mark := -1, 0
	p, i := 0, 0
	for i < len(s) {
		switch {
		case p < len(pat) && pat[p] == '*':
			star, mark = p, i
			p++
		case p < len(pat) && pat[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}
