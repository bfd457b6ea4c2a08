package refresh

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/specload"
)

// TestStatusHidesSourceSecrets checks that neither the status (shown on the
// health endpoint) nor an error carries a password or a query token of the
// spec URL.
func TestStatusHidesSourceSecrets(t *testing.T) {
	const secret = "s3cr3t-token"
	f := newFixture(t, Options{})
	f.srv.set(nil, http.StatusServiceUnavailable)
	src := strings.Replace(f.url, "http://", "http://me:"+secret+"@", 1) + "?token=" + secret
	r := New(f.loader, src, f.builder.build, &catalog.Holder{}, Options{})
	err := r.Init(context.Background())
	if err == nil {
		t.Fatal("Init succeeded")
	}
	st := r.Status()
	for what, s := range map[string]string{"error": err.Error(), "Status.Source": st.Source, "Status.LastError": st.LastError} {
		if strings.Contains(s, secret) {
			t.Errorf("%s %q shows the secret", what, s)
		}
	}
	if want := specload.RedactSource(src); st.Source != want {
		t.Errorf("Status.Source = %q, want %q", st.Source, want)
	}
}
