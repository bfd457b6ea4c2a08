package convert

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"

	"github.com/specgate/specgate/proxy/catalog"
)

const (
	// maxToolName is the longest tool name MCP clients accept.
	maxToolName = 64
	// minToolName leaves room for a hash suffix plus a few readable characters.
	minToolName = 12
	// hashSuffixLen is len("_") + 6 hex digits.
	hashSuffixLen = 7
	// maxArgName is the longest property name the Anthropic API accepts.
	maxArgName = 64
)

// validToolRune reports whether r may appear in a tool name (^[a-zA-Z0-9_-]$).
func validToolRune(r rune) bool {
	return r < unicode.MaxASCII && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
}

// validArgRune reports whether r may appear in an inputSchema property name
// (^[a-zA-Z0-9_.-]$).
func validArgRune(r rune) bool { return validToolRune(r) || r == '.' }

// sanitize replaces every run of runes that fail ok with one underscore (not
// doubling an underscore already there) and trims underscores from both ends.
// A string that is already valid is returned unchanged.
func sanitize(s string, ok func(rune) bool) string {
	valid := true
	for _, r := range s {
		if !ok(r) {
			valid = false
			break
		}
	}
	if valid {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	inRun := false
	for _, r := range s {
		if ok(r) {
			inRun = false
			b.WriteRune(r)
			continue
		}
		if !inRun && b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
			b.WriteByte('_')
		}
		inRun = true
	}
	return strings.Trim(b.String(), "_")
}

// SanitizeToolName turns an operationId into a tool name made of
// [a-zA-Z0-9_-]: a valid string is kept as is; otherwise every run of other
// characters becomes one underscore and leading or trailing underscores are
// trimmed. The result may
// be empty or longer than 64 characters; Convert deals with both.
func SanitizeToolName(s string) string { return sanitize(s, validToolRune) }

// sanitizeArg turns a parameter name into a property name made of
// [a-zA-Z0-9_.-], at most 64 characters.
func sanitizeArg(s string) string {
	return truncateName(sanitize(s, validArgRune), maxArgName)
}

// methodPathName names an operation that has no usable operationId, e.g.
// GET /users/{userId}/repos -> get_users_userId_repos. The raw path key is
// used so that "/token#refresh" and "/token" get different names.
func methodPathName(method, rawPath string) string {
	p := SanitizeToolName(rawPath)
	if p == "" {
		return strings.ToLower(method)
	}
	return strings.ToLower(method) + "_" + p
}

// hashSuffix derives a short, stable suffix from an operation's identity. A
// non-zero salt is only used when the plain hash is itself taken.
func hashSuffix(method, rawPath string, salt int) string {
	key := strings.ToUpper(method) + " " + rawPath
	if salt > 0 {
		key += "#" + strconv.Itoa(salt)
	}
	sum := sha256.Sum256([]byte(key))
	return "_" + hex.EncodeToString(sum[:3])
}

// truncateName cuts an ASCII name to at most n bytes without leaving a
// trailing separator.
func truncateName(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.TrimRight(s[:n], "_-.")
}

// withSuffix appends suffix to base, shortening base so the whole fits max.
func withSuffix(base, suffix string, max int) string {
	return truncateName(base, max-len(suffix)) + suffix
}

// validToolName reports whether s matches ^[a-zA-Z0-9_-]{1,max}$.
func validToolName(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if !validToolRune(r) {
			return false
		}
	}
	return true
}

// namingOp is what the name allocator needs to know about one operation.
type namingOp struct {
	method  string // upper case
	rawPath string // the spec's path key, with any #fragment or ?query
	path    string // cleaned path template
	fixedQ  string // canonical form of the fixed query, "" if none
	opID    string
	base    string // preferred name before collision handling
	// explicit marks a base chosen by x-mcp-name or an override: it wins
	// over the previous catalog's name, so a rename takes effect on reload.
	explicit bool
	name     string // result
}

// prevKey identifies an operation across reloads.
func prevKey(method, path, fixedQ string) string {
	return method + " " + path + "?" + fixedQ
}

// encodeFixedQuery renders fixed query pairs canonically for prevKey.
func encodeFixedQuery(q [][2]string) string {
	var b strings.Builder
	for i, kv := range q {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(kv[1])
	}
	return b.String()
}

