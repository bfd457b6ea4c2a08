package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Setting describes one configuration key and its three spellings.
type Setting struct {
	Key     string // YAML path, e.g. "upstream_timeout"
	Env     string // SPECGATE_UPSTREAM_TIMEOUT
	Flag    string // upstream-timeout
	Default string
	Enum    []string
	Help    string
	Type    string // string, bool, int, bytes, duration, list
	InFile  bool   // false for settings that cannot come from the file itself
	index   []int
}

// Settings lists every setting of Config in declaration order.
func Settings() []Setting {
	var out []Setting
	collect(reflect.TypeOf(Config{}), nil, "", &out)
	return out
}

func collect(t reflect.Type, index []int, prefix string, out *[]Setting) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := f.Tag.Get("key")
		if key == "" {
			continue
		}
		idx := append(append([]int(nil), index...), i)
		full := prefix + key
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
			collect(f.Type, idx, full+".", out)
			continue
		}
		s := Setting{
			Key:     full,
			Env:     "SPECGATE_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(full)),
			Flag:    strings.NewReplacer(".", "-", "_", "-").Replace(full),
			Default: f.Tag.Get("default"),
			Help:    f.Tag.Get("help"),
			InFile:  f.Tag.Get("file") != "-",
			index:   idx,
		}
		if e := f.Tag.Get("enum"); e != "" {
			s.Enum = strings.Split(e, ",")
		}
		switch {
		case f.Type == reflect.TypeOf(time.Duration(0)):
			s.Type = "duration"
		case f.Type.Kind() == reflect.Bool:
			s.Type = "bool"
		case f.Type.Kind() == reflect.Int64 && strings.HasSuffix(key, "bytes"):
			s.Type = "bytes"
		case f.Type.Kind() == reflect.Int || f.Type.Kind() == reflect.Int64:
			s.Type = "int"
		case (f.Type.Kind() == reflect.Map || f.Type.Kind() == reflect.Slice) && f.Type.Elem().Kind() == reflect.Struct:
			s.Type = "objects"
		case f.Type.Kind() == reflect.Slice:
			s.Type = "list"
		case f.Type.Kind() == reflect.Map:
			s.Type = "map"
		default:
			s.Type = "string"
		}
		*out = append(*out, s)
	}
}

// Error is a configuration problem tied to one setting.
type Error struct {
	Setting Setting
	Source  string // "flag", "env", "file <path>:<line>", "default"
	Err     error
}

func (e *Error) Error() string {
	return fmt.Sprintf("config: %s (%s): %v", e.Setting.Key, e.Source, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// FlagSet returns a flag set holding every setting as a string flag, so the
// loader can tell which flags were given and parse them like the other sources.
func FlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	for _, s := range Settings() {
		help := s.Help
		if s.Default != "" {
			help += " (default " + s.Default + ")"
		}
		help += " [$" + s.Env + "]"
		if s.Type == "bool" {
			fs.Var(&boolString{}, s.Flag, help)
		} else {
			fs.String(s.Flag, "", help)
		}
	}
	return fs
}

// boolString lets a bool flag be given bare (--x) and still be read as text.
type boolString struct{ v string }

func (b *boolString) String() string     { return b.v }
func (b *boolString) Set(v string) error { b.v = v; return nil }
func (b *boolString) IsBoolFlag() bool   { return true }

// Load builds a Config from defaults, the config file (from the flag, the
// environment or cfgFile), the environment and the already-parsed flags.
// getenv is os.Getenv in production. fs may be nil.
func Load(fs *flag.FlagSet, getenv func(string) string) (*Config, error) {
	cfg := &Config{}
	v := reflect.ValueOf(cfg).Elem()
	settings := Settings()
	for _, s := range settings {
		if s.Default == "" {
			continue
		}
		if err := set(v.FieldByIndex(s.index), s, s.Default); err != nil {
			return nil, &Error{Setting: s, Source: "default", Err: err}
		}
	}
	given := map[string]string{}
	if fs != nil {
		fs.Visit(func(f *flag.Flag) { given[f.Name] = f.Value.String() })
	}
	file := getenv("SPECGATE_CONFIG")
	if f, ok := given["config"]; ok {
		file = f
	}
	if file != "" {
		if err := loadFile(cfg, file, settings); err != nil {
			return nil, err
		}
		cfg.ConfigFile = file
	}
	for _, s := range settings {
		if val := getenv(s.Env); val != "" {
			if err := set(v.FieldByIndex(s.index), s, val); err != nil {
				return nil, &Error{Setting: s, Source: "env " + s.Env, Err: err}
			}
		}
	}
	for _, s := range settings {
		if val, ok := given[s.Flag]; ok {
			if s.Type == "bool" && val == "" {
				val = "true"
			}
			if err := set(v.FieldByIndex(s.index), s, val); err != nil {
				return nil, &Error{Setting: s, Source: "flag --" + s.Flag, Err: err}
			}
		}
	}
	return cfg, nil
}

func loadFile(cfg *Config, path string, settings []Setting) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: read %s: %w", path, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return fmt.Errorf("config: parse %s: %w", path, err)
	}
	if len(root.Content) == 0 {
		return nil // empty file
	}
	byKey := map[string]Setting{}
	for _, s := range settings {
		if s.InFile {
			byKey[s.Key] = s
		}
	}
	return walkFile(reflect.ValueOf(cfg).Elem(), root.Content[0], "", path, byKey)
}

