// Package upstreamauth adds credentials to the requests specgate sends to
// the upstream API. Its Injector plugs into forward.Options.Decorate.
//
// There are three modes:
//
//   - none: no credential is added.
//   - static: one secret for every call, read from an environment variable
//     or a file (never from the config file itself). A file is re-read when
//     it changes, so a rotated secret takes effect without a restart.
//   - user: the calling user's own credential (from the upstream login),
//     fetched per call from a CredentialSource.
//
// The credential goes where the Placement says: a header whose value is a
// template ("Bearer {secret}"), a query parameter, a cookie, or HTTP basic
// auth. An empty placement means "Authorization: Bearer <credential>";
// Suggest and Resolve derive a better default from the spec's
// securitySchemes.
//
// Whatever the mode, Decorate removes Authorization and
// Proxy-Authorization from the outgoing request, so the MCP client's own
// access token can never reach the upstream; the forwarder builds each
// request afresh and copies no inbound header, and this is the second line.
// Cookies are kept: the forwarder sets the Cookie header only from cookie
// parameters the operation declares. A credential replaces any header,
// query parameter or cookie of the same name that a tool argument set.
//
// Secrets and tokens never appear in errors, logs or Describe. Errors name
// the settings by their specgate config keys (upstream.*). Decorate names
// the credential it adds to the forwarder (forward.MarkSecret), so an
// upstream that echoes the request (a redirect's Location, a Link, an error
// page, an endpoint returning the request headers) does not show it to the
// agent either.
package upstreamauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// Mode says where the upstream credential comes from.
type Mode string

// The modes.
const (
	ModeNone   Mode = "none"
	ModeStatic Mode = "static"
	ModeUser   Mode = "user"
)

// Placement locations (Placement.In).
const (
	InHeader = "header"
	InQuery  = "query"
	InCookie = "cookie"
	InBasic  = "basic"
)

// Placement says where and how the credential is sent.
type Placement struct {
	// In is header, query, cookie or basic. Empty means header.
	In string
	// Name is the header, query parameter or cookie name. For a header it
	// defaults to Authorization; query and cookie need one. Basic takes none.
	Name string
	// Template is the value sent, with {secret} (static and user mode) or
	// {token} (user mode) standing for the credential. The default is
	// "Bearer {secret}" for the Authorization header and "{secret}"
	// otherwise. Basic auth takes no template.
	Template string
	// BasicUser is the basic-auth user name; the credential is the password.
	// When empty, the credential itself must be "user:password" (Stripe-style
	// keys with an empty password are written "key:").
	BasicUser string
}

// Config configures an Injector.
type Config struct {
	// Mode is none (the default when empty), static or user.
	Mode Mode
	// Placement is where the credential goes (static and user mode).
	Placement Placement
	// SecretEnv names the environment variable holding the static secret.
	SecretEnv string
	// SecretFile is the file holding the static secret; surrounding
	// whitespace is trimmed. Exactly one of SecretEnv and SecretFile is
	// required in static mode.
	SecretFile string
	// ForwardUserHeader, when set, carries the authenticated user's name
	// (the CredentialSource's subject) upstream, e.g. X-Forwarded-User, for
	// APIs that trust the proxy. A tool argument can never set it.
	ForwardUserHeader string
	// Logger receives warnings about the secret file (never its content);
	// nil discards them.
	Logger *slog.Logger
}

// CredentialSource returns the calling user's upstream credential (token)
// and name (subject) for the request context. Mode user sends the token;
// ForwardUserHeader sends the subject (in the other modes the token is
// ignored). An error, e.g. "log in to the upstream API again at ...", is
// returned by Decorate unchanged and becomes the tool error the agent sees;
// it must not contain the token.
type CredentialSource func(ctx context.Context) (token, subject string, err error)

// Injector adds the configured credential to upstream requests. It is safe
// for concurrent use.
type Injector struct {
	mode     Mode
	place    placement
	secret   *secretSource // static mode
	src      CredentialSource
	userHdr  string // canonical ForwardUserHeader, or ""
	describe string
}

