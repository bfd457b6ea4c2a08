package upstreamauth

import (
	"sort"
	"strings"

	"github.com/specgate/specgate/proxy/catalog"
)

// Suggest derives a default Placement from the spec's securitySchemes and
// returns it with the scheme's name. In order of preference it picks:
//
//  1. the apiKey (header, query or cookie) or http bearer/basic scheme that
//     the most operations accept (ties: the first name in byte order): the
//     kind of credential an operator holds, even when an OAuth scheme is
//     more common (Swagger's petstore accepts api_key or petstore_auth);
//  2. else an oauth2 or openIdConnect scheme that operations accept, sent as
//     "Authorization: Bearer";
//  3. else an apiKey or http bearer/basic scheme the spec declares but no
//     operation names (sloppy specs omit the security requirements).
//
// An apiKey is sent as the bare secret ("{secret}"), even in the
// Authorization header: the spec says nothing of a prefix (Discord's
// BotToken wants "Bot <token>" in the secret or the template). ok is false
// when the spec offers nothing usable (no schemes, or only mutualTLS or
// http schemes such as digest).
func Suggest(cat *catalog.Catalog) (p Placement, scheme string, ok bool) {
	return suggest(cat, false)
}

// Resolve returns p unchanged unless it is the zero Placement (nothing
// configured); then it returns the placement Suggest derives from cat, and
// the scheme's name. In user mode an oauth2 or openIdConnect scheme that
// operations accept is preferred, since the per-user credential from an
// upstream login is an OAuth token. scheme is "" when p is kept or the spec
// gives no hint (New then uses "Authorization: Bearer").
func Resolve(mode Mode, p Placement, cat *catalog.Catalog) (Placement, string) {
	if p != (Placement{}) || mode == ModeNone || mode == "" {
		return p, ""
	}
	s, name, ok := suggest(cat, mode == ModeUser)
	if !ok {
		return p, ""
	}
	return s, name
}

func suggest(cat *catalog.Catalog, preferOAuth bool) (Placement, string, bool) {
	if cat == nil || len(cat.SecuritySchemes) == 0 {
		return Placement{}, "", false
	}
	used := map[string]int{}
	for _, op := range cat.Operations() {
		seen := map[string]bool{}
		for _, alt := range op.Security {
			for name := range alt.Schemes {
				if !seen[name] {
					seen[name] = true
					used[name]++
				}
			}
		}
	}
	names := make([]string, 0, len(cat.SecuritySchemes))
	for name := range cat.SecuritySchemes {
		names = append(names, name)
	}
	sort.Strings(names)
	// best is the scheme of kind that the most operations accept (or, with
	// unused, the first declared one that none accepts).
	best := func(kind func(catalog.SecurityScheme) bool, unused bool) (string, bool) {
		pick, n := "", 0
		for _, name := range names {
			if !kind(cat.SecuritySchemes[name]) {
				continue
			}
			if unused && used[name] == 0 {
				return name, true
			}
			if !unused && used[name] > n {
				pick, n = name, used[name]
			}
		}
		return pick, pick != ""
	}
	order := []struct {
		kind   func(catalog.SecurityScheme) bool
		unused bool
	}{{placeable, false}, {isOAuth, false}, {placeable, true}}
	if preferOAuth {
		order[0], order[1] = order[1], order[0]
	}
	for _, o := range order {
		if name, ok := best(o.kind, o.unused); ok {
			return placementFor(cat.SecuritySchemes[name]), name, true
		}
	}
	return Placement{}, "", false
}

func isOAuth(s catalog.SecurityScheme) bool {
	return s.Type == catalog.SchemeOAuth2 || s.Type == catalog.SchemeOpenIDConnect
}

// placeable reports whether specgate can send a static secret the way s
// wants it.
func placeable(s catalog.SecurityScheme) bool {
	switch {
	case s.Type == catalog.SchemeAPIKey, s.Type == catalog.SchemeHTTP && (s.Scheme == "bearer" || s.Scheme == "basic"):
		_, err := newPlacement(placementFor(s), ModeStatic)
		return err == nil
	}
	return false
}

func placementFor(s catalog.SecurityScheme) Placement {
	switch {
	case s.Type == catalog.SchemeAPIKey:
		return Placement{In: s.In, Name: s.ParamName, Template: "{secret}"}
	case s.Type == catalog.SchemeHTTP && s.Scheme == "basic":
		return Placement{In: InBasic}
	}
	return Placement{In: InHeader, Name: "Authorization", Template: "Bearer {secret}"}
}

// DescribeSecurity says which security schemes op accepts, for `specgate
// tools`: alternatives joined by " | ", schemes needed together by " + ",
// each as "name (what it is)", e.g.
// "api_key (apiKey in header api_key) | petstore_auth (oauth2)". It is ""
// when the spec declares no security for op and "none" when op is
// explicitly open (or one alternative requires nothing).
func DescribeSecurity(cat *catalog.Catalog, op *catalog.Operation) string {
	if op == nil || op.Security == nil {
		return ""
	}
	if len(op.Security) == 0 {
		return "none"
	}
	alts := make([]string, 0, len(op.Security))
	for _, alt := range op.Security {
		if len(alt.Schemes) == 0 {
			alts = append(alts, "none")
			continue
		}
		names := make([]string, 0, len(alt.Schemes))
		for name := range alt.Schemes {
			names = append(names, name)
		}
		sort.Strings(names)
		for i, name := range names {
			what := "undeclared"
			if cat != nil {
				if s, ok := cat.SecuritySchemes[name]; ok {
					what = s.String()
				}
			}
			names[i] = name + " (" + what + ")"
		}
		alts = append(alts, strings.Join(names, " + "))
	}
	return strings.Join(alts, " | ")
}
