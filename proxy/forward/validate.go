package forward

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/specgate/specgate/proxy/catalog"
)

// maxProblems bounds how many schema violations one error lists.
const maxProblems = 10

// ArgumentError reports tool arguments that do not fit the operation: it
// lists each problem with the argument (and JSON pointer) it concerns.
type ArgumentError struct {
	// Tool is the operation (tool) name.
	Tool string
	// Problems are human-readable findings, e.g.
	// `argument "petId": got string, want integer [type]`.
	Problems []string
}

// Error formats the problems for the agent; it states that nothing was sent.
func (e *ArgumentError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Invalid arguments for tool %q; nothing was sent to the API:", e.Tool)
	for _, p := range e.Problems {
		b.WriteString("\n- ")
		b.WriteString(p)
	}
	return b.String()
}

// opSchemas caches what validation needs for one operation. The catalog is
// immutable, so it is computed once per *catalog.Operation.
type opSchemas struct {
	inOnce sync.Once
	in     *jsonschema.Schema
	inErr  error
	known  []string // sorted valid top-level argument names

	outOnce sync.Once
	out     *jsonschema.Schema
	outErr  error
}

func (f *Forwarder) schemasFor(op *catalog.Operation) *opSchemas {
	if s, ok := f.schemas.Get(op); ok {
		return s
	}
	s := &opSchemas{}
	if prev, ok, _ := f.schemas.PeekOrAdd(op, s); ok {
		return prev
	}
	return s
}

func (s *opSchemas) input(f *Forwarder, op *catalog.Operation) {
	s.inOnce.Do(func() {
		s.known = knownArgs(op)
		if len(op.InputSchema) == 0 {
			return
		}
		s.in, s.inErr = compileSchema(op.Name, "input", op.InputSchema)
		if s.inErr != nil {
			// The upstream still validates, and requests are built safely
			// without a schema, so a spec bug must not disable the tool.
			f.log.Warn("input schema does not compile; arguments are not schema-checked",
				"tool", op.Name, "err", s.inErr)
		}
	})
}

func (s *opSchemas) output(f *Forwarder, op *catalog.Operation) (*jsonschema.Schema, error) {
	s.outOnce.Do(func() {
		s.out, s.outErr = compileSchema(op.Name, "output", op.OutputSchema)
		if s.outErr != nil {
			f.log.Warn("output schema does not compile; responses are not schema-checked",
				"tool", op.Name, "err", s.outErr)
		}
	})
	return s.out, s.outErr
}