// assignNames gives every operation a unique tool name of at most max bytes.
// ops must be in the deterministic conversion order.
//
// Rules, in order:
//  0. Operations with an explicit name (x-mcp-name or an override) claim it
//     first, with the same shortening and collision handling as in 2 and 3.
//  1. An operation whose method+path (+fixed query) matches exactly one
//     operation of the previous catalog keeps that operation's name if it is
//     still valid and not already claimed. When several operations share the
//     key (e.g. Box's "/oauth2/token#refresh"), the operationId decides.
//  2. Otherwise the base name is the sanitized operationId, or
//     method_path when there is none. A base longer than max is shortened and
//     gets a hash suffix derived from method+path.
//  3. A name already taken gets the hash suffix (then salted hashes).
func assignNames(ops []*namingOp, max int, prev *catalog.Catalog) (warnings []catalog.Warning) {
	taken := make(map[string]bool, len(ops))
	allocate := func(o *namingOp) {
		where := o.method + " " + o.rawPath
		name := o.base
		if len(name) > max {
			name = withSuffix(name, hashSuffix(o.method, o.rawPath, 0), max)
			warnings = append(warnings, catalog.Warning{Where: where,
				Message: "tool name " + strconv.Quote(o.base) + " is longer than " + strconv.Itoa(max) + " characters; using " + strconv.Quote(name)})
		}
		for salt := 0; taken[name]; salt++ {
			name = withSuffix(o.base, hashSuffix(o.method, o.rawPath, salt), max)
			if !taken[name] {
				warnings = append(warnings, catalog.Warning{Where: where,
					Message: "tool name " + strconv.Quote(o.base) + " is already used; using " + strconv.Quote(name)})
			}
		}
		o.name = name
		taken[name] = true
	}
	for _, o := range ops {
		if o.explicit {
			allocate(o)
		}
	}
	if prev != nil && prev.Len() > 0 {
		prevByKey := make(map[string][]*catalog.Operation)
		for _, p := range prev.Operations() {
			k := prevKey(p.Method, p.Path, encodeFixedQuery(p.FixedQuery))
			prevByKey[k] = append(prevByKey[k], p)
		}
		curCount := make(map[string]int, len(ops))
		for _, o := range ops {
			curCount[prevKey(o.method, o.path, o.fixedQ)]++
		}
		for _, o := range ops {
			if o.name != "" {
				continue
			}
			k := prevKey(o.method, o.path, o.fixedQ)
			cands := prevByKey[k]
			var match *catalog.Operation
			if len(cands) == 1 && curCount[k] == 1 {
				match = cands[0]
			} else if o.opID != "" {
				for _, c := range cands {
					if c.OperationID == o.opID {
						match = c
						break
					}
				}
			}
			if match != nil && validToolName(match.Name, max) && !taken[match.Name] {
				o.name = match.Name
				taken[o.name] = true
			}
		}
	}
	for _, o := range ops {
		if o.name == "" {
			allocate(o)
		}
	}
	return warnings
}

// humanize makes a readable title from a tool name:
// "listPets" -> "List pets", "get_users_userId_repos" -> "Get users user id repos".
func humanize(name string) string {
	var words []string
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == '-' || r == ' ' || r == '.' }) {
		words = append(words, splitCamel(part)...)
	}
	for i, w := range words {
		if isUpperWord(w) {
			continue // keep acronyms such as "ID" or "URL"
		}
		w = strings.ToLower(w)
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		words[i] = w
	}
	return strings.Join(words, " ")
}

// splitCamel splits "userIDList" into "user", "ID", "List".
func splitCamel(s string) []string {
	rs := []rune(s)
	var out []string
	start := 0
	for i := 1; i < len(rs); i++ {
		prev, cur := rs[i-1], rs[i]
		next := rune(0)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		lowerToUpper := unicode.IsLower(prev) && unicode.IsUpper(cur)
		acronymEnd := unicode.IsUpper(prev) && unicode.IsUpper(cur) && unicode.IsLower(next)
		if lowerToUpper || acronymEnd {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	return append(out, string(rs[start:]))
}

func isUpperWord(w string) bool {
	if len(w) < 2 {
		return false
	}
	for _, r := range w {
		if unicode.IsLower(r) {
			return false
		}
	}
	return true
}
