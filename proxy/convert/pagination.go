package convert

import (
	"strings"

	"github.com/specgate/specgate/proxy/catalog"
)

// Query parameter names that page through results, compared after
// pagingKey. Names that often mean something else (size, since, from,
// start) are left out: a wrong hint sends the agent astray, a missing one
// only makes the note less specific.
var (
	pageSizeNames = map[string]bool{
		"limit": true, "perpage": true, "pagesize": true, "count": true, "maxresults": true,
		"maxitems": true, "maxpagesize": true, "pagelimit": true, "top": true, "first": true,
		"numresults": true, "maxrecords": true,
	}
	pagePositionNames = map[string]bool{
		"offset": true, "page": true, "pagenumber": true, "pageno": true, "pagenum": true, "skip": true,
		"cursor": true, "pagecursor": true, "nextcursor": true, "startcursor": true,
		"after": true, "before": true, "startingafter": true, "endingbefore": true,
		"nexttoken": true, "pagetoken": true, "nextpagetoken": true, "continuationtoken": true,
		"continuation": true, "marker": true, "startindex": true, "startat": true, "pageoffset": true,
	}
)

// pagingKey folds a parameter name for matching: lower case, letters and
// digits only ("page[size]", "$top", "starting_after", "pageToken").
func pagingKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// pagination finds the query parameters that look like paging and names
// their arguments; nil when there are none.
func pagination(params []catalog.Param) *catalog.Pagination {
	var p catalog.Pagination
	for _, prm := range params {
		if prm.In != catalog.InQuery {
			continue
		}
		switch k := pagingKey(prm.Name); {
		case pageSizeNames[k]:
			p.Size = append(p.Size, prm.Arg)
		case pagePositionNames[k]:
			p.Position = append(p.Position, prm.Arg)
		}
	}
	if len(p.Size) == 0 && len(p.Position) == 0 {
		return nil
	}
	return &p
}
