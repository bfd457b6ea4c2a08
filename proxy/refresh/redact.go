package refresh

import "github.com/specgate/specgate/proxy/specload"

// redactSource hides a password and query values (often an access token)
// in a URL source before it is logged or shown in the status.
func redactSource(source string) string { return specload.RedactSource(source) }
