package app

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP returns a function naming the client of a request for the
// per-IP throttles: the connection's address, or, when that is a trusted
// proxy, the rightmost X-Forwarded-For address that is not one (earlier
// entries can be forged by the client).
func clientIP(trusted []string) func(r *http.Request) string {
	var nets []netip.Prefix
	for _, t := range trusted {
		if p, err := netip.ParsePrefix(t); err == nil {
			nets = append(nets, p.Masked())
		} else if a, err := netip.ParseAddr(t); err == nil {
			nets = append(nets, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, n := range nets {
			if n.Contains(a) {
				return true
			}
		}
		return false
	}
	return func(r *http.Request) string {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if len(nets) == 0 || !isTrusted(host) {
			return host
		}
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			h := strings.TrimSpace(hops[i])
			if h == "" {
				continue
			}
			if _, err := netip.ParseAddr(h); err != nil {
				return host // malformed: do not trust the header at all
			}
			if !isTrusted(h) {
				return h
			}
		}
		return host
	}
}
