package refresh

import "net/url"

// redactSource hides a password in a URL source before it is logged.
func redactSource(source string) string {
	u, err := url.Parse(source)
	if err != nil || u.User == nil {
		return source
	}
	return u.Redacted()
}
