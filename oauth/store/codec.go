package store

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/ory/fosite"
)

// requestJSON is the persisted form of a fosite.Requester. The client is kept
// as a snapshot without its secret hash: fosite only reads its ID and
// metadata from stored requests and always re-authenticates against the live
// client.
type requestJSON struct {
	ID                string     `json:"id"`
	RequestedAt       time.Time  `json:"requested_at"`
	Client            *Client    `json:"client"`
	RequestedScope    []string   `json:"requested_scope"`
	GrantedScope      []string   `json:"granted_scope"`
	RequestedAudience []string   `json:"requested_audience"`
	GrantedAudience   []string   `json:"granted_audience"`
	Form              url.Values `json:"form"`
	Session           *Session   `json:"session"`
}

// EncodeRequest serialises a fosite requester (as passed to the Create*Session
// methods) to JSON. Its session must be a *Session (or nil).
func EncodeRequest(r fosite.Requester) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("encode request: nil requester")
	}
	var sess *Session
	switch s := r.GetSession().(type) {
	case nil:
	case *Session:
		sess = s
	default:
		return nil, fmt.Errorf("encode request %s: unsupported session type %T (want *store.Session)", r.GetID(), s)
	}
	rj := requestJSON{
		ID:                r.GetID(),
		RequestedAt:       r.GetRequestedAt(),
		Client:            clientSnapshot(r.GetClient()),
		RequestedScope:    r.GetRequestedScopes(),
		GrantedScope:      r.GetGrantedScopes(),
		RequestedAudience: r.GetRequestedAudience(),
		GrantedAudience:   r.GetGrantedAudience(),
		Form:              r.GetRequestForm(),
		Session:           sess,
	}
	b, err := json.Marshal(rj)
	if err != nil {
		return nil, fmt.Errorf("encode request %s: %w", rj.ID, err)
	}
	return b, nil
}

// DecodeRequest restores a requester written by EncodeRequest. The result is
// a *fosite.Request whose session is a *Session and whose client is a *Client.
func DecodeRequest(b []byte) (*fosite.Request, error) {
	var rj requestJSON
	if err := json.Unmarshal(b, &rj); err != nil {
		return nil, fmt.Errorf("decode request: %w", err)
	}
	r := &fosite.Request{
		ID:                rj.ID,
		RequestedAt:       rj.RequestedAt,
		RequestedScope:    fosite.Arguments(nonNil(rj.RequestedScope)),
		GrantedScope:      fosite.Arguments(nonNil(rj.GrantedScope)),
		RequestedAudience: fosite.Arguments(nonNil(rj.RequestedAudience)),
		GrantedAudience:   fosite.Arguments(nonNil(rj.GrantedAudience)),
		Form:              rj.Form,
	}
	if r.Form == nil {
		r.Form = url.Values{}
	}
	if rj.Client != nil {
		r.Client = rj.Client
	} else {
		r.Client = &Client{}
	}
	if rj.Session != nil {
		r.Session = rj.Session
	} else {
		r.Session = &Session{}
	}
	return r, nil
}

// RequestExpiry returns when the record for r expires as a token of type tt:
// the session's expiry for that type, or zero when it carries none.
func RequestExpiry(r fosite.Requester, tt fosite.TokenType) time.Time {
	if r == nil || r.GetSession() == nil {
		return time.Time{}
	}
	return r.GetSession().GetExpiresAt(tt)
}

// clientSnapshot converts any fosite.Client into a *Client without secret.
func clientSnapshot(c fosite.Client) *Client {
	switch v := c.(type) {
	case nil:
		return nil
	case *Client:
		d := v.Clone()
		d.SecretHash = nil
		return d
	default:
		return &Client{
			ID:            v.GetID(),
			RedirectURIs:  cloneStrings(v.GetRedirectURIs()),
			GrantTypes:    cloneStrings(v.GetGrantTypes()),
			ResponseTypes: cloneStrings(v.GetResponseTypes()),
			Scopes:        cloneStrings(v.GetScopes()),
			Audience:      cloneStrings(v.GetAudience()),
			Public:        v.IsPublic(),
		}
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// EncodeJSON and DecodeJSON serialise the non-fosite records (clients,
// pending authorizations, consents); stores keep copies this way so callers
// can never mutate stored state.
func EncodeJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return b, nil
}

// DecodeJSON is the inverse of EncodeJSON.
func DecodeJSON(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %T: %w", v, err)
	}
	return nil
}
