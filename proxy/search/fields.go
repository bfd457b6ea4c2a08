package search

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/specgate/specgate/proxy/catalog"
)

// The fields of an operation document.
const (
	fName = iota
	fTitle
	fLead
	fPath
	fTags
	fDesc
	fParams
	fMethod
	numFields
)

var fieldWeight = [numFields]float64{
	fName: wName, fTitle: wTitle, fLead: wLead, fPath: wPath, fTags: wTags,
	fDesc: wDesc, fParams: wParams, fMethod: wMethod,
}

// methodWords are what an HTTP method usually means, so that "remove a pet"
// reaches DELETE /pet/{petId} even when the name does not say delete.
var methodWords = map[string]string{
	"GET":    "get",
	"HEAD":   "get",
	"POST":   "create",
	"PUT":    "update",
	"PATCH":  "update",
	"DELETE": "delete",
}

// docFields holds an operation's analyzed fields.
type docFields struct {
	terms  [numFields][]string
	length [numFields]int
}

// analyze splits an operation into its fields' terms.
func analyze(op *catalog.Operation) docFields {
	var d docFields
	name := op.Name
	if op.OperationID != "" && op.OperationID != op.Name {
		name += " " + op.OperationID
	}
	d.terms[fName] = nameTerms(name)
	d.terms[fTitle] = tokens(op.Title, nil)
	d.terms[fPath] = tokens(op.Path, nil)
	d.terms[fTags] = tokens(strings.Join(op.Tags, " "), nil)
	desc := descriptionText(op.Description)
	d.terms[fDesc] = tokens(desc, nil)
	d.terms[fLead] = tokens(leadSentence(desc, d.terms[fTitle]), nil)
	var params []string
	for _, p := range op.Params {
		params = tokens(p.Name, params)
	}
	for _, n := range bodyPropertyNames(op) {
		params = tokens(n, params)
	}
	d.terms[fParams] = params
	if w, ok := methodWords[op.Method]; ok {
		d.terms[fMethod] = []string{stem(w)}
	}
	for f := range numFields {
		d.length[f] = len(d.terms[f])
	}
	return d
}

// nameTerms analyzes a tool name or operationId. Names derived from the
// method and path (post_files_content, put_users_id) start with the HTTP
// method, which then means create or update.
func nameTerms(name string) []string {
	terms := tokens(name, nil)
	if len(terms) > 1 {
		switch terms[0] {
		case "post":
			terms[0] = stem("create")
		case "put", "patch":
			terms[0] = stem("update")
		}
	}
	return terms
}

// descriptionText drops the "HTTP: METHOD /path" line the converter appends:
// the path and method are fields of their own.
func descriptionText(s string) string {
	if i := strings.LastIndex(s, "HTTP: "); i >= 0 && !strings.Contains(s[i:], "\n") {
		return s[:i]
	}
	return s
}

// leadSentence returns the first sentence of a description that does not
// merely repeat the title: specs without summaries (Slack) say there what an
// operation does ("Sends a message to a channel."), and converted
// descriptions often start with the summary itself.
func leadSentence(desc string, title []string) string {
	for range 2 {
		desc = strings.TrimSpace(desc)
		end := len(desc)
		for _, sep := range []string{". ", ".\n", "\n"} {
			if i := strings.Index(desc, sep); i >= 0 && i < end {
				end = i
			}
		}
		first := desc[:end]
		if !slices.Equal(tokens(first, nil), title) {
			return first
		}
		desc = desc[min(end+1, len(desc)):]
	}
	return ""
}

// bodyPropertyNames returns the top-level property names of a JSON or form
// request body, read from the tool's inputSchema.
func bodyPropertyNames(op *catalog.Operation) []string {
	if op.Body == nil || len(op.InputSchema) == 0 {
		return nil
	}
	var schema struct {
		Properties map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"properties"`
	}
	if json.Unmarshal(op.InputSchema, &schema) != nil {
		return nil
	}
	body := schema.Properties[op.Body.Arg]
	names := make([]string, 0, len(body.Properties))
	for n := range body.Properties {
		names = append(names, n)
	}
	return names
}
