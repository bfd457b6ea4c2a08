package upstreamauth

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxSecretFile bounds the secret file: a larger file is surely the wrong one.
const maxSecretFile = 64 << 10

// secretSource holds the static secret. A file is stat'ed on every use and
// re-read when its modification time or size changed; the stat costs about
// a microsecond, far below an upstream round trip, and needs no watcher
// goroutine. A file that cannot be read, or whose new content is unusable,
// keeps the previous secret (rotation tools may write in steps), with a
// warning logged once per change.
type secretSource struct {
	env, file string
	check     func(string) error
	log       *slog.Logger

	cur     atomic.Pointer[secretState]
	mu      sync.Mutex // serializes re-reads
	lastErr string     // last problem logged, under mu
}

type secretState struct {
	value string
	mod   time.Time // of the file version last seen
	size  int64
}

func newSecretSource(env, file string, getenv func(string) string, check func(string) error, log *slog.Logger) (*secretSource, error) {
	switch {
	case env != "" && file != "":
		return nil, fmt.Errorf("%s and %s are both set; set only one", KeySecretEnv, KeySecretFile)
	case env == "" && file == "":
		return nil, fmt.Errorf("%s static needs the secret: set %s (an environment variable name) or %s (a file path)",
			KeyAuth, KeySecretEnv, KeySecretFile)
	}
	s := &secretSource{env: env, file: file, check: check, log: log}
	if env != "" {
		v := strings.TrimSpace(getenv(env))
		if v == "" {
			return nil, fmt.Errorf("%s: environment variable %s is not set or empty", KeySecretEnv, env)
		}
		if err := check(v); err != nil {
			return nil, fmt.Errorf("%s: the secret in $%s cannot be sent: %w", KeySecretEnv, env, err)
		}
		s.cur.Store(&secretState{value: v})
		return s, nil
	}
	st, err := s.load()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", KeySecretFile, err)
	}
	s.cur.Store(st)
	return s, nil
}

// origin names where the secret comes from, for Describe.
func (s *secretSource) origin() string {
	if s.env != "" {
		return "$" + s.env
	}
	return "file " + s.file
}

// load reads and checks the secret file.
func (s *secretSource) load() (*secretState, error) {
	f, err := os.Open(s.file)
	if err != nil {
		return nil, err // *PathError: names the file, never its content
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a file", s.file)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSecretFile {
		return nil, fmt.Errorf("%s is larger than %d KiB; is it the right file?", s.file, maxSecretFile>>10)
	}
	v := strings.TrimSpace(string(data))
	if v == "" {
		return nil, fmt.Errorf("%s is empty", s.file)
	}
	if err := s.check(v); err != nil {
		return nil, fmt.Errorf("the secret in %s cannot be sent: %w", s.file, err)
	}
	return &secretState{value: v, mod: fi.ModTime(), size: fi.Size()}, nil
}

// get returns the current secret, re-reading a changed file.
func (s *secretSource) get() string {
	cur := s.cur.Load()
	if s.file == "" {
		return cur.value
	}
	fi, statErr := os.Stat(s.file)
	if statErr == nil && cur.same(fi) {
		return cur.value
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur = s.cur.Load()
	if statErr != nil {
		s.warn(statErr)
		return cur.value
	}
	if cur.same(fi) { // another call re-read it meanwhile
		return cur.value
	}
	st, err := s.load()
	if err != nil {
		s.warn(err)
		// Remember this version so a bad file is not re-read on every call.
		s.cur.Store(&secretState{value: cur.value, mod: fi.ModTime(), size: fi.Size()})
		return cur.value
	}
	s.lastErr = ""
	s.cur.Store(st)
	s.log.Info("re-read the upstream secret file", "file", s.file)
	return st.value
}

// warn logs a problem with the secret file once until it changes; s.mu held.
func (s *secretSource) warn(err error) {
	msg := err.Error()
	if errors.Is(err, os.ErrNotExist) {
		msg = "no such file"
	}
	if msg == s.lastErr {
		return
	}
	s.lastErr = msg
	s.log.Warn("cannot use the upstream secret file; still sending the secret read before", "file", s.file, "err", err)
}

func (st *secretState) same(fi os.FileInfo) bool {
	return fi.ModTime().Equal(st.mod) && fi.Size() == st.size
}
