//go:build race

package users

// raceEnabled reports whether the race detector is on; it makes bcrypt at
// cost 12 take tens of seconds, so the two tests that need it are skipped.
const raceEnabled = true