func walkFile(v reflect.Value, n *yaml.Node, prefix, path string, byKey map[string]Setting) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("config: %s:%d: expected a mapping of settings at %q", path, n.Line, strings.TrimSuffix(prefix, "."))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := prefix + k.Value
		if s, ok := byKey[key]; ok {
			text, err := scalarText(val, s)
			if err == nil {
				err = set(v.FieldByIndex(s.index), s, text)
			}
			if err != nil {
				return &Error{Setting: s, Source: fmt.Sprintf("file %s:%d", path, val.Line), Err: err}
			}
			continue
		}
		if hasPrefix(byKey, key+".") {
			if err := walkFile(v, val, key+".", path, byKey); err != nil {
				return err
			}
			continue
		}
		return fmt.Errorf("config: %s:%d: unknown key %q", path, k.Line, key)
	}
	return nil
}

func hasPrefix(m map[string]Setting, p string) bool {
	for k := range m {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func scalarText(n *yaml.Node, s Setting) (string, error) {
	if s.Type == "objects" {
		out, err := yaml.Marshal(n)
		return string(out), err
	}
	if s.Type == "map" && n.Kind == yaml.MappingNode {
		var entries []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			var vals []string
			switch v.Kind {
			case yaml.SequenceNode:
				for _, c := range v.Content {
					if c.Kind != yaml.ScalarNode {
						return "", fmt.Errorf("%q: list items must be plain values", k.Value)
					}
					vals = append(vals, c.Value)
				}
			case yaml.ScalarNode:
				vals = strings.Fields(v.Value)
			default:
				return "", fmt.Errorf("%q: expected a list of scopes", k.Value)
			}
			if strings.ContainsAny(k.Value, "=,") {
				return "", fmt.Errorf("%q: names must not contain '=' or ','", k.Value)
			}
			entries = append(entries, k.Value+"="+strings.Join(vals, " "))
		}
		return strings.Join(entries, ","), nil
	}
	if s.Type == "list" && n.Kind == yaml.SequenceNode {
		parts := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return "", errors.New("list items must be plain values")
			}
			parts = append(parts, c.Value)
		}
		return strings.Join(parts, ","), nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("expected a single value, got a %s", kindName(n.Kind))
	}
	return n.Value, nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	default:
		return "value"
	}
}