// New validates cfg, reads the static secret and returns an Injector. src is
// required in user mode and when cfg.ForwardUserHeader is set; getenv (nil
// means no environment) looks up cfg.SecretEnv. Errors name the setting.
func New(cfg Config, src CredentialSource, getenv func(string) string) (*Injector, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	in := &Injector{mode: cfg.Mode, src: src}
	if in.mode == "" {
		in.mode = ModeNone
	}
	switch in.mode {
	case ModeNone:
		if cfg.Placement != (Placement{}) {
			return nil, fmt.Errorf("%s: a credential placement (%s) is set but %s is none; set %s to static or user, or remove it",
				placementKey(cfg.Placement), describePlacementInput(cfg.Placement), KeyAuth, KeyAuth)
		}
	case ModeStatic, ModeUser:
		var err error
		if in.place, err = newPlacement(cfg.Placement, in.mode); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s: unknown mode %q; use none, static or user", KeyAuth, cfg.Mode)
	}
	if in.mode == ModeStatic {
		s, err := newSecretSource(cfg.SecretEnv, cfg.SecretFile, getenv, in.place.check, log)
		if err != nil {
			return nil, err
		}
		in.secret = s
	} else if cfg.SecretEnv != "" || cfg.SecretFile != "" {
		key := KeySecretEnv
		if cfg.SecretEnv == "" {
			key = KeySecretFile
		}
		return nil, fmt.Errorf("%s: a static secret only applies with %s static (it is %s)", key, KeyAuth, in.mode)
	}
	if h := cfg.ForwardUserHeader; h != "" {
		if err := checkHeaderName(h); err != nil {
			return nil, fmt.Errorf("%s: %w", KeyForwardUserHeader, err)
		}
		in.userHdr = http.CanonicalHeaderKey(h)
		if in.place.in == InHeader && in.place.name == in.userHdr {
			return nil, fmt.Errorf("%s: %s already carries the credential", KeyForwardUserHeader, in.userHdr)
		}
	}
	if src == nil && (in.mode == ModeUser || in.userHdr != "") {
		return nil, errors.New("upstreamauth: internal error: no CredentialSource for the user's credential or name")
	}
	in.describe = in.buildDescribe()
	return in, nil
}

// Describe says in one line what the Injector sends, for start-up logs, e.g.
// "static secret from $API_KEY in header X-API-Key: {secret}". It never
// contains the secret.
func (in *Injector) Describe() string { return in.describe }

func (in *Injector) buildDescribe() string {
	var b strings.Builder
	switch in.mode {
	case ModeNone:
		b.WriteString("no upstream credential")
	case ModeStatic:
		b.WriteString("static secret from " + in.secret.origin() + " " + in.place.String())
	case ModeUser:
		b.WriteString("per-user credential from the upstream login " + in.place.String())
	}
	if in.userHdr != "" {
		b.WriteString("; user name in header " + in.userHdr)
	}
	return b.String()
}

// Decorate removes any client credential from req and adds the configured
// one; it has the signature of forward.Options.Decorate. Its errors carry
// neither the secret nor the token.
func (in *Injector) Decorate(ctx context.Context, req *http.Request) error {
	req.Header.Del("Authorization")
	req.Header.Del("Proxy-Authorization")
	if in.userHdr != "" {
		req.Header.Del(in.userHdr)
	}
	var token, subject string
	if in.mode == ModeUser || in.userHdr != "" {
		var err error
		if token, subject, err = in.src(ctx); err != nil {
			return err
		}
	}
	switch in.mode {
	case ModeStatic:
		v := in.secret.get()
		in.place.apply(req, v)
		in.place.markSecret(ctx, v)
	case ModeUser:
		who := "the signed-in user"
		if subject != "" {
			who = fmt.Sprintf("user %q", subject)
		}
		if token == "" {
			return fmt.Errorf("no upstream credential is available for %s; sign in to the upstream API again", who)
		}
		if err := in.place.check(token); err != nil {
			return fmt.Errorf("the upstream credential of %s cannot be sent: %w", who, err)
		}
		in.place.apply(req, token)
		in.place.markSecret(ctx, token)
	}
	if in.userHdr != "" && subject != "" {
		if i := strings.IndexFunc(subject, isCtl); i >= 0 {
			return fmt.Errorf("the user name cannot be sent in %s: it contains a control character at byte %d", in.userHdr, i)
		}
		req.Header.Set(in.userHdr, subject)
	}
	return nil
}

// isCtl reports ASCII control characters, tab included: none belongs in a
// credential or a user name.
func isCtl(r rune) bool { return r < 0x20 || r == 0x7f }