// Validate checks args against op.InputSchema (JSON Schema 2020-12, compiled
// once per operation) and, unless Options.AllowUnknownArgs, rejects
// top-level arguments the operation does not declare. The error is an
// *ArgumentError naming each offending argument and rule.
func (f *Forwarder) Validate(op *catalog.Operation, args map[string]any) error {
	if op == nil {
		return errNoOp
	}
	s := f.schemasFor(op)
	s.input(f, op)
	var problems []string
	more := 0 // problems found but not described: only maxProblems are shown
	if !f.allowUnknown {
		for _, k := range sortedKeys(args) {
			if _, ok := slices.BinarySearch(s.known, k); !ok {
				// Arguments are outside input: thousands of unknown names
				// must not each cost a description nobody will see.
				if len(problems) < maxProblems {
					problems = append(problems, unknownArgProblem(k, s.known))
				} else {
					more++
				}
			}
		}
	}
	if s.in != nil {
		var inst any = map[string]any{}
		if args != nil {
			inst = args
			if !isPlainJSON(inst) {
				n, err := roundTrip(args)
				if err != nil {
					return &ArgumentError{Tool: op.Name, Problems: []string{err.Error()}}
				}
				inst = n
			}
		}
		// With the unknown-argument check on, a schema's own
		// additionalProperties:false finding at the top would repeat it.
		for _, pr := range schemaProblems(s.in.Validate(inst), f.printer, true) {
			if !f.allowUnknown && strings.HasPrefix(pr, "arguments: ") && strings.HasSuffix(pr, "[additionalProperties]") {
				continue
			}
			problems = append(problems, pr)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	if len(problems)+more > maxProblems {
		more += len(problems) - min(len(problems), maxProblems)
		problems = append(problems[:min(len(problems), maxProblems)], fmt.Sprintf("(and %d more problems)", more))
	}
	return &ArgumentError{Tool: op.Name, Problems: problems}
}

// knownArgs lists the top-level argument names: inputSchema properties plus
// the parameter and body arguments (so a mapped argument is never rejected).
func knownArgs(op *catalog.Operation) []string {
	set := map[string]bool{}
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(op.InputSchema, &schema) == nil {
		for k := range schema.Properties {
			set[k] = true
		}
	}
	for _, p := range op.Params {
		set[p.Arg] = true
	}
	if op.Body != nil {
		set[op.Body.Arg] = true
	}
	known := make([]string, 0, len(set))
	for k := range set {
		known = append(known, k)
	}
	slices.Sort(known)
	return known
}

// maxShownName bounds how much of an unknown argument name an error quotes.
const maxShownName = 100

func unknownArgProblem(name string, known []string) string {
	shown := name
	if len(shown) > maxShownName {
		shown = cutUTF8(shown, maxShownName) + "…"
	}
	if len(known) == 0 {
		return fmt.Sprintf("unknown argument %q: this tool takes no arguments", shown)
	}
	msg := fmt.Sprintf("unknown argument %q", shown)
	if best := closest(name, known); best != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", best)
	}
	return msg + "; valid arguments: " + strings.Join(known, ", ")
}

// closest returns the known name nearest to name (case-insensitive edit
// distance at most 2), or "".
func closest(name string, known []string) string {
	best, bestD := "", 3
	lname := ""
	for _, k := range known {
		// The distance is at least the difference in length; skipping
		// those keeps a megabyte-long name from costing len*len steps.
		if d := len(name) - len(k); d >= bestD || -d >= bestD {
			continue
		}
		if lname == "" {
			lname = strings.ToLower(name)
		}
		if d := editDistance(lname, strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// schemaProblems flattens a validation error to its leaf findings.
// asArgs phrases locations as tool arguments rather than response fields.
func schemaProblems(err error, p *message.Printer, asArgs bool) []string {
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	var out []string
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		msg := fmt.Sprintf("%s: %s", location(e.InstanceLocation, asArgs), e.ErrorKind.LocalizedString(p))
		if kw := e.ErrorKind.KeywordPath(); len(kw) > 0 {
			msg += " [" + strings.Join(kw, "/") + "]"
		}
		if !seen[msg] {
			seen[msg] = true
			out = append(out, msg)
		}
	}
	walk(ve)
	return out
}

// location names an instance location: `argument "body" at /body/tags/0`
// for arguments, or a JSON pointer for response fields.
func location(tokens []string, asArgs bool) string {
	var ptr strings.Builder
	for _, t := range tokens {
		ptr.WriteByte('/')
		ptr.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	switch {
	case !asArgs && len(tokens) == 0:
		return "response"
	case !asArgs:
		return "response at " + ptr.String()
	case len(tokens) == 0:
		return "arguments"
	case len(tokens) == 1:
		return fmt.Sprintf("argument %q", tokens[0])
	}
	return fmt.Sprintf("argument %q at %s", tokens[0], ptr.String())
}

// compileSchema compiles one JSON Schema document. External references are
// never fetched (no file or network access from a spec), and patterns Go's
// RE2 cannot compile (lookarounds, backreferences) are not enforced rather
// than failing the whole schema.
func compileSchema(tool, which string, raw json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s schema of %s: %w", which, tool, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(denyLoader{})
	c.UseRegexpEngine(lenientRegexp)
	loc := "mem:///tools/" + url.PathEscape(tool) + "/" + which + ".json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("%s schema of %s: %w", which, tool, err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("%s schema of %s: %w", which, tool, err)
	}
	return sch, nil
}

type denyLoader struct{}

func (denyLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("external schema reference %s is not loaded", u)
}

type matchAll string

func (m matchAll) String() string        { return string(m) }
func (matchAll) MatchString(string) bool { return true }

func lenientRegexp(s string) (jsonschema.Regexp, error) {
	re, err := regexp.Compile(s)
	if err != nil {
		return matchAll(s), nil
	}
	return re, nil
}

// roundTrip converts any Go value to the generic JSON form (numbers as
// json.Number) through an encode/decode cycle.
func roundTrip(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("arguments cannot be encoded as JSON: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("arguments cannot be decoded as JSON: %w", err)
	}
	return out, nil
}

// isPlainJSON reports whether v holds only the types encoding/json decodes
// into, which is what the schema validator accepts.
func isPlainJSON(v any) bool {
	switch x := v.(type) {
	case nil, string, bool, float64, json.Number:
		return true
	case []any:
		for _, e := range x {
			if !isPlainJSON(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range x {
			if !isPlainJSON(e) {
				return false
			}
		}
		return true
	}
	return false
}

func newPrinter() *message.Printer { return message.NewPrinter(language.English) }