func set(f reflect.Value, s Setting, text string) error {
	text = strings.TrimSpace(text)
	if len(s.Enum) > 0 && !contains(s.Enum, text) {
		return fmt.Errorf("invalid value %q: must be one of %s", text, strings.Join(s.Enum, ", "))
	}
	switch s.Type {
	case "duration":
		d, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("invalid duration %q (use e.g. 30s, 5m, 1h)", text)
		}
		if d < 0 {
			return fmt.Errorf("invalid duration %q: must not be negative", text)
		}
		f.SetInt(int64(d))
	case "bool":
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("invalid boolean %q (use true or false)", text)
		}
		f.SetBool(b)
	case "int", "bytes":
		n, err := parseSize(text, s.Type == "bytes")
		if err != nil {
			return err
		}
		f.SetInt(n)
	case "objects":
		ptr := reflect.New(f.Type())
		dec := yaml.NewDecoder(strings.NewReader(text))
		dec.KnownFields(true)
		if err := dec.Decode(ptr.Interface()); err != nil {
			return fmt.Errorf("invalid value: %v", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		f.Set(ptr.Elem())
	case "map":
		m := map[string][]string{}
		for _, entry := range strings.Split(text, ",") {
			if entry = strings.TrimSpace(entry); entry == "" {
				continue
			}
			name, vals, ok := strings.Cut(entry, "=")
			if !ok || strings.TrimSpace(name) == "" {
				return fmt.Errorf("invalid entry %q: use name=scope1 scope2", entry)
			}
			m[strings.TrimSpace(name)] = strings.Fields(vals)
		}
		f.Set(reflect.ValueOf(m))
	case "list":
		var items []string
		for _, p := range strings.Split(text, ",") {
			if p = strings.TrimSpace(p); p != "" {
				items = append(items, p)
			}
		}
		f.Set(reflect.ValueOf(items))
	default:
		f.SetString(text)
	}
	return nil
}

// parseSize reads an integer; with bytes it also accepts KiB/MiB/GiB suffixes.
func parseSize(text string, bytes bool) (int64, error) {
	mult := int64(1)
	if bytes {
		for suf, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
			if strings.HasSuffix(text, suf) {
				mult, text = m, strings.TrimSpace(strings.TrimSuffix(text, suf))
				break
			}
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < 0 {
		if bytes {
			return 0, fmt.Errorf("invalid size %q (use a number of bytes or e.g. 4MiB)", text)
		}
		return 0, fmt.Errorf("invalid number %q", text)
	}
	return n * mult, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CheckEnv returns an error naming every SPECGATE_* variable in environ
// ("KEY=value" entries) that is not a setting, with the closest setting's
// name: a misspelt variable would otherwise be ignored without a word.
func CheckEnv(environ []string) error {
	known := map[string]bool{}
	for _, s := range Settings() {
		known[s.Env] = true
	}
	var bad []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "SPECGATE_") || known[name] {
			continue
		}
		msg := name
		if near := closestEnv(name); near != "" {
			msg += " (did you mean " + near + "?)"
		}
		bad = append(bad, msg)
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("config: unknown environment variable %s; 'specgate serve --help' lists the settings", strings.Join(bad, ", "))
}

// envAliases are names people reach for that mean another setting.
var envAliases = map[string]string{
	"SPECGATE_REDIS_URL": "SPECGATE_STORE",
	"SPECGATE_REDIS":     "SPECGATE_STORE",
	"SPECGATE_PORT":      "SPECGATE_LISTEN",
	"SPECGATE_ADDR":      "SPECGATE_LISTEN",
	"SPECGATE_SECRET":    "SPECGATE_OAUTH_SECRET",
}

// closestEnv suggests the known variable sharing the longest prefix or
// suffix of words with name.
func closestEnv(name string) string {
	if alias, ok := envAliases[name]; ok {
		return alias
	}
	words := strings.Split(strings.TrimPrefix(name, "SPECGATE_"), "_")
	best, bestScore := "", 0
	for _, s := range Settings() {
		score := 0
		sw := strings.Split(strings.TrimPrefix(s.Env, "SPECGATE_"), "_")
		if sw[0] == words[0] {
			score++ // the first word names the area (oauth, login, upstream…)
		}
		for _, w := range sw {
			for _, x := range words {
				if w == x {
					score++
				}
			}
		}
		if score > bestScore {
			best, bestScore = s.Env, score
		}
	}
	return best
}
