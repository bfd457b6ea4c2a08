//go:build race

package main

// raceEnabled reports whether the race detector is on; it makes bcrypt at
// cost 12 (users add) about ten times slower.
const raceEnabled = true
