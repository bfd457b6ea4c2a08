package forward

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/specgate/specgate/proxy/catalog"
)

const (
	// maxShapePasses bounds how often a result is re-shaped with smaller
	// limits to fit MaxTextBytes (each pass reads the whole body).
	maxShapePasses = 8
	// minFitStringBytes is the smallest string limit used to make a result
	// fit; below it, strings lose their meaning and the byte cap is better.
	minFitStringBytes = 256
	// maxNoteLines bounds the per-array lines of a shaping note.
	maxNoteLines = 8
)

// limitsFor returns the shaping limits of op: the operation's own
// (catalog.Shaping) over the forwarder's. A negative value means no limit.
func (f *Forwarder) limitsFor(op *catalog.Operation) shapeLimits {
	l := shapeLimits{items: f.maxArray, strBytes: f.maxString}
	if s := op.Shaping; s != nil {
		if s.MaxArrayItems != 0 {
			l.items = s.MaxArrayItems
		}
		if s.MaxStringBytes != 0 {
			l.strBytes = s.MaxStringBytes
		}
	}
	return shapeLimits{items: max(l.items, 0), strBytes: max(l.strBytes, 0)}
}

// shapedBody is a successful JSON body as the agent gets it.
type shapedBody struct {
	json   []byte // shaped JSON (the body itself when nothing was cut)
	pretty string // pretty-printed, within MaxTextBytes
	sh     shaped
	lim    shapeLimits // the limits in the end applied
}

// note tells the agent what was left out and how to get it; "" when
// nothing was. structured says whether the shaped JSON is also the
// result's structuredContent.
func (b shapedBody) note(op *catalog.Operation, structured bool) string {
	return shapeNote(op, b.sh, b.lim, structured)
}

// shape shortens a valid JSON body for op and pretty-prints it. When the
// result would not fit MaxTextBytes, arrays, then strings, are shortened
// further (never below one entry or minFitStringBytes) so that the text stays
// valid JSON; the byte cap applies only if that is not enough.
func (f *Forwarder) shape(op *catalog.Operation, body []byte) shapedBody {
	lim := f.limitsFor(op)
	var sh shaped
	out, cut := []byte(nil), false
	for pass := 0; ; pass++ {
		sh = shapeJSON(body, lim)
		out, cut = indentJSON(sh.out, f.maxText)
		if !cut || pass == maxShapePasses {
			break
		}
		// Only limits that are set are tightened: "no limit" is a choice.
		if lim.items > 0 && sh.longestKept > 1 {
			lim.items = sh.longestKept / 2
		} else if lim.strBytes > 0 && sh.longestStr > minFitStringBytes {
			lim.strBytes = max(sh.longestStr/2, minFitStringBytes)
		} else {
			break
		}
	}
	pretty := string(out)
	if cut {
		pretty += fmt.Sprintf("\n…[truncated: the response is %d bytes of JSON; the text above stops at %d bytes. Narrow the request (filters, fields, pagination) to see the rest.]",
			len(body), f.maxText)
	}
	return shapedBody{json: sh.out, pretty: pretty, sh: sh, lim: lim}
}

// shapeNote tells the agent what was left out and how to get it.
func shapeNote(op *catalog.Operation, sh shaped, lim shapeLimits, structured bool) string {
	if !sh.changed {
		return ""
	}
	var b strings.Builder
	b.WriteString("[specgate: the JSON above is shortened to fit the agent's context")
	if structured {
		b.WriteString(" (the structured content is shortened the same way)")
	}
	b.WriteString(".")
	// Outer arrays first: an inner array is finished, so recorded, first.
	cuts := slices.Clone(sh.arrays)
	sort.SliceStable(cuts, func(i, j int) bool { return cuts[i].depth < cuts[j].depth })
	for i, c := range cuts {
		if i == maxNoteLines {
			fmt.Fprintf(&b, "\n- (%d more places with shortened arrays)", len(cuts)-i)
			break
		}
		where := "the response"
		if c.path != "" {
			where = strconv.Quote(c.path)
		}
		if c.arrays == 1 {
			fmt.Fprintf(&b, "\n- %s had %d entries; showing the first %d.", where, c.longest, c.kept)
		} else {
			fmt.Fprintf(&b, "\n- %s: %d arrays had more than %d entries (up to %d); each shows its first %d.", where, c.arrays, c.kept, c.longest, c.kept)
		}
	}
	if sh.strings > 0 {
		fmt.Fprintf(&b, "\n- %d %s longer than %d bytes %s cut; %s with \"…[N more bytes]\".",
			sh.strings, plural(sh.strings, "string", "strings"), lim.strBytes, plural(sh.strings, "was", "were"), plural(sh.strings, "it ends", "each ends"))
	}
	switch {
	case len(cuts) > 0 && !strings.Contains(cuts[0].path, "[]"):
		b.WriteString("\n" + pagingHint(op.Pagination, cuts[0]))
	case len(cuts) > 0:
		// Only lists inside entries were shortened: paging does not reach them.
		b.WriteString("\nNarrow the request (filters, fields) to see more of the shortened lists.")
	}
	b.WriteString("]")
	return b.String()
}

// pagingHint says how to get the entries not shown, naming the operation's
// own paging arguments. A next-page cursor or offset taken from this
// response continues after everything the API sent, so it would skip the
// entries specgate left out: a smaller page size is the way to see them.
func pagingHint(p *catalog.Pagination, c *arrayCut) string {
	kept, hidden := c.kept, c.longest-c.kept
	switch {
	case p != nil && len(p.Size) > 0:
		s := fmt.Sprintf("To see the rest, call again with %s of at most %d", orList(p.Size), kept)
		if len(p.Position) > 0 {
			s += " and page with " + orList(p.Position)
		}
		return s + fmt.Sprintf(" (this operation's parameters). A next page taken from this response would skip the %d entries not shown.", hidden)
	case p != nil:
		return fmt.Sprintf("This operation pages with %s, but a next page taken from this response would skip the %d entries not shown; narrow the request (filters) to see them.",
			orList(p.Position), hidden)
	}
	return "Narrow the request (filters) to see the rest."
}

// orList formats argument names: "limit", "limit or per_page".
func orList(names []string) string {
	return strings.Join(names, " or ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
