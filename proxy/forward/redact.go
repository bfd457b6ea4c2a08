package forward

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Decorate adds the operator's upstream credential (upstreamauth), which
// the agent must never see. Upstreams echo requests, though: an http->https
// redirect that keeps the query (another origin, so not followed and shown
// as Location), pagination Links and "next" URLs, error pages quoting the
// URL, endpoints that echo request headers. A Decorate function therefore
// names each credential it adds with MarkSecret, and the forwarder blanks
// those out of everything the result shows. Only marked values are hidden,
// so request IDs or a forwarded user name that an upstream echoes stay.

// redacted replaces a credential in results.
const redacted = "[REDACTED]"

// minSecretLen is the shortest value MarkSecret hides: replacing shorter
// strings would deface unrelated text.
const minSecretLen = 6

type secretsKey struct{}

// secretSet collects the values MarkSecret names during one call.
type secretSet struct {
	mu   sync.Mutex
	vals []string
}

// MarkSecret tells the forwarder that v is a credential the Decorate
// function called with ctx is adding to the request, so that it is replaced
// by "[REDACTED]" wherever the upstream's answer echoes it (headers shown,
// text and JSON bodies), as is, query-escaped or path-escaped. Values
// shorter than 6 bytes are not hidden. Outside a Decorate call it does
// nothing.
func MarkSecret(ctx context.Context, v string) {
	if s, _ := ctx.Value(secretsKey{}).(*secretSet); s != nil && len(v) >= minSecretLen {
		s.mu.Lock()
		s.vals = append(s.vals, v)
		s.mu.Unlock()
	}
}

// redactor blanks out the marked credentials; nil changes nothing.
type redactor struct {
	text *strings.Replacer // every form of every credential
	json *strings.Replacer // the forms that can appear verbatim inside a JSON string
}

// newRedactor builds the redactor for the values marked in set.
func newRedactor(set *secretSet) *redactor {
	set.mu.Lock()
	secrets := slices.Clone(set.vals)
	set.mu.Unlock()
	if len(secrets) == 0 {
		return nil
	}
	var forms []string
	escaped := map[string]bool{} // forms as a JSON encoder writes them inside a string
	for _, s := range secrets {
		q, _ := json.Marshal(s) // escapes quotes, backslashes, <, >, &
		inJSON := string(q[1 : len(q)-1])
		escaped[inJSON] = true
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s), inJSON} {
			if !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
	}
	// Longest first: the replacer tries the old strings in argument order.
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	var textArgs, jsonArgs []string
	for _, f := range forms {
		textArgs = append(textArgs, f, redacted)
		// In JSON, a raw form with a quote, backslash or control character
		// cannot occur inside a string, and replacing it elsewhere could
		// break the document; its escaped form is replaced instead.
		if escaped[f] || (!strings.ContainsAny(f, "\"\\") && strings.IndexFunc(f, isCtl) < 0) {
			jsonArgs = append(jsonArgs, f, redacted)
		}
	}
	x := &redactor{text: strings.NewReplacer(textArgs...)}
	if len(jsonArgs) > 0 {
		x.json = strings.NewReplacer(jsonArgs...)
	}
	return x
}

// header returns h with the credentials blanked out of every value.
func (x *redactor) header(h http.Header) http.Header {
	if x == nil {
		return h
	}
	out := make(http.Header, len(h))
	for k, vals := range h {
		for _, v := range vals {
			out[k] = append(out[k], x.text.Replace(v))
		}
	}
	return out
}

// body blanks the credentials out of a text or JSON body; other bodies are
// returned as they are. JSON stays valid: only forms without quotes,
// backslashes or control characters are replaced inside it.
func (x *redactor) body(b []byte, mediaType string) []byte {
	if x == nil || len(b) == 0 {
		return b
	}
	r := x.text
	if isJSONMedia(mediaType) {
		if r = x.json; r == nil {
			return b
		}
	} else if !isTextMedia(mediaType) {
		return b
	}
	var out bytes.Buffer
	out.Grow(len(b))
	_, _ = r.WriteString(&out, string(b))
	return out.Bytes()
}
