package search

import "strings"

// synonymWeight scales a term that a query did not say but that means the
// same in API vocabulary; the words the agent used always count more.
const synonymWeight = 0.6

// synonymGroups are words that API specs and the people (or models) asking
// for an operation use interchangeably. They are generic REST and SaaS
// vocabulary — CRUD verbs, common resources, "me" endpoints — never the
// names of one API's operations.
var synonymGroups = []string{
	"create add new make insert register generate issue upsert",
	"get retrieve fetch read show view see lookup detail info describe display check",
	"list all enumerate browse",
	"update edit change modify set patch alter replace rename upsert",
	"delete remove destroy erase drop trash discard purge",
	"search find query lookup filter",
	"send post publish deliver dispatch",
	"upload attach import",
	"download export",
	"invite add",
	"user member person people account colleague coworker teammate",
	"message msg",
	"image photo picture pic avatar",
	"server guild workspace",
	"channel conversation room",
	"terminate kill stop end halt abort",
	"cancel void abort",
	"start begin run launch trigger execute",
	"charge pay payment",
	"refund reimburse",
	"buy purchase order",
	"product item sku",
	"inventory stock",
	"cost spend expense billing",
	"ban block",
	"comment note",
	"email mail",
	"file document doc attachment",
	"speech audio voice",
	"reply respond response answer",
	"me self current authenticated",
	"status state",
	"schedule cron recurring scheduled",
	"history log",
	"reaction react emoji",
	"count number total many",
}

// pronouns refer to the caller. They are weak hints ("/users/@me", "current
// user") rather than words to match: "remind me" is not about a "me" endpoint.
var pronouns = map[string]bool{"i": true, "me": true, "my": true, "mine": true, "myself": true}

// phrases are multi-word expressions and the single index term they stand
// for, matched on the lower-cased query with words separated by one space.
var phrases = map[string]string{
	"direct message": "dm",
	"do not disturb": "dnd",
	"log in":         "login",
	"sign in":        "login",
	"log out":        "logout",
	"sign out":       "logout",
	"pull request":   "pr",
}

// synonyms maps a stemmed term to the other stemmed terms of its groups.
var synonyms = func() map[string][]string {
	m := make(map[string][]string)
	for _, g := range synonymGroups {
		var terms []string
		for _, w := range strings.Fields(g) {
			terms = append(terms, stem(strings.ToLower(w)))
		}
		for _, t := range terms {
			for _, o := range terms {
				if o != t && !contains(m[t], o) {
					m[t] = append(m[t], o)
				}
			}
		}
	}
	return m
}()

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
